#include "eventmesh/runtime/http/webhook_mapping.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::runtime::http {

using webhook::PushFormat;

absl::StatusOr<PushFormat> ParsePushFormat(const protocol::http::BodyFields& fields) {
  std::optional<absl::string_view> value = fields.Get(kPushFormatField);
  if (!value.has_value()) return PushFormat::kEventMeshForm;
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*value));
  if (v.empty()) return PushFormat::kEventMeshForm;
  if (std::optional<PushFormat> format = webhook::PushFormatFromName(v)) return *format;
  return absl::InvalidArgumentError(
      absl::StrCat("body field 'pushformat' must be eventmesh, cloudevents-binary, "
                   "cloudevents-structured or cloudevents-batch, got '",
                   *value, "'"));
}

webhook::ClientIdentity IdentityFromHeaders(const protocol::http::HeaderMap& headers,
                                            const std::string& peer_ip) {
  namespace key = protocol::http::header_key;
  webhook::ClientIdentity identity;
  identity.env = headers.GetOr(key::kEnv, "");
  identity.idc = headers.GetOr(key::kIdc, "");
  identity.sys = headers.GetOr(key::kSys, "");
  identity.pid = headers.GetOr(key::kPid, "");
  identity.ip = peer_ip;
  identity.username = headers.GetOr(key::kUsername, "");
  return identity;
}

webhook::WebhookSubscribeRequest ToSubscribeRequest(
    const protocol::http::SubscribeRequestBody& body, PushFormat format,
    webhook::ClientIdentity client) {
  webhook::WebhookSubscribeRequest request;
  request.consumer_group = body.consumer_group;
  request.url = body.url;
  request.format = format;
  request.client = std::move(client);
  for (const auto& item : body.topics) {
    webhook::WebhookTopic topic;
    topic.topic = item.topic;
    topic.mode = item.mode == protocol::http::SubscriptionMode::kBroadcasting
                     ? connectors::ConsumeMode::kBroadcasting
                     : connectors::ConsumeMode::kClustering;
    topic.sync = item.type == protocol::http::SubscriptionType::kSync;
    request.topics.push_back(std::move(topic));
  }
  return request;
}

std::string SubscriptionsJson(const std::vector<webhook::WebhookSubscriptionInfo>& list) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  auto field = [&w](absl::string_view key, absl::string_view value) {
    json::WriteKey(w, key);
    json::WriteString(w, value);
  };
  w.StartArray();
  for (const auto& info : list) {
    w.StartObject();
    field("consumerGroup", info.consumer_group);
    field("url", info.url);
    field("topic", info.topic.topic);
    field("mode", info.topic.mode == connectors::ConsumeMode::kBroadcasting ? "BROADCASTING"
                                                                            : "CLUSTERING");
    field("type", info.topic.sync ? "SYNC" : "ASYNC");
    field("pushFormat", std::string(webhook::PushFormatName(info.format)));
    field("idc", info.client.idc);
    field("sys", info.client.sys);
    field("ip", info.client.ip);
    field("pid", info.client.pid);
    json::WriteKey(w, "lastHeartbeatMs");
    w.Int64(info.last_heartbeat_ms);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::vector<webhook::WebhookSubscriptionInfo> VisibleTo(
    const core::AclUser* user, std::vector<webhook::WebhookSubscriptionInfo> list) {
  if (user == nullptr || user->admin) return list;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [user](const webhook::WebhookSubscriptionInfo& info) {
                              return info.client.username != user->username;
                            }),
             list.end());
  return list;
}

absl::Status MayRemove(const core::AclUser* user,
                       const std::vector<webhook::WebhookSubscriptionInfo>& list,
                       const std::string& consumer_group, const std::string& url) {
  if (user == nullptr || user->admin) return absl::OkStatus();
  for (const auto& info : list) {
    if (info.consumer_group == consumer_group && info.url == url &&
        info.client.username != user->username) {
      return absl::PermissionDeniedError(absl::StrCat("webhook ", url, " of group ", consumer_group,
                                                      " was registered by user \"",
                                                      info.client.username, "\""));
    }
  }
  return absl::OkStatus();
}

protocol::http::EventMeshRetCode SubscribeFailureRetCode(const absl::Status& status) {
  if (absl::IsPermissionDenied(status) || absl::IsInvalidArgument(status)) {
    return protocol::http::EventMeshRetCode::kProtocolBodyErr;
  }
  return protocol::http::EventMeshRetCode::kSubscribeErr;
}

}  // namespace eventmesh::runtime::http
