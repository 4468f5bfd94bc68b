#include "eventmesh/protocol/tcp/command.h"

#include <cstdint>
#include <optional>

#include "absl/strings/numbers.h"

namespace eventmesh::protocol::tcp {
namespace {

constexpr absl::string_view kNames[kCommandCount] = {
    "HEARTBEAT_REQUEST",
    "HEARTBEAT_RESPONSE",
    "HELLO_REQUEST",
    "HELLO_RESPONSE",
    "CLIENT_GOODBYE_REQUEST",
    "CLIENT_GOODBYE_RESPONSE",
    "SERVER_GOODBYE_REQUEST",
    "SERVER_GOODBYE_RESPONSE",
    "SUBSCRIBE_REQUEST",
    "SUBSCRIBE_RESPONSE",
    "UNSUBSCRIBE_REQUEST",
    "UNSUBSCRIBE_RESPONSE",
    "LISTEN_REQUEST",
    "LISTEN_RESPONSE",
    "REQUEST_TO_SERVER",
    "REQUEST_TO_CLIENT",
    "REQUEST_TO_CLIENT_ACK",
    "RESPONSE_TO_SERVER",
    "RESPONSE_TO_CLIENT",
    "RESPONSE_TO_CLIENT_ACK",
    "ASYNC_MESSAGE_TO_SERVER",
    "ASYNC_MESSAGE_TO_SERVER_ACK",
    "ASYNC_MESSAGE_TO_CLIENT",
    "ASYNC_MESSAGE_TO_CLIENT_ACK",
    "BROADCAST_MESSAGE_TO_SERVER",
    "BROADCAST_MESSAGE_TO_SERVER_ACK",
    "BROADCAST_MESSAGE_TO_CLIENT",
    "BROADCAST_MESSAGE_TO_CLIENT_ACK",
    "SYS_LOG_TO_LOGSERVER",
    "TRACE_LOG_TO_LOGSERVER",
    "REDIRECT_TO_CLIENT",
    "REGISTER_REQUEST",
    "REGISTER_RESPONSE",
    "UNREGISTER_REQUEST",
    "UNREGISTER_RESPONSE",
    "RECOMMEND_REQUEST",
    "RECOMMEND_RESPONSE",
};

// Name -> command for ParseCommand: an open-addressing table keyed by a hash of the length and
// three characters (every frame's header names its command, so the lookup is a handful of
// instructions instead of a general string hash). Built once; read-only afterwards.
class NameIndex {
 public:
  static const NameIndex& Get() {
    static const NameIndex* const index = new NameIndex();
    return *index;
  }

  std::optional<Command> Find(absl::string_view name) const {
    if (name.empty()) return std::nullopt;
    for (size_t slot = Slot(name);; slot = (slot + 1) % kSlots) {
      const int8_t i = slots_[slot];
      if (i < 0) return std::nullopt;
      if (kNames[i] == name) return static_cast<Command>(i);
    }
  }

 private:
  static constexpr size_t kSlots = 128;  // more than 3 times the number of names: short probes
  static_assert(kCommandCount < kSlots / 2, "the table needs empty slots to end every probe");

  NameIndex() {
    for (auto& slot : slots_) slot = -1;
    for (int i = 0; i < kCommandCount; ++i) {
      size_t slot = Slot(kNames[i]);
      while (slots_[slot] >= 0) slot = (slot + 1) % kSlots;
      slots_[slot] = static_cast<int8_t>(i);
    }
  }

  // `name` is not empty.
  static size_t Slot(absl::string_view name) {
    const auto at = [&](size_t i) {
      return static_cast<size_t>(static_cast<unsigned char>(name[i]));
    };
    const size_t n = name.size();
    return (n * 131 + at(n / 2) * 31 + at(n - 1) * 7 + at(n - 5 < n ? n - 5 : 0)) % kSlots;
  }

