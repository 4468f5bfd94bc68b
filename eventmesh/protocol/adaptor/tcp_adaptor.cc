#include "eventmesh/protocol/adaptor/tcp_adaptor.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/status_macros.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/header.h"

namespace eventmesh::protocol::adaptor {
namespace {

using cloudevents::AttributeValue;
using cloudevents::CloudEvent;
using cloudevents::DataEncoding;

const std::string* FindProperty(const tcp::Header& header, absl::string_view key) {
  auto it = header.properties.find(std::string(key));
  return it == header.properties.end() ? nullptr : &it->second;
}

bool IsBlank(const std::string* s) {
  return s == nullptr || absl::StripAsciiWhitespace(*s).empty();
}

// Adds `name` as a String extension; the name must be a valid CloudEvents attribute name.
absl::Status AddExtension(CloudEvent* event, const std::string& name, const std::string& value,
                          bool overwrite) {
  if (!cloudevents::IsValidAttributeName(name) || cloudevents::IsCoreAttributeName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Abnormal propKey: ", name,
                     " (property names must be lower-case letters a-z and digits 0-9 and not a "
                     "CloudEvents attribute name)"));
  }
  if (overwrite || event->extensions().count(name) == 0) {
    event->SetExtension(name, AttributeValue::String(value));
  }
  return absl::OkStatus();
}

// The encoding of an EventMeshMessage body: JSON when the content type says so (or is
// absent) and the body parses as JSON, text when it is UTF-8, raw bytes otherwise. This is
// also the encoding the store's protobuf format restores, so events round-trip exactly.
DataEncoding BodyEncoding(const std::optional<std::string>& content_type, absl::string_view body) {
  const bool json_type = !content_type.has_value() || cloudevents::IsJsonContentType(*content_type);
  if (json_type && cloudevents::CheckJsonText(body, "message body").ok()) {
    return DataEncoding::kJson;
  }
  return IsValidUtf8(body) ? DataEncoding::kText : DataEncoding::kBinary;
}

absl::StatusOr<CloudEvent> FromEventMeshMessage(const tcp::Header& header,
                                                absl::string_view spec_version,
                                                absl::string_view body) {
  EM_ASSIGN_OR_RETURN(tcp::EventMeshMessage message, tcp::EventMeshMessage::FromJson(body));
  if (message.topic.empty()) {
    return absl::InvalidArgumentError("message has no topic");
  }
  if (!header.seq.has_value() || header.seq->empty()) {
    return absl::InvalidArgumentError("message package has no seq (it becomes the event id)");
  }
  CloudEvent event;
  event.set_spec_version(std::string(spec_version));
  event.set_id(*header.seq);
  event.set_source(std::string(kEventMeshMessageSource));
  event.set_type(std::string(kEventMeshMessageType));
  event.set_subject(std::move(message.topic));
  auto content_type = message.headers.find(std::string(kDataContentTypeKey));
  if (content_type != message.headers.end() && !content_type->second.empty()) {
    event.set_data_content_type(content_type->second);
  }
  const DataEncoding encoding = BodyEncoding(event.data_content_type(), message.body);
  event.set_data(std::move(message.body), encoding);
  for (const auto& [key, value] : header.properties) {
    EM_RETURN_IF_ERROR(AddExtension(&event, key, value, /*overwrite=*/true));
  }
  for (const auto& [key, value] : message.properties) {
    EM_RETURN_IF_ERROR(AddExtension(&event, key, value, /*overwrite=*/true));
  }
  return event;
}

absl::StatusOr<CloudEvent> FromStructuredCloudEvent(const tcp::Header& header,
                                                    absl::string_view body) {
  EM_ASSIGN_OR_RETURN(CloudEvent event, cloudevents::ParseJsonEvent(body));
  for (const auto& [key, value] : header.properties) {
    EM_RETURN_IF_ERROR(AddExtension(&event, key, value, /*overwrite=*/false));
  }
  if (!event.subject().has_value()) {
    return absl::InvalidArgumentError("CloudEvent has no subject (the topic to publish to)");
  }
  return event;
}

}  // namespace

absl::string_view EventTopic(const CloudEvent& event) {
  return event.subject().has_value() ? absl::string_view(*event.subject()) : absl::string_view();
}

absl::StatusOr<CloudEvent> TcpPackageToCloudEvent(const tcp::Package& package) {
  const tcp::Header& header = package.header;
  const std::string* type = FindProperty(header, tcp::kPropertyProtocolType);
  const std::string* version = FindProperty(header, tcp::kPropertyProtocolVersion);
  const std::string* desc = FindProperty(header, tcp::kPropertyProtocolDesc);
  if (IsBlank(type) || IsBlank(version) || IsBlank(desc)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid protocol params protocolType ", type ? *type : "null", "|protocolVersion ",
        version ? *version : "null", "|protocolDesc ", desc ? *desc : "null",
        " (header properties protocoltype, protocolversion and protocoldesc are required)"));
  }
  if (*version != cloudevents::kSpecVersion10 && *version != cloudevents::kSpecVersion03) {
    return absl::InvalidArgumentError(
        absl::StrCat("Unsupported protocolVersion: ", *version, " (expected 1.0 or 0.3)"));
  }
  absl::StatusOr<CloudEvent> event;
  if (*type == tcp::kProtocolTypeEventMeshMessage) {
    event = FromEventMeshMessage(header, *version, package.body);
  } else if (*type == tcp::kProtocolTypeCloudEvents) {
    event = FromStructuredCloudEvent(header, package.body);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("Unsupported protocolType: ", *type,
                                                   " (expected eventmeshmessage or cloudevents)"));
  }
  if (!event.ok()) return event.status();
  EM_RETURN_IF_ERROR(event->Validate());
  return event;
}

absl::StatusOr<tcp::Package> CloudEventToTcpPackage(const CloudEvent& event, tcp::Command cmd,
                                                    std::string seq) {
  const std::string* type = event.FindExtension(tcp::kPropertyProtocolType);
  const absl::string_view protocol_type =
      type != nullptr ? absl::string_view(*type) : tcp::kProtocolTypeEventMeshMessage;
  tcp::Package package;
  package.header.cmd = cmd;
  package.header.code = tcp::OpStatus::kSuccess;
  package.header.seq = std::move(seq);
  if (protocol_type == tcp::kProtocolTypeCloudEvents) {
    package.body = cloudevents::SerializeJsonEvent(event);
  } else if (protocol_type == tcp::kProtocolTypeEventMeshMessage) {
    tcp::EventMeshMessage message;
    message.topic = std::string(EventTopic(event));
    message.body = event.data();
    for (const auto& [name, value] : event.extensions()) message.properties[name] = value.text;
    if (event.data_content_type().has_value()) {
      message.headers[std::string(kDataContentTypeKey)] = *event.data_content_type();
    }
    message.AppendJson(&package.body);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", event.id(), " has unsupported protocoltype ", protocol_type));
  }
  package.header.properties[std::string(tcp::kPropertyProtocolType)] = std::string(protocol_type);
  return package;
}

}  // namespace eventmesh::protocol::adaptor
