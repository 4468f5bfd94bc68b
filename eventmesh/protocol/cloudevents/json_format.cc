#include "eventmesh/protocol/cloudevents/json_format.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/append_writer.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#include "rapidjson/writer.h"

namespace eventmesh::cloudevents {
namespace {

using json::AppendWriter;
using json::StringAppendStream;

absl::Status Invalid(absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("invalid CloudEvent: ", rule));
}

absl::StatusOr<rapidjson::Document> ParseDocument(absl::string_view text, absl::string_view what) {
  return json::ParseJson(text, what);
}

enum Core : uint32_t {
  kSpecVersionBit = 1u << 0,
  kIdBit = 1u << 1,
  kSourceBit = 1u << 2,
  kTypeBit = 1u << 3,
  kContentTypeBit = 1u << 4,
  kSchemaBit = 1u << 5,
  kSubjectBit = 1u << 6,
  kTimeBit = 1u << 7,
  kDataBit = 1u << 8,
  kDataBase64Bit = 1u << 9,
  kEncodingBit = 1u << 10,
};

absl::Status Duplicate(absl::string_view name) {
  return Invalid(absl::StrCat("attribute '", name, "' appears more than once"));
}

absl::StatusOr<std::string> StringMember(absl::string_view name, const rapidjson::Value& v) {
  if (!v.IsString()) return Invalid(absl::StrCat("'", name, "' must be a JSON string"));
  return std::string(json::ToStringView(v));
}

absl::StatusOr<AttributeValue> ExtensionValue(absl::string_view name, const rapidjson::Value& v) {
  if (v.IsString()) return AttributeValue::String(std::string(json::ToStringView(v)));
  if (v.IsBool()) return AttributeValue::Boolean(v.GetBool());
  if (v.IsInt()) return AttributeValue::Integer(v.GetInt());
  return Invalid(absl::StrCat("extension '", name,
                              "' must be a JSON string, boolean or integer within 32 bits"));
}

// For any RapidJSON writer; argument-dependent lookup prefers json::WriteKey/WriteString for
// json::AppendWriter (strings that need no escaping copied in one block) and json::Writer.
template <typename W>
void WriteKey(W& w, absl::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename W>
void WriteString(W& w, absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename W>
void WriteRawValue(W& w, absl::string_view json_text, rapidjson::Type type) {
  w.RawValue(json_text.data(), json_text.size(), type);
}

template <typename W>
void WriteMember(W& w, absl::string_view key, absl::string_view value) {
  WriteKey(w, key);
  WriteString(w, value);
}

// `E` is CloudEvent or ProtoEventView (the same accessors); `encoding` is the data's.
template <typename E, typename W>
void WriteEvent(const E& e, DataEncoding encoding, W& w) {
  const bool v03 = e.spec_version() == kSpecVersion03;
  w.StartObject();
  WriteMember(w, "specversion", e.spec_version());
  WriteMember(w, "id", e.id());
  WriteMember(w, "source", e.source());
  WriteMember(w, "type", e.type());
  if (e.data_content_type()) WriteMember(w, "datacontenttype", *e.data_content_type());
  if (e.data_schema()) WriteMember(w, v03 ? "schemaurl" : "dataschema", *e.data_schema());
  if (e.subject()) WriteMember(w, "subject", *e.subject());
  if (e.time()) WriteMember(w, "time", *e.time());
  for (const auto& [name, value] : e.extensions()) {
    WriteKey(w, name);
    int32_t i;
    if (value.type == AttributeType::kBoolean && (value.text == "true" || value.text == "false")) {
      w.Bool(value.text == "true");
    } else if (value.type == AttributeType::kInteger && absl::SimpleAtoi(value.text, &i)) {
      w.Int(i);
    } else {
      WriteString(w, value.text);
    }
  }
  switch (encoding) {
    case DataEncoding::kNone:
      break;
    case DataEncoding::kText:
      WriteMember(w, "data", e.data());
      break;
    case DataEncoding::kJson:
      WriteKey(w, "data");
      if (e.data().empty()) {
        w.Null();  // not JSON text; keep the output well-formed
      } else {
        WriteRawValue(w, e.data(), rapidjson::kObjectType);
      }
      break;
    case DataEncoding::kBinary:
      if (v03) {
        WriteMember(w, "datacontentencoding", "base64");
        WriteMember(w, "data", absl::Base64Escape(e.data()));
      } else {
        WriteMember(w, "data_base64", absl::Base64Escape(e.data()));
      }
      break;
  }
  w.EndObject();
}

}  // namespace

absl::StatusOr<CloudEvent> JsonValueToEvent(const rapidjson::Value& value) {
  if (!value.IsObject()) return Invalid("a structured event must be a JSON object");
  CloudEvent e;
  e.set_spec_version("");  // absent unless the member is present

  bool v03 = false;
  auto sv = value.FindMember("specversion");
  if (sv != value.MemberEnd() && !sv->value.IsNull()) {
    absl::StatusOr<std::string> s = StringMember("specversion", sv->value);
    if (!s.ok()) return s.status();
    v03 = *s == kSpecVersion03;
    e.set_spec_version(*std::move(s));
  }

  uint32_t seen = 0;
  // An object may hold any number of extensions in any order.
  SortedVectorMapFiller<AttributeValue> extensions(e.mutable_extensions(),
                                                   CloudEvent::Extensions::Duplicates::kKeepFirst);
  const rapidjson::Value* data = nullptr;
  const rapidjson::Value* data_base64 = nullptr;
  bool base64_data = false;  // 0.3 datacontentencoding: base64

  for (auto m = value.MemberBegin(); m != value.MemberEnd(); ++m) {
    const absl::string_view name = json::ToStringView(m->name);
    const rapidjson::Value& v = m->value;
    // null means absent, except for "data", where (with a JSON content type) it is an
    // explicit null payload.
    if (v.IsNull() && name != "data") continue;

    uint32_t bit = 0;
    void (CloudEvent::*setter)(std::string) = nullptr;
    if (name == "specversion") {
      bit = kSpecVersionBit;
    } else if (name == "id") {
      bit = kIdBit;
      setter = &CloudEvent::set_id;
    } else if (name == "source") {
      bit = kSourceBit;
      setter = &CloudEvent::set_source;
    } else if (name == "type") {
      bit = kTypeBit;
      setter = &CloudEvent::set_type;
    } else if (name == "datacontenttype") {
      bit = kContentTypeBit;
      setter = &CloudEvent::set_data_content_type;
    } else if (name == (v03 ? "schemaurl" : "dataschema")) {
      bit = kSchemaBit;
      setter = &CloudEvent::set_data_schema;
    } else if (name == "subject") {
      bit = kSubjectBit;
      setter = &CloudEvent::set_subject;
    } else if (name == "time") {
      bit = kTimeBit;
      setter = &CloudEvent::set_time;
    } else if (name == "data") {
      bit = kDataBit;
      data = &v;
    } else if (name == "data_base64") {
      bit = kDataBase64Bit;
      data_base64 = &v;
    } else if (v03 && name == "datacontentencoding") {
      bit = kEncodingBit;
      if (!v.IsString() || json::ToStringView(v) != "base64") {
        return Invalid("'datacontentencoding' must be \"base64\"");
      }
      base64_data = true;
    }

    if (bit == 0) {  // extension attribute
      absl::StatusOr<AttributeValue> ext = ExtensionValue(name, v);
      if (!ext.ok()) return ext.status();
      extensions.Add(name, *std::move(ext));
      continue;
    }
    if (seen & bit) return Duplicate(name);
    seen |= bit;
    if (setter != nullptr) {
      absl::StatusOr<std::string> s = StringMember(name, v);
      if (!s.ok()) return s.status();
      (e.*setter)(*std::move(s));
    }
  }

  if (std::optional<std::string> duplicate = extensions.Finish()) {
    return Duplicate(*duplicate);
  }

  const absl::string_view content_type =
      e.data_content_type() ? absl::string_view(*e.data_content_type()) : "";
  const bool json_data = !base64_data && IsJsonContentType(content_type);
  if (data != nullptr && data->IsNull() && !json_data) data = nullptr;  // null == unset

  if (data != nullptr && data_base64 != nullptr) {
    return Invalid("'data' and 'data_base64' are mutually exclusive");
  }
  if (data_base64 != nullptr) {
    if (!data_base64->IsString()) return Invalid("'data_base64' must be a JSON string");
    std::string bytes;
    if (!absl::Base64Unescape(json::ToStringView(*data_base64), &bytes)) {
      return Invalid("'data_base64' is not valid base64");
    }
    e.set_data(std::move(bytes), DataEncoding::kBinary);
  } else if (data != nullptr && base64_data) {
    if (!data->IsString()) {
      return Invalid("'data' must be a JSON string when datacontentencoding is base64");
    }
    std::string bytes;
    if (!absl::Base64Unescape(json::ToStringView(*data), &bytes)) {
      return Invalid("'data' is not valid base64 (datacontentencoding is base64)");
    }
    e.set_data(std::move(bytes), DataEncoding::kBinary);
  } else if (data != nullptr) {
    if (json_data) {
      e.set_data(json::ToJsonString(*data), DataEncoding::kJson);
    } else if (data->IsString()) {
      e.set_data(std::string(json::ToStringView(*data)), DataEncoding::kText);
    } else {
      return Invalid(absl::StrCat("'data' must be a JSON string when datacontenttype '",
                                  content_type, "' is not JSON"));
    }
  }

  absl::Status valid = e.Validate();
  if (!valid.ok()) return valid;
  return e;
}

absl::StatusOr<CloudEvent> ParseJsonEvent(absl::string_view json) {
  absl::StatusOr<rapidjson::Document> doc = ParseDocument(json, "CloudEvent");
  if (!doc.ok()) return doc.status();
  return JsonValueToEvent(*doc);
}

void WriteJsonEvent(const CloudEvent& event, json::Writer& writer) {
  WriteEvent(event, event.data_encoding(), writer);
}

void AppendJsonEvent(const CloudEvent& event, std::string* out) {
  StringAppendStream stream(out);
  AppendWriter w(stream);
  WriteEvent(event, event.data_encoding(), w);
}

DataEncoding DecodedDataEncoding(const ProtoEventView& event) {
  const DataEncoding encoding = event.data_field_encoding();
  // As ParseProto decides: text data is JSON when the content type says so and it parses.
  if (encoding == DataEncoding::kText &&
      IsJsonContentType(event.data_content_type().value_or("")) && IsJsonText(event.data())) {
    return DataEncoding::kJson;
  }
  return encoding;
}

void AppendJsonEvent(const ProtoEventView& event, std::string* out) {
  StringAppendStream stream(out);
  AppendWriter w(stream);
  WriteEvent(event, DecodedDataEncoding(event), w);
}

std::string SerializeJsonEvent(const CloudEvent& event) {
  std::string out;
  out.reserve(256 + event.ByteSizeLong() + event.ByteSizeLong() / 3);
  AppendJsonEvent(event, &out);
  return out;
}

absl::StatusOr<std::vector<CloudEvent>> ParseJsonBatch(absl::string_view json) {
  absl::StatusOr<rapidjson::Document> doc = ParseDocument(json, "CloudEvents batch");
  if (!doc.ok()) return doc.status();
  if (!doc->IsArray()) {
    return absl::InvalidArgumentError("invalid CloudEvents batch: expected a JSON array");
  }
  std::vector<CloudEvent> events;
  events.reserve(doc->Size());
  for (rapidjson::SizeType i = 0; i < doc->Size(); ++i) {
    absl::StatusOr<CloudEvent> e = JsonValueToEvent((*doc)[i]);
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", e.status().message()));
    }
    events.push_back(*std::move(e));
  }
  return events;
}

absl::Status CheckJsonText(absl::string_view text, absl::string_view what) {
  const json::ParseOutcome outcome = json::Validate<rapidjson::kParseFullPrecisionFlag>(text);
  if (outcome.ok()) return absl::OkStatus();
  if (outcome.too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not valid JSON: nesting deeper than ", kMaxJsonDepth, " levels"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " is not valid JSON: ", rapidjson::GetParseError_En(outcome.result.Code()),
                   " at offset ", outcome.result.Offset()));
}

