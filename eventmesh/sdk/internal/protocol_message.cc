#include "eventmesh/sdk/internal/protocol_message.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::sdk {

namespace {

constexpr absl::string_view kDataContentTypeHeader = "datacontenttype";

const std::string* FindProperty(const std::map<std::string, std::string>& properties,
                                absl::string_view name) {
  auto it = properties.find(std::string(name));
  return it == properties.end() ? nullptr : &it->second;
}

}  // namespace

protocol::tcp::EventMeshMessage ToProtocolMessage(const Message& message) {
  protocol::tcp::EventMeshMessage out;
  out.topic = message.topic;
  out.body = message.content;
  out.properties = message.properties;
  if (!message.biz_seq_no.empty()) {
    out.properties[std::string(kBizSeqNoProperty)] = message.biz_seq_no;
  }
  if (!message.unique_id.empty()) {
    out.properties[std::string(kUniqueIdProperty)] = message.unique_id;
  }
  if (!message.tag.empty()) out.properties[std::string(kTagProperty)] = message.tag;
  if (message.ttl_ms > 0) {
    out.properties[std::string(kTtlProperty)] = absl::StrCat(message.ttl_ms);
  }
  if (!message.content_type.empty()) {
    out.headers[std::string(kDataContentTypeHeader)] = message.content_type;
  }
  return out;
}

Message FromProtocolMessage(protocol::tcp::EventMeshMessage message) {
  Message out;
  out.topic = std::move(message.topic);
  out.content = std::move(message.body);
  out.properties = std::move(message.properties);
  if (const auto* v = FindProperty(out.properties, kBizSeqNoProperty)) out.biz_seq_no = *v;
  if (const auto* v = FindProperty(out.properties, kUniqueIdProperty)) out.unique_id = *v;
  if (const auto* v = FindProperty(out.properties, kTagProperty)) out.tag = *v;
  if (const auto* v = FindProperty(out.properties, kTtlProperty)) {
    int64_t ttl = 0;
    if (absl::SimpleAtoi(*v, &ttl) && ttl > 0) out.ttl_ms = ttl;
  }
  if (const auto* v = FindProperty(message.headers, kDataContentTypeHeader)) {
    out.content_type = *v;
  }
  return out;
}

void AppendProtocolMessageJson(const Message& message, std::string* out) {
  using Field = protocol::tcp::EventMeshMessageView::Field;
  // The fields that travel as properties, in name order (bizseqno < tag < ttl < uniqueid):
  // merged into the message's properties, over any of the same name, as ToProtocolMessage does.
  char ttl_digits[absl::numbers_internal::kFastToBufferSize];
  absl::InlinedVector<Field, 4> fields;
  if (!message.biz_seq_no.empty()) fields.push_back({kBizSeqNoProperty, message.biz_seq_no});
  if (!message.tag.empty()) fields.push_back({kTagProperty, message.tag});
  if (message.ttl_ms > 0) {
    char* end = absl::numbers_internal::FastIntToBuffer(message.ttl_ms, ttl_digits);
    fields.push_back({kTtlProperty, absl::string_view(ttl_digits, end - ttl_digits)});
  }
  if (!message.unique_id.empty()) fields.push_back({kUniqueIdProperty, message.unique_id});
  absl::InlinedVector<Field, 16> properties;
  properties.reserve(message.properties.size() + fields.size());
  auto field = fields.begin();
  for (const auto& [name, value] : message.properties) {
    while (field != fields.end() && field->name < name) properties.push_back(*field++);
    if (field != fields.end() && field->name == name) {
      properties.push_back(*field++);
    } else {
      properties.push_back({name, value});
    }
  }
  properties.insert(properties.end(), field, fields.end());
  absl::InlinedVector<Field, 1> headers;
  if (!message.content_type.empty()) {
    headers.push_back({kDataContentTypeHeader, message.content_type});
  }
  protocol::tcp::AppendEventMeshMessageJson(message.topic, message.content, properties, headers,
                                            out);
}

absl::Status ParseProtocolMessage(absl::string_view json, Message* out) {
  return protocol::tcp::VisitEventMeshMessage(
      json, [out](const protocol::tcp::EventMeshMessageView& view) {
        out->topic.assign(view.topic.data(), view.topic.size());
        out->content.assign(view.body.data(), view.body.size());
        out->properties.clear();
        // The fields FromProtocolMessage reads from the properties: the last of a name counts,
        // as in the map.
        absl::string_view biz_seq_no, unique_id, tag, ttl;
        for (const auto& [name, text] : view.properties) {
          // Properties usually come in name order: then each goes to the map's end.
          out->properties.insert_or_assign(out->properties.end(), std::string(name),
                                           std::string(text));
          if (name == kBizSeqNoProperty) {
            biz_seq_no = text;
          } else if (name == kUniqueIdProperty) {
            unique_id = text;
          } else if (name == kTagProperty) {
            tag = text;
          } else if (name == kTtlProperty) {
            ttl = text;
          }
        }
        out->biz_seq_no.assign(biz_seq_no.data(), biz_seq_no.size());
        out->unique_id.assign(unique_id.data(), unique_id.size());
        out->tag.assign(tag.data(), tag.size());
        int64_t ttl_ms = 0;
        out->ttl_ms = absl::SimpleAtoi(ttl, &ttl_ms) && ttl_ms > 0 ? ttl_ms : 0;
        absl::string_view content_type;
        for (const auto& [name, text] : view.headers) {
          if (name == kDataContentTypeHeader) content_type = text;
        }
        out->content_type.assign(content_type.data(), content_type.size());
        return absl::OkStatus();
      });
}

}  // namespace eventmesh::sdk
