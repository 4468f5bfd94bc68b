#include "eventmesh/protocol/cloudevents/proto_format.h"

#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventmesh/protocol/cloudevents/json_format.h"

namespace eventmesh::cloudevents {
namespace {

using ProtoEvent = io::cloudevents::v1::CloudEvent;
using ProtoValue = io::cloudevents::v1::CloudEvent_CloudEventAttributeValue;

constexpr int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

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
    e.mutable_extensions()->emplace(name, *std::move(ext));
  }

  switch (p.data_case()) {
    case ProtoEvent::kBinaryData:
      e.set_data(std::move(*p.mutable_binary_data()), DataEncoding::kBinary);
      break;
    case ProtoEvent::kTextData: {
      const bool json = IsJsonContentType(e.data_content_type().value_or("")) &&
                        CheckJsonText(p.text_data(), "text_data").ok();
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
  static const int64_t kMin = DaysFromCivil(0, 1, 1) * kSecondsPerDay;
  static const int64_t kMax = DaysFromCivil(10000, 1, 1) * kSecondsPerDay - 1;
  if (ts.nanos() < 0 || ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp nanos ", ts.nanos(), " out of range"));
  }
  if (ts.seconds() < kMin || ts.seconds() > kMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp seconds ", ts.seconds(), " outside years 0000-9999"));
  }
  int64_t days = ts.seconds() / kSecondsPerDay;
  int64_t rem = ts.seconds() % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  std::string out = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, rem / 3600,
                                    rem / 60 % 60, rem % 60);
  const int32_t n = ts.nanos();
  if (n != 0) {
    if (n % 1000000 == 0) {
      absl::StrAppendFormat(&out, ".%03d", n / 1000000);
    } else if (n % 1000 == 0) {
      absl::StrAppendFormat(&out, ".%06d", n / 1000);
    } else {
      absl::StrAppendFormat(&out, ".%09d", n);
    }
  }
  out.push_back('Z');
  return out;
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

absl::StatusOr<std::string> SerializeProto(const CloudEvent& event) {
  ProtoEvent p;
  absl::Status s = ToProto(event, &p);
  if (!s.ok()) return s;
  std::string out;
  if (!p.SerializeToString(&out)) return absl::InternalError("protobuf serialization failed");
  return out;
}

absl::StatusOr<CloudEvent> ParseProto(absl::string_view bytes) {
  ProtoEvent p;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed protobuf CloudEvent");
  }
  return ConsumeProto(p);
}

absl::StatusOr<std::string> SerializeProtoBatch(const std::vector<CloudEvent>& events) {
  io::cloudevents::v1::CloudEventBatch batch;
  batch.mutable_events()->Reserve(static_cast<int>(events.size()));
  for (size_t i = 0; i < events.size(); ++i) {
    absl::Status s = ToProto(events[i], batch.add_events());
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", s.message()));
  }
  std::string out;
  if (!batch.SerializeToString(&out)) return absl::InternalError("protobuf serialization failed");
  return out;
}

absl::StatusOr<std::vector<CloudEvent>> ParseProtoBatch(absl::string_view bytes) {
  io::cloudevents::v1::CloudEventBatch batch;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !batch.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed protobuf CloudEventBatch");
  }
  std::vector<CloudEvent> events;
  events.reserve(batch.events_size());
  for (int i = 0; i < batch.events_size(); ++i) {
    absl::StatusOr<CloudEvent> e = ConsumeProto(*batch.mutable_events(i));
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", e.status().message()));
    }
    events.push_back(*std::move(e));
  }
  return events;
}

}  // namespace eventmesh::cloudevents
