#ifndef EVENTMESH_RUNTIME_WEBHOOK_WEBHOOK_SERVICE_H_
#define EVENTMESH_RUNTIME_WEBHOOK_WEBHOOK_SERVICE_H_

// Webhook subscriptions as the HTTP server sees them: an application registers a URL for a
// consumer group and topics, the runtime POSTs each event there and commits the group's position
// once the endpoint accepted it.
//
// The HTTP server (code 206/207/203 and /eventmesh/subscribe/local, /eventmesh/unsubscribe/local,
// /eventmesh/subscrition/query) calls this interface; the implementation owns delivery.
// Thread-safety: implementations are thread-safe.
// Errors: InvalidArgument (malformed URL, empty group or topic list), PermissionDenied (URL
// refused by the allow/deny list), NotFound (topic missing while auto-creation is off; unknown
// subscription on Unsubscribe/Heartbeat), Unavailable (shutting down), others from the connector.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventmesh/connectors/api/connector.h"

namespace eventmesh::runtime::webhook {

// How events are POSTed to the subscriber.
enum class PushFormat {
  kEventMeshForm,          // Apache EventMesh push: form body, header code 105/106
  kCloudEventsBinary,      // CloudEvents HTTP binding, binary mode (ce-* headers)
  kCloudEventsStructured,  // application/cloudevents+json
  // application/cloudevents-batch+json: the events ready for the URL, up to
  // WebhookOptions::max_batch_events / max_batch_bytes, in one POST; a 2xx settles them all,
  // after a retryable answer each is retried alone.
  kCloudEventsBatch,
};

// "eventmesh", "cloudevents-binary", "cloudevents-structured", "cloudevents-batch" (the
// `pushformat` field).
inline absl::string_view PushFormatName(PushFormat format) {
  switch (format) {
    case PushFormat::kEventMeshForm:
      return "eventmesh";
    case PushFormat::kCloudEventsBinary:
      return "cloudevents-binary";
    case PushFormat::kCloudEventsStructured:
      return "cloudevents-structured";
    case PushFormat::kCloudEventsBatch:
      return "cloudevents-batch";
  }
  return "eventmesh";
}
inline std::optional<PushFormat> PushFormatFromName(absl::string_view name) {
  if (name == "eventmesh") return PushFormat::kEventMeshForm;
  if (name == "cloudevents-binary") return PushFormat::kCloudEventsBinary;
  if (name == "cloudevents-structured") return PushFormat::kCloudEventsStructured;
  if (name == "cloudevents-batch") return PushFormat::kCloudEventsBatch;
  return std::nullopt;
}

// The subscriber's identity from the request headers; echoed in pushes, used for IDC preference.
struct ClientIdentity {
  std::string env;
  std::string idc;
  std::string sys;
  std::string pid;
  std::string ip;
  std::string username;
};

struct WebhookTopic {
  std::string topic;
  connectors::ConsumeMode mode = connectors::ConsumeMode::kClustering;
  bool sync = false;  // SYNC subscription: pushed with code 106, ASYNC with 105
};

struct WebhookSubscribeRequest {
  std::string consumer_group;
  std::string url;
  std::vector<WebhookTopic> topics;
  PushFormat format = PushFormat::kEventMeshForm;
  ClientIdentity client;
};

// One (group, url, topic) registration, for the subscription query.
struct WebhookSubscriptionInfo {
  std::string consumer_group;
  std::string url;
  WebhookTopic topic;
  PushFormat format = PushFormat::kEventMeshForm;
  ClientIdentity client;
  int64_t last_heartbeat_ms = 0;  // wall clock, ms since the epoch
};

class WebhookService {
 public:
  virtual ~WebhookService() = default;

  // Registers (or refreshes) `url` for every topic of the request; delivery starts at once.
  virtual absl::Status Subscribe(const WebhookSubscribeRequest& request) = 0;
  // Subscribe without blocking the caller (an HTTP worker): `done` runs once with Subscribe's
  // result, on another thread when the subscription needs name resolution or a validation
  // handshake. The default runs Subscribe on the calling thread.
  virtual void SubscribeAsync(const WebhookSubscribeRequest& request,
                              std::function<void(absl::Status)> done) {
    done(Subscribe(request));
  }
  // Removes `url` from the group's subscriptions of `topics` (all of its topics when empty).
  virtual absl::Status Unsubscribe(const std::string& consumer_group, const std::string& url,
                                   const std::vector<std::string>& topics) = 0;
  // Keeps the registrations of (group, url, topics) alive (code 203 with clientType SUB).
  virtual absl::Status Heartbeat(const std::string& consumer_group, const std::string& url,
                                 const std::vector<std::string>& topics) = 0;
  virtual std::vector<WebhookSubscriptionInfo> List() const = 0;
};

}  // namespace eventmesh::runtime::webhook

#endif  // EVENTMESH_RUNTIME_WEBHOOK_WEBHOOK_SERVICE_H_
