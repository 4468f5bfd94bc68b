#ifndef EVENTMESH_PROTOCOL_JSON_APPEND_WRITER_H_
#define EVENTMESH_PROTOCOL_JSON_APPEND_WRITER_H_

// RapidJSON output straight into a caller's std::string, with strings copied in one block when
// they need no escaping: StringAppendStream (the stream), AppendWriter (rapidjson::Writer over
// it, with access to the stream), WriteString/WriteKey (the fast string path; output byte for
// byte what rapidjson::Writer writes), AppendJsonString (one string, no writer). Shared by the
// TCP codec and the CloudEvents JSON format. Value types; thread-compatible.

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/json/string_scan.h"
#include "rapidjson/writer.h"

namespace eventmesh::json {

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
inline bool NeedsJsonEscape(absl::string_view s) { return NeedsJsonEscape(s.data(), s.size()); }

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

// Same output as w.RawValue(text, size, type): `json_text` (valid JSON of `type`, no NUL byte)
// copied in one block.
inline void WriteRawValue(AppendWriter& w, absl::string_view json_text, rapidjson::Type type) {
  w.RawValue("", 0, type);  // the separator before the value, if any
  w.stream().Append(json_text.data(), json_text.size());
}

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

}  // namespace eventmesh::json

#endif  // EVENTMESH_PROTOCOL_JSON_APPEND_WRITER_H_
