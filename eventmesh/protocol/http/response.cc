#include "eventmesh/protocol/http/response.h"

#include "absl/strings/match.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::protocol::http {

std::optional<UriEndpoint> MatchUriEndpoint(absl::string_view path) {
  const size_t query = path.find('?');
  if (query != absl::string_view::npos) path = path.substr(0, query);
  // Longer, more specific prefixes first.
  static constexpr std::pair<absl::string_view, UriEndpoint> kEndpoints[] = {
      {uri::kPublishBatch, UriEndpoint::kPublishBatch},
      {uri::kPublish, UriEndpoint::kPublish},
      {uri::kBridgePublish, UriEndpoint::kBridgePublish},
      {uri::kSubscribeLocal, UriEndpoint::kSubscribeLocal},
      {uri::kSubscribeRemote, UriEndpoint::kSubscribeRemote},
      {uri::kUnsubscribeLocal, UriEndpoint::kUnsubscribeLocal},
      {uri::kUnsubscribeRemote, UriEndpoint::kUnsubscribeRemote},
      {uri::kTopicCreate, UriEndpoint::kTopicCreate},
      {uri::kTopicDelete, UriEndpoint::kTopicDelete},
      {uri::kSubscriptionQueryLegacy, UriEndpoint::kSubscriptionQuery},
      {uri::kSubscriptionQuery, UriEndpoint::kSubscriptionQuery},
  };
  for (const auto& [prefix, endpoint] : kEndpoints) {
    if (absl::StartsWith(path, prefix)) return endpoint;
  }
  return std::nullopt;
}

std::string PublishTopicFromPath(absl::string_view path) {
  const size_t query = path.find('?');
  if (query != absl::string_view::npos) path = path.substr(0, query);
  if (!absl::StartsWith(path, uri::kPublish)) return "";
  return std::string(path.substr(uri::kPublish.size()));
}

std::string MakeResponseJson(int ret_code, absl::string_view ret_msg, int64_t res_time_ms) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("retCode");
  w.Int(ret_code);
  w.Key("retMsg");
  json::WriteString(w, ret_msg);
  w.Key("resTime");
  w.Int64(res_time_ms);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

absl::StatusOr<Response> ParseResponseJson(absl::string_view body) {
  absl::StatusOr<rapidjson::Document> doc = json::ParseJson(body, "response");
  if (!doc.ok()) return doc.status();
  if (!doc->IsObject()) return absl::InvalidArgumentError("response must be a JSON object");
  std::optional<int64_t> code = json::GetInt64(*doc, "retCode");
  if (!code.has_value()) return absl::InvalidArgumentError("response has no integer 'retCode'");
  Response r;
  r.ret_code = *code;
  r.ret_msg = std::string(json::GetString(*doc, "retMsg").value_or(""));
  r.res_time_ms = json::GetInt64(*doc, "resTime").value_or(0);
  return r;
}

ClientRetCode ParseSubscriberReply(absl::string_view body) {
  absl::StatusOr<rapidjson::Document> doc = json::ParseJson(body, "subscriber reply");
  if (!doc.ok()) return ClientRetCode::kFail;
  std::optional<int64_t> code = json::GetInt64(*doc, "retCode");
  if (!code.has_value()) return ClientRetCode::kFail;
  return ClientRetCodeFromInt(*code).value_or(ClientRetCode::kFail);
}

}  // namespace eventmesh::protocol::http
