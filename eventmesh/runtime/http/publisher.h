#ifndef EVENTMESH_RUNTIME_HTTP_PUBLISHER_H_
#define EVENTMESH_RUNTIME_HTTP_PUBLISHER_H_

// The HTTP side of the core services: who an HTTP request is (ACL authentication from the
// `username`/`passwd` headers, as TCP HELLO does; the HTTP rate limit), publishing through
// core::PublishService, and how a core refusal is answered over HTTP.
// Thread-safe (stateless; the services are thread-safe).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/runtime/http/handler_context.h"

namespace eventmesh::runtime::http {

// The request-reply owner name of HTTP connections.
inline constexpr char kFrontendName[] = "http";

// The authenticated user (headers username/passwd); nullptr when security is disabled.
// Errors: PermissionDenied "aclFail: authentication failed for user \"<name>\"",
// ResourceExhausted "aclFail: too many failed logins from <ip>; retry in <n> s (...)" while the
// request's address is throttled (core/login_throttle.h).
absl::StatusOr<const core::AclUser*> Authenticate(const HttpServices& services,
                                                  const HttpRequest& request);

// An HTTP request of `user` as the publish policy sees it.
core::Publisher HttpPublisher(const HttpServices& services, const core::AclUser* user);

// How a core service's refusal or failure is answered:
//   PermissionDenied   -> 403, retCode EVENTMESH_ACL_ERR (5), the message as is;
//   ResourceExhausted  -> 429, the over-limit retCode (23), its default text + the message;
//   OutOfRange         -> 413, retCode 8 (body size), its default text + the message;
//   anything else      -> 400/404/409/503/500 by status code, `otherwise` + the message.
// The code-based protocol answers with HTTP 200 and only uses ret_code/ret_msg.
struct HttpRefusal {
  int http_status = 500;
  protocol::http::EventMeshRetCode ret_code = protocol::http::EventMeshRetCode::kSuccess;
  std::string ret_msg;
};
HttpRefusal RefusalFor(const absl::Status& status, protocol::http::EventMeshRetCode otherwise);

// HTTP status for a failed operation: InvalidArgument 400, PermissionDenied 403, NotFound 404,
// AlreadyExists 409, Unavailable/ResourceExhausted 503, others 500 (RefusalFor refines it for the
// publish policy's refusals).
int HttpStatusFor(const absl::Status& status);

// A process-unique event id for messages that carry none.
std::string NewEventId();

// Admits `events` of `user` (PublishService::AdmitAll: every topic checked, the HTTP rate limit
// taken once for the batch), then publishes them in order. `done` runs exactly once (on a
// connector thread or the calling thread) with OK when every event is durable, else the
// refusal or the first publish failure.
void PublishEvents(const HttpServices& services, const core::AclUser* user,
                   std::vector<cloudevents::CloudEvent> events,
                   std::function<void(absl::Status)> done);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_PUBLISHER_H_
