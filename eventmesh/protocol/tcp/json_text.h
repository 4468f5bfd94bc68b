#ifndef EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_
#define EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_

// JSON plumbing shared by the TCP codec and its body models (package-private target).
//
// - AppendWriter (from json/append_writer.h) writes RapidJSON output straight into a caller's
//   std::string (no intermediate buffer), used when encoding frames.
// - ParseLenient parses with numbers kept as their source text, so a Java int/long
//   field (or a property value) can be read whether the peer sent 42 or "42"; parse
//   errors carry exactly the message of json::ParseJson (reason and byte offset).
// - ScalarText turns a JSON value into the text Jackson would bind to a String.
// Pure functions / value types; thread-safe.

#include <algorithm>
#include <cassert>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/string_resize.h"
#include "eventmesh/protocol/json/append_writer.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/json/string_scan.h"
#include "rapidjson/document.h"
#include "rapidjson/writer.h"

namespace eventmesh::protocol::tcp {

// The append writer and fast string path, shared with the CloudEvents JSON format.
using json::AppendJsonString;
using json::AppendPlainJsonString;
using json::AppendWriter;
using json::NeedsJsonEscape;
using json::StringAppendStream;
using json::WriteKey;
using json::WriteString;
using json::WriteStringFast;

// Compact JSON objects appended straight to a std::string, for the fixed shapes of TCP frames
// (the header, the EventMeshMessage body): no writer state on the heap (rapidjson::Writer
// allocates its level stack for every object) and no per-call bookkeeping beyond one flag. The
// output is byte for byte what rapidjson::Writer writes for the same calls; it is complete in
// `out` when the writer is destroyed. The caller makes the calls in a valid order (objects
// only: a key before each member's value).
class DirectJsonWriter {
 public:
  explicit DirectJsonWriter(std::string* out) : stream_(out) {}
  void StartObject() {
    Separator();
    stream_.Put('{');
    comma_ = false;
  }
  void EndObject() {
    stream_.Put('}');
    comma_ = true;
  }
  void Key(absl::string_view key) {
    if (!NeedsJsonEscape(key)) {
      PlainKey(key);
      return;
    }
    Separator();
    AppendJsonString(stream_, key);
    stream_.Put(':');
    comma_ = false;
  }
  void String(absl::string_view value) {
    if (!NeedsJsonEscape(value)) {
      PlainString(value);
      return;
    }
    Separator();
    AppendJsonString(stream_, value);
    comma_ = true;
  }
  // Key and String for text the caller knows needs no escaping (literals, command names):
  // written without looking for bytes to escape.
  void PlainKey(absl::string_view key) {
    assert(!NeedsJsonEscape(key));
    AppendPlainJsonString(stream_, comma_ ? ',' : 0, key, ':');
    comma_ = false;
  }
  void PlainString(absl::string_view value) {
    assert(!NeedsJsonEscape(value));
    AppendPlainJsonString(stream_, comma_ ? ',' : 0, value, 0);
    comma_ = true;
  }
  // JSON text the caller wrote with another DirectJsonWriter, ending with a key (its ':'): the
  // value comes next.
  void RawKeyPrefix(absl::string_view json) {
    Separator();
    stream_.Append(json.data(), json.size());
    comma_ = false;
  }
  void Int(int value) {
    Separator();
    char digits[12];
    char* end = digits + sizeof(digits);
    char* p = end;
    // In unsigned arithmetic, so that INT_MIN negates without overflow.
    unsigned int magnitude =
        value < 0 ? 0u - static_cast<unsigned int>(value) : static_cast<unsigned int>(value);
    do {
      *--p = static_cast<char>('0' + magnitude % 10);
      magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0) *--p = '-';
    stream_.Append(p, static_cast<size_t>(end - p));
    comma_ = true;
  }
  // {"k":"v",...} of a map of strings (std::map, SortedVectorMap), in its order.
  template <typename Map>
  void StringMap(const Map& map) {
    StartObject();
    for (const auto& [key, value] : map) {
      Key(key);
      String(value);
    }
    EndObject();
  }

