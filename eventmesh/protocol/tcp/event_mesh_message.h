#ifndef EVENTMESH_PROTOCOL_TCP_EVENT_MESH_MESSAGE_H_
#define EVENTMESH_PROTOCOL_TCP_EVENT_MESH_MESSAGE_H_

// Message body for protocoltype "eventmeshmessage" (Java `EventMeshMessage`):
//   {"topic":"T","body":"payload","properties":{...},"headers":{...}}
// Map values that are numbers/booleans are read as their text. ToJson omits topic and
// body when empty and always writes both maps. A value type. Errors: InvalidArgument.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_EVENT_MESH_MESSAGE_H_
