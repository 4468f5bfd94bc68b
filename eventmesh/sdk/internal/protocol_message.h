#ifndef EVENTMESH_SDK_INTERNAL_PROTOCOL_MESSAGE_H_
#define EVENTMESH_SDK_INTERNAL_PROTOCOL_MESSAGE_H_

// The SDK Message as the protocol's EventMeshMessage JSON body
// ({"topic","body","properties","headers"}), the form both the TCP protocol (message packages)
// and the HTTP protocol (the reply of a 101 request) use:
//   topic -> topic, content -> body, properties -> properties,
//   biz_seq_no / unique_id / tag / ttl_ms -> the properties "bizseqno" / "uniqueid" / "tag" /
//   "ttl" (only when set; they override a property of the same name),
//   content_type -> headers.datacontenttype.
// The Java TCP client sends this EventMeshMessage; the runtime turns its properties into
// CloudEvent extensions, the extensions the HTTP side produces for the same fields.
// Pure functions; thread-safe.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk {

// Message property / CloudEvent extension carrying a request-reply timeout in ms.
inline constexpr absl::string_view kTtlProperty = "ttl";
// Message properties carrying Message::biz_seq_no, unique_id and tag.
inline constexpr absl::string_view kBizSeqNoProperty = "bizseqno";
inline constexpr absl::string_view kUniqueIdProperty = "uniqueid";
inline constexpr absl::string_view kTagProperty = "tag";

// Message -> EventMeshMessage (the mapping above).
protocol::tcp::EventMeshMessage ToProtocolMessage(const Message& message);

// EventMeshMessage -> Message: keeps every property and fills biz_seq_no / unique_id / tag /
// ttl_ms from them (ttl_ms stays 0 when "ttl" is not a positive number).
Message FromProtocolMessage(protocol::tcp::EventMeshMessage message);

// Appends ToProtocolMessage(message)'s JSON (EventMeshMessage::AppendJson), written from
// `message` itself: what a client sends for every publish, without copying the message first.
void AppendProtocolMessageJson(const Message& message, std::string* out);

// FromProtocolMessage(EventMeshMessage::FromJson(json)) read straight into `*out` (replaced),
// without an EventMeshMessage in between: what a client does for every pushed event. Errors
// are FromJson's; `*out` is then unspecified.
absl::Status ParseProtocolMessage(absl::string_view json, Message* out);

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_INTERNAL_PROTOCOL_MESSAGE_H_
