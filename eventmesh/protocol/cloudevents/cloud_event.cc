#include "eventmesh/protocol/cloudevents/cloud_event.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::cloudevents {
namespace {

bool IsDigits(absl::string_view s, size_t n) {
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) return 29;
  return kDays[month - 1];
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'.
bool HasUriScheme(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ':') return true;
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

absl::Status Invalid(absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("invalid CloudEvent: ", rule));
}

absl::Status ValidateTyped(absl::string_view name, const AttributeValue& v) {
  switch (v.type) {
    case AttributeType::kString:
      return absl::OkStatus();
    case AttributeType::kBoolean:
      if (v.text == "true" || v.text == "false") return absl::OkStatus();
      return Invalid(absl::StrCat("extension '", name, "' must be a Boolean"));
    case AttributeType::kInteger: {
      // Canonical decimal only ("5", "-12"; not "+5", " 5" or "05"), so that every
      // format reproduces the same text.
      int32_t value;
      if (absl::SimpleAtoi(v.text, &value) && std::to_string(value) == v.text) {
        return absl::OkStatus();
      }
      return Invalid(absl::StrCat("extension '", name, "' must be a 32-bit Integer"));
    }
    case AttributeType::kBinary: {
      // Canonical (padded) base64, so that decoding and re-encoding is exact.
      std::string bytes;
      if (absl::Base64Unescape(v.text, &bytes) && absl::Base64Escape(bytes) == v.text) {
        return absl::OkStatus();
      }
      return Invalid(absl::StrCat("extension '", name, "' must be base64 Binary"));
    }
    case AttributeType::kUri:
      if (HasUriScheme(v.text) && IsUriReference(v.text)) return absl::OkStatus();
      return Invalid(absl::StrCat("extension '", name, "' must be an absolute URI"));
    case AttributeType::kUriRef:
      if (IsUriReference(v.text)) return absl::OkStatus();
      return Invalid(absl::StrCat("extension '", name, "' must be a URI-reference"));
    case AttributeType::kTimestamp:
      if (IsValidTimestamp(v.text)) return absl::OkStatus();
      return Invalid(absl::StrCat("extension '", name, "' must be an RFC 3339 Timestamp"));
  }
  return absl::OkStatus();
}

}  // namespace

// A URI-reference may not contain whitespace, control characters or a few delimiters
// that RFC 3986 never allows unescaped.
bool IsUriReference(absl::string_view s) {
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return false;
    }
  }
  return true;
}

absl::string_view AttributeTypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kString:
      return "String";
    case AttributeType::kBoolean:
      return "Boolean";
    case AttributeType::kInteger:
      return "Integer";
    case AttributeType::kBinary:
      return "Binary";
    case AttributeType::kUri:
      return "URI";
    case AttributeType::kUriRef:
      return "URI-reference";
    case AttributeType::kTimestamp:
      return "Timestamp";
  }
  return "String";
}

namespace {

// Whether each of the 8 bytes of `w` is a lower-case letter or a digit, by word arithmetic: a
// byte below 0x80 plus a constant below 0x80 never carries into its neighbour, so its high bit
// says whether it reached the constant's complement.
bool AllNameBytes(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  if ((w & kHigh) != 0) return false;
  const uint64_t at_least_a = w + (0x80 - 'a') * kOnes;
  const uint64_t above_z = w + (0x7f - 'z') * kOnes;
  const uint64_t at_least_0 = w + (0x80 - '0') * kOnes;
  const uint64_t above_9 = w + (0x7f - '9') * kOnes;
  const uint64_t letter_or_digit = (at_least_a & ~above_z) | (at_least_0 & ~above_9);
  return (letter_or_digit & kHigh) == kHigh;
}

}  // namespace

bool IsValidAttributeName(absl::string_view name) {
  if (name.empty()) return false;
  // Names are checked for every extension of every event: 8 bytes per step.
  const char* p = name.data();
  size_t n = name.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (!AllNameBytes(w)) return false;
  }
  // The last 1-7 bytes in fixed-size loads (two overlapping ones when the length is not a
  // power of two), the rest of the word filled with 'a'.
  uint64_t w = 0x6161616161616161ULL;
  if (n >= 4) {
    uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    w = first | (static_cast<uint64_t>(last) << 32);
  } else if (n >= 2) {
    uint16_t first, last;
    std::memcpy(&first, p, 2);
    std::memcpy(&last, p + n - 2, 2);
    w = (w & ~0xffffffffULL) | first | (static_cast<uint64_t>(last) << 16);
  } else if (n == 1) {
    w = (w & ~0xffULL) | static_cast<unsigned char>(*p);
  }
  return AllNameBytes(w);
}

bool IsCoreAttributeName(absl::string_view name) {
  // By length first, then comparisons of known length (written inline, no library call): this
  // runs for every extension of every event.
  const auto is = [&name](const auto& literal) {  // a string literal: its size is known
    return std::memcmp(name.data(), literal, sizeof(literal) - 1) == 0;
  };
  switch (name.size()) {
    case 2:
      return is("id");
    case 4:
      return is("type") || is("time") || is("data");
    case 6:
      return is("source");
    case 7:
      return is("subject");
    case 10:
      return is("dataschema");
    case 11:
      return is("specversion") || is("data_base64");
    case 15:
      return is("datacontenttype");
    default:
      return false;
  }
}

bool IsJsonContentType(absl::string_view content_type) {
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (media.empty()) return true;
  // Spec: the media subtype is "json" or ends with "+json" ("*/json", "*/*+json").
  const size_t slash = media.find('/');
  if (slash == absl::string_view::npos) return false;
  const absl::string_view subtype = media.substr(slash + 1);
  return absl::EqualsIgnoreCase(subtype, "json") || absl::EndsWithIgnoreCase(subtype, "+json");
}