  int8_t slots_[kSlots];
};

}  // namespace

absl::string_view CommandName(Command cmd) {
  const auto i = static_cast<int>(cmd);
  return i < kCommandCount ? kNames[i] : absl::string_view();
}

std::optional<Command> CommandFromOrdinal(int64_t ordinal) {
  if (ordinal < 0 || ordinal >= kCommandCount) return std::nullopt;
  return static_cast<Command>(ordinal);
}

std::optional<Command> ParseCommand(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text[0] >= '0' && text[0] <= '9') {
    int64_t ordinal;
    if (!absl::SimpleAtoi(text, &ordinal)) return std::nullopt;
    return CommandFromOrdinal(ordinal);
  }
  return NameIndex::Get().Find(text);
}

Command ReplyCommand(Command cmd) {
  switch (cmd) {
    case Command::kHeartbeatRequest:
      return Command::kHeartbeatResponse;
    case Command::kHelloRequest:
      return Command::kHelloResponse;
    case Command::kClientGoodbyeRequest:
      return Command::kClientGoodbyeResponse;
    case Command::kSubscribeRequest:
      return Command::kSubscribeResponse;
    case Command::kUnsubscribeRequest:
      return Command::kUnsubscribeResponse;
    case Command::kListenRequest:
      return Command::kListenResponse;
    case Command::kRequestToServer:
      return Command::kResponseToClient;
    case Command::kAsyncMessageToServer:
      return Command::kAsyncMessageToServerAck;
    case Command::kBroadcastMessageToServer:
      return Command::kBroadcastMessageToServerAck;
    case Command::kRecommendRequest:
      return Command::kRecommendResponse;
    default:
      return cmd;
  }
}

Direction CommandDirection(Command cmd) {
  switch (cmd) {
    case Command::kHeartbeatRequest:
    case Command::kHelloRequest:
    case Command::kClientGoodbyeRequest:
    case Command::kServerGoodbyeResponse:
    case Command::kSubscribeRequest:
    case Command::kUnsubscribeRequest:
    case Command::kListenRequest:
    case Command::kRequestToServer:
    case Command::kRequestToClientAck:
    case Command::kResponseToServer:
    case Command::kResponseToClientAck:
    case Command::kAsyncMessageToServer:
    case Command::kAsyncMessageToClientAck:
    case Command::kBroadcastMessageToServer:
    case Command::kBroadcastMessageToClientAck:
    case Command::kRecommendRequest:
      return Direction::kClientToServer;
    case Command::kHeartbeatResponse:
    case Command::kHelloResponse:
    case Command::kClientGoodbyeResponse:
    case Command::kServerGoodbyeRequest:
    case Command::kSubscribeResponse:
    case Command::kUnsubscribeResponse:
    case Command::kListenResponse:
    case Command::kRequestToClient:
    case Command::kResponseToClient:
    case Command::kAsyncMessageToServerAck:
    case Command::kAsyncMessageToClient:
    case Command::kBroadcastMessageToServerAck:
    case Command::kBroadcastMessageToClient:
    case Command::kRedirectToClient:
    case Command::kRecommendResponse:
      return Direction::kServerToClient;
    default:
      return Direction::kUnused;
  }
}

bool ComesInRuns(Command cmd) {
  switch (cmd) {
    // What a client sends in runs ...
    case Command::kAsyncMessageToServer:
    case Command::kBroadcastMessageToServer:
    case Command::kRequestToServer:
    case Command::kResponseToServer:
    case Command::kAsyncMessageToClientAck:
    case Command::kBroadcastMessageToClientAck:
    case Command::kRequestToClientAck:
    // ... and a runtime sends to a client.
    case Command::kAsyncMessageToClient:
    case Command::kBroadcastMessageToClient:
    case Command::kRequestToClient:
    case Command::kResponseToClient:
    case Command::kAsyncMessageToServerAck:
    case Command::kBroadcastMessageToServerAck:
      return true;
    default:
      return false;
  }
}

}  // namespace eventmesh::protocol::tcp
