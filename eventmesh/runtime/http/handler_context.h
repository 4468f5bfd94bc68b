#ifndef EVENTMESH_RUNTIME_HTTP_HANDLER_CONTEXT_H_
#define EVENTMESH_RUNTIME_HTTP_HANDLER_CONTEXT_H_

// What every HTTP handler works with: the runtime's shared services (HttpServices), one parsed
// request (HttpRequest), the answer (HttpResponse) and the callback that sends it (Responder).
//
// HttpServices are owned by the Server and shared, not owned, by the HTTP server; every member is
// thread-safe. A Responder must be called exactly once, from any thread; the connection sends
// the answer on its own strand, in request order.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "boost/asio.hpp"
#include "eventmesh/common/log_limiter.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/protocol/http/response.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/core/authenticator.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/rate_limiter.h"
#include "eventmesh/runtime/core/request_reply_service.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime::http {

// Retmsg of subscription requests when no WebhookService is configured.
inline constexpr char kWebhookDisabledMsg[] = "webhook subscriptions are not enabled";

// Not owned; see the file comment.
struct HttpServices {
  const RuntimeConfig* config = nullptr;
  connectors::Connector* connector = nullptr;
  core::PublishService* publish = nullptr;
  core::RequestReplyService* requests = nullptr;
  const core::Acl* acl = nullptr;                      // nullptr: security disabled
  const core::Authenticator* authenticator = nullptr;  // set with acl
  core::RateLimiter* rate_limiter = nullptr;           // eventMesh.server.http.msgReqnumPerSecond
  webhook::WebhookService* webhook = nullptr;          // nullptr: webhook subscriptions disabled
  // Set: every refusal (a retCode other than 0) is logged with its reason, rate-limited per
  // client IP. nullptr: refusals are not logged.
  common::LogLimiter* log_limiter = nullptr;
};

enum class Method { kGet, kPost, kOther };

// One received request, as the handlers see it (a value; handlers may move from it).
struct HttpRequest {
  Method method = Method::kOther;
  std::string method_name;
  std::string target;                                // as sent: path + query
  std::string path;                                  // without the query
  std::string query;                                 // after '?', not decoded
  protocol::http::HeaderMap headers;                 // case-insensitive
  std::vector<cloudevents::HttpHeader> raw_headers;  // every header as sent (CE binding)
  std::string body;
  std::string peer_ip;
  std::string local_ip;
  uint64_t connection_id = 0;
  // The connection's strand (timers of the request run there).
  boost::asio::any_io_executor executor;
};

// One answer; the connection adds Content-Length and Connection.
struct HttpResponse {
  int status = 200;
  std::string content_type = std::string(protocol::http::kResponseContentType);
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this response
};

using Responder = std::function<void(HttpResponse)>;

// {"retCode","retMsg","resTime"} with the runtime's identity headers
// (eventmeshcluster/eventmeship/eventmeshenv/eventmeshidc) and `extra_header` (e.g. code or uri)
// when its name is non-empty.
HttpResponse RetCodeResponse(const HttpServices& services, const HttpRequest& request,
                             int http_status, int ret_code, absl::string_view ret_msg,
                             std::pair<std::string, std::string> extra_header = {});
inline HttpResponse RetCodeResponse(const HttpServices& services, const HttpRequest& request,
                                    int http_status, protocol::http::EventMeshRetCode ret_code,
                                    absl::string_view ret_msg,
                                    std::pair<std::string, std::string> extra_header = {}) {
  return RetCodeResponse(services, request, http_status, protocol::http::RetCodeValue(ret_code),
                         ret_msg, std::move(extra_header));
}

// The parts of `request` a later answer needs (path and local address; no body).
HttpRequest ResponseMeta(const HttpRequest& request);

// Milliseconds since the epoch.
int64_t NowMs();

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_HANDLER_CONTEXT_H_
