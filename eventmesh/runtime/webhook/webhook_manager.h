#ifndef EVENTMESH_RUNTIME_WEBHOOK_WEBHOOK_MANAGER_H_
#define EVENTMESH_RUNTIME_WEBHOOK_WEBHOOK_MANAGER_H_

// WebhookManager: the runtime's WebhookService. Each (consumer group, URL) registration is one
// delivery target subscribed through core::ConsumerManager for each of its topics, so HTTP and
// TCP members of a CLUSTERING group share the group (each event goes to one member) and a
// BROADCASTING subscription gives the URL every event.
//
// Delivery per target: a bounded window (max_queued_per_target events taken from the group and
// not yet settled), at most max_concurrent_pushes_per_target POSTs in flight (optionally
// pipelined, pipeline_depth); one slow or failing endpoint only fills its own window. An event is
// acknowledged (the group's position may be committed) only when the endpoint accepted it (or
// answered EventMesh FAIL, see push_request.h); retries use exponential backoff with jitter (or a
// 429's Retry-After) up to max_attempts, then the event goes to the group's dead-letter topic
// (GroupConsumer::Reject) and is acknowledged once stored there. 410/415 are dead-lettered at once.
// Webhook targets have no group ack timeout (TargetSettings::ack_timeout = false): they always
// settle. CloudEvents subscriptions are validated first (CloudEvents "HTTP 1.1 Web Hooks for Event
// Delivery" section 4): OPTIONS with WebHook-Request-Origin; the endpoint must answer 200/204
// with WebHook-Allowed-Origin equal to our origin or "*".
// Registrations persist in `persistence_path` (JSON, written atomically: temp + fsync +
// rename) and are restored by Start(); heartbeats are not persisted (a restored registration
// counts as just refreshed).
//
// Ownership: `consumers` and `topics` must outlive the manager. The manager owns its HTTP
// client (io threads) and an expiry thread when registration_expiry_ms > 0.
// Thread-safe. Subscribe blocks the calling thread for the validation handshake
// (validation_timeout_ms at most); call it from a thread that may block.
// Errors: see WebhookService; Subscribe: InvalidArgument (bad URL, empty group/topics),
// PermissionDenied (allow/deny rule, refused validation handshake), NotFound (topic missing
// while auto-creation is off), Unavailable (after Shutdown); Unsubscribe/Heartbeat: NotFound.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/common/bounded_executor.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/net/http_pipeline.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/webhook/push_request.h"
#include "eventmesh/runtime/webhook/url_filter.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime::webhook {

struct WebhookOptions {
  int64_t push_timeout_ms = 3'000;       // one POST, ms
  int32_t max_attempts = 4;              // POSTs per event (Apache: 1 + 3 retries)
  int64_t initial_backoff_ms = 1'000;    // first retry delay, doubled per attempt
  int64_t max_backoff_ms = 60'000;       // cap of the backoff
  int64_t max_retry_after_ms = 300'000;  // cap for a 429's Retry-After
  int32_t max_concurrent_pushes_per_target = 8;
  // Single-event formats: POSTs written on one connection before the earlier ones are answered
  // (HTTP/1.1 pipelining, net/http_pipeline.h). 1: each connection carries one POST at a time
  // (the shared keep-alive pool). d > 1: a target's POSTs go out on ceil(max_concurrent / d)
  // connections of its own, each new POST on the one with the fewest unanswered, and POSTs
  // waiting for a connection leave in one write. For endpoints that handle pipelined requests
  // (any HTTP/1.1 server must); a server answering one at a time answers them in order.
  int32_t pipeline_depth = 1;
  int32_t max_queued_per_target = 1'000;  // the target's window
  // The cloudevents-batch format: events per POST at most, and the largest POST body (a
  // single larger event still goes, alone).
  int32_t max_batch_events = 100;
  int64_t max_batch_bytes = 1 << 20;
  std::vector<std::string> allow;  // empty: every URL not denied
  // Loopback and private addresses are refused unless allowed by rule (see url_filter.h) or
  // this is set (eventMesh.server.http.webhook.allowPrivateNetworks).
  bool allow_private_networks = false;
  // (group, url) registrations held at most; more are refused with ResourceExhausted
  // (eventMesh.server.http.webhook.maxRegistrations; 0 = unbounded).
  int64_t max_registrations = 10'000;
  std::vector<std::string> deny = DefaultDenyRules();
  std::string ca_file;                 // PEM CA bundle for https endpoints; empty: system store
  std::string persistence_path;        // registrations file; empty: not persisted
  int64_t registration_expiry_ms = 0;  // without heartbeat; 0: never expire
  bool validate_cloudevents_endpoints = true;      // the OPTIONS handshake for CloudEvents formats
  bool validate_eventmesh_form_endpoints = false;  // ... and for the EventMesh form
  std::string origin = "eventmesh";                // WebHook-Request-Origin value
  int64_t validation_timeout_ms = 5'000;
  RuntimeIdentity identity;  // eventmesh* headers of EventMesh form pushes
  // HTTP client threads (one io_context each). One keeps a target's POST, answer and next
  // POST on one thread; a second only pays (cross-thread wake-ups) when one is saturated.
  int32_t io_threads = 1;
  int32_t max_connections_per_host = 64;
};

