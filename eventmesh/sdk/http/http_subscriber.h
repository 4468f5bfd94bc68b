#ifndef EVENTMESH_SDK_HTTP_HTTP_SUBSCRIBER_H_
#define EVENTMESH_SDK_HTTP_HTTP_SUBSCRIBER_H_

// HttpSubscriber: receives events from an EventMesh runtime over webhooks. It runs a
// WebhookServer inside the application, subscribes that server's URL with the runtime
// (code 206), keeps the subscription alive with heartbeats (code 203 every
// heartbeat_interval) and unsubscribes (code 207) on Stop.
//
// Every push (EventMesh form push 105/106 or CloudEvents binary/structured/batch) is handed to
// the PushHandler as a ReceivedEvent (message.h: a Message or CloudEvent payload; form pushes
// of a SYNC subscription have kind kRequest, answer them with Reply) and acknowledged as
// HandleWebhookRequest describes ({"retCode":0|2|3} for form pushes, 2xx/5xx for CloudEvents); the
// CloudEvents validation handshake is answered.
//
// Lifecycle: Start() = listen, then Subscribe (when topics are given); it fails, and nothing
// keeps running, when either step fails. Stop() (also run by the destructor) stops heartbeats,
// unsubscribes, then stops the server; it returns the unsubscribe's result.
// Threading: the handler runs on the webhook server's io threads (concurrently for different
// connections when server.threads > 1). Public methods are thread-safe; Stop must not be
// called from the handler. Heartbeats run on their own thread; a failed heartbeat is counted
// (stats) and retried at the next interval. When the runtime answers a heartbeat with retCode
// 21 (it does not know the subscription any more, e.g. after a restart without persistence
// or an expiry) the subscriber subscribes its topics again (206) right away.
// Errors: Start returns the options' InvalidArgument, the server's Unavailable (cannot
// listen), or the runtime's answer to the subscription (e.g. FailedPrecondition with the
// runtime's retMsg for retCode 19).

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/http/http_client.h"
#include "eventmesh/sdk/internal/http_types.h"
#include "eventmesh/sdk/internal/webhook_server.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk::http {

struct HttpSubscriberOptions {
  // Runtime URL(s), identity and consumer_group (the subscription's group).
  HttpClientOptions client;
  // Where the webhook server listens (default 127.0.0.1, any free port).
  WebhookServerOptions server;
  // Path of the webhook URL. Default "/eventmesh/webhook".
  std::string path = "/eventmesh/webhook";
  // Host put into the webhook URL the runtime calls. Empty = server.address, or 127.0.0.1
  // when that is a wildcard address (0.0.0.0 / ::).
  std::string advertised_host;
  // Topics to subscribe at Start (may be empty: then call Subscribe later).
  std::vector<SubscriptionItem> topics;
  // How the runtime should POST events (form push or CloudEvents binary/structured).
  PushFormat push_format = PushFormat::kEventMeshForm;
  // Period of the 203 heartbeats. Default 30 s (Java SDK).
  absl::Duration heartbeat_interval = absl::Seconds(30);
  // Origins accepted in the CloudEvents validation handshake; empty = any.
  std::vector<std::string> allowed_origins;
};

struct HttpSubscriberStats {
  uint64_t pushes = 0;              // events handed to the handler
  uint64_t heartbeats_sent = 0;     // answered with retCode 0
  uint64_t heartbeat_failures = 0;  // failed (transport or runtime error)
  uint64_t resubscribes = 0;        // 206 re-sent after a heartbeat answered retCode 21
};

class HttpSubscriber {
 public:
  static absl::StatusOr<std::unique_ptr<HttpSubscriber>> Start(HttpSubscriberOptions options,
                                                               PushHandler handler);
  ~HttpSubscriber();
  HttpSubscriber(const HttpSubscriber&) = delete;
  HttpSubscriber& operator=(const HttpSubscriber&) = delete;

  // The webhook URL registered with the runtime, e.g. "http://127.0.0.1:41234/eventmesh/webhook".
  const std::string& url() const { return url_; }
  int port() const { return server_->port(); }

  // Adds topics to the subscription (206) and to the heartbeats.
  absl::Status Subscribe(const std::vector<SubscriptionItem>& topics);
  // Removes topics (207).
  absl::Status Unsubscribe(const std::vector<std::string>& topics);

  // Answers a request pushed by the runtime (a request-reply over a SYNC subscription, code
  // 106: kind kRequest) with code 301: the reply carries `reply.content` and the request's
  // topic, bizseqno, uniqueId and extFields (the runtime correlates the reply through them);
  // see EventMeshHttpClient::Reply. Errors: the runtime's (e.g. Internal for retCode 16 "no
  // pending request ...").
  absl::Status Reply(const ReceivedEvent& request, const Message& reply);

  // Sends one heartbeat now (also done by the timer).
  absl::Status HeartbeatNow();

  // Idempotent; returns the unsubscribe result (OK when there was nothing to unsubscribe).
  absl::Status Stop();

  HttpSubscriberStats stats() const;
  EventMeshHttpClient& client() { return *client_; }

 private:
  HttpSubscriber(HttpSubscriberOptions options, PushHandler handler);
  void HeartbeatLoop();
  std::vector<std::string> TopicNames() const;

  const HttpSubscriberOptions options_;
  const PushHandler handler_;
  std::unique_ptr<EventMeshHttpClient> client_;
  std::unique_ptr<WebhookServer> server_;
  std::string url_;
  std::thread heartbeat_thread_;

  mutable absl::Mutex mu_;
  std::vector<SubscriptionItem> topics_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stop_result_ ABSL_GUARDED_BY(mu_);
  uint64_t pushes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t heartbeats_sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t heartbeat_failures_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t resubscribes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_HTTP_HTTP_SUBSCRIBER_H_