bool IsValidTimestamp(absl::string_view s) {
  // full-date "T" partial-time time-offset; e.g. 1985-04-12T23:20:50.52Z
  if (s.size() < 20) return false;
  if (!IsDigits(s, 4) || s[4] != '-' || !IsDigits(s.substr(5), 2) || s[7] != '-' ||
      !IsDigits(s.substr(8), 2) || (s[10] != 'T' && s[10] != 't') || !IsDigits(s.substr(11), 2) ||
      s[13] != ':' || !IsDigits(s.substr(14), 2) || s[16] != ':' || !IsDigits(s.substr(17), 2)) {
    return false;
  }
  const auto num = [s](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
    return v;
  };
  const int month = num(5, 2);
  const int day = num(8, 2);
  const int hour = num(11, 2);
  const int minute = num(14, 2);
  const int second = num(17, 2);
  const int year = num(0, 4);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return false;
  }
  absl::string_view offset = s.substr(i);
  if (offset == "Z" || offset == "z") return true;
  return offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') &&
         IsDigits(offset.substr(1), 2) && offset[3] == ':' && IsDigits(offset.substr(4), 2);
}

const std::string* CloudEvent::FindExtension(absl::string_view name) const {
  auto it = extensions_.find(name);  // heterogeneous: no key string built
  return it == extensions_.end() ? nullptr : &it->second.text;
}

void CloudEvent::RemoveExtension(absl::string_view name) {
  auto it = extensions_.find(name);
  if (it != extensions_.end()) extensions_.erase(it);
}

absl::Status CloudEvent::Validate() const {
  if (spec_version_.empty()) return Invalid("'specversion' is required");
  for (const auto& [name, value] :
       {std::pair<absl::string_view, const std::string*>{"specversion", &spec_version_},
        {"id", &id_},
        {"source", &source_},
        {"type", &type_},
        {"datacontenttype", data_content_type_ ? &*data_content_type_ : nullptr},
        {"dataschema", data_schema_ ? &*data_schema_ : nullptr},
        {"subject", subject_ ? &*subject_ : nullptr},
        {"time", time_ ? &*time_ : nullptr}}) {
    if (value != nullptr && !IsValidUtf8(*value)) {
      return Invalid(absl::StrCat("'", name, "' must be valid UTF-8"));
    }
  }
  if (spec_version_ != kSpecVersion10 && spec_version_ != kSpecVersion03) {
    return Invalid(
        absl::StrCat("'specversion' must be \"1.0\" or \"0.3\", got \"", spec_version_, "\""));
  }
  if (id_.empty()) return Invalid("'id' is required and must be a non-empty string");
  if (source_.empty()) {
    return Invalid("'source' is required and must be a non-empty URI-reference");
  }
  if (!IsUriReference(source_)) return Invalid("'source' must be a URI-reference");
  if (type_.empty()) return Invalid("'type' is required and must be a non-empty string");
  if (data_content_type_.has_value() && data_content_type_->empty()) {
    return Invalid("'datacontenttype' must be a non-empty media type when present");
  }
  const bool v03 = spec_version_ == kSpecVersion03;
  if (data_schema_.has_value()) {
    if (v03) {
      if (data_schema_->empty() || !IsUriReference(*data_schema_)) {
        return Invalid("'schemaurl' must be a non-empty URI-reference");
      }
    } else if (!HasUriScheme(*data_schema_) || !IsUriReference(*data_schema_)) {
      return Invalid("'dataschema' must be an absolute URI");
    }
  }
  if (subject_.has_value() && subject_->empty()) {
    return Invalid("'subject' must be a non-empty string when present");
  }
  if (time_.has_value() && !IsValidTimestamp(*time_)) {
    return Invalid("'time' must be an RFC 3339 timestamp");
  }
  for (const auto& [name, value] : extensions_) {
    if (!IsValidAttributeName(name)) {
      return Invalid(absl::StrCat("extension name '", name,
                                  "' must consist of lower-case letters a-z and digits 0-9"));
    }
    if (IsCoreAttributeName(name) ||
        (v03 && (name == "schemaurl" || name == "datacontentencoding"))) {
      return Invalid(absl::StrCat("extension name '", name, "' is a reserved attribute name"));
    }
    if (!IsValidUtf8(value.text)) {
      return Invalid(absl::StrCat("extension '", name, "' must be valid UTF-8"));
    }
    absl::Status s = ValidateTyped(name, value);
    if (!s.ok()) return s;
  }
  if ((data_encoding_ == DataEncoding::kText || data_encoding_ == DataEncoding::kJson) &&
      !IsValidUtf8(data_)) {
    return Invalid("'data' must be valid UTF-8 for text and JSON data (use binary data)");
  }
  return absl::OkStatus();
}

size_t CloudEvent::ByteSizeLong() const {
  size_t n = id_.size() + source_.size() + spec_version_.size() + type_.size() + data_.size();
  for (const auto* opt : {&data_content_type_, &data_schema_, &subject_, &time_}) {
    if (opt->has_value()) n += (*opt)->size();
  }
  for (const auto& [name, value] : extensions_) n += name.size() + value.text.size();
  return n;
}

bool CloudEvent::operator==(const CloudEvent& o) const {
  return id_ == o.id_ && source_ == o.source_ && spec_version_ == o.spec_version_ &&
         type_ == o.type_ && data_content_type_ == o.data_content_type_ &&
         data_schema_ == o.data_schema_ && subject_ == o.subject_ && time_ == o.time_ &&
         extensions_ == o.extensions_ && data_ == o.data_ && data_encoding_ == o.data_encoding_;
}

}  // namespace eventmesh::cloudevents
