#ifndef EVENTMESH_PROTOCOL_TCP_COMMAND_H_
#define EVENTMESH_PROTOCOL_TCP_COMMAND_H_

// The 37 commands of the EventMesh TCP protocol (Java enum `Command`).
//
// Enumerator values equal the Java ordinals, which are stable since v1.0.0; on the wire
// the header carries the enum *name* ("HELLO_REQUEST"). All functions are pure and
// thread-safe.

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace eventmesh::protocol::tcp {

enum class Command : uint8_t {
  kHeartbeatRequest = 0,
  kHeartbeatResponse = 1,
  kHelloRequest = 2,
  kHelloResponse = 3,
  kClientGoodbyeRequest = 4,
  kClientGoodbyeResponse = 5,
  kServerGoodbyeRequest = 6,
  kServerGoodbyeResponse = 7,
  kSubscribeRequest = 8,
  kSubscribeResponse = 9,
  kUnsubscribeRequest = 10,
  kUnsubscribeResponse = 11,
  kListenRequest = 12,
  kListenResponse = 13,
  kRequestToServer = 14,
  kRequestToClient = 15,
  kRequestToClientAck = 16,
  kResponseToServer = 17,
  kResponseToClient = 18,
  kResponseToClientAck = 19,
  kAsyncMessageToServer = 20,
  kAsyncMessageToServerAck = 21,
  kAsyncMessageToClient = 22,
  kAsyncMessageToClientAck = 23,
  kBroadcastMessageToServer = 24,
  kBroadcastMessageToServerAck = 25,
  kBroadcastMessageToClient = 26,
  kBroadcastMessageToClientAck = 27,
  kSysLogToLogServer = 28,
  kTraceLogToLogServer = 29,
  kRedirectToClient = 30,
  kRegisterRequest = 31,
  kRegisterResponse = 32,
  kUnregisterRequest = 33,
  kUnregisterResponse = 34,
  kRecommendRequest = 35,
  kRecommendResponse = 36,
};

inline constexpr int kCommandCount = 37;

// Who sends a command (reference table 1.3). kUnused: defined but never sent.
enum class Direction { kClientToServer, kServerToClient, kUnused };

// The wire name, e.g. "HELLO_REQUEST". Never empty for a valid enumerator.
absl::string_view CommandName(Command cmd);

// Accepts a wire name ("HELLO_REQUEST", exact case) or a decimal ordinal ("2"), as
// Jackson does for enums. nullopt for anything else (including ordinals >= 37).
std::optional<Command> ParseCommand(absl::string_view text);

// The command from an ordinal; nullopt when out of range.
std::optional<Command> CommandFromOrdinal(int64_t ordinal);

// The command the runtime answers with on the generic error path: a request's response
// (HELLO_REQUEST -> HELLO_RESPONSE, ASYNC_MESSAGE_TO_SERVER -> ASYNC_MESSAGE_TO_SERVER_ACK,
// REQUEST_TO_SERVER -> RESPONSE_TO_CLIENT, ...); any other command maps to itself.
Command ReplyCommand(Command cmd);

// True for the commands that come in runs, one after another at the publishing or consuming
// rate: from a client publishes, requests, responses and acknowledgements of deliveries; from a
// runtime pushes, responses and acknowledgements of publishes (not the handshake,
// subscriptions or heartbeats). Readers keep state across those (HeaderReader).
bool ComesInRuns(Command cmd);

Direction CommandDirection(Command cmd);
inline bool IsClientToServer(Command cmd) {
  return CommandDirection(cmd) == Direction::kClientToServer;
}

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_COMMAND_H_
