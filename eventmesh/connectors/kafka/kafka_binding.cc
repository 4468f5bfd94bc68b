#include "eventmesh/connectors/kafka/kafka_binding.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventmesh/common/utf8.h"

namespace eventmesh::connectors::kafka {
namespace {

using cloudevents::AttributeType;
using cloudevents::CloudEvent;
using cloudevents::DataEncoding;

constexpr absl::string_view kPrefix = "ce_";
constexpr absl::string_view kContentType = "content-type";
constexpr absl::string_view kExtensionTypes = "eventmesh_exttypes";
constexpr absl::string_view kDataEncoding = "eventmesh_data";

std::optional<AttributeType> ParseAttributeType(absl::string_view name) {
  for (AttributeType type : {AttributeType::kString, AttributeType::kBoolean,
                             AttributeType::kInteger, AttributeType::kBinary, AttributeType::kUri,
                             AttributeType::kUriRef, AttributeType::kTimestamp}) {
    if (cloudevents::AttributeTypeName(type) == name) return type;
  }
  return std::nullopt;
}

absl::string_view EncodingName(DataEncoding encoding) {
  switch (encoding) {
    case DataEncoding::kText:
      return "text";
    case DataEncoding::kJson:
      return "json";
    case DataEncoding::kBinary:
      return "binary";
    case DataEncoding::kNone:
      break;
  }
  return "";
}

// What a record without eventmesh_data carries (the HTTP binding's rule).
DataEncoding GuessEncoding(const std::optional<std::string>& content_type,
                           absl::string_view value) {
  if (content_type && cloudevents::IsJsonContentType(*content_type)) return DataEncoding::kJson;
  if (content_type && absl::StartsWithIgnoreCase(*content_type, "text/") && IsValidUtf8(value)) {
    return DataEncoding::kText;
  }
  return DataEncoding::kBinary;
}

}  // namespace

KafkaRecord ToKafkaRecord(const CloudEvent& event) {
  KafkaRecord record;
  auto& h = record.headers;
  h.reserve(8 + event.extensions().size());
  h.emplace_back("ce_specversion", event.spec_version());
  h.emplace_back("ce_id", event.id());
  h.emplace_back("ce_source", event.source());
  h.emplace_back("ce_type", event.type());
  if (event.data_content_type()) h.emplace_back(kContentType, *event.data_content_type());
  if (event.data_schema()) {
    h.emplace_back(
        event.spec_version() == cloudevents::kSpecVersion03 ? "ce_schemaurl" : "ce_dataschema",
        *event.data_schema());
  }
  if (event.subject()) h.emplace_back("ce_subject", *event.subject());
  if (event.time()) h.emplace_back("ce_time", *event.time());
  std::string types;
  for (const auto& [name, value] : event.extensions()) {
    h.emplace_back(absl::StrCat(kPrefix, name), value.text);
    if (value.type != AttributeType::kString) {
      absl::StrAppend(&types, types.empty() ? "" : ",", name, ":",
                      cloudevents::AttributeTypeName(value.type));
    }
    if (name == kPartitionKeyExtension) record.key = value.text;
  }
  if (!types.empty()) h.emplace_back(kExtensionTypes, std::move(types));
  if (event.has_data()) {
    h.emplace_back(kDataEncoding, EncodingName(event.data_encoding()));
    record.value = event.data();
  }
  return record;
}

absl::StatusOr<CloudEvent> FromKafkaRecord(const std::vector<KafkaHeaderView>& headers,
                                           std::optional<absl::string_view> value) {
  CloudEvent event;
  bool has_spec_version = false;
  bool v03 = false;
  for (const KafkaHeaderView& header : headers) {
    if (header.name == "ce_specversion") {
      has_spec_version = true;
      v03 = header.value == cloudevents::kSpecVersion03;
    }
  }
  if (!has_spec_version) {
    return absl::InvalidArgumentError("not a CloudEvent: no ce_specversion header");
  }
  absl::string_view types;
  std::optional<absl::string_view> encoding;
  std::optional<std::string> legacy_content_type;  // ce_datacontenttype (outside the binding)
  for (const KafkaHeaderView& header : headers) {
    const absl::string_view name = header.name;
    std::string text(header.value);
    if (absl::EqualsIgnoreCase(name, kContentType)) {
      event.set_data_content_type(std::move(text));
      continue;
    }
    if (name == kExtensionTypes) {
      types = header.value;
      continue;
    }
    if (name == kDataEncoding) {
      encoding = header.value;
      continue;
    }
    if (!absl::StartsWith(name, kPrefix)) continue;  // someone else's header
    const absl::string_view attribute = name.substr(kPrefix.size());
    if (attribute == "specversion") {
      event.set_spec_version(std::move(text));
    } else if (attribute == "id") {
      event.set_id(std::move(text));
    } else if (attribute == "source") {
      event.set_source(std::move(text));
    } else if (attribute == "type") {
      event.set_type(std::move(text));
    } else if (attribute == (v03 ? "schemaurl" : "dataschema")) {
      event.set_data_schema(std::move(text));
    } else if (attribute == "subject") {
      event.set_subject(std::move(text));
    } else if (attribute == "time") {
      event.set_time(std::move(text));
    } else if (attribute == "datacontenttype") {
      legacy_content_type = std::move(text);
    } else {
      event.SetExtension(std::string(attribute), std::move(text));
    }
  }
  if (!event.data_content_type() && legacy_content_type) {
    event.set_data_content_type(std::move(*legacy_content_type));
  }
  if (!types.empty()) {
    for (absl::string_view item : absl::StrSplit(types, ',', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> name_type = absl::StrSplit(item, ':');
      const std::optional<AttributeType> type = ParseAttributeType(name_type.second);
      if (!type) {
        return absl::InvalidArgumentError(absl::StrCat("unknown extension type '", name_type.second,
                                                       "' in header ", kExtensionTypes));
      }
      auto* extensions = event.mutable_extensions();
      auto it = extensions->find(std::string(name_type.first));
      if (it != extensions->end()) it->second.type = *type;
    }
  }
  if (value.has_value()) {
    DataEncoding data_encoding = GuessEncoding(event.data_content_type(), *value);
    if (encoding == "text") {
      data_encoding = DataEncoding::kText;
    } else if (encoding == "json") {
      data_encoding = DataEncoding::kJson;
    } else if (encoding == "binary") {
      data_encoding = DataEncoding::kBinary;
    }
    event.set_data(std::string(*value), data_encoding);
  }
  if (absl::Status valid = event.Validate(); !valid.ok()) return valid;
  return event;
}

}  // namespace eventmesh::connectors::kafka
