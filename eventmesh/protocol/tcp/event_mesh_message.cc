#include "eventmesh/protocol/tcp/event_mesh_message.h"

#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {

absl::StatusOr<EventMeshMessage> EventMeshMessage::FromJson(absl::string_view json) {
  constexpr absl::string_view kModel = "EventMeshMessage";
  // Typical messages (a few hundred bytes) are parsed without touching the heap: the text and
  // the document live in stack buffers, larger ones spill to the heap.
  char value_buffer[4096];
  char parse_buffer[1024];
  char reader_buffer[512];
  char text_buffer[4096];
  std::string heap_text;
  rapidjson::MemoryPoolAllocator<> value_allocator(value_buffer, sizeof(value_buffer));
  rapidjson::MemoryPoolAllocator<> parse_allocator(parse_buffer, sizeof(parse_buffer));
  rapidjson::MemoryPoolAllocator<> reader_allocator(reader_buffer, sizeof(reader_buffer));
  rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                             rapidjson::MemoryPoolAllocator<>>
      doc(&value_allocator, sizeof(parse_buffer), &parse_allocator);
  absl::Status parsed = json.size() + kJsonScratchPadding <= sizeof(text_buffer)
                            ? ParseLenientInto(json, kModel, text_buffer, &doc, &reader_allocator)
                            : ParseLenient(json, kModel, &heap_text, &doc);
  if (!parsed.ok()) return parsed;
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
