#include "eventmesh/protocol/tcp/event_mesh_message.h"

#include <list>
#include <optional>
#include <string>

#include "eventmesh/protocol/tcp/compact_json_scanner.h"
#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {

namespace {

// The text of a scalar member, a view into the document when it is a string; other values are
// written into `scratch` (stable addresses; nothing allocated while unused) first. Null: nullopt.
std::optional<absl::string_view> ScalarView(const rapidjson::Value& v,
                                            std::list<std::string>* scratch) {
  if (v.IsString()) return View(v);
  std::optional<std::string> text = ScalarText(v);
  if (!text.has_value()) return std::nullopt;
  scratch->push_back(std::move(*text));
  return absl::string_view(scratch->back());
}

template <typename Fields>
absl::Status FieldsMember(const rapidjson::Value& obj, const char* key, absl::string_view model,
                          std::list<std::string>* scratch, Fields* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  if (!it->value.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(model, " field ", key, " is not an object"));
  }
  for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
    if (std::optional<absl::string_view> text = ScalarView(m->value, scratch)) {
      out->push_back({View(m->name), *text});
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace event_mesh_message_internal {

std::optional<absl::Status> VisitSimpleEventMeshMessage(
    absl::string_view json, absl::FunctionRef<absl::Status(const EventMeshMessageView&)> visit) {
  CompactJsonScanner in(json);
  EventMeshMessageView m;
  m.plain_ascii = true;  // the scanner takes no other string
  if (!in.Take('{')) return std::nullopt;
  if (!in.Take('}')) {
    unsigned seen = 0;
    do {
      // The message's own keys, written plainly, are matched where they stand (closing quote
      // included); any other key is read as a string.
      if (!in.Take('"')) return std::nullopt;
      unsigned bit = 0;
      if (in.Literal("topic\"")) {
        bit = 1;
      } else if (in.Literal("body\"")) {
        bit = 2;
      } else if (in.Literal("properties\"")) {
        bit = 4;
      } else if (in.Literal("headers\"")) {
        bit = 8;
      } else {
        absl::string_view key;
        if (!in.StringRest(&key)) return std::nullopt;
      }
      if ((seen & bit) != 0 || !in.Take(':')) return std::nullopt;
      std::optional<absl::string_view> text;
      bool ok;
      switch (bit) {
        case 1:
          ok = in.Text(&text);
          m.topic = text.value_or(absl::string_view());
          break;
        case 2:
          ok = in.Text(&text);
          m.body = text.value_or(absl::string_view());
          break;
        case 4:
          ok = in.Fields([&m](absl::string_view name, absl::string_view text) {
            m.properties.push_back({name, text});
          });
          break;
        case 8:
          ok = in.Fields([&m](absl::string_view name, absl::string_view text) {
            m.headers.push_back({name, text});
          });
          break;
        default:
          ok = in.Text(&text);  // a member the message does not have: ignored
          break;
      }
      if (!ok) return std::nullopt;
      seen |= bit;
    } while (in.Take(','));
    if (!in.Take('}')) return std::nullopt;
  }
  if (!in.AtEnd()) return std::nullopt;
  return visit(m);
}

absl::Status VisitEventMeshMessageDocument(
    absl::string_view json, absl::FunctionRef<absl::Status(const EventMeshMessageView&)> visit) {
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
  std::list<std::string> scratch;  // texts of non-string scalars
  EventMeshMessageView m;
  if (auto it = doc.FindMember("topic"); it != doc.MemberEnd()) {
    m.topic = ScalarView(it->value, &scratch).value_or(absl::string_view());
  }
  if (auto it = doc.FindMember("body"); it != doc.MemberEnd()) {
    m.body = ScalarView(it->value, &scratch).value_or(absl::string_view());
  }
  if (absl::Status s = FieldsMember(doc, "properties", kModel, &scratch, &m.properties); !s.ok()) {
    return s;
  }
  if (absl::Status s = FieldsMember(doc, "headers", kModel, &scratch, &m.headers); !s.ok()) {
    return s;
  }
  return visit(m);
}

}  // namespace event_mesh_message_internal

absl::Status VisitEventMeshMessage(
    absl::string_view json, absl::FunctionRef<absl::Status(const EventMeshMessageView&)> visit) {
  // The compact messages clients send are read straight from the text; the rest (escapes,
  // non-ASCII text, numbers, nesting, malformed JSON) by the document reader.
  if (std::optional<absl::Status> simple =
          event_mesh_message_internal::VisitSimpleEventMeshMessage(json, visit)) {
    return *std::move(simple);
  }
  return event_mesh_message_internal::VisitEventMeshMessageDocument(json, visit);
}

absl::StatusOr<EventMeshMessage> EventMeshMessage::FromJson(absl::string_view json) {
  EventMeshMessage m;
  absl::Status s = VisitEventMeshMessage(json, [&m](const EventMeshMessageView& view) {
    m.topic = std::string(view.topic);
    m.body = std::string(view.body);
    for (const auto& [name, text] : view.properties) {
      m.properties.insert_or_assign(std::string(name), std::string(text));
    }
    for (const auto& [name, text] : view.headers) {
      m.headers.insert_or_assign(std::string(name), std::string(text));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return m;
}

void EventMeshMessage::AppendJson(std::string* out) const {
  const auto fields = [](const std::map<std::string, std::string>& map) {
    absl::InlinedVector<EventMeshMessageView::Field, 12> out;
    out.reserve(map.size());
    for (const auto& [name, text] : map) out.push_back({name, text});
    return out;
  };
  AppendEventMeshMessageJson(topic, body, fields(properties), fields(headers), out);
}

void AppendEventMeshMessageJson(absl::string_view topic, absl::string_view body,
                                absl::Span<const EventMeshMessageView::Field> properties,
                                absl::Span<const EventMeshMessageView::Field> headers,
                                std::string* out) {
  DirectJsonWriter w(out);
  w.StartObject();
  if (!topic.empty()) {
    w.Key("topic");
    w.String(topic);
  }
  if (!body.empty()) {
    w.Key("body");
    w.String(body);
  }
  for (const auto& [key, fields] : {std::make_pair(absl::string_view("properties"), properties),
                                    std::make_pair(absl::string_view("headers"), headers)}) {
    w.PlainKey(key);
    w.StartObject();
    for (const EventMeshMessageView::Field& field : fields) {
      w.Key(field.name);
      w.String(field.text);
    }
    w.EndObject();
  }
  w.EndObject();
}

std::string EventMeshMessage::ToJson() const {
  std::string out;
  out.reserve(64 + topic.size() + body.size() + 32 * (properties.size() + headers.size()));
  AppendJson(&out);
  return out;
}

}  // namespace eventmesh::protocol::tcp
