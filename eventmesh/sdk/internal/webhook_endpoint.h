#ifndef EVENTMESH_SDK_INTERNAL_WEBHOOK_ENDPOINT_H_
#define EVENTMESH_SDK_INTERNAL_WEBHOOK_ENDPOINT_H_

// The subscriber side of webhook delivery as a pure request -> response function, used by
// HttpSubscriber on its WebhookServer (and testable without sockets).
//
// Accepted requests:
//   * EventMesh form pushes (POST, header `code` 105/106, form body content, topic, bizseqno,
//     uniqueId, randomNo, extFields): the handler's result is answered with HTTP 200 and
//     {"retCode":0} (success), 2 (retry) or 3 (fail). A push whose form cannot be parsed is
//     answered {"retCode":3,...} (FAIL: resending it cannot succeed). When extFields say
//     protocoltype=cloudevents the content (a structured CloudEvent) is parsed into the event's
//     CloudEvent payload; otherwise the payload is a Message (topic, content, biz_seq_no,
//     unique_id, properties = extFields). Code 106 (SYNC) pushes have kind kRequest.
//   * CloudEvents HTTP binding pushes (POST; binary, structured or batch content mode): success
//     -> 200; retry -> 503 (the runtime pushes again later); fail -> 410 (the status after which
//     the runtime does not retry: it dead-letters the event); the payload is the CloudEvent.
//     Malformed events -> 400 with the reason. A batch calls the handler per event; the worst
//     result is answered.
//   * The CloudEvents webhook validation handshake (OPTIONS with WebHook-Request-Origin):
//     200 with WebHook-Allowed-Origin (and WebHook-Allowed-Rate: * when a rate was asked)
//     when the origin is allowed, 403 otherwise. OPTIONS without the header: 200 with Allow.
//   * Anything else: 405 (other methods) or 400 (POST that is neither).
// Thread-safe as long as the handler is.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "eventmesh/sdk/internal/http_types.h"
#include "eventmesh/sdk/internal/webhook_server.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk::http {

// HTTP status answered for HandlerResult::kFail on CloudEvents pushes.
inline constexpr int kFailStatus = 410;
// HTTP status answered for HandlerResult::kRetry on CloudEvents pushes.
inline constexpr int kRetryStatus = 503;

struct WebhookEndpointOptions {
  // Origins accepted in the validation handshake; empty = every origin.
  std::vector<std::string> allowed_origins;
};

ServerResponse HandleWebhookRequest(const ServerRequest& request, const PushHandler& handler,
                                    const WebhookEndpointOptions& options);

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_WEBHOOK_ENDPOINT_H_
