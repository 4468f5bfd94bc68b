#include "eventmesh/protocol/cloudevents/json_format.h"

#include <cstdint>
#include <cstring>
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

// Sits between the JSON reader and the document of a CloudEvents JSON text (one event, or a
// batch: an array of events) so that the document holds only what JsonValueToEvent reads as
// values: the events' scalar members. A container that is an event member's value is not built
// as a DOM (which costs 16 bytes or more per value, 8 times the text of an array of small
// numbers): the "data" member's is written, compact, into data_text() (the text
// json::ToJsonString would give), any other is skipped (it is an error either way); the
// document gets an empty container of the same type in its place, so JsonValueToEvent reports
// what it would have. So does a container where an event should be (e.g. a batch's nested
// array). It also bounds what the document can hold, stopping the parse beyond
// kMaxJsonBatchEvents elements of a batch or kMaxJsonAttributes event members in all; limit()
// then says which.
class EventFilter {
 public:
  using Ch = char;

  explicit EventFilter(bool batch) : batch_(batch), member_depth_(batch ? 2 : 1) {}

  void Bind(rapidjson::Document* doc) { doc_ = doc; }

  // The compact JSON text of event i's "data" when that is an object or array (else null); the
  // caller may take it.
  std::string* data_text(size_t i) {
    return i < data_text_.size() && !data_text_[i].empty() ? &data_text_[i] : nullptr;
  }
  const absl::Status& limit() const { return limit_; }

  bool Null() {
    return Scalar([&](auto& h) { return h.Null(); });
  }
  bool Bool(bool b) {
    return Scalar([&](auto& h) { return h.Bool(b); });
  }
  bool Int(int i) {
    return Scalar([&](auto& h) { return h.Int(i); });
  }
  bool Uint(unsigned u) {
    return Scalar([&](auto& h) { return h.Uint(u); });
  }
  bool Int64(int64_t i) {
    return Scalar([&](auto& h) { return h.Int64(i); });
  }
  bool Uint64(uint64_t u) {
    return Scalar([&](auto& h) { return h.Uint64(u); });
  }
  bool Double(double d) {
    return Scalar([&](auto& h) { return h.Double(d); });
  }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) {
    return Scalar([&](auto& h) { return h.RawNumber(s, n, copy); });
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (diverted_ > 0) {
      if (capture_) json::WriteString(*capture_writer_, absl::string_view(s, n));
      return true;
    }
    return Element() && doc_->String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (diverted_ > 0) {
      if (capture_) json::WriteKey(*capture_writer_, absl::string_view(s, n));
      return true;
    }
    if (++attributes_ > kMaxJsonAttributes) {
      limit_ = absl::OutOfRangeError(
          absl::StrCat("CloudEvents JSON with more than ", kMaxJsonAttributes, " attributes"));
      return false;
    }
    data_member_ = n == 4 && std::memcmp(s, "data", 4) == 0;
    return doc_->Key(s, n, copy);
  }
  bool StartObject() { return Start(/*object=*/true); }
  bool EndObject(rapidjson::SizeType n) { return End(/*object=*/true, n); }
  bool StartArray() { return Start(/*object=*/false); }
  bool EndArray(rapidjson::SizeType n) { return End(/*object=*/false, n); }

 private:
  // Counts an element of the batch array (the values at depth 1 of a batch).
  bool Element() {
    if (!batch_ || depth_ != 1) return true;
    if (++elements_ > kMaxJsonBatchEvents) {
      limit_ = absl::OutOfRangeError(
          absl::StrCat("a CloudEvents batch of more than ", kMaxJsonBatchEvents, " events"));
      return false;
    }
    return true;
  }

  template <typename Call>
  bool Scalar(Call call) {
    if (diverted_ > 0) return !capture_ || call(*capture_writer_);
    return Element() && call(*doc_);
  }

  bool Start(bool object) {
    if (diverted_ > 0) {
      ++diverted_;
      return !capture_ || (object ? capture_writer_->StartObject() : capture_writer_->StartArray());
    }
    if (!Element()) return false;
    // Kept: the batch array, and objects where events are (the root, or the batch's elements).
    const bool keep =
        batch_ ? (depth_ == 0 ? !object : depth_ == 1 && object) : depth_ == 0 && object;
    if (keep) {
      if (object) ++events_;
      ++depth_;
      return object ? doc_->StartObject() : doc_->StartArray();
    }
    diverted_ = 1;
    diverted_object_ = object;
    capture_ = depth_ == member_depth_ && data_member_ && events_ > 0;
    if (capture_) {
      data_text_.resize(events_);
      std::string& out = data_text_[events_ - 1];
      out.clear();
      capture_stream_.emplace(&out);
      capture_writer_.emplace(*capture_stream_);
      return object ? capture_writer_->StartObject() : capture_writer_->StartArray();
    }
    return true;
  }

  bool End(bool object, rapidjson::SizeType n) {
    if (diverted_ > 0) {
      if (capture_ && !(object ? capture_writer_->EndObject(n) : capture_writer_->EndArray(n))) {
        return false;
      }
      if (--diverted_ > 0) return true;
      if (capture_) {
        capture_writer_.reset();
        capture_stream_.reset();  // trims the text to what was written
        capture_ = false;
      }
      // An empty container of the same type where the diverted one was.
      return diverted_object_ ? doc_->StartObject() && doc_->EndObject(0)
                              : doc_->StartArray() && doc_->EndArray(0);
    }
    --depth_;
    return object ? doc_->EndObject(n) : doc_->EndArray(n);
  }

  const bool batch_;
  const int member_depth_;  // depth_ inside an event object
  rapidjson::Document* doc_ = nullptr;
  int depth_ = 0;     // containers open in the document
  int diverted_ = 0;  // containers open in the diverted value (0: none)
  bool diverted_object_ = false;
  bool capture_ = false;      // the diverted value is an event's "data": written out
  bool data_member_ = false;  // the last key at member depth was "data"
  size_t events_ = 0;
  size_t elements_ = 0;
  size_t attributes_ = 0;
  std::vector<std::string> data_text_;  // by event index
  std::optional<StringAppendStream> capture_stream_;
  std::optional<AppendWriter> capture_writer_;
  absl::Status limit_;
};

