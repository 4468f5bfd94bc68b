#ifndef EVENTMESH_SDK_MESSAGES_H_
#define EVENTMESH_SDK_MESSAGES_H_

// The SDK's view of EventMesh TCP message packages: building what a client sends
// (publish, broadcast, request, reply, acks, control commands) and decoding what the
// runtime pushes (ASYNC_MESSAGE_TO_CLIENT, BROADCAST_MESSAGE_TO_CLIENT, REQUEST_TO_CLIENT,
// RESPONSE_TO_CLIENT). Matches the Java SDK's MessageUtils on the wire:
//   - message packages carry the header properties protocoltype ("eventmeshmessage" or
//     "cloudevents"), protocolversion ("1.0", or the CloudEvent's specversion) and
//     protocoldesc ("tcp");
//   - an EventMeshMessage travels as its JSON, a CloudEvent as structured-mode JSON
//     (application/cloudevents+json); the topic of a CloudEvent is its subject;
//   - acks echo the push's seq (the body is not echoed: runtimes read only the seq).
// Pure functions; thread-safe. Errors: InvalidArgument with the reason.

#include <optional>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/tcp/command.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package.h"

namespace eventmesh::sdk {

using cloudevents::CloudEvent;
using protocol::tcp::EventMeshMessage;

// An event a client sends: an EventMeshMessage (protocoltype eventmeshmessage) or a
// CloudEvent (protocoltype cloudevents).
using OutboundEvent = std::variant<EventMeshMessage, CloudEvent>;

inline constexpr absl::string_view kProtocolDescTcp = "tcp";
inline constexpr absl::string_view kProtocolVersion = "1.0";
// Message property / CloudEvent extension carrying a request-reply timeout in ms.
inline constexpr absl::string_view kTtlProperty = "ttl";

// An event received from the runtime (a push or a request-reply response).
struct ReceivedEvent {
  protocol::tcp::Command cmd = protocol::tcp::Command::kAsyncMessageToClient;
  std::string seq;            // The runtime's seq; acks echo it.
  std::string protocol_type;  // "eventmeshmessage" or "cloudevents".
  std::variant<EventMeshMessage, CloudEvent> payload;

  // The topic: the message's topic or the CloudEvent's subject.
  std::string topic() const;
  // The payload bytes: the message body or the CloudEvent's data.
  const std::string& data() const;
  // The named message property or CloudEvent extension; nullptr when absent.
  const std::string* property(absl::string_view name) const;
  const EventMeshMessage* message() const { return std::get_if<EventMeshMessage>(&payload); }
  const CloudEvent* cloud_event() const { return std::get_if<CloudEvent>(&payload); }
};

// The topic of an outbound event (message topic or CloudEvent subject; empty if none).
std::string OutboundTopic(const OutboundEvent& event);

// A message package (cmd is ASYNC_MESSAGE_TO_SERVER, BROADCAST_MESSAGE_TO_SERVER,
// REQUEST_TO_SERVER or RESPONSE_TO_SERVER). Errors: "EventMeshMessage topic is required",
// "CloudEvent subject (the topic) is required", the CloudEvent's Validate() error.
absl::StatusOr<protocol::tcp::Package> BuildMessagePackage(protocol::tcp::Command cmd,
                                                           std::string seq,
                                                           const OutboundEvent& event);

// Decodes a message package from the runtime. The protocoltype header property selects
// the body format (absent = eventmeshmessage). Errors: "unsupported protocoltype \"X\"",
// the body parser's error.
absl::StatusOr<ReceivedEvent> ParseMessagePackage(const protocol::tcp::Package& package);

// The acknowledgement a client sends for a pushed command: ASYNC_MESSAGE_TO_CLIENT ->
// ASYNC_MESSAGE_TO_CLIENT_ACK, BROADCAST_MESSAGE_TO_CLIENT -> ..._ACK, REQUEST_TO_CLIENT ->
// REQUEST_TO_CLIENT_ACK, RESPONSE_TO_CLIENT -> RESPONSE_TO_CLIENT_ACK; nullopt otherwise.
std::optional<protocol::tcp::Command> AckCommandFor(protocol::tcp::Command push);

// A package with `cmd`, `seq` (omitted when empty), code 0 and an optional body.
protocol::tcp::Package BuildControlPackage(protocol::tcp::Command cmd, std::string seq,
                                           std::string body = "");

// The result carried by a reply header: OK for code 0; otherwise the runtime's desc
// (or "<CMD> failed with code N" when it sent none) as PermissionDenied for code 2 (ACL),
// ResourceExhausted for code 3 and for code 1 with a "Tps overload" desc (flow control),
// DeadlineExceeded for a RESPONSE_TO_CLIENT saying the request timed out (no responder
// answered within the ttl), Internal for any other code.
absl::Status StatusFromReply(const protocol::tcp::Header& header);

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_MESSAGES_H_
