#ifndef EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_
#define EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_

// JSON plumbing shared by the TCP codec and its body models (package-private target).
//
// - AppendWriter writes RapidJSON output straight into a caller's std::string (no
//   intermediate buffer), used when encoding frames.
// - ParseLenient parses with numbers kept as their source text, so a Java int/long
//   field (or a property value) can be read whether the peer sent 42 or "42"; parse
//   errors carry exactly the message of json::ParseJson (reason and byte offset).
// - ScalarText turns a JSON value into the text Jackson would bind to a String.
// Pure functions / value types; thread-safe.

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/writer.h"

namespace eventmesh::protocol::tcp {

// RapidJSON output stream appending to a std::string.
class StringAppendStream {
 public:
  using Ch = char;
  explicit StringAppendStream(std::string* out) : out_(out) {}
  void Put(char c) { out_->push_back(c); }
  void Flush() {}

 private:
  std::string* out_;
};

using AppendWriter = rapidjson::Writer<StringAppendStream>;

inline void WriteKey(AppendWriter& w, absl::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void WriteString(AppendWriter& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// The InvalidArgument status json::ParseJson reports for `text` (call only after a parse
// failure).
absl::Status JsonParseError(absl::string_view text, absl::string_view what);

// Parses `text` into `doc` with kParseNumbersAsStringsFlag. `Doc` is any
// rapidjson::GenericDocument (e.g. one using a stack-buffer allocator).
template <typename Doc>
absl::Status ParseLenient(absl::string_view text, absl::string_view what, Doc* doc) {
  doc->template Parse<rapidjson::kParseNumbersAsStringsFlag>(text.data(), text.size());
  if (!doc->HasParseError()) return absl::OkStatus();
  return JsonParseError(text, what);
}

// String -> its content (numbers parsed leniently arrive as strings), bool ->
// "true"/"false", object/array -> compact JSON text, null -> nullopt.
std::optional<std::string> ScalarText(const rapidjson::Value& v);

// True when `text` is exactly one complete JSON value (leading/trailing whitespace
// allowed). Allocation-free for typical bodies.
bool IsCompleteJson(absl::string_view text);

// Typed members of a JSON object parsed with ParseLenient. Absent and null members
// leave the output untouched. `model` names the object in error messages, e.g.
// "UserAgent field pid is not an int: \"abc\"".
std::optional<std::string> StringMember(const rapidjson::Value& obj, const char* key);
absl::Status IntMember(const rapidjson::Value& obj, const char* key, absl::string_view model,
                       int* out);
absl::Status StringMapMember(const rapidjson::Value& obj, const char* key,
                             absl::string_view model, std::map<std::string, std::string>* out);

// Writes {"k":"v",...}.
void WriteStringMap(AppendWriter& w, const std::map<std::string, std::string>& map);

inline absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_
