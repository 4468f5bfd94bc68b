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

#include <algorithm>
#include <cassert>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/json/string_scan.h"
#include "rapidjson/document.h"
#include "rapidjson/writer.h"

namespace eventmesh::protocol::tcp {

// RapidJSON output stream appending to a std::string. It writes through a raw cursor
// into the string's storage (grown geometrically) and trims the string to the written
// size on Flush(), which rapidjson::Writer calls when the root value is complete; call
// Flush() yourself before using `out` if the root value was not completed.
class StringAppendStream {
 public:
  using Ch = char;
  explicit StringAppendStream(std::string* out)
      : out_(out), start_(out->size()), begin_(out->data()), cur_(begin_ + start_), end_(cur_) {}
  StringAppendStream(const StringAppendStream&) = delete;
  StringAppendStream& operator=(const StringAppendStream&) = delete;
  ~StringAppendStream() { Flush(); }

  void Put(char c) {
    if (cur_ == end_) Grow(1);
    *cur_++ = c;
  }
  // A hint only: Writer asks for up to 6x a string's length (for escapes); growth is
  // capped so that huge strings do not over-allocate.
  void Reserve(size_t n) {
    if (n <= kMaxReserve && static_cast<size_t>(end_ - cur_) < n) Grow(n);
  }
  // Appends n bytes at once.
  void Append(const char* data, size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) Grow(n);
    std::memcpy(cur_, data, n);
    cur_ += n;
  }
  // Room for n more bytes at the cursor: the caller writes up to n bytes through the returned
  // pointer, then hands the end of what it wrote to Commit.
  char* Room(size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) Grow(n);
    return cur_;
  }
  void Commit(char* written_end) { cur_ = written_end; }
  void Flush() {
    const size_t len = static_cast<size_t>(cur_ - begin_);
    if (len != out_->size()) out_->resize(len);
    begin_ = out_->data();
    cur_ = end_ = begin_ + len;
  }

 private:
  static constexpr size_t kMaxReserve = 16 * 1024;
  void Grow(size_t n) {
    const size_t len = static_cast<size_t>(cur_ - begin_);
    // Grow by what this stream has written so far (geometric), not by the size of
    // `out`, which may already hold many frames: only the new room is zero-filled.
    // std::string's own capacity doubling keeps reallocation amortised.
    const size_t written = len - start_;
    out_->resize(len + std::max(n, written) + 256);
    begin_ = out_->data();
    cur_ = begin_ + len;
    end_ = begin_ + out_->size();
  }

  std::string* out_;
  size_t start_;  // Size of *out_ when the stream was created.
  char* begin_;   // out_->data(); bytes [begin_, cur_) are written.
  char* cur_;
  char* end_;  // out_->data() + out_->size(); [cur_, end_) is growth room.
};

// Picked up by rapidjson::Writer through argument-dependent lookup.
inline void PutReserve(StringAppendStream& stream, size_t count) { stream.Reserve(count); }
inline void PutUnsafe(StringAppendStream& stream, char c) { stream.Put(c); }

// rapidjson::Writer into a StringAppendStream, with access to that stream (the fast string
// writers below append to it directly).
class AppendWriter : public rapidjson::Writer<StringAppendStream> {
 public:
  using rapidjson::Writer<StringAppendStream>::Writer;
  StringAppendStream& stream() { return *os_; }
};

// True when rapidjson::Writer would escape some character of `s` (control characters, '"'
// and '\\'; UTF-8 and '/' are written as they are).
inline bool NeedsJsonEscape(absl::string_view s) {
  return json::NeedsJsonEscape(s.data(), s.size());
}

// Same output as w.String(s) / w.Key(s): a string that needs no escaping (nearly every key,
// value and body) is copied in one block instead of character by character.
inline void WriteString(AppendWriter& w, absl::string_view s) {
  if (NeedsJsonEscape(s)) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  w.RawValue("", 0, rapidjson::kStringType);  // the separator before the value, if any
  StringAppendStream& stream = w.stream();
  stream.Put('"');
  stream.Append(s.data(), s.size());
  stream.Put('"');
}
inline void WriteKey(AppendWriter& w, absl::string_view s) { WriteString(w, s); }

// WriteString, for callers that hold `stream` (w's output stream) themselves.
inline void WriteStringFast(AppendWriter& w, StringAppendStream& stream, absl::string_view s) {
  (void)stream;
  WriteString(w, s);
}

// `before` (0 for none), then `s` between quotes, then `after` (0 for none), in one step; `s`
// needs no escaping.
inline void AppendPlainJsonString(StringAppendStream& stream, char before, absl::string_view s,
                                  char after) {
  char* p = stream.Room(s.size() + 4);
  if (before != 0) *p++ = before;
  *p++ = '"';
  std::memcpy(p, s.data(), s.size());
  p += s.size();
  *p++ = '"';
  if (after != 0) *p++ = after;
  stream.Commit(p);
}

// Appends `s` to `stream` as a JSON string, byte for byte as rapidjson::Writer writes it:
// copied in one block between quotes when nothing needs escaping (nearly always), else
// escaped by RapidJSON itself.
inline void AppendJsonString(StringAppendStream& stream, absl::string_view s) {
  if (!NeedsJsonEscape(s)) {
    AppendPlainJsonString(stream, 0, s, 0);
    return;
  }
  rapidjson::Writer<StringAppendStream> w(stream);  // a root string: no level stack
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

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

// "malformed JSON in <what>: ..." for text with a raw NUL byte (the reason and offset that
// json::ParseJson reports for it).
absl::Status JsonNulError(absl::string_view text, absl::string_view what);

// Parses `text` into `doc` with kParseNumbersAsStringsFlag through json::ParseInto (iterative,
// nesting limited to json::kMaxDepth). `Doc` is any rapidjson::GenericDocument (e.g. one using a
// stack-buffer allocator); `reader_allocator` (may be null: the heap) backs the parser's state
// stack. The text is copied into `scratch` (text.size() + kJsonScratchPadding bytes,
// NUL-terminated) and parsed in situ, which lets RapidJSON use its fast pointer-based string
// scanning; string values of `doc` point into `scratch`, which must outlive `doc`. A raw NUL
// byte anywhere is malformed JSON. Errors: json::ParseError's.
template <typename Doc, typename ReaderAllocator = rapidjson::CrtAllocator>
absl::Status ParseLenientInto(absl::string_view text, absl::string_view what, char* scratch,
                              Doc* doc, ReaderAllocator* reader_allocator = nullptr) {
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) return JsonNulError(text, what);
  std::memcpy(scratch, text.data(), text.size());
  scratch[text.size()] = '\0';
  rapidjson::GenericInsituStringStream<typename Doc::EncodingType> stream(scratch);
  const json::ParseOutcome outcome =
      json::ParseInto<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag>(
          stream, doc, reader_allocator);
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

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_JSON_TEXT_H_
