#ifndef EVENTMESH_COMMON_CONFIG_KEY_TABLE_H_
#define EVENTMESH_COMMON_CONFIG_KEY_TABLE_H_

// Configuration as data: a component declares each of its keys once — name, default, unit,
// range, description and where the value goes in its options struct — and the table parses
// values into the struct, refuses what it does not know, and renders the reference that the
// component's README carries (a test compares the two).
//
//   KeyTable<MyOptions> table;
//   table.Int("my.timeoutMs", &MyOptions::timeout_ms, 1, 60'000, "ms", "how long to wait")
//        .Bool("my.enabled", &MyOptions::enabled, "turns it on");
//   absl::Status s = table.Apply("my.timeoutMs", "500", &options);
//
// A field is a pointer to a member of Options, or a callable Options& -> T& (for nested
// structs). Defaults are read from a default-constructed Options unless given as text.
// Immutable after construction; Apply is thread-safe on distinct Options objects.

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/config/values.h"

namespace eventmesh::config {

template <typename Options>
class KeyTable {
 public:
  using ApplyFn =
      std::function<absl::Status(const std::string& key, const std::string& value, Options*)>;

  struct Key {
    std::string name;
    std::string default_text;  // as the reference shows it
    std::string unit;          // "ms", "bytes", "events/s", ... or ""
    std::string description;
    ApplyFn apply;
  };

  // An integer field (any integral type) in [min, max].
  template <typename Field>
  KeyTable& Int(std::string name, Field field, int64_t min, int64_t max, std::string unit,
                std::string description) {
    Options defaults{};
    const std::string default_text = absl::StrCat(std::invoke(field, defaults));
    return Add(
        std::move(name), default_text, std::move(unit),
        absl::StrCat(description, " [", min, "..", max >= kUnbounded ? "" : absl::StrCat(max), "]"),
        [field, min, max](const std::string& key, const std::string& value, Options* o) {
          auto parsed = ParseInt(key, value, min, max);
          if (!parsed.ok()) return parsed.status();
          using T = std::remove_reference_t<decltype(std::invoke(field, *o))>;
          std::invoke(field, *o) = static_cast<T>(*parsed);
          return absl::OkStatus();
        });
  }

  template <typename Field>
  KeyTable& Bool(std::string name, Field field, std::string description) {
    Options defaults{};
    return Add(std::move(name), std::invoke(field, defaults) ? "true" : "false", "",
               std::move(description),
               [field](const std::string& key, const std::string& value, Options* o) {
                 auto parsed = ParseBool(key, value);
                 if (!parsed.ok()) return parsed.status();
                 std::invoke(field, *o) = *parsed;
                 return absl::OkStatus();
               });
  }

  // A string field; with `non_empty` an empty value is refused.
  template <typename Field>
  KeyTable& String(std::string name, Field field, std::string description, bool non_empty = false) {
    Options defaults{};
    const std::string& current = std::invoke(field, defaults);
    return Add(std::move(name), current.empty() ? "\"\"" : current, "", std::move(description),
               [field, non_empty](const std::string& key, const std::string& value, Options* o) {
                 if (non_empty && value.empty()) {
                   return absl::InvalidArgumentError(absl::StrCat("empty value for key ", key));
                 }
                 std::invoke(field, *o) = value;
                 return absl::OkStatus();
               });
  }

  // Anything else: the caller parses.
  KeyTable& Custom(std::string name, std::string default_text, std::string unit,
                   std::string description, ApplyFn apply) {
    return Add(std::move(name), std::move(default_text), std::move(unit), std::move(description),
               std::move(apply));
  }

  // The key named `name`, or nullptr.
  const Key* Find(absl::string_view name) const {
    for (const Key& key : keys_) {
      if (key.name == name) return &key;
    }
    return nullptr;
  }

  // Parses `value` into `options`. Errors: NotFound "unknown configuration key K" (with the
  // closest known key when one differs only slightly), the key's own InvalidArgument.
  absl::Status Apply(const std::string& name, const std::string& value, Options* options) const {
    return Apply(name, value, options, "");
  }

  // The same for a key taken from a section whose `prefix` the caller stripped (e.g. a
  // connector's "eventMesh.storage.embedded."): every message names the key as the user wrote
  // it, prefix included.
  absl::Status Apply(const std::string& name, const std::string& value, Options* options,
                     absl::string_view prefix) const {
    const Key* key = Find(name);
    if (key == nullptr) return Unknown(name, prefix);
    return key->apply(absl::StrCat(prefix, name), value, options);
  }

  // Applies every key/value pair of `values` (a properties map or a config section): first
  // refuses any unknown key, then applies the values in order, stopping at the first error (see
  // Apply).
  template <typename Map>
  absl::Status ApplyAll(const Map& values, Options* options, absl::string_view prefix = "") const {
    for (const auto& [name, value] : values) {
      if (Find(name) == nullptr) return Unknown(name, prefix);
    }
    for (const auto& [name, value] : values) {
      if (absl::Status status = Apply(name, value, options, prefix); !status.ok()) return status;
    }
    return absl::OkStatus();
  }

  // NotFound "unknown configuration key K", with "(did you mean K2?)" when a known key is
  // within a few edits of K; both are shown with `prefix` in front.
  absl::Status Unknown(absl::string_view name, absl::string_view prefix = "") const {
    std::string hint;
    size_t best = 4;
    for (const Key& key : keys_) {
      const size_t d = Distance(name, key.name);
      if (d < best) {
        best = d;
        hint = absl::StrCat(" (did you mean ", prefix, key.name, "?)");
      }
    }
    return absl::NotFoundError(absl::StrCat("unknown configuration key ", prefix, name, hint));
  }

  const std::vector<Key>& keys() const { return keys_; }

  // The reference as a Markdown table: | key | default | unit | description |.
  std::string Markdown() const {
    std::string out = "| key | default | unit | description |\n| --- | --- | --- | --- |\n";
    for (const Key& key : keys_) {
      absl::StrAppend(&out, "| `", key.name, "` | ", Cell(key.default_text), " | ", key.unit, " | ",
                      absl::StrReplaceAll(key.description, {{"|", "\\|"}}), " |\n");
    }
    return out;
  }

 private:
  KeyTable& Add(std::string name, std::string default_text, std::string unit,
                std::string description, ApplyFn apply) {
    keys_.push_back(Key{std::move(name), std::move(default_text), std::move(unit),
                        std::move(description), std::move(apply)});
    return *this;
  }
  static std::string Cell(const std::string& text) {
    return text.empty() ? "" : absl::StrCat("`", absl::StrReplaceAll(text, {{"|", "\\|"}}), "`");
  }
  // Case-insensitive Levenshtein distance (keys are short).
  static size_t Distance(absl::string_view a, absl::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = row[j];
        const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                          std::tolower(static_cast<unsigned char>(b[j - 1]));
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
        diagonal = up;
      }
    }
    return row[b.size()];
  }

  std::vector<Key> keys_;
};

}  // namespace eventmesh::config

#endif  // EVENTMESH_COMMON_CONFIG_KEY_TABLE_H_