 private:
  void Separator() {
    if (comma_) stream_.Put(',');
  }
  StringAppendStream stream_;
  bool comma_ = false;  // a member or value was written: the next one needs a ','
};

// RapidJSON's SSE2 scanning reads aligned 16-byte blocks and may look up to 15 bytes past
// the terminating NUL; scratch buffers are padded so that these reads stay inside them.
inline constexpr size_t kJsonScratchPadding = 16;

// Values (scalars, objects, arrays, member keys) one header or body JSON may have. A frame is up
// to 4 MiB, which as a DOM of small values would be over 60 MB; real headers and bodies have
// tens of values (a subscription lists one object per topic: 16000 topics fit).
inline constexpr size_t kMaxJsonValues = 65536;

// "malformed JSON in <what>: ..." for text with a raw NUL byte (the reason and offset that
// json::ParseJson reports for it).
absl::Status JsonNulError(absl::string_view text, absl::string_view what);

// Parses `text` into `doc` with kParseNumbersAsStringsFlag through json::ParseInto (iterative,
// nesting limited to json::kMaxDepth, at most kMaxJsonValues values). `Doc` is any
// rapidjson::GenericDocument (e.g. one using a stack-buffer allocator); `reader_allocator` (may be
// null: the heap) backs the parser's state stack. The text is copied into `scratch` (text.size() +
// kJsonScratchPadding bytes, NUL-terminated) and parsed in situ, which lets RapidJSON use its fast
// pointer-based string scanning; string values of `doc` point into `scratch`, which must outlive
// `doc`. A raw NUL byte anywhere is malformed JSON. Errors: json::ParseError's (OutOfRange for the
// value limit).
template <typename Doc, typename ReaderAllocator = rapidjson::CrtAllocator>
absl::Status ParseLenientInto(absl::string_view text, absl::string_view what, char* scratch,
                              Doc* doc, ReaderAllocator* reader_allocator = nullptr) {
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) return JsonNulError(text, what);
  std::memcpy(scratch, text.data(), text.size());
  scratch[text.size()] = '\0';
  rapidjson::GenericInsituStringStream<typename Doc::EncodingType> stream(scratch);
  const json::ParseOutcome outcome =
      json::ParseInto<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag>(
          stream, doc, reader_allocator, kMaxJsonValues);
  if (outcome.ok()) return absl::OkStatus();
  return json::ParseError(outcome, what);
}

// As above with a heap scratch buffer owned by the caller.
template <typename Doc>
absl::Status ParseLenient(absl::string_view text, absl::string_view what, std::string* scratch,
                          Doc* doc) {
  scratch->resize(text.size() + kJsonScratchPadding);
  return ParseLenientInto(text, what, scratch->data(), doc);
}

// String -> its content (numbers parsed leniently arrive as strings), bool ->
// "true"/"false", object/array -> compact JSON text, null -> nullopt.
std::optional<std::string> ScalarText(const rapidjson::Value& v);

// True when `text` is exactly one complete JSON value (leading/trailing whitespace
// allowed), or valid JSON up to nesting deeper than json::kMaxDepth (too deep to check further;
// whoever parses it later refuses it with the nesting error). Allocation-free for typical
// bodies.
bool IsCompleteJson(absl::string_view text);

// Typed members of a JSON object parsed with ParseLenient. Absent and null members
// leave the output untouched. `model` names the object in error messages, e.g.
// "UserAgent field pid is not an int: \"abc\"".
std::optional<std::string> StringMember(const rapidjson::Value& obj, const char* key);
absl::Status IntMember(const rapidjson::Value& obj, const char* key, absl::string_view model,
                       int* out);
absl::Status StringMapMember(const rapidjson::Value& obj, const char* key, absl::string_view model,
                             std::map<std::string, std::string>* out);

// Writes {"k":"v",...}.
void WriteStringMap(AppendWriter& w, const std::map<std::string, std::string>& map);

inline absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

// Appends `pieces` to `out` with one resize (without a zero fill: every byte is copied into at
// once) and plain copies (each std::string::append is a library call): the writers that copy a
// header from a template around its seq. The count is a template argument so that both loops
// unroll.
template <size_t N>
inline void AppendPieces(std::string* out, const absl::string_view (&pieces)[N]) {
  size_t size = 0;
  for (const absl::string_view piece : pieces) size += piece.size();
  const size_t at = out->size();
  ResizeUninitialized(out, at + size);
  char* p = out->data() + at;
  for (const absl::string_view piece : pieces) {
    if (!piece.empty()) std::memcpy(p, piece.data(), piece.size());
    p += piece.size();
  }
}

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_