// Parses `text` through an EventFilter into `doc`.
absl::Status ParseEvents(absl::string_view text, absl::string_view what, EventFilter* filter,
                         rapidjson::Document* doc) {
  const json::ParseOutcome outcome = json::ParseThrough(text, doc, filter);
  if (outcome.ok()) return absl::OkStatus();
  if (!filter->limit().ok() && !outcome.too_deep) return filter->limit();
  return json::ParseError(outcome, what);
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

// JsonValueToEvent, with the text of "data" when an EventFilter wrote it out (taken).
absl::StatusOr<CloudEvent> ValueToEvent(const rapidjson::Value& value, std::string* data_text) {
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
      e.set_data(data_text != nullptr && (data->IsObject() || data->IsArray())
                     ? std::move(*data_text)
                     : json::ToJsonString(*data),
                 DataEncoding::kJson);
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

}  // namespace

absl::StatusOr<CloudEvent> JsonValueToEvent(const rapidjson::Value& value) {
  return ValueToEvent(value, nullptr);
}

absl::StatusOr<CloudEvent> ParseJsonEvent(absl::string_view json) {
  rapidjson::Document doc;
  EventFilter filter(/*batch=*/false);
  if (absl::Status s = ParseEvents(json, "CloudEvent", &filter, &doc); !s.ok()) return s;
  return ValueToEvent(doc, filter.data_text(0));
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
  rapidjson::Document doc;
  EventFilter filter(/*batch=*/true);
  if (absl::Status s = ParseEvents(json, "CloudEvents batch", &filter, &doc); !s.ok()) return s;
  if (!doc.IsArray()) {
    return absl::InvalidArgumentError("invalid CloudEvents batch: expected a JSON array");
  }
  std::vector<CloudEvent> events;
  events.reserve(doc.Size());
  size_t objects = 0;  // the filter numbers the events (objects) of the array
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    std::string* data_text = doc[i].IsObject() ? filter.data_text(objects++) : nullptr;
    absl::StatusOr<CloudEvent> e = ValueToEvent(doc[i], data_text);
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