// Counters of one (group, URL) target.
struct WebhookTargetStats {
  int64_t accepted = 0;
  int64_t given_up = 0;
  int64_t retried = 0;
  int64_t dead_lettered = 0;
};

class WebhookTarget;

class WebhookManager : public WebhookService {
 public:
  // The default persistence file under a runtime data directory.
  static std::string DefaultPersistencePath(const std::string& data_dir) {
    return data_dir + "/webhook-subscriptions.json";
  }
  // Errors: InvalidArgument (bad allow/deny rule, bad option, unreadable CA file).
  static absl::StatusOr<std::unique_ptr<WebhookManager>> Create(core::ConsumerManager* consumers,
                                                                core::TopicRegistry* topics,
                                                                WebhookOptions options);
  ~WebhookManager() override;

  // Restores persisted registrations (a registration refused by the current allow/deny list or
  // whose topic is gone is skipped with a warning) and starts the expiry thread. Errors:
  // DataLoss (unparsable file), Internal (unreadable file).
  absl::Status Start();
  // Stops delivery (pushes in flight are abandoned; their events are delivered again by the
  // group), closes the HTTP client. Registrations stay persisted. Idempotent.
  void Shutdown();

  absl::Status Subscribe(const WebhookSubscribeRequest& request) override;
  // Runs Subscribe (URL checks with name resolution, the validation handshake) on the
  // manager's own subscribe threads (kSubscribeThreads, at most kMaxQueuedSubscribes waiting);
  // beyond that `done` gets ResourceExhausted at once.
  void SubscribeAsync(const WebhookSubscribeRequest& request,
                      std::function<void(absl::Status)> done) override;
  static constexpr int kSubscribeThreads = 2;
  static constexpr size_t kMaxQueuedSubscribes = 64;
  absl::Status Unsubscribe(const std::string& consumer_group, const std::string& url,
                           const std::vector<std::string>& topics) override;
  absl::Status Heartbeat(const std::string& consumer_group, const std::string& url,
                         const std::vector<std::string>& topics) override;
  std::vector<WebhookSubscriptionInfo> List() const override;

  // Counters of the (group, url) target; NotFound when not registered.
  absl::StatusOr<WebhookTargetStats> Stats(const std::string& consumer_group,
                                           const std::string& url) const;

 private:
  struct Registration {
    std::shared_ptr<WebhookTarget> target;
    PushFormat format = PushFormat::kEventMeshForm;
    ClientIdentity client;
    std::map<std::string, WebhookTopic> topics;
    std::map<std::string, int64_t> heartbeat_ms;  // per topic, wall clock
  };
  using Key = std::pair<std::string, std::string>;  // (group, url as given)

  WebhookManager(core::ConsumerManager* consumers, core::TopicRegistry* topics,
                 WebhookOptions options, std::shared_ptr<const UrlFilter> filter,
                 std::unique_ptr<net::HttpClient> client);

  // A pipelined connection to the origin of `url` on `io` (one of the client's) for a target
  // (pipeline_depth > 1).
  absl::StatusOr<std::shared_ptr<net::HttpPipeline>> NewPipeline(const std::string& url,
                                                                 boost::asio::io_context& io);
  absl::Status SubscribeInternal(const WebhookSubscribeRequest& request, bool handshake,
                                 bool persist);
  absl::Status Validate(const std::string& url);
  // Removes topics from a registration (all when empty); drops it when none remain. mu_ held.
  void RemoveTopicsLocked(const Key& key, const std::vector<std::string>& topics);
  absl::Status Persist();
  absl::Status Load(std::vector<WebhookSubscribeRequest>* out);
  void ExpiryLoop();

  core::ConsumerManager* const consumers_;
  core::TopicRegistry* const topics_;
  const WebhookOptions options_;
  // Shared with the HTTP client, which checks every address it connects to.
  const std::shared_ptr<const UrlFilter> filter_;
  std::unique_ptr<net::HttpClient> client_;
  std::mutex tls_mu_;
  std::shared_ptr<boost::asio::ssl::context> pipeline_tls_;  // made by the first https pipeline

  mutable std::mutex mu_;
  bool stopped_ = false;
  std::map<Key, Registration> registrations_;
  std::mutex persist_mu_;  // serializes file writes (taken without mu_ held)

  std::condition_variable expiry_cv_;
  std::thread expiry_thread_;
  // Subscribes that resolve names and run handshakes, off the HTTP workers. Declared last:
  // joined first, while everything its tasks touch still exists.
  std::unique_ptr<BoundedExecutor> subscribe_executor_ =
      std::make_unique<BoundedExecutor>(kSubscribeThreads, kMaxQueuedSubscribes);
};

}  // namespace eventmesh::runtime::webhook

#endif  // EVENTMESH_RUNTIME_WEBHOOK_WEBHOOK_MANAGER_H_
