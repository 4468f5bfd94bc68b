#ifndef EVENTMESH_PROTOCOL_HTTP_RESPONSE_H_
#define EVENTMESH_PROTOCOL_HTTP_RESPONSE_H_

// Responses of the EventMesh HTTP protocol and the paths of its URI endpoints.
//
// The runtime answers code-based requests with HTTP 200, Content-Type
// "text/plain; charset=UTF-8" and the JSON body {"retCode":n,"retMsg":"...",
// "resTime":epochMillis}. A webhook subscriber answers a push with {"retCode":n}
// (ClientRetCode). Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/http/ret_code.h"

namespace eventmesh::protocol::http {

// Content-Type of code-based responses.
inline constexpr absl::string_view kResponseContentType = "text/plain; charset=UTF-8";

// URI endpoints (RequestURI.java). Dispatch is by prefix: a request whose path starts
// with one of these goes to that endpoint, otherwise to the code-based protocol.
namespace uri {
inline constexpr absl::string_view kPublish = "/eventmesh/publish/";  // + topic
inline constexpr absl::string_view kPublishBatch = "/eventmesh/publish/batch";
inline constexpr absl::string_view kBridgePublish = "/eventmesh/bridge/publish";
inline constexpr absl::string_view kSubscribeLocal = "/eventmesh/subscribe/local";
inline constexpr absl::string_view kSubscribeRemote = "/eventmesh/subscribe/remote";
inline constexpr absl::string_view kUnsubscribeLocal = "/eventmesh/unsubscribe/local";
inline constexpr absl::string_view kUnsubscribeRemote = "/eventmesh/unsubscribe/remote";
inline constexpr absl::string_view kTopicCreate = "/eventmesh/topic/create";
inline constexpr absl::string_view kTopicDelete = "/eventmesh/topic/delete";
// The Java runtime's path, misspelled; served for compatibility.
inline constexpr absl::string_view kSubscriptionQueryLegacy = "/eventmesh/subscrition/query";
inline constexpr absl::string_view kSubscriptionQuery = "/eventmesh/subscription/query";
}  // namespace uri

enum class UriEndpoint {
  kPublish,
  kPublishBatch,
  kBridgePublish,
  kSubscribeLocal,
  kSubscribeRemote,
  kUnsubscribeLocal,
  kUnsubscribeRemote,
  kTopicCreate,
  kTopicDelete,
  kSubscriptionQuery,  // either spelling
};

// The endpoint whose path `path` starts with (query string ignored; most specific wins,
// so "/eventmesh/publish/batch" is kPublishBatch); nullopt for the code-based protocol.
std::optional<UriEndpoint> MatchUriEndpoint(absl::string_view path);

// Topic of /eventmesh/publish/{topic}: the path suffix (query string removed); empty when
// the path has no suffix (the caller then falls back to header `subject`).
std::string PublishTopicFromPath(absl::string_view path);

// {"retCode":<ret_code>,"retMsg":"<ret_msg>","resTime":<res_time_ms>}
std::string MakeResponseJson(int ret_code, absl::string_view ret_msg, int64_t res_time_ms);
inline std::string MakeResponseJson(EventMeshRetCode ret_code, absl::string_view ret_msg,
                                    int64_t res_time_ms) {
  return MakeResponseJson(RetCodeValue(ret_code), ret_msg, res_time_ms);
}

// A parsed runtime response (client side).
struct Response {
  int64_t ret_code = 0;
  std::string ret_msg;
  int64_t res_time_ms = 0;  // 0 when absent
};

// Errors: InvalidArgument "malformed JSON in response: ...", "response must be a JSON
// object", "response has no integer 'retCode'".
absl::StatusOr<Response> ParseResponseJson(absl::string_view body);

// Interprets a subscriber's reply body: its integer `retCode` (a JSON number or decimal
// string). An empty body, malformed JSON, a missing or unknown retCode all yield kFail,
// as the Java runtime treats them.
ClientRetCode ParseSubscriberReply(absl::string_view body);

}  // namespace eventmesh::protocol::http

#endif  // EVENTMESH_PROTOCOL_HTTP_RESPONSE_H_
