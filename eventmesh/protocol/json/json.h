#ifndef EVENTMESH_PROTOCOL_JSON_JSON_H_
#define EVENTMESH_PROTOCOL_JSON_JSON_H_

// Thin helpers over RapidJSON, the JSON parser/writer of every codec in the mesh.
//
// ParseJson turns RapidJSON's error into an InvalidArgument status that names what was
// being parsed, the reason and the byte offset. The accessors read typed members of a
// JSON object without throwing. All functions are thread-safe (no shared state).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace eventmesh::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses exactly one JSON document (trailing non-whitespace is an error).
// `what` names the input in error messages, e.g. "package header".
absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text, absl::string_view what);

// The member as a string view into `obj` (valid while `obj` lives), or nullopt when
// absent, null or not a string.
std::optional<absl::string_view> GetString(const rapidjson::Value& obj, const char* key);

// The member as an int64; accepts JSON integers and decimal strings ("42"), as Jackson
// does for Java int fields. nullopt when absent, null or not convertible.
std::optional<int64_t> GetInt64(const rapidjson::Value& obj, const char* key);

// Writes a string value (or key) of known length; embedded NULs are kept.
inline void WriteString(Writer& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void WriteKey(Writer& w, absl::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// The JSON text of a value (compact).
std::string ToJsonString(const rapidjson::Value& value);

inline absl::string_view ToStringView(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

}  // namespace eventmesh::json

#endif  // EVENTMESH_PROTOCOL_JSON_JSON_H_