bool IsJsonText(absl::string_view text) {
  // A necessary condition first, from the two ends: a JSON value starts with one of {["-tfn or
  // a digit and ends with one of }]" e (true, false) l (null) or a digit, around optional
  // whitespace. Most bodies that are not JSON (plain text, ids, binary) fail it at once
  // instead of starting a parse.
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t first = 0;
  while (first < text.size() && is_space(text[first])) ++first;
  size_t last = text.size();
  while (last > first && is_space(text[last - 1])) --last;
  if (first == last) return false;
  const char head = text[first];
  const char tail = text[last - 1];
  const bool head_ok = head == '{' || head == '[' || head == '"' || head == '-' || head == 't' ||
                       head == 'f' || head == 'n' || (head >= '0' && head <= '9');
  const bool tail_ok = tail == '}' || tail == ']' || tail == '"' || tail == 'e' || tail == 'l' ||
                       (tail >= '0' && tail <= '9');
  if (!head_ok || !tail_ok) return false;
  return json::Validate<rapidjson::kParseFullPrecisionFlag>(text).ok();
}

std::string SerializeJsonBatch(const std::vector<CloudEvent>& events) {
  std::string out;
  StringAppendStream stream(&out);
  AppendWriter w(stream);
  w.StartArray();
  for (const CloudEvent& e : events) WriteEvent(e, e.data_encoding(), w);
  w.EndArray();
  return out;
}

}  // namespace eventmesh::cloudevents
