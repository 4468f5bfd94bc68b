#ifndef EVENTMESH_PROTOCOL_TCP_COMPACT_JSON_SCANNER_H_
#define EVENTMESH_PROTOCOL_TCP_COMPACT_JSON_SCANNER_H_

// The fast readers of the TCP codec's JSON (package headers, EventMeshMessage bodies) read the
// compact JSON clients send straight from the text, without building a document: objects,
// strings of printable ASCII without escapes (views into the text), null, and short integers.
// CompactJsonScanner is their shared cursor. Every method returns false at anything outside
// that subset (an escape, a non-ASCII byte, a number it does not take, malformed JSON); the
// caller then hands the whole text to the general JSON reader, so the scanner never has to
// report an error. Its steps are always inlined: the readers call them a few dozen times per
// frame, and as calls they cost the readers ~18 % more instructions. Package-private; a value
// type over a text the caller keeps alive.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/json/string_scan.h"

namespace eventmesh::protocol::tcp {

class CompactJsonScanner {
 public:
  explicit CompactJsonScanner(absl::string_view json)
      : p_(json.data()), end_(json.data() + json.size()) {}

  // Skips whitespace, then takes `c` when it is next.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Take(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // Only whitespace is left.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  // The next byte (no whitespace skipped); '\0' at the end.
  ABSL_ATTRIBUTE_ALWAYS_INLINE char Peek() const { return p_ < end_ ? *p_ : '\0'; }
  // Takes `text` when the input continues with exactly it (no whitespace skipped).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Literal(absl::string_view text) {
    if (static_cast<size_t>(end_ - p_) < text.size() || !SameBytes(p_, text.data(), text.size())) {
      return false;
    }
    p_ += text.size();
    return true;
  }
  // A string of printable ASCII without escapes: a view into the text.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool String(absl::string_view* out) {
    return Take('"') && StringRest(out);
  }
  // The rest of such a string whose opening quote was taken.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool StringRest(absl::string_view* out) {
    const char* const start = p_;
    p_ += json::FindJsonSpecialByte(p_, static_cast<size_t>(end_ - p_), /*stop_on_non_ascii=*/true);
    if (p_ >= end_ || *p_ != '"') return false;
    *out = absl::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Null() {
    SkipSpace();
    // Most values are not null: their first byte says so without comparing four.
    return Peek() == 'n' && Literal("null");
  }
  // A string or null (nullopt).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Text(std::optional<absl::string_view>* out) {
    SkipSpace();
    if (Peek() != '"') return Literal("null");
    ++p_;
    absl::string_view v;
    if (!StringRest(&v)) return false;
    *out = v;
    return true;
  }
  // An integer of at most 18 digits without leading zeros, fraction or exponent, as its text
  // (what RapidJSON's kParseNumbersAsStringsFlag gives).
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Integer(absl::string_view* out) {
    SkipSpace();
    return IntegerRest(out);
  }
  // A string or an integer, as its text.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Scalar(absl::string_view* out) {
    SkipSpace();
    if (Peek() != '"') return IntegerRest(out);
    ++p_;
    return StringRest(out);
  }
  // null, or an object of at most kMaxFields string and null members: add(name, text) for each
  // string member, in order (null members are left out). Larger objects go to the general
  // reader, which bounds the values of a text (json_text.h's kMaxJsonValues).
  static constexpr size_t kMaxFields = 1024;
  template <typename Add>
  bool Fields(Add&& add) {
    if (Null()) return true;
    if (!Take('{')) return false;
    if (Take('}')) return true;
    size_t fields = 0;
    do {
      if (++fields > kMaxFields) return false;
      absl::string_view name;
      std::optional<absl::string_view> text;
      if (!String(&name) || !Take(':') || !Text(&text)) return false;
      if (text.has_value()) add(name, *text);
    } while (Take(','));
    return Take('}');
  }

 private:
  // Integer after the whitespace before it.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool IntegerRest(absl::string_view* out) {
    const char* const start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    const char* const digits = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const auto n = static_cast<size_t>(p_ - digits);
    if (n == 0 || n > 18 || (n > 1 && *digits == '0')) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = absl::string_view(start, static_cast<size_t>(p_ - start));
    return true;
  }
  // memcmp(a, b, n) == 0 for the short literals the readers look for (n known where this is
  // inlined): one or two overlapping word loads per side instead of a call.
  ABSL_ATTRIBUTE_ALWAYS_INLINE static bool SameBytes(const char* a, const char* b, size_t n) {
    if (n >= 8 && n <= 16) {
      return Load64(a) == Load64(b) && Load64(a + n - 8) == Load64(b + n - 8);
    }
    if (n >= 4 && n < 8) {
      return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
    }
    return std::memcmp(a, b, n) == 0;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE static uint64_t Load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE static uint32_t Load32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE void SkipSpace() {
    // Compact JSON has no whitespace: one comparison rules out every byte above ' '.
    while (p_ < end_ && static_cast<unsigned char>(*p_) <= ' ' &&
           (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
      ++p_;
    }
  }

  const char* p_;
  const char* const end_;
};

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_COMPACT_JSON_SCANNER_H_
