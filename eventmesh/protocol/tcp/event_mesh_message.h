#ifndef EVENTMESH_PROTOCOL_TCP_EVENT_MESH_MESSAGE_H_
#define EVENTMESH_PROTOCOL_TCP_EVENT_MESH_MESSAGE_H_

// Message body for protocoltype "eventmeshmessage" (Java `EventMeshMessage`):
//   {"topic":"T","body":"payload","properties":{...},"headers":{...}}
// Map values that are numbers/booleans are read as their text. ToJson omits topic and
// body when empty and always writes both maps. A value type. Errors: InvalidArgument.

#include <map>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace eventmesh::protocol::tcp {

struct EventMeshMessage {
  std::string topic;
  std::string body;
  std::map<std::string, std::string> properties;  // Become CloudEvent extensions.
  std::map<std::string, std::string> headers;     // v1.9+; only datacontenttype is used.

  static absl::StatusOr<EventMeshMessage> FromJson(absl::string_view json);
  std::string ToJson() const;
  void AppendJson(std::string* out) const;

  bool operator==(const EventMeshMessage& o) const {
    return topic == o.topic && body == o.body && properties == o.properties && headers == o.headers;
  }
};

// An EventMeshMessage body read in place: views into the parse, valid only while the
// VisitEventMeshMessage call that produced it runs. What the runtime's publish path converts to a
// CloudEvent without building an EventMeshMessage (no map nodes, no string copies).
struct EventMeshMessageView {
  struct Field {
    absl::string_view name;
    absl::string_view text;
  };
  absl::string_view topic;  // empty when absent
  absl::string_view body;   // empty when absent
  // In document order; null values are left out. A name may repeat: the last one counts, as
  // in EventMeshMessage::FromJson.
  absl::InlinedVector<Field, 12> properties;
  absl::InlinedVector<Field, 4> headers;
  // Every string above is ASCII without control characters, quotes or backslashes (so valid
  // UTF-8 and JSON as it is): set by the compact reader, which reads nothing else. False when
  // unknown.
  bool plain_ascii = false;
};

// Appends what EventMeshMessage::AppendJson writes for a message with these fields, read from
// views instead of an EventMeshMessage (a client sending its own message type builds none):
// `properties` and `headers` in the order to write, which for the same bytes is the maps' order
// (by name, each name once).
void AppendEventMeshMessageJson(absl::string_view topic, absl::string_view body,
                                absl::Span<const EventMeshMessageView::Field> properties,
                                absl::Span<const EventMeshMessageView::Field> headers,
                                std::string* out);

// Parses `json` as EventMeshMessage::FromJson does (same leniency, same errors) and calls `visit`
// with the result; returns visit's status.
absl::Status VisitEventMeshMessage(
    absl::string_view json, absl::FunctionRef<absl::Status(const EventMeshMessageView&)> visit);

// The two readers behind VisitEventMeshMessage, exposed for tests. VisitSimpleEventMeshMessage
// reads the compact messages clients send (an object whose topic and body are strings or null,
// properties and headers objects of strings and nulls or null, other members strings or null;
// every string printable ASCII without escapes; no key of the four twice) straight from the
// text, and returns nullopt without calling `visit` for anything else, which the document
// reader then reads. Both give the same view for what the scanner accepts
// (event_mesh_message_test checks it).
namespace event_mesh_message_internal {
std::optional<absl::Status> VisitSimpleEventMeshMessage(
    absl::string_view json, absl::FunctionRef<absl::Status(const EventMeshMessageView&)> visit);
absl::Status VisitEventMeshMessageDocument(
    absl::string_view json, absl::FunctionRef<absl::Status(const EventMeshMessageView&)> visit);
}  // namespace event_mesh_message_internal

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_EVENT_MESH_MESSAGE_H_
