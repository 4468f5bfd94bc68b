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
//
// Numbers: RapidJSON 1.1's full-precision conversion (kParseFullPrecisionFlag) reads out of
// bounds, and can crash, on some long literals such as
// "44444444444444444.0000114839233...334e-444". ParseInto and Validate therefore never let
// RapidJSON convert at full precision: with that flag they read numbers as text and convert
// them with NumberConverter (correctly rounded, absl::from_chars), giving the same types and
// values. Text after a raw NUL byte is not ignored (RapidJSON would stop at it): ParseJson and
// Validate refuse it.

#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <system_error>

#include "absl/status/statusor.h"
#include "absl/strings/charconv.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace eventmesh::json {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Objects and arrays nested deeper than this are refused by every parser of the mesh.
inline constexpr int kMaxDepth = 128;

// No limit on the values of one text (the default of the parse functions below).
inline constexpr size_t kNoValueLimit = std::numeric_limits<size_t>::max();

// A SAX handler that forwards every event to `Inner` and stops the parse (kParseErrorTermination)
// when objects/arrays nest deeper than kMaxDepth, or when the text has more than `max_values`
// values (every scalar, object, array and member key counts one); too_deep() / too_many() then
// tell why it stopped. A DOM costs 16 bytes or more per value, 8 times the text of an array of
// small numbers, so parsers of texts from outside that become DOMs bound their values.
template <typename Inner>
class BoundedHandler {
 public:
  using Ch = typename Inner::Ch;
  explicit BoundedHandler(Inner* inner, size_t max_values = kNoValueLimit)
      : inner_(inner), values_left_(max_values) {}

  bool too_deep() const { return too_deep_; }
  bool too_many() const { return too_many_; }

  bool Null() { return Count() && inner_->Null(); }
  bool Bool(bool b) { return Count() && inner_->Bool(b); }
  bool Int(int i) { return Count() && inner_->Int(i); }
  bool Uint(unsigned u) { return Count() && inner_->Uint(u); }
  bool Int64(int64_t i) { return Count() && inner_->Int64(i); }
  bool Uint64(uint64_t u) { return Count() && inner_->Uint64(u); }
  bool Double(double d) { return Count() && inner_->Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) {
    return Count() && inner_->RawNumber(s, n, copy);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    return Count() && inner_->String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    return Count() && inner_->Key(s, n, copy);
  }
  bool StartObject() { return Count() && Enter() && inner_->StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return inner_->EndObject(n);
  }
  bool StartArray() { return Count() && Enter() && inner_->StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return inner_->EndArray(n);
  }

 private:
  bool Enter() {
    too_deep_ = ++depth_ > kMaxDepth;
    return !too_deep_;
  }
  bool Count() {
    if (values_left_ == 0) {
      too_many_ = true;
      return false;
    }
    --values_left_;
    return true;
  }
  Inner* inner_;
  size_t values_left_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool too_many_ = false;
};

// What ParseInto / Validate report: RapidJSON's result, and whether the parse stopped at the
// nesting limit or at the value limit (max_values, the limit it had).
struct ParseOutcome {
  rapidjson::ParseResult result;
  bool too_deep = false;
  bool too_many = false;
  size_t max_values = kNoValueLimit;
  bool ok() const { return !result.IsError(); }
};

// A SAX handler for parses with kParseNumbersAsStringsFlag: every number arrives as text
// (RawNumber) and is forwarded to `Inner` as the call RapidJSON's own parser would make
// (Int / Uint / Int64 / Uint64 for integers that fit, Double otherwise), converted correctly
// rounded. A number beyond the range of double stops the parse; too_big() then tells why.
template <typename Inner>
class NumberConverter {
 public:
  using Ch = typename Inner::Ch;
  explicit NumberConverter(Inner* inner) : inner_(inner) {}

  bool too_big() const { return too_big_; }

