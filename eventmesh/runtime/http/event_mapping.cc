#include "eventmesh/runtime/http/event_mapping.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/status_macros.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::runtime::http {
namespace {

using cloudevents::CloudEvent;
using cloudevents::DataEncoding;

absl::Status CheckExtensionName(const std::string& name) {
  if (!cloudevents::IsValidAttributeName(name) || cloudevents::IsCoreAttributeName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Abnormal propKey: ", name,
                     " (extFields keys must be lower-case letters a-z and digits 0-9 and not a "
                     "CloudEvents attribute name)"));
  }
  return absl::OkStatus();
}

}  // namespace

DataEncoding GuessDataEncoding(const std::optional<std::string>& content_type,
                               absl::string_view body) {
  const bool json_type = !content_type.has_value() || cloudevents::IsJsonContentType(*content_type);
  if (json_type && !body.empty() && cloudevents::IsJsonText(body)) {
    return DataEncoding::kJson;
  }
  return IsValidUtf8(body) ? DataEncoding::kText : DataEncoding::kBinary;
}

absl::StatusOr<CloudEvent> MessageToEvent(const MessageFields& message,
                                          const protocol::http::RequestHeader& header) {
  const std::string protocol_type = header.protocol_type.empty()
                                        ? std::string(kProtocolTypeEventMeshMessage)
                                        : absl::AsciiStrToLower(header.protocol_type);
  const std::string protocol_version = header.protocol_version.empty()
                                           ? std::string(cloudevents::kSpecVersion10)
                                           : header.protocol_version;
  const std::string protocol_desc = header.protocol_desc.empty() ? "http" : header.protocol_desc;
  if (protocol_version != cloudevents::kSpecVersion10 &&
      protocol_version != cloudevents::kSpecVersion03) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported protocolversion '", protocol_version, "' (expected 1.0 or 0.3)"));
  }
  CloudEvent event;
  if (protocol_type == kProtocolTypeCloudEvents) {
    EM_ASSIGN_OR_RETURN(event, cloudevents::ParseJsonEvent(message.content));
    if (!event.subject().has_value() && !message.topic.empty()) event.set_subject(message.topic);
    if (!event.subject().has_value()) {
      return absl::InvalidArgumentError(
          "CloudEvent has no subject (the topic to publish to) and the request has no 'topic'");
    }
    auto add = [&](const char* name, const std::string& value) {
      if (!value.empty() && event.FindExtension(name) == nullptr) event.SetExtension(name, value);
    };
    add("protocoltype", protocol_type);
    add("protocolversion", protocol_version);
    add("protocoldesc", protocol_desc);
    add("producergroup", message.producer_group);
    for (const auto& [key, value] : message.ext_fields) {
      EM_RETURN_IF_ERROR(CheckExtensionName(key));
      add(key.c_str(), value);
    }
    EM_RETURN_IF_ERROR(event.Validate());
    return event;
  }
  if (protocol_type != kProtocolTypeEventMeshMessage) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported protocoltype '", protocol_type,
                                                   "' (expected eventmeshmessage or cloudevents)"));
  }
  event.set_spec_version(protocol_version);
  event.set_id(message.biz_seq_no);
  event.set_source("/");
  event.set_type(kProtocolTypeEventMeshMessage);
  event.set_subject(message.topic);
  event.set_data(message.content, GuessDataEncoding(std::nullopt, message.content));
  // The request's own attributes, appended in name order to the event that has none yet (each
  // insert lands at the end of the tree: no search, nothing shifted).
  const std::string code = std::to_string(protocol::http::RequestCodeValue(header.code));
  const std::string ttl = message.ttl_ms > 0 ? std::to_string(message.ttl_ms) : std::string();
  const std::pair<absl::string_view, const std::string*> attributes[] = {
      {"bizseqno", &message.biz_seq_no},
      {"code", &code},
      {"env", &header.env},
      {"idc", &header.idc},
      {"ip", &header.ip},
      {"language", &header.language},
      {"pid", &header.pid},
      {"producergroup", &message.producer_group},
      {"protocoldesc", &protocol_desc},
      {"protocoltype", &protocol_type},
      {"protocolversion", &protocol_version},
      {"sys", &header.sys},
      {"tag", &message.tag},
      {"ttl", &ttl},
      {"uniqueid", &message.unique_id},
      {"username", &header.username},
      {"version", &header.version},
  };
  CloudEvent::Extensions* extensions = event.mutable_extensions();
  for (const auto& [name, value] : attributes) {
    if (value->empty()) continue;
    extensions->try_emplace(extensions->end(), std::string(name),
                            cloudevents::AttributeValue::String(*value));
  }
  for (const auto& [key, value] : message.ext_fields) {
    EM_RETURN_IF_ERROR(CheckExtensionName(key));
    event.SetExtension(key, value);
  }
  EM_RETURN_IF_ERROR(event.Validate());
  return event;
}

std::string ReplyMessageJson(const CloudEvent& event) {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  json::WriteKey(writer, "topic");
  json::WriteString(writer, event.subject().value_or(""));
  json::WriteKey(writer, "body");
  json::WriteString(writer, event.data());
  json::WriteKey(writer, "properties");
  writer.StartObject();
  for (const auto& [name, value] : event.extensions()) {
    json::WriteKey(writer, name);
    json::WriteString(writer, value.text);
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace eventmesh::runtime::http
