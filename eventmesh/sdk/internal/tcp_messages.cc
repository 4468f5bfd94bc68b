#include "eventmesh/sdk/internal/tcp_messages.h"

#include <unistd.h>

#include <array>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/package_codec.h"

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

namespace {

// The header of a message package with the properties of a Message (BuildMessagePackage's),
// split around its seq's text: written once per command with Header::AppendJson.
struct MessageHeader {
  std::string head;  // up to and including the seq's opening quote
  std::string tail;  // from its closing quote
};

const MessageHeader* MessageHeaderOf(Command cmd) {
  constexpr Command kCommands[] = {Command::kAsyncMessageToServer,
                                   Command::kBroadcastMessageToServer, Command::kRequestToServer,
                                   Command::kResponseToServer};
  constexpr size_t kCount = sizeof(kCommands) / sizeof(kCommands[0]);
  static const std::array<MessageHeader, kCount>* const headers = [&] {
    auto* all = new std::array<MessageHeader, kCount>();
    constexpr absl::string_view kMark = "SEQ";
    for (size_t i = 0; i < kCount; ++i) {
      Package package = BuildControlPackage(kCommands[i], std::string(kMark));
      package.header.properties.emplace(protocol::tcp::kPropertyProtocolDesc, kProtocolDescTcp);
      package.header.properties.emplace(protocol::tcp::kPropertyProtocolType,
                                        protocol::tcp::kProtocolTypeEventMeshMessage);
      package.header.properties.emplace(protocol::tcp::kPropertyProtocolVersion, kProtocolVersion);
      const std::string json = package.header.ToJson();
      const size_t at = json.find("\"SEQ\"");
      (*all)[i].head = json.substr(0, at + 1);
      (*all)[i].tail = json.substr(at + 1 + kMark.size());
    }
    return all;
  }();
  for (size_t i = 0; i < kCount; ++i) {
    if (kCommands[i] == cmd) return &(*headers)[i];
  }
  return nullptr;
}

// A seq JSON carries as it is (the client's own seqs are numbers).
bool PlainSeq(absl::string_view seq) {
  for (char c : seq) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::Status AppendMessageFrame(Command cmd, absl::string_view seq, const Event& event,
                                std::string* out) {
  const Message* message = std::get_if<Message>(&event);
  const MessageHeader* header = message != nullptr ? MessageHeaderOf(cmd) : nullptr;
  if (header == nullptr || !PlainSeq(seq)) {
    auto package = BuildMessagePackage(cmd, std::string(seq), event);
    if (!package.ok()) return package.status();
    return protocol::tcp::EncodePackage(*package, protocol::tcp::LengthConvention::kCurrent, out);
  }
  if (message->topic.empty()) {
    return absl::InvalidArgumentError("EventMeshMessage topic is required");
  }
  return protocol::tcp::EncodeFrame(
      {header->head, seq, header->tail},
      [message](std::string* body) { AppendProtocolMessageJson(*message, body); },
      protocol::tcp::LengthConvention::kCurrent, out);
}

absl::StatusOr<ReceivedEvent> ParseMessagePackage(const Package& package) {
  return ParseMessagePackage(package.header, package.body);
}

absl::StatusOr<ReceivedEvent> ParseMessagePackage(const protocol::tcp::Header& header,
                                                  absl::string_view body) {
  ReceivedEvent event;
  event.kind = EventKindOf(header.cmd).value_or(EventKind::kAsync);
  event.transport = Transport::kTcp;
  if (header.seq.has_value()) event.seq = *header.seq;
  auto type_it = header.properties.find(protocol::tcp::kPropertyProtocolType);
  const absl::string_view protocol_type = type_it == header.properties.end()
                                              ? protocol::tcp::kProtocolTypeEventMeshMessage
                                              : absl::string_view(type_it->second);
  event.protocol_type = std::string(protocol_type);
  if (protocol_type == protocol::tcp::kProtocolTypeEventMeshMessage) {
    absl::Status parsed = ParseProtocolMessage(body, &event.payload.emplace<Message>());
    if (!parsed.ok()) return parsed;
  } else if (protocol_type == protocol::tcp::kProtocolTypeCloudEvents) {
    auto ce = cloudevents::ParseJsonEvent(body);
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