  bool Null() { return inner_->Null(); }
  bool Bool(bool b) { return inner_->Bool(b); }
  bool Int(int i) { return inner_->Int(i); }
  bool Uint(unsigned u) { return inner_->Uint(u); }
  bool Int64(int64_t i) { return inner_->Int64(i); }
  bool Uint64(uint64_t u) { return inner_->Uint64(u); }
  bool Double(double d) { return inner_->Double(d); }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) {
    const char* begin = s;
    const char* end = s + n;
    const bool minus = n > 0 && *s == '-';
    const char* digits = minus ? begin + 1 : begin;
    // Integer syntax (RapidJSON has checked the grammar): an exact integer when it fits.
    if (std::memchr(s, '.', n) == nullptr && std::memchr(s, 'e', n) == nullptr &&
        std::memchr(s, 'E', n) == nullptr) {
      uint64_t value = 0;
      bool fits = true;
      for (const char* p = digits; p != end && fits; ++p) {
        const uint64_t digit = static_cast<uint64_t>(*p - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
          fits = false;
        } else {
          value = value * 10 + digit;
        }
      }
      if (fits && minus && value <= uint64_t{0x80000000}) {
        return inner_->Int(static_cast<int>(~static_cast<uint32_t>(value) + 1));
      }
      if (fits && minus && value <= uint64_t{0x8000000000000000}) {
        return inner_->Int64(static_cast<int64_t>(~value + 1));
      }
      if (fits && !minus && value <= 0xFFFFFFFFu) return inner_->Uint(static_cast<unsigned>(value));
      if (fits && !minus) return inner_->Uint64(value);
    }
    double d = 0;
    const absl::from_chars_result r = absl::from_chars(begin, end, d);
    if (r.ec == std::errc::result_out_of_range) {
      if (d > 1.0 || d < -1.0) {
        too_big_ = true;
        return false;
      }
      d = minus ? -0.0 : 0.0;  // underflow, as RapidJSON
    } else if (r.ec != std::errc() || r.ptr != end) {
      return false;  // not reached: the grammar was checked
    }
    (void)copy;
    return inner_->Double(d);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) { return inner_->String(s, n, copy); }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) { return inner_->Key(s, n, copy); }
  bool StartObject() { return inner_->StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return inner_->EndObject(n); }
  bool StartArray() { return inner_->StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return inner_->EndArray(n); }

 private:
  Inner* inner_;
  bool too_big_ = false;
};

