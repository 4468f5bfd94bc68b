#ifndef EVENTMESH_RUNTIME_HTTP_PUBLISHER_H_
#define EVENTMESH_RUNTIME_HTTP_PUBLISHER_H_

// Access checks and publishing shared by every HTTP handler: ACL authentication from the
// `username`/`passwd` headers (as TCP HELLO does), per-topic permissions, the HTTP rate limit,
// and publishing a list of events through the connector with one completion once every event is
// durable (or one failed).
// Thread-safe (stateless; the services are thread-safe).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/runtime/http/handler_context.h"

namespace eventmesh::runtime::http {

// The authenticated user; nullptr when security is disabled.
// Errors: PermissionDenied "aclFail: authentication failed for user \"<name>\"".
absl::StatusOr<const core::AclUser*> Authenticate(const HttpServices& services,
                                                  const protocol::http::HeaderMap& headers);

// Empty when allowed (or `user` is nullptr), else the aclFail message naming user and topic.
std::string DeniedPublish(const core::AclUser* user, const std::string& topic);
std::string DeniedSubscribe(const core::AclUser* user, const std::string& topic);

// Takes `count` permits of the HTTP rate limit; false when over the limit.
bool TryAcquireRate(const HttpServices& services, size_t count);
inline constexpr char kRateLimitMsg[] =
    "http message send over limit (eventMesh.server.http.msgReqnumPerSecond)";

// A process-unique event id for messages that carry none.
std::string NewEventId();

// Makes sure every topic exists (TopicRegistry), then publishes the events in order through the
// connector. `done` runs exactly once (on a connector thread or the calling thread) with OK when
// every event is durable, else the first error ("topic \"t\": ..." for a topic that cannot be
// used, "publish failed: ..." for a connector failure).
void PublishEvents(const HttpServices& services, std::vector<cloudevents::CloudEvent> events,
                   std::function<void(absl::Status)> done);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_PUBLISHER_H_
