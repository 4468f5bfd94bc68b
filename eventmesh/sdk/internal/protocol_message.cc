#include "eventmesh/sdk/internal/protocol_message.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>

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

}  // namespace eventmesh::sdk
