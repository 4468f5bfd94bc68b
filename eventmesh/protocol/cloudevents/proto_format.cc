#include "eventmesh/protocol/cloudevents/proto_format.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/string_resize.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/timestamp.h"
#include "eventmesh/protocol/proto/wire_reader.h"

namespace eventmesh::cloudevents {
namespace {

using ProtoEvent = io::cloudevents::v1::CloudEvent;
using ProtoValue = io::cloudevents::v1::CloudEvent_CloudEventAttributeValue;

constexpr int64_t kSecondsPerDay = 86400;

int Digits(absl::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + (s[pos + i] - '0');
  return v;
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid CloudEvent: ", what));
}

absl::Status TypedValue(const std::string& name, const AttributeValue& v, ProtoValue* out) {
  switch (v.type) {
    case AttributeType::kString:
      out->set_ce_string(v.text);
      return absl::OkStatus();
    case AttributeType::kBoolean:
      if (v.text != "true" && v.text != "false") break;
      out->set_ce_boolean(v.text == "true");
      return absl::OkStatus();
    case AttributeType::kInteger: {
      int32_t i;
      if (!absl::SimpleAtoi(v.text, &i)) break;
      out->set_ce_integer(i);
      return absl::OkStatus();
    }
    case AttributeType::kBinary:
      if (!absl::Base64Unescape(v.text, out->mutable_ce_bytes())) break;
      return absl::OkStatus();
    case AttributeType::kUri:
      out->set_ce_uri(v.text);
      return absl::OkStatus();
    case AttributeType::kUriRef:
      out->set_ce_uri_ref(v.text);
      return absl::OkStatus();
    case AttributeType::kTimestamp: {
      absl::StatusOr<google::protobuf::Timestamp> ts = ParseRfc3339(v.text);
      if (!ts.ok()) break;
      *out->mutable_ce_timestamp() = *ts;
      return absl::OkStatus();
    }
  }
  return Invalid(absl::StrCat("extension '", name, "' is not a valid ", AttributeTypeName(v.type),
                              " and cannot be converted to protobuf"));
}

// Text of a string-like attribute value (ce_string, ce_uri, ce_uri_ref), else nullptr.
std::string* MutableText(ProtoValue& v) {
  switch (v.attr_case()) {
    case ProtoValue::kCeString:
      return v.mutable_ce_string();
    case ProtoValue::kCeUri:
      return v.mutable_ce_uri();
    case ProtoValue::kCeUriRef:
      return v.mutable_ce_uri_ref();
    default:
      return nullptr;
  }
}

absl::StatusOr<AttributeValue> ExtensionFromProto(const std::string& name, ProtoValue& v) {
  switch (v.attr_case()) {
    case ProtoValue::kCeBoolean:
      return AttributeValue::Boolean(v.ce_boolean());
    case ProtoValue::kCeInteger:
      return AttributeValue::Integer(v.ce_integer());
    case ProtoValue::kCeString:
      return AttributeValue::String(std::move(*v.mutable_ce_string()));
    case ProtoValue::kCeBytes:
      return AttributeValue{AttributeType::kBinary, absl::Base64Escape(v.ce_bytes())};
    case ProtoValue::kCeUri:
      return AttributeValue{AttributeType::kUri, std::move(*v.mutable_ce_uri())};
    case ProtoValue::kCeUriRef:
      return AttributeValue{AttributeType::kUriRef, std::move(*v.mutable_ce_uri_ref())};
    case ProtoValue::kCeTimestamp: {
      absl::StatusOr<std::string> text = FormatRfc3339(v.ce_timestamp());
      if (!text.ok()) {
        return Invalid(absl::StrCat("attribute '", name, "': ", text.status().message()));
      }
      return AttributeValue{AttributeType::kTimestamp, *std::move(text)};
    }
    case ProtoValue::ATTR_NOT_SET:
      break;
  }
  return Invalid(absl::StrCat("attribute '", name, "' has no value"));
}

// Moves the contents out of `p` (the caller owns a scratch copy or a parsed message).
absl::StatusOr<CloudEvent> ConsumeProto(ProtoEvent& p) {
  CloudEvent e;
  e.set_id(std::move(*p.mutable_id()));
  e.set_source(std::move(*p.mutable_source()));
  e.set_spec_version(std::move(*p.mutable_spec_version()));
  e.set_type(std::move(*p.mutable_type()));
  const absl::string_view schema_name =
      e.spec_version() == kSpecVersion03 ? "schemaurl" : "dataschema";

  // A map field: any order, any size.
  SortedVectorMapFiller<AttributeValue> extensions(e.mutable_extensions(),
                                                   CloudEvent::Extensions::Duplicates::kKeepFirst);
  for (auto& [name, value] : *p.mutable_attributes()) {
    void (CloudEvent::*setter)(std::string) = nullptr;
    if (name == "datacontenttype") {
      setter = &CloudEvent::set_data_content_type;
    } else if (name == "subject") {
      setter = &CloudEvent::set_subject;
    } else if (name == schema_name) {
      setter = &CloudEvent::set_data_schema;
    } else if (name == "time") {
      if (value.attr_case() == ProtoValue::kCeTimestamp) {
        absl::StatusOr<std::string> text = FormatRfc3339(value.ce_timestamp());
        if (!text.ok()) return Invalid(absl::StrCat("attribute 'time': ", text.status().message()));
        e.set_time(*std::move(text));
        continue;
      }
      setter = &CloudEvent::set_time;
    }
    if (setter != nullptr) {
      std::string* text = MutableText(value);
      if (text == nullptr) {
        return Invalid(absl::StrCat("attribute '", name, "' must be a string value"));
      }
      (e.*setter)(std::move(*text));
      continue;
    }
    absl::StatusOr<AttributeValue> ext = ExtensionFromProto(name, value);
    if (!ext.ok()) return ext.status();
    extensions.Add(name, *std::move(ext));
  }
  extensions.Finish();

  switch (p.data_case()) {
    case ProtoEvent::kBinaryData:
      e.set_data(std::move(*p.mutable_binary_data()), DataEncoding::kBinary);
      break;
    case ProtoEvent::kTextData: {
      const bool json =
          IsJsonContentType(e.data_content_type().value_or("")) && IsJsonText(p.text_data());
      e.set_data(std::move(*p.mutable_text_data()),
                 json ? DataEncoding::kJson : DataEncoding::kText);
      break;
    }
    case ProtoEvent::kProtoData:
      return Invalid("proto_data (google.protobuf.Any) is not supported; use binary_data");
    case ProtoEvent::DATA_NOT_SET:
      break;
  }
  absl::Status valid = e.Validate();
  if (!valid.ok()) return valid;
  return e;
}

}  // namespace

absl::StatusOr<google::protobuf::Timestamp> ParseRfc3339(absl::string_view s) {
  if (!IsValidTimestamp(s)) {
    return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not an RFC 3339 timestamp"));
  }
  // Layout checked by IsValidTimestamp: YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM)
  const int64_t days = DaysFromCivil(Digits(s, 0, 4), Digits(s, 5, 2), Digits(s, 8, 2));
  int64_t seconds =
      days * kSecondsPerDay + Digits(s, 11, 2) * 3600 + Digits(s, 14, 2) * 60 + Digits(s, 17, 2);
  int32_t nanos = 0;
  size_t i = 19;
  if (s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  if (s[i] == '+' || s[i] == '-') {
    const int64_t offset = Digits(s, i + 1, 2) * 3600 + Digits(s, i + 4, 2) * 60;
    seconds += s[i] == '+' ? -offset : offset;
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

absl::StatusOr<std::string> FormatRfc3339(const google::protobuf::Timestamp& ts) {
  if (ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp nanos ", ts.nanos(), " out of range"));
  }
  char buf[kMaxRfc3339Size];
  const size_t n = FormatRfc3339Utc(ts.seconds(), ts.nanos(), buf);
  if (n == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp seconds ", ts.seconds(), " outside years 0000-9999"));
  }
  return std::string(buf, n);
}

absl::Status ToProto(const CloudEvent& e, ProtoEvent* out) {
  out->Clear();
  out->set_id(e.id());
  out->set_source(e.source());
  out->set_spec_version(e.spec_version());
  out->set_type(e.type());
  auto& attrs = *out->mutable_attributes();
  if (e.data_content_type()) attrs["datacontenttype"].set_ce_string(*e.data_content_type());
  if (e.data_schema()) {
    if (e.spec_version() == kSpecVersion03) {
      attrs["schemaurl"].set_ce_uri_ref(*e.data_schema());
    } else {
      attrs["dataschema"].set_ce_uri(*e.data_schema());
    }
  }
  if (e.subject()) attrs["subject"].set_ce_string(*e.subject());
  if (e.time()) {
    absl::StatusOr<google::protobuf::Timestamp> ts = ParseRfc3339(*e.time());
    if (!ts.ok()) return Invalid("'time' must be an RFC 3339 timestamp");
    *attrs["time"].mutable_ce_timestamp() = *ts;
  }
  for (const auto& [name, value] : e.extensions()) {
    absl::Status s = TypedValue(name, value, &attrs[name]);
    if (!s.ok()) return s;
  }
  switch (e.data_encoding()) {
    case DataEncoding::kNone:
      break;
    case DataEncoding::kText:
    case DataEncoding::kJson:
      out->set_text_data(e.data());
      break;
    case DataEncoding::kBinary:
      out->set_binary_data(e.data());
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<CloudEvent> FromProto(const ProtoEvent& proto) {
  ProtoEvent scratch = proto;
  return ConsumeProto(scratch);
}

// ---------------------------------------------------------------------------------------
// Direct wire codec for SerializeProto / ParseProto: the same bytes and the same
// acceptance rules as the generated io.cloudevents.v1 classes (proto3 semantics: last
// value wins, oneof switches, repeated embedded messages merge, map entries replace,
// unknown fields skipped, string fields must be UTF-8), without building the
// intermediate message and its map. proto_format_test checks it against the generated
// code; proto_event_parser_fuzzer does so differentially.
namespace {

using protocol::wire::kLen;
using protocol::wire::kVarint;
using protocol::wire::Tag;
using protocol::wire::WireReader;
constexpr int kMaxWireDepth = protocol::wire::kMaxDepth;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Protobuf wire bytes appended to a std::string through a cursor: room is made once per field
// and bytes are then stored without a capacity check each (std::string::push_back / append
// cost a call per byte run). The string holds exactly the bytes written once the WireOut is
// destroyed.
class WireOut {
 public:
  // `expected`: bytes likely to be written (room made up front).
  explicit WireOut(std::string* out, size_t expected = 0)
      : out_(out), cur_(out->data() + out->size()), end_(cur_) {
    // Exactly the expected room (no margin): a string that keeps these bytes, e.g. the store's
    // cache of stored events, then holds little more than it needs.
    if (expected > 0) {
      const size_t len = out_->size();
      ResizeUninitialized(out_, len + expected);  // every byte is written before it is read
      cur_ = out_->data() + len;
      end_ = out_->data() + out_->size();
    }
  }
  WireOut(const WireOut&) = delete;
  WireOut& operator=(const WireOut&) = delete;
  ~WireOut() { ResizeUninitialized(out_, static_cast<size_t>(cur_ - out_->data())); }

  // Room for `n` more bytes.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Reserve(size_t n) {
    if (static_cast<size_t>(end_ - cur_) < n) Grow(n);
  }
  // Unchecked stores: Reserve first.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Byte(uint8_t b) { *cur_++ = static_cast<char>(b); }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Bytes(absl::string_view s) {
    if (!s.empty()) std::memcpy(cur_, s.data(), s.size());
    cur_ += s.size();
  }

 private:
  void Grow(size_t n) {
    const size_t len = static_cast<size_t>(cur_ - out_->data());
    ResizeUninitialized(out_, std::max(2 * out_->size(), len + n + 64));
    cur_ = out_->data() + len;
    end_ = out_->data() + out_->size();
  }

  std::string* const out_;
  char* cur_;  // the next byte to write, in out_
  char* end_;  // the end of out_'s bytes: end_ - cur_ is room
};

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PutByte(WireOut& out, uint8_t b) {
  out.Reserve(1);
  out.Byte(b);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PutVarintUnchecked(WireOut& out, uint64_t v) {
  while (v >= 0x80) {
    out.Byte(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.Byte(static_cast<uint8_t>(v));
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PutVarint(WireOut& out, uint64_t v) {
  out.Reserve(10);
  PutVarintUnchecked(out, v);
}

size_t LenFieldSize(size_t n) { return 1 + VarintSize(n) + n; }

// A length-delimited field without a Reserve: the caller made room for 11 + s.size() bytes.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void PutLenFieldUnchecked(WireOut& out, uint8_t tag,
                                                              absl::string_view s) {
  out.Byte(tag);
  PutVarintUnchecked(out, s.size());
  out.Bytes(s);
}

void PutLenField(WireOut& out, uint8_t tag, absl::string_view s) {
  out.Reserve(11 + s.size());
  PutLenFieldUnchecked(out, tag, s);
}

// One CloudEventAttributeValue ready to be written.
struct WireValue {
  uint32_t field = 0;      // 1..7 of the attr oneof
  absl::string_view text;  // string-like fields
  std::string bytes;       // ce_bytes (decoded)
  uint64_t varint = 0;     // ce_boolean / ce_integer
  int64_t seconds = 0;     // ce_timestamp
  int32_t nanos = 0;

  size_t TimestampSize() const {
    return (seconds != 0 ? 1 + VarintSize(static_cast<uint64_t>(seconds)) : 0) +
           (nanos != 0 ? 1 + VarintSize(static_cast<uint64_t>(static_cast<int64_t>(nanos))) : 0);
  }
  size_t Size() const {
    switch (field) {
      case 1:
      case 2:
        return 1 + VarintSize(varint);
      case 4:
        return LenFieldSize(bytes.size());
      case 7:
        return LenFieldSize(TimestampSize());
      default:
        return LenFieldSize(text.size());
    }
  }
  void Write(WireOut& out) const {
    switch (field) {
      case 1:
      case 2:
        PutByte(out, Tag(field, kVarint));
        PutVarint(out, varint);
        return;
      case 4:
        PutLenField(out, Tag(4, kLen), bytes);
        return;
      case 7:
        PutByte(out, Tag(7, kLen));
        PutVarint(out, TimestampSize());
        if (seconds != 0) {
          PutByte(out, Tag(1, kVarint));
          PutVarint(out, static_cast<uint64_t>(seconds));
        }
        if (nanos != 0) {
          PutByte(out, Tag(2, kVarint));
          PutVarint(out, static_cast<uint64_t>(static_cast<int64_t>(nanos)));
        }
        return;
      default:
        PutLenField(out, Tag(field, kLen), text);
        return;
    }
  }
};

WireValue TextValue(uint32_t field, absl::string_view text) {
  WireValue v;
  v.field = field;
  v.text = text;
  return v;
}

absl::StatusOr<WireValue> ExtensionWireValue(const std::string& name, const AttributeValue& a) {
  WireValue v;
  switch (a.type) {
    case AttributeType::kString:
      return TextValue(3, a.text);
    case AttributeType::kUri:
      return TextValue(5, a.text);
    case AttributeType::kUriRef:
      return TextValue(6, a.text);
    case AttributeType::kBoolean:
      if (a.text != "true" && a.text != "false") break;
      v.field = 1;
      v.varint = a.text == "true" ? 1 : 0;
      return v;
    case AttributeType::kInteger: {
      int32_t i;
      if (!absl::SimpleAtoi(a.text, &i)) break;
      v.field = 2;
      v.varint = static_cast<uint64_t>(static_cast<int64_t>(i));  // int32: sign-extended
      return v;
    }
    case AttributeType::kBinary:
      if (!absl::Base64Unescape(a.text, &v.bytes)) break;
      v.field = 4;
      return v;
    case AttributeType::kTimestamp: {
      absl::StatusOr<google::protobuf::Timestamp> ts = ParseRfc3339(a.text);
      if (!ts.ok()) break;
      v.field = 7;
      v.seconds = ts->seconds();
      v.nanos = ts->nanos();
      return v;
    }
  }
  return Invalid(absl::StrCat("extension '", name, "' is not a valid ", AttributeTypeName(a.type),
                              " and cannot be converted to protobuf"));
}

void PutAttribute(WireOut& out, absl::string_view name, const WireValue& v) {
  const size_t value_size = v.Size();
  PutByte(out, Tag(5, kLen));
  PutVarint(out, LenFieldSize(name.size()) + LenFieldSize(value_size));
  PutLenField(out, Tag(1, kLen), name);
  PutByte(out, Tag(2, kLen));
  PutVarint(out, value_size);
  v.Write(out);
}

// PutAttribute of TextValue(field, text), written without building a WireValue: the common
// case (every String, URI and URI-reference attribute), once per attribute of every stored
// event.
void PutTextAttribute(WireOut& out, absl::string_view name, uint32_t field,
                      absl::string_view text) {
  const size_t value_size = LenFieldSize(text.size());
  // One check for the whole entry: its tags and lengths take at most 1 + 10 + 11 + 1 + 10 + 11
  // bytes besides the name and the text.
  out.Reserve(44 + name.size() + text.size());
  out.Byte(Tag(5, kLen));
  PutVarintUnchecked(out, LenFieldSize(name.size()) + LenFieldSize(value_size));
  PutLenFieldUnchecked(out, Tag(1, kLen), name);
  out.Byte(Tag(2, kLen));
  PutVarintUnchecked(out, value_size);
  PutLenFieldUnchecked(out, Tag(field, kLen), text);
}

// Fields 1-4 (id, source, specversion, type), each when not empty.
void PutCoreFields(WireOut& out, absl::string_view id, absl::string_view source,
                   absl::string_view spec_version, absl::string_view type) {
  if (!id.empty()) PutLenField(out, Tag(1, kLen), id);
  if (!source.empty()) PutLenField(out, Tag(2, kLen), source);
  if (!spec_version.empty()) PutLenField(out, Tag(3, kLen), spec_version);
  if (!type.empty()) PutLenField(out, Tag(4, kLen), type);
}

// The data: binary_data (6) for kBinary, text_data (7) for kText and kJson, nothing for kNone.
void PutData(WireOut& out, DataEncoding encoding, absl::string_view data) {
  switch (encoding) {
    case DataEncoding::kNone:
      break;
    case DataEncoding::kBinary:
      PutLenField(out, Tag(6, kLen), data);
      break;
    case DataEncoding::kText:
    case DataEncoding::kJson:
      PutLenField(out, Tag(7, kLen), data);
      break;
  }
}

absl::Status AppendWireEvent(const CloudEvent& e, WireOut& out) {
  PutCoreFields(out, e.id(), e.source(), e.spec_version(), e.type());
  if (e.data_content_type()) PutTextAttribute(out, "datacontenttype", 3, *e.data_content_type());
  if (e.data_schema()) {
    if (e.spec_version() == kSpecVersion03) {
      PutTextAttribute(out, "schemaurl", 6, *e.data_schema());
    } else {
      PutTextAttribute(out, "dataschema", 5, *e.data_schema());
    }
  }
  if (e.subject()) PutTextAttribute(out, "subject", 3, *e.subject());
  if (e.time()) {
    absl::StatusOr<google::protobuf::Timestamp> ts = ParseRfc3339(*e.time());
    if (!ts.ok()) return Invalid("'time' must be an RFC 3339 timestamp");
    WireValue v;
    v.field = 7;
    v.seconds = ts->seconds();
    v.nanos = ts->nanos();
    PutAttribute(out, "time", v);
  }
  for (const auto& [name, value] : e.extensions()) {
    if (value.type == AttributeType::kString) {  // as ExtensionWireValue would, directly
      PutTextAttribute(out, name, 3, value.text);
      continue;
    }
    absl::StatusOr<WireValue> v = ExtensionWireValue(name, value);
    if (!v.ok()) return v.status();
    PutAttribute(out, name, *v);
  }
  PutData(out, e.data_encoding(), e.data());
  return absl::OkStatus();
}

// AppendWireEvent for a plain event's fields: the same calls in the same order, for the
// attributes a plain event can have.
void AppendPlainWireAttributes(const PlainEventFields& e, WireOut& out) {
  if (e.data_content_type) PutTextAttribute(out, "datacontenttype", 3, *e.data_content_type);
  if (e.subject) PutTextAttribute(out, "subject", 3, *e.subject);
  for (const auto& [name, text] : e.extensions) PutTextAttribute(out, name, 3, text);
}

void AppendPlainWireEvent(const PlainEventFields& e, WireOut& out) {
  PutCoreFields(out, e.id, e.source, e.spec_version, e.type);
  AppendPlainWireAttributes(e, out);
  PutData(out, e.data_encoding, e.data);
}

size_t EstimatePlainWireSize(const PlainEventFields& e) {
  size_t n = e.id.size() + e.source.size() + e.spec_version.size() + e.type.size() + e.data.size() +
             16 + 24 * (4 + e.extensions.size());
  if (e.data_content_type) n += e.data_content_type->size();
  if (e.subject) n += e.subject->size();
  for (const auto& [name, text] : e.extensions) n += name.size() + text.size();
  return n;
}

size_t EstimateWireSize(const CloudEvent& e) {
  return e.ByteSizeLong() + 16 + 24 * (4 + e.extensions().size());
}

// A CloudEventAttributeValue as parsed (views into the input).
struct ParsedValue {
  uint32_t field = 0;  // 0: not set
  uint64_t varint = 0;
  absl::string_view text;
  int64_t seconds = 0;
  int32_t nanos = 0;
};

bool ParseTimestampInto(absl::string_view in, ParsedValue* v, int depth) {
  WireReader r(in);
  uint32_t f, t;
  while (!r.done()) {
    if (!r.ReadTag(&f, &t)) return false;
    uint64_t x;
    if ((f == 1 || f == 2) && t == kVarint) {
      if (!r.Varint(&x)) return false;
      if (f == 1) {
        v->seconds = static_cast<int64_t>(x);
      } else {
        v->nanos = static_cast<int32_t>(static_cast<uint32_t>(x));
      }
    } else if (!r.Skip(f, t, depth)) {
      return false;
    }
  }
  return true;
}

// Merges one serialized CloudEventAttributeValue into `v` (proto merge semantics).
bool ParseValueInto(absl::string_view in, ParsedValue* v, int depth) {
  if (depth > kMaxWireDepth) return false;
  WireReader r(in);
  uint32_t f, t;
  while (!r.done()) {
    if (!r.ReadTag(&f, &t)) return false;
    if ((f == 1 || f == 2) && t == kVarint) {
      if (!r.Varint(&v->varint)) return false;
      if (f == 2) v->varint = static_cast<uint32_t>(v->varint);  // int32 keeps 32 bits
      v->field = f;
    } else if (f >= 3 && f <= 6 && t == kLen) {
      if (!r.Len(&v->text)) return false;
      if (f != 4 && !IsValidUtf8(v->text)) return false;
      v->field = f;
    } else if (f == 7 && t == kLen) {
      absl::string_view ts;
      if (!r.Len(&ts)) return false;
      if (v->field != 7) {
        v->seconds = 0;
        v->nanos = 0;
      }
      v->field = 7;
      if (!ParseTimestampInto(ts, v, depth + 1)) return false;
    } else if (!r.Skip(f, t, depth)) {
      return false;
    }
  }
  return true;
}

// Checks a google.protobuf.Any (type_url must be UTF-8) as the generated parser would.
bool CheckAny(absl::string_view in, int depth) {
  WireReader r(in);
  uint32_t f, t;
  while (!r.done()) {
    if (!r.ReadTag(&f, &t)) return false;
    absl::string_view s;
    if (f == 1 && t == kLen) {
      if (!r.Len(&s) || !IsValidUtf8(s)) return false;
    } else if (!r.Skip(f, t, depth)) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<AttributeValue> ToAttributeValue(absl::string_view name, const ParsedValue& v) {
  switch (v.field) {
    case 1:
      return AttributeValue::Boolean(v.varint != 0);
    case 2:
      return AttributeValue::Integer(static_cast<int32_t>(static_cast<uint32_t>(v.varint)));
    case 3:
      return AttributeValue::String(std::string(v.text));
    case 4:
      return AttributeValue{AttributeType::kBinary, absl::Base64Escape(v.text)};
    case 5:
      return AttributeValue{AttributeType::kUri, std::string(v.text)};
    case 6:
      return AttributeValue{AttributeType::kUriRef, std::string(v.text)};
    case 7: {
      google::protobuf::Timestamp ts;
      ts.set_seconds(v.seconds);
      ts.set_nanos(v.nanos);
      absl::StatusOr<std::string> text = FormatRfc3339(ts);
      if (!text.ok()) {
        return Invalid(absl::StrCat("attribute '", name, "': ", text.status().message()));
      }
      return AttributeValue{AttributeType::kTimestamp, *std::move(text)};
    }
    default:
      return Invalid(absl::StrCat("attribute '", name, "' has no value"));
  }
}

absl::StatusOr<CloudEvent> ParseWireEvent(absl::string_view in, absl::string_view what, int depth) {
  const auto malformed = [what] {
    return absl::InvalidArgumentError(absl::StrCat("malformed protobuf ", what));
  };
  absl::string_view fields[5];  // id, source, spec_version, type (1..4)
  // Map entries in wire order; the last entry of a key wins (entries replace).
  using AttrEntry = std::pair<absl::string_view, ParsedValue>;
  absl::InlinedVector<AttrEntry, 16> attrs;
  uint32_t data_field = 0;
  absl::string_view data;

  WireReader r(in);
  uint32_t f, t;
  while (!r.done()) {
    if (!r.ReadTag(&f, &t)) return malformed();
    if (f >= 1 && f <= 4 && t == kLen) {
      if (!r.Len(&fields[f]) || !IsValidUtf8(fields[f])) return malformed();
    } else if (f == 5 && t == kLen) {
      absl::string_view entry;
      if (!r.Len(&entry)) return malformed();
      WireReader er(entry);
      absl::string_view key;
      ParsedValue value;
      uint32_t ef, et;
      while (!er.done()) {
        if (!er.ReadTag(&ef, &et)) return malformed();
        if (ef == 1 && et == kLen) {
          if (!er.Len(&key) || !IsValidUtf8(key)) return malformed();
        } else if (ef == 2 && et == kLen) {
          absl::string_view v;
          if (!er.Len(&v) || !ParseValueInto(v, &value, depth + 2)) return malformed();
        } else if (!er.Skip(ef, et, depth + 1)) {
          return malformed();
        }
      }
      attrs.emplace_back(key, value);
    } else if ((f == 6 || f == 7 || f == 8) && t == kLen) {
      if (!r.Len(&data)) return malformed();
      if (f == 7 && !IsValidUtf8(data)) return malformed();
      if (f == 8 && !CheckAny(data, depth + 1)) return malformed();
      data_field = f;
    } else if (!r.Skip(f, t, depth)) {
      return malformed();
    }
  }

  CloudEvent e;
  e.set_id(std::string(fields[1]));
  e.set_source(std::string(fields[2]));
  e.set_spec_version(std::string(fields[3]));
  e.set_type(std::string(fields[4]));
  const absl::string_view schema_name =
      e.spec_version() == kSpecVersion03 ? "schemaurl" : "dataschema";
  // Newest entry first; older entries of a key already seen are superseded. Any number of
  // extensions, in any order.
  uint32_t core_seen = 0;
  // Whether an extension's name was already taken from a newer entry: a scan of those entries
  // for the dozen attributes an event carries (no allocation), a hash set past that, so a
  // hostile event with thousands of entries still parses in linear time.
  constexpr size_t kScanMax = 32;
  absl::flat_hash_set<absl::string_view> extensions_seen;
  const auto taken_before = [&](decltype(attrs.rbegin()) entry) {
    if (attrs.size() > kScanMax) return !extensions_seen.insert(entry->first).second;
    for (auto newer = attrs.rbegin(); newer != entry; ++newer) {
      if (newer->first == entry->first) return true;
    }
    return false;
  };
  SortedVectorMapFiller<AttributeValue> extensions(e.mutable_extensions(),
                                                   CloudEvent::Extensions::Duplicates::kKeepFirst);
  absl::InlinedVector<const AttrEntry*, 16> selected;  // the extensions to add
  for (auto it = attrs.rbegin(); it != attrs.rend(); ++it) {
    const absl::string_view name = it->first;
    const ParsedValue& value = it->second;
    void (CloudEvent::*setter)(std::string) = nullptr;
    uint32_t bit = 0;
    if (name == "datacontenttype") {
      setter = &CloudEvent::set_data_content_type;
      bit = 1;
    } else if (name == "subject") {
      setter = &CloudEvent::set_subject;
      bit = 2;
    } else if (name == schema_name) {
      setter = &CloudEvent::set_data_schema;
      bit = 4;
    } else if (name == "time") {
      bit = 8;
    }
    if (bit != 0) {
      if (core_seen & bit) continue;
      core_seen |= bit;
    } else if (taken_before(it)) {
      continue;
    }
    if (name == "time") {
      if (value.field == 7) {
        absl::StatusOr<AttributeValue> ts = ToAttributeValue(name, value);
        if (!ts.ok()) return ts.status();
        e.set_time(std::move(ts->text));
        continue;
      }
      setter = &CloudEvent::set_time;
    }
    if (setter != nullptr) {
      if (value.field != 3 && value.field != 5 && value.field != 6) {
        return Invalid(absl::StrCat("attribute '", name, "' must be a string value"));
      }
      (e.*setter)(std::string(value.text));
      continue;
    }
    // Checked here, in this order (the first error reported is the same); built below.
    if (value.field < 1 || value.field > 7) return ToAttributeValue(name, value).status();
    if (value.field == 7) {
      if (absl::Status ts = ToAttributeValue(name, value).status(); !ts.ok()) return ts;
    }
    selected.push_back(&*it);
  }
  // The extensions built in name order, so each goes at the end of the sorted vector: in the
  // order met above (the newest entry first) a client's sorted attributes came in reverse, and
  // each insertion shifted every entry behind it (a tenth of a gRPC publish's CPU). The names
  // are distinct: every older entry of a name was skipped above.
  std::sort(selected.begin(), selected.end(),
            [](const AttrEntry* a, const AttrEntry* b) { return a->first < b->first; });
  // (The filler places up to 32 directly; past that it sorts and merges the rest itself.)
  e.mutable_extensions()->reserve(std::min<size_t>(selected.size(), 32));
  for (const AttrEntry* entry : selected) {
    absl::StatusOr<AttributeValue> ext = ToAttributeValue(entry->first, entry->second);
    if (!ext.ok()) return ext.status();
    extensions.Add(entry->first, *std::move(ext));
  }
  extensions.Finish();
  switch (data_field) {
    case 6:
      e.set_data(std::string(data), DataEncoding::kBinary);
      break;
    case 7: {
      const bool json = IsJsonContentType(e.data_content_type().value_or("")) && IsJsonText(data);
      e.set_data(std::string(data), json ? DataEncoding::kJson : DataEncoding::kText);
      break;
    }
    case 8:
      return Invalid("proto_data (google.protobuf.Any) is not supported; use binary_data");
    default:
      break;
  }
  absl::Status valid = e.Validate();
  if (!valid.ok()) return valid;
  return e;
}

}  // namespace

absl::StatusOr<std::string> SerializeProto(const CloudEvent& event) {
  std::string out;
  absl::Status s;
  {
    WireOut wire(&out, EstimateWireSize(event));
    s = AppendWireEvent(event, wire);
  }
  if (!s.ok()) return s;
  return out;
}

void AppendPlainProto(const PlainEventFields& fields, std::string* out) {
  WireOut wire(out, EstimatePlainWireSize(fields));
  AppendPlainWireEvent(fields, wire);
}

void AppendPlainAttributes(const PlainEventFields& fields, std::string* out) {
  WireOut wire(out, EstimatePlainWireSize(fields));
  AppendPlainWireAttributes(fields, wire);
}

void AppendPlainProtoAround(const PlainEventFields& fields, absl::string_view attributes,
                            std::string* out) {
  WireOut wire(out, fields.id.size() + fields.source.size() + fields.spec_version.size() +
                        fields.type.size() + fields.data.size() + attributes.size() + 40);
  PutCoreFields(wire, fields.id, fields.source, fields.spec_version, fields.type);
  wire.Reserve(attributes.size());
  wire.Bytes(attributes);
  PutData(wire, fields.data_encoding, fields.data);
}

void AppendPlainAfterId(const PlainEventFields& fields, absl::string_view attributes,
                        std::string* out) {
  WireOut wire(out, fields.source.size() + fields.spec_version.size() + fields.type.size() +
                        attributes.size() + 33);
  PutCoreFields(wire, /*id=*/"", fields.source, fields.spec_version, fields.type);
  wire.Reserve(attributes.size());
  wire.Bytes(attributes);
}

void AppendPlainProtoWithId(absl::string_view id, absl::string_view after_id,
                            DataEncoding data_encoding, absl::string_view data, std::string* out) {
  const bool has_data = data_encoding != DataEncoding::kNone;
  WireOut wire(out, (id.empty() ? 0 : LenFieldSize(id.size())) + after_id.size() +
                        (has_data ? LenFieldSize(data.size()) : 0));
  if (!id.empty()) PutLenFieldUnchecked(wire, Tag(1, kLen), id);
  wire.Bytes(after_id);
  if (has_data) {
    PutLenFieldUnchecked(wire, Tag(data_encoding == DataEncoding::kBinary ? 6 : 7, kLen), data);
  }
}

absl::StatusOr<CloudEvent> ParseProto(absl::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError("malformed protobuf CloudEvent");
  }
  return ParseWireEvent(bytes, "CloudEvent", 0);
}

absl::StatusOr<std::string> SerializeProtoBatch(const std::vector<CloudEvent>& events) {
  std::string out;
  std::string scratch;
  for (size_t i = 0; i < events.size(); ++i) {
    scratch.clear();
    absl::Status s;
    {
      WireOut wire(&scratch, EstimateWireSize(events[i]));
      s = AppendWireEvent(events[i], wire);
    }
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", s.message()));
    WireOut wire(&out);
    PutLenField(wire, Tag(1, kLen), scratch);
  }
  return out;
}

absl::StatusOr<std::vector<CloudEvent>> ParseProtoBatch(absl::string_view bytes) {
  const auto malformed = [] {
    return absl::InvalidArgumentError("malformed protobuf CloudEventBatch");
  };
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return malformed();
  // First pass: split and check the framing, so that framing errors win over event errors
  // (as with the generated parser, which parses everything before converting).
  std::vector<absl::string_view> raw;
  WireReader r(bytes);
  uint32_t f, t;
  while (!r.done()) {
    if (!r.ReadTag(&f, &t)) return malformed();
    if (f == 1 && t == kLen) {
      absl::string_view e;
      if (!r.Len(&e)) return malformed();
      raw.push_back(e);
    } else if (!r.Skip(f, t, 0)) {
      return malformed();
    }
  }
  std::vector<CloudEvent> events;
  events.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    absl::StatusOr<CloudEvent> e = ParseWireEvent(raw[i], "CloudEventBatch", 1);
    if (!e.ok()) {
      if (absl::StartsWith(e.status().message(), "malformed protobuf")) return malformed();
      return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", e.status().message()));
    }
    events.push_back(*std::move(e));
  }
  return events;
}

}  // namespace eventmesh::cloudevents
