#include "eventmesh/protocol/tcp/event_mesh_message.h"

#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {

absl::StatusOr<EventMeshMessage> EventMeshMessage::FromJson(absl::string_view json) {
  constexpr absl::string_view kModel = "EventMeshMessage";
  rapidjson::Document doc;
  std::string scratch;
  if (absl::Status s = ParseLenient(json, kModel, &scratch, &doc); !s.ok()) return s;
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError("EventMeshMessage is not a JSON object");
  }
  EventMeshMessage m;
  if (auto v = StringMember(doc, "topic")) m.topic = std::move(*v);
  if (auto v = StringMember(doc, "body")) m.body = std::move(*v);
  if (absl::Status s = StringMapMember(doc, "properties", kModel, &m.properties); !s.ok()) {
    return s;
  }
  if (absl::Status s = StringMapMember(doc, "headers", kModel, &m.headers); !s.ok()) return s;
  return m;
}

void EventMeshMessage::AppendJson(std::string* out) const {
  StringAppendStream stream(out);
  AppendWriter w(stream);
  w.StartObject();
  if (!topic.empty()) {
    WriteKey(w, "topic");
    WriteString(w, topic);
  }
  if (!body.empty()) {
    WriteKey(w, "body");
    WriteString(w, body);
  }
  WriteKey(w, "properties");
  WriteStringMap(w, properties);
  WriteKey(w, "headers");
  WriteStringMap(w, headers);
  w.EndObject();
}

std::string EventMeshMessage::ToJson() const {
  std::string out;
  out.reserve(64 + topic.size() + body.size() + 32 * (properties.size() + headers.size()));
  AppendJson(&out);
  return out;
}

}  // namespace eventmesh::protocol::tcp
