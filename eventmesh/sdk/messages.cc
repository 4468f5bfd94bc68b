#include "eventmesh/sdk/messages.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/header.h"

namespace eventmesh::sdk {

using protocol::tcp::Command;
using protocol::tcp::Package;

std::string ReceivedEvent::topic() const {
  if (const auto* m = message()) return m->topic;
  const auto& subject = std::get<CloudEvent>(payload).subject();
  return subject.has_value() ? *subject : std::string();
}

const std::string& ReceivedEvent::data() const {
  if (const auto* m = message()) return m->body;
  return std::get<CloudEvent>(payload).data();
}

const std::string* ReceivedEvent::property(absl::string_view name) const {
  if (const auto* m = message()) {
    auto it = m->properties.find(std::string(name));
    return it == m->properties.end() ? nullptr : &it->second;
  }
  return std::get<CloudEvent>(payload).FindExtension(name);
}

std::string OutboundTopic(const OutboundEvent& event) {
  if (const auto* m = std::get_if<EventMeshMessage>(&event)) return m->topic;
  const auto& subject = std::get<CloudEvent>(event).subject();
  return subject.has_value() ? *subject : std::string();
}

absl::StatusOr<Package> BuildMessagePackage(Command cmd, std::string seq,
                                            const OutboundEvent& event) {
  Package package;
  package.header.cmd = cmd;
  package.header.code = 0;
  package.header.seq = std::move(seq);
  auto& props = package.header.properties;
  props.emplace(protocol::tcp::kPropertyProtocolDesc, kProtocolDescTcp);
  if (const auto* m = std::get_if<EventMeshMessage>(&event)) {
    if (m->topic.empty()) return absl::InvalidArgumentError("EventMeshMessage topic is required");
    props.emplace(protocol::tcp::kPropertyProtocolType,
                  protocol::tcp::kProtocolTypeEventMeshMessage);
    props.emplace(protocol::tcp::kPropertyProtocolVersion, kProtocolVersion);
    m->AppendJson(&package.body);
    return package;
  }
  const auto& ce = std::get<CloudEvent>(event);
  if (!ce.subject().has_value() || ce.subject()->empty()) {
    return absl::InvalidArgumentError("CloudEvent subject (the topic) is required");
  }
  absl::Status valid = ce.Validate();
  if (!valid.ok()) return valid;
  props.emplace(protocol::tcp::kPropertyProtocolType, protocol::tcp::kProtocolTypeCloudEvents);
  props.emplace(protocol::tcp::kPropertyProtocolVersion, ce.spec_version());
  cloudevents::AppendJsonEvent(ce, &package.body);
  return package;
}

absl::StatusOr<ReceivedEvent> ParseMessagePackage(const Package& package) {
  ReceivedEvent event;
  event.cmd = package.header.cmd;
  event.seq = package.header.seq.value_or("");
  auto type_it = package.header.properties.find(std::string(protocol::tcp::kPropertyProtocolType));
  event.protocol_type = type_it == package.header.properties.end()
                            ? std::string(protocol::tcp::kProtocolTypeEventMeshMessage)
                            : type_it->second;
  if (event.protocol_type == protocol::tcp::kProtocolTypeEventMeshMessage) {
    auto message = EventMeshMessage::FromJson(package.body);
    if (!message.ok()) return message.status();
    event.payload = std::move(*message);
  } else if (event.protocol_type == protocol::tcp::kProtocolTypeCloudEvents) {
    auto ce = cloudevents::ParseJsonEvent(package.body);
    if (!ce.ok()) return ce.status();
    event.payload = std::move(*ce);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported protocoltype \"", event.protocol_type, "\""));
  }
  return event;
}

std::optional<Command> AckCommandFor(Command push) {
  switch (push) {
    case Command::kAsyncMessageToClient:
      return Command::kAsyncMessageToClientAck;
    case Command::kBroadcastMessageToClient:
      return Command::kBroadcastMessageToClientAck;
    case Command::kRequestToClient:
      return Command::kRequestToClientAck;
    case Command::kResponseToClient:
      return Command::kResponseToClientAck;
    default:
      return std::nullopt;
  }
}

Package BuildControlPackage(Command cmd, std::string seq, std::string body) {
  Package package;
  package.header.cmd = cmd;
  package.header.code = 0;
  if (!seq.empty()) package.header.seq = std::move(seq);
  package.body = std::move(body);
  return package;
}

absl::Status StatusFromReply(const protocol::tcp::Header& header) {
  if (header.code == protocol::tcp::OpStatus::kSuccess) return absl::OkStatus();
  std::string desc = header.desc.empty() ? absl::StrCat(protocol::tcp::CommandName(header.cmd),
                                                        " failed with code ", header.code)
                                         : header.desc;
  if (header.code == protocol::tcp::OpStatus::kAclFail) return absl::PermissionDeniedError(desc);
  if (header.code == protocol::tcp::OpStatus::kTpsOverload ||
      absl::StartsWith(header.desc, "Tps overload")) {
    return absl::ResourceExhaustedError(desc);
  }
  if (header.cmd == protocol::tcp::Command::kResponseToClient &&
      absl::StartsWith(header.desc, "request timed out")) {
    return absl::DeadlineExceededError(desc);
  }
  return absl::InternalError(desc);
}

}  // namespace eventmesh::sdk
