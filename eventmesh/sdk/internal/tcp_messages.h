#ifndef EVENTMESH_SDK_INTERNAL_TCP_MESSAGES_H_
#define EVENTMESH_SDK_INTERNAL_TCP_MESSAGES_H_

// The SDK's view of EventMesh TCP message packages: converting the SDK model (Message,
// CloudEvent, ReceivedEvent, SubscriptionItem, TcpClientOptions) to and from the protocol
// types, building what a client sends
// (publish, broadcast, request, reply, acks, control commands) and decoding what the
// runtime pushes (ASYNC_MESSAGE_TO_CLIENT, BROADCAST_MESSAGE_TO_CLIENT, REQUEST_TO_CLIENT,
// RESPONSE_TO_CLIENT). Matches the Java SDK's MessageUtils on the wire:
//   - message packages carry the header properties protocoltype ("eventmeshmessage" or
//     "cloudevents"), protocolversion ("1.0", or the CloudEvent's specversion) and
//     protocoldesc ("tcp");
//   - a Message travels as EventMeshMessage JSON (ToProtocolMessage, protocol_message.h),
//     a CloudEvent as structured-mode JSON
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
#include "eventmesh/protocol/tcp/subscription.h"
#include "eventmesh/protocol/tcp/user_agent.h"
#include "eventmesh/sdk/internal/protocol_message.h"
#include "eventmesh/sdk/internal/tcp_client_options.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk {

inline constexpr absl::string_view kProtocolDescTcp = "tcp";
inline constexpr absl::string_view kProtocolVersion = "1.0";
// The push command of a received event kind and back (commands that are no push: nullopt).
protocol::tcp::Command PushCommandOf(EventKind kind);
std::optional<EventKind> EventKindOf(protocol::tcp::Command cmd);

protocol::tcp::SubscriptionItem ToProtocolSubscription(const SubscriptionItem& item);

// The HELLO body the options describe.
protocol::tcp::UserAgent ToUserAgent(const TcpClientOptions& options);

// A message package (cmd is ASYNC_MESSAGE_TO_SERVER, BROADCAST_MESSAGE_TO_SERVER,
// REQUEST_TO_SERVER or RESPONSE_TO_SERVER). Errors: "EventMeshMessage topic is required",
// "CloudEvent subject (the topic) is required", the CloudEvent's Validate() error.
absl::StatusOr<protocol::tcp::Package> BuildMessagePackage(protocol::tcp::Command cmd,
                                                           std::string seq, const Event& event);

// Appends the frame EncodePackage(BuildMessagePackage(cmd, seq, event), kCurrent) writes, with
// the same errors, without building the package: the EventMeshMessage JSON is written from the
// Message itself (what the client sends for every publish). `out` is left as it was on error.
absl::Status AppendMessageFrame(protocol::tcp::Command cmd, absl::string_view seq,
                                const Event& event, std::string* out);

// Decodes a message package from the runtime. The protocoltype header property selects
// the body format (absent = eventmeshmessage); the command gives the kind (commands that are
// no push read as kAsync). Errors: "unsupported protocoltype \"X\"",
// the body parser's error.
absl::StatusOr<ReceivedEvent> ParseMessagePackage(const protocol::tcp::Package& package);
// The same for a header and a body read where they lie (a frame decoded in place).
absl::StatusOr<ReceivedEvent> ParseMessagePackage(const protocol::tcp::Header& header,
                                                  absl::string_view body);

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

#endif  // EVENTMESH_SDK_INTERNAL_TCP_MESSAGES_H_