namespace internal {

// kFlags without kParseFullPrecisionFlag, with kParseNumbersAsStringsFlag when it was set.
template <unsigned kFlags>
inline constexpr unsigned kReaderFlags =
    (kFlags & rapidjson::kParseFullPrecisionFlag) != 0
        ? ((kFlags & ~static_cast<unsigned>(rapidjson::kParseFullPrecisionFlag)) |
           rapidjson::kParseNumbersAsStringsFlag)
        : kFlags;

// Runs `reader` over `stream` into `inner` with the nesting limit and, for full precision, the
// number conversion.
template <unsigned kFlags, typename Reader, typename Stream, typename Inner>
ParseOutcome RunParse(Reader& reader, Stream& stream, Inner* inner,
                      size_t max_values = kNoValueLimit) {
  ParseOutcome outcome;
  outcome.max_values = max_values;
  constexpr unsigned kReader = kReaderFlags<kFlags> | rapidjson::kParseIterativeFlag;
  if constexpr ((kFlags & rapidjson::kParseFullPrecisionFlag) != 0) {
    NumberConverter<Inner> numbers(inner);
    BoundedHandler<NumberConverter<Inner>> handler(&numbers, max_values);
    outcome.result = reader.template Parse<kReader>(stream, handler);
    outcome.too_deep = handler.too_deep();
    outcome.too_many = handler.too_many();
    if (numbers.too_big()) {
      outcome.result.Set(rapidjson::kParseErrorNumberTooBig, outcome.result.Offset());
    }
  } else {
    BoundedHandler<Inner> handler(inner, max_values);
    outcome.result = reader.template Parse<kReader>(stream, handler);
    outcome.too_deep = handler.too_deep();
    outcome.too_many = handler.too_many();
  }
  return outcome;
}

// RapidJSON reads a NUL byte as the end of the text. For text that parsed, a NUL can only follow
// the root value: report it as the trailing garbage it is.
inline void RefuseNulAfterRoot(absl::string_view text, ParseOutcome* outcome) {
  if (!outcome->ok()) return;
  const void* nul = std::memchr(text.data(), '\0', text.size());
  if (nul == nullptr) return;
  outcome->result.Set(rapidjson::kParseErrorDocumentRootNotSingular,
                      static_cast<size_t>(static_cast<const char*>(nul) - text.data()));
}

// Runs `parse` (ParseOutcome(Stream&)) over `text` read as UTF-8, then refuses a NUL after the
// root value: what ParseJson and ParseThrough share.
template <typename Parse>
ParseOutcome ParseText(absl::string_view text, Parse parse) {
  rapidjson::MemoryStream bytes(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(bytes);
  ParseOutcome outcome = parse(stream);
  RefuseNulAfterRoot(text, &outcome);
  return outcome;
}

}  // namespace internal

// Parses exactly one JSON value from `stream` into `doc` (any rapidjson::GenericDocument, e.g.
// one on stack-buffer allocators) with kParseIterativeFlag added to `kFlags` and the nesting
// limit (kParseFullPrecisionFlag: numbers converted by NumberConverter, see the file comment)
// and at most `max_values` values. `reader_allocator` (may be null: the heap) backs the parser's
// own state stack.
template <unsigned kFlags, typename Doc, typename Stream,
          typename ReaderAllocator = rapidjson::CrtAllocator>
ParseOutcome ParseInto(Stream& stream, Doc* doc, ReaderAllocator* reader_allocator = nullptr,
                       size_t max_values = kNoValueLimit) {
  using Encoding = typename Doc::EncodingType;
  ParseOutcome outcome;
  auto generate = [&](Doc& target) {
    rapidjson::GenericReader<Encoding, Encoding, ReaderAllocator> reader(reader_allocator, 256);
    outcome = internal::RunParse<kFlags>(reader, stream, &target, max_values);
    return !outcome.result.IsError();
  };
  doc->Populate(generate);
  return outcome;
}

// As ParseJson's parse, through a filter: `filter` (a SAX handler with Ch = char and
// Bind(rapidjson::Document*)) receives the reader's events and forwards to the document it is
// bound to what it keeps; returning false from a handler stops the parse (the outcome is then
// kParseErrorTermination and the filter knows why). Full precision, nesting limit and NUL
// refusal as ParseJson.
template <typename Filter>
ParseOutcome ParseThrough(absl::string_view text, rapidjson::Document* doc, Filter* filter) {
  return internal::ParseText(text, [&](auto& stream) {
    ParseOutcome outcome;
    auto generate = [&](rapidjson::Document& target) {
      filter->Bind(&target);
      rapidjson::Reader reader(nullptr, 256);
      outcome = internal::RunParse<rapidjson::kParseFullPrecisionFlag>(reader, stream, filter);
      return outcome.ok();
    };
    doc->Populate(generate);
    return outcome;
  });
}

// Checks that `text` is exactly one JSON value within the nesting limit, without building a
// DOM (iterative; allocates only for the parser's state stack beyond 256 bytes). A NUL byte
// outside a string is an error (kParseErrorDocumentRootNotSingular at its offset when the value
// before it is complete).
template <unsigned kFlags = rapidjson::kParseDefaultFlags>
ParseOutcome Validate(absl::string_view text) {
  struct Accept : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Accept> {
    bool Default() { return true; }
  } accept;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader(nullptr, 256);
  ParseOutcome outcome = internal::RunParse<kFlags>(reader, stream, &accept);
  internal::RefuseNulAfterRoot(text, &outcome);
  return outcome;
}

// The status for a failed ParseInto/Validate of `text`: InvalidArgument
// "malformed JSON in <what>: <reason> at offset <n>", or for the nesting limit
// "malformed JSON in <what>: nesting deeper than 128 levels at offset <n>"; OutOfRange
// "JSON in <what> has more than <max_values> values" for the value limit.
absl::Status ParseError(const ParseOutcome& outcome, absl::string_view what);

// Parses exactly one JSON document (trailing non-whitespace, and a NUL byte outside a string,
// is an error) with ParseInto at full precision, with at most `max_values` values. `what` names
// the input in error messages, e.g. "package header".
absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text, absl::string_view what,
                                              size_t max_values = kNoValueLimit);

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
