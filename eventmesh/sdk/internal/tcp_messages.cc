#include "eventmesh/sdk/internal/tcp_messages.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/header.h"

namespace eventmesh::sdk {

using protocol::tcp::Command;
using protocol::tcp::Package;

Command PushCommandOf(EventKind kind) {
  switch (kind) {
    case EventKind::kAsync:
      return Command::kAsyncMessageToClient;
    case EventKind::kBroadcast:
      return Command::kBroadcastMessageToClient;
    case EventKind::kRequest:
      return Command::kRequestToClient;
    case EventKind::kResponse:
      return Command::kResponseToClient;
  }
  return Command::kAsyncMessageToClient;
}

std::optional<EventKind> EventKindOf(Command cmd) {
  switch (cmd) {
    case Command::kAsyncMessageToClient:
      return EventKind::kAsync;
    case Command::kBroadcastMessageToClient:
      return EventKind::kBroadcast;
    case Command::kRequestToClient:
      return EventKind::kRequest;
    case Command::kResponseToClient:
      return EventKind::kResponse;
    default:
      return std::nullopt;
  }
}

protocol::tcp::SubscriptionItem ToProtocolSubscription(const SubscriptionItem& item) {
  protocol::tcp::SubscriptionItem out;
  out.topic = item.topic;
  out.mode = item.mode == SubscriptionMode::kBroadcasting
                 ? protocol::tcp::SubscriptionMode::kBroadcasting
                 : protocol::tcp::SubscriptionMode::kClustering;
  out.type = item.type == SubscriptionType::kSync ? protocol::tcp::SubscriptionType::kSync
                                                  : protocol::tcp::SubscriptionType::kAsync;
  return out;
}

protocol::tcp::UserAgent ToUserAgent(const TcpClientOptions& options) {
  protocol::tcp::UserAgent agent;
  agent.env = options.env;
  agent.subsystem = options.subsystem;
  agent.path = options.path;
  agent.pid = options.pid != 0 ? options.pid : static_cast<int>(getpid());
  agent.host = options.host;
  agent.port = options.port;
  agent.version = options.version;
  agent.username = options.username;
  agent.password = options.password;
  agent.token = options.token;
  agent.idc = options.idc;
  agent.group = options.group;
  agent.purpose =
      std::string(options.purpose == ClientPurpose::kPublish ? protocol::tcp::kPurposePub
                                                             : protocol::tcp::kPurposeSub);
  agent.unack = options.unack;
  return agent;
}

absl::StatusOr<Package> BuildMessagePackage(Command cmd, std::string seq, const Event& event) {
  Package package;
  package.header.cmd = cmd;
  package.header.code = 0;
  package.header.seq = std::move(seq);
  auto& props = package.header.properties;
  props.emplace(protocol::tcp::kPropertyProtocolDesc, kProtocolDescTcp);
  if (const auto* m = std::get_if<Message>(&event)) {
    if (m->topic.empty()) return absl::InvalidArgumentError("EventMeshMessage topic is required");
    props.emplace(protocol::tcp::kPropertyProtocolType,
                  protocol::tcp::kProtocolTypeEventMeshMessage);
    props.emplace(protocol::tcp::kPropertyProtocolVersion, kProtocolVersion);
    ToProtocolMessage(*m).AppendJson(&package.body);
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
  event.kind = EventKindOf(package.header.cmd).value_or(EventKind::kAsync);
  event.transport = Transport::kTcp;
  event.seq = package.header.seq.value_or("");
  auto type_it = package.header.properties.find(std::string(protocol::tcp::kPropertyProtocolType));
  event.protocol_type = type_it == package.header.properties.end()
                            ? std::string(protocol::tcp::kProtocolTypeEventMeshMessage)
                            : type_it->second;
  if (event.protocol_type == protocol::tcp::kProtocolTypeEventMeshMessage) {
    auto message = protocol::tcp::EventMeshMessage::FromJson(package.body);
    if (!message.ok()) return message.status();
    event.payload = FromProtocolMessage(*std::move(message));
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
