#ifndef EVENTMESH_PROTOCOL_JSON_JSON_H_
#define EVENTMESH_PROTOCOL_JSON_JSON_H_

// Thin helpers over RapidJSON, the JSON parser/writer of every codec in the mesh.
//
// Every JSON text the mesh reads from outside goes through ParseInto (or ParseJson, built on
// it): RapidJSON's iterative parser, whose C++ stack use does not grow with the input, plus a
// nesting limit of kMaxDepth levels, so no input can overflow the stack of the parser or of
// the recursive code that later walks the document (Accept, deep copies). ParseJson turns
// RapidJSON's error into an InvalidArgument status that names what was being parsed, the
// reason and the byte offset. The accessors read typed members of a JSON object without
// throwing. All functions are thread-safe (no shared state).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace eventmesh::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Objects and arrays nested deeper than this are refused by every parser of the mesh.
inline constexpr int kMaxDepth = 128;

// A SAX handler that forwards every event to `Inner` and stops the parse (kParseErrorTermination)
// when objects/arrays nest deeper than kMaxDepth; too_deep() then tells why it stopped.
template <typename Inner>
class DepthLimitedHandler {
 public:
  using Ch = typename Inner::Ch;
  explicit DepthLimitedHandler(Inner* inner) : inner_(inner) {}

  bool too_deep() const { return too_deep_; }

  bool Null() { return inner_->Null(); }
  bool Bool(bool b) { return inner_->Bool(b); }
  bool Int(int i) { return inner_->Int(i); }
  bool Uint(unsigned u) { return inner_->Uint(u); }
  bool Int64(int64_t i) { return inner_->Int64(i); }
  bool Uint64(uint64_t u) { return inner_->Uint64(u); }
  bool Double(double d) { return inner_->Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) {
    return inner_->RawNumber(s, n, copy);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) { return inner_->String(s, n, copy); }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) { return inner_->Key(s, n, copy); }
  bool StartObject() { return Enter() && inner_->StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return inner_->EndObject(n);
  }
  bool StartArray() { return Enter() && inner_->StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return inner_->EndArray(n);
  }

 private:
  bool Enter() {
    too_deep_ = ++depth_ > kMaxDepth;
    return !too_deep_;
  }
  Inner* inner_;
  int depth_ = 0;
  bool too_deep_ = false;
};

// What ParseInto / Validate report: RapidJSON's result, and whether the parse stopped at the
// nesting limit.
struct ParseOutcome {
  rapidjson::ParseResult result;
  bool too_deep = false;
  bool ok() const { return !result.IsError(); }
};

// Parses exactly one JSON value from `stream` into `doc` (any rapidjson::GenericDocument, e.g.
// one on stack-buffer allocators) with kParseIterativeFlag added to `kFlags` and the nesting
// limit. `reader_allocator` (may be null: the heap) backs the parser's own state stack.
template <unsigned kFlags, typename Doc, typename Stream,
          typename ReaderAllocator = rapidjson::CrtAllocator>
ParseOutcome ParseInto(Stream& stream, Doc* doc, ReaderAllocator* reader_allocator = nullptr) {
  using Encoding = typename Doc::EncodingType;
  ParseOutcome outcome;
  auto generate = [&](Doc& target) {
    DepthLimitedHandler<Doc> handler(&target);
    rapidjson::GenericReader<Encoding, Encoding, ReaderAllocator> reader(reader_allocator, 256);
    outcome.result =
        reader.template Parse<kFlags | rapidjson::kParseIterativeFlag>(stream, handler);
    outcome.too_deep = handler.too_deep();
    return !outcome.result.IsError();
  };
  doc->Populate(generate);
  return outcome;
}

// Checks that `text` is exactly one JSON value within the nesting limit, without building a
// DOM (iterative; allocates only for the parser's state stack beyond 256 bytes).
template <unsigned kFlags = rapidjson::kParseDefaultFlags>
ParseOutcome Validate(absl::string_view text) {
  struct Accept : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Accept> {
    bool Default() { return true; }
  } accept;
  DepthLimitedHandler<Accept> handler(&accept);
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader(nullptr, 256);
  ParseOutcome outcome;
  outcome.result = reader.template Parse<kFlags | rapidjson::kParseIterativeFlag>(stream, handler);
  outcome.too_deep = handler.too_deep();
  return outcome;
}

// The InvalidArgument status for a failed ParseInto/Validate of `text`:
// "malformed JSON in <what>: <reason> at offset <n>", or for the limit
// "malformed JSON in <what>: nesting deeper than 128 levels at offset <n>".
absl::Status ParseError(const ParseOutcome& outcome, absl::string_view what);

// Parses exactly one JSON document (trailing non-whitespace is an error) with ParseInto.
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
