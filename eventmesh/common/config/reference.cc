#include "eventmesh/common/config/reference.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace eventmesh::config {
namespace {

struct Span {
  size_t begin;  // first character after the begin marker
  size_t end;    // the end marker
};

absl::StatusOr<Span> FindReference(absl::string_view document) {
  const size_t begin = document.find(kReferenceBegin);
  if (begin == absl::string_view::npos) {
    return absl::NotFoundError(absl::StrCat("no ", absl::StripSuffix(kReferenceBegin, "\n"),
                                            " marker (on a line of its own)"));
  }
  const size_t start = begin + sizeof(kReferenceBegin) - 1;
  const size_t end = document.find(kReferenceEnd, start);
  if (end == absl::string_view::npos) {
    return absl::NotFoundError(
        absl::StrCat("no ", kReferenceEnd, " marker after the begin marker"));
  }
  return Span{start, end};
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::string> ExtractReference(absl::string_view document) {
  auto span = FindReference(document);
  if (!span.ok()) return span.status();
  return std::string(document.substr(span->begin, span->end - span->begin));
}

absl::StatusOr<std::string> ReplaceReference(absl::string_view document,
                                             absl::string_view reference) {
  auto span = FindReference(document);
  if (!span.ok()) return span.status();
  return absl::StrCat(document.substr(0, span->begin), reference, document.substr(span->end));
}

absl::Status CheckReadmeReference(const std::string& readme_path, absl::string_view rendered,
                                  absl::string_view regenerate) {
  auto text = ReadFile(readme_path);
  if (!text.ok()) return text.status();
  auto documented = ExtractReference(*text);
  if (!documented.ok()) {
    return absl::NotFoundError(absl::StrCat(readme_path, ": ", documented.status().message()));
  }
  if (*documented == rendered) return absl::OkStatus();
  const std::vector<absl::string_view> have = absl::StrSplit(*documented, '\n');
  const std::vector<absl::string_view> want = absl::StrSplit(rendered, '\n');
  size_t line = 0;
  while (line < have.size() && line < want.size() && have[line] == want[line]) ++line;
  return absl::FailedPreconditionError(absl::StrCat(
      readme_path, "'s configuration reference differs from its key table at reference line ",
      line + 1, ":\n  README: ", line < have.size() ? have[line] : "(end)", "\n  table:  ",
      line < want.size() ? want[line] : "(end)", "\nregenerate it with: ", regenerate));
}

int RunReferenceTool(int argc, char** argv, absl::string_view rendered,
                     const std::string& readme_path) {
  if (argc == 1) {
    std::cout << rendered;
    return 0;
  }
  if (argc != 2 || absl::string_view(argv[1]) != "--update") {
    std::cerr << "usage: " << argv[0]
              << " [--update]\n  prints the configuration reference; --update rewrites it in "
              << readme_path << "\n";
    return 2;
  }
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::string path =
      workspace != nullptr ? absl::StrCat(workspace, "/", readme_path) : readme_path;
  auto text = ReadFile(path);
  absl::StatusOr<std::string> updated =
      text.ok() ? ReplaceReference(*text, rendered) : text.status();
  if (!updated.ok()) {
    std::cerr << path << ": " << updated.status().message() << "\n";
    return 2;
  }
  if (*updated == *text) {
    std::cout << path << " is up to date\n";
    return 0;
  }
  std::ofstream out(path, std::ios::trunc);
  out << *updated;
  if (!out.flush()) {
    std::cerr << "cannot write " << path << "\n";
    return 2;
  }
  std::cout << "updated " << path << "\n";
  return 0;
}

}  // namespace eventmesh::config
