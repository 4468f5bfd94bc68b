#ifndef EVENTMESH_RUNTIME_HTTP_WEBHOOK_MAPPING_H_
#define EVENTMESH_RUNTIME_HTTP_WEBHOOK_MAPPING_H_

// Translation between the HTTP protocol's subscription bodies and webhook::WebhookService
// requests, shared by the code handlers (206/207/203) and the URI endpoints.
// Pure functions; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime::http {

// Body field / JSON key choosing how events are pushed to the subscriber.
inline constexpr char kPushFormatField[] = "pushformat";

// eventmesh (default when absent or blank) | cloudevents-binary | cloudevents-structured |
// cloudevents-batch. Errors: InvalidArgument "body field 'pushformat' must be eventmesh,
// cloudevents-binary, cloudevents-structured or cloudevents-batch, got '<v>'".
absl::StatusOr<webhook::PushFormat> ParsePushFormat(const protocol::http::BodyFields& fields);

webhook::ClientIdentity IdentityFromHeaders(const protocol::http::HeaderMap& headers,
                                            const std::string& peer_ip);

webhook::WebhookSubscribeRequest ToSubscribeRequest(
    const protocol::http::SubscribeRequestBody& body, webhook::PushFormat format,
    webhook::ClientIdentity client);

// The retCode of a refused WebhookService::Subscribe: a URL that the URL rules or the validation
// handshake refuse (PermissionDenied) or that does not parse (InvalidArgument) is
// EVENTMESH_PROTOCOL_BODY_ERR, as Apache answers a URL its IP blacklists refuse; any other
// failure (quotas, persistence) is EVENTMESH_SUBSCRIBE_ERR.
protocol::http::EventMeshRetCode SubscribeFailureRetCode(const absl::Status& status);

// JSON array of {consumerGroup, url, topic, mode, type, pushFormat, idc, sys, ip, pid,
// lastHeartbeatMs}.
std::string SubscriptionsJson(const std::vector<webhook::WebhookSubscriptionInfo>& list);

// With security on (`user` set), a webhook registration belongs to the user who made it:
// VisibleTo keeps the registrations `user` may see (all of them for admin users, and everything
// when security is off); MayRemove refuses, with PermissionDenied "webhook <url> of group <g> was
// registered by user \"<owner>\"", removing another user's registration of (group, url).
std::vector<webhook::WebhookSubscriptionInfo> VisibleTo(
    const core::AclUser* user, std::vector<webhook::WebhookSubscriptionInfo> list);
absl::Status MayRemove(const core::AclUser* user,
                       const std::vector<webhook::WebhookSubscriptionInfo>& list,
                       const std::string& consumer_group, const std::string& url);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_WEBHOOK_MAPPING_H_
