#ifndef EVENTMESH_COMMON_CONFIG_REFERENCE_H_
#define EVENTMESH_COMMON_CONFIG_REFERENCE_H_

// The configuration reference a README carries: the Markdown a KeyTable renders, placed between
//   <!-- config-reference:begin -->
//   <!-- config-reference:end -->
// Each component has a `config_reference` binary (prints the reference; `--update` rewrites its
// README in the workspace) and a `config_reference_test` (the README equals the table, every key
// is described and accepts its own default). These are the shared pieces of both.
// Pure functions except the file reads/writes named below; thread-safe.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/config/key_table.h"

namespace eventmesh::config {

inline constexpr char kReferenceBegin[] = "<!-- config-reference:begin -->\n";
inline constexpr char kReferenceEnd[] = "<!-- config-reference:end -->";

// The text between the markers. Error: NotFound naming the missing marker (or an end marker
// before the begin marker).
absl::StatusOr<std::string> ExtractReference(absl::string_view document);

// `document` with the text between the markers replaced by `reference`. Errors as
// ExtractReference.
absl::StatusOr<std::string> ReplaceReference(absl::string_view document,
                                             absl::string_view reference);

// OK when the reference in the file at `readme_path` equals `rendered`. Errors: NotFound (no
// file, no markers), FailedPrecondition naming the file, the first line that differs and
// `regenerate` (the command that updates the README).
absl::Status CheckReadmeReference(const std::string& readme_path, absl::string_view rendered,
                                  absl::string_view regenerate);

// The body of a config_reference binary. Without arguments prints `rendered`; with `--update`
// rewrites the reference in `readme_path` (relative to the workspace: $BUILD_WORKSPACE_DIRECTORY,
// set by `bazel run`, else the current directory). Returns the exit status (2 on a bad argument
// or an I/O error, with a message on stderr).
int RunReferenceTool(int argc, char** argv, absl::string_view rendered,
                     const std::string& readme_path);

// Whether a key's default, as the reference shows it, is a value the key accepts: not a
// placeholder ("", `""`, "$XDG_...", "<dataDir>/...").
inline bool IsPlainDefault(absl::string_view text) {
  return !text.empty() && text != "\"\"" && text[0] != '$' && text[0] != '<';
}

// OK when every key of `table` has a description and applies its own default (when that is a
// plain value) to a default-constructed Options. Error: InvalidArgument listing the keys that do
// not.
template <typename Options>
absl::Status CheckKeyTable(const KeyTable<Options>& table) {
  std::vector<std::string> problems;
  for (const auto& key : table.keys()) {
    if (key.description.empty()) problems.push_back(absl::StrCat(key.name, ": no description"));
    if (!IsPlainDefault(key.default_text)) continue;
    Options options{};
    if (absl::Status status = key.apply(key.name, key.default_text, &options); !status.ok()) {
      problems.push_back(absl::StrCat(key.name, ": default does not apply: ", status.message()));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

}  // namespace eventmesh::config

#endif  // EVENTMESH_COMMON_CONFIG_REFERENCE_H_
