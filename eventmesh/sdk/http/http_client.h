#ifndef EVENTMESH_SDK_HTTP_HTTP_CLIENT_H_
#define EVENTMESH_SDK_HTTP_HTTP_CLIENT_H_

// EventMeshHttpClient: a client of the EventMesh HTTP protocol (the Java SDK's
// EventMeshHttpProducer + the subscription calls of EventMeshHttpConsumer), over the shared
// keep-alive HTTP client //eventmesh/net:http_client (http and verified https).
//
// Every call is one HTTP request to the next runtime URL (round-robin; a URL whose last
// request did not reach its runtime is passed over while others work). The URLs are the
// options' `urls`, or, with `options.registry`, the "http" endpoints of the mesh's runtimes
// listed by the registry at Create() and listed again (on a helper thread of the client) when
// every known runtime failed its last request. Calls are not retried on another URL:
//   Publish            code 104 MSG_SEND_ASYNC (a Message, or a CloudEvent with
//                      protocoltype cloudevents)
//   PublishBatch       code 102 MSG_BATCH_SEND (all messages in one request)
//   PublishBatchV2     code 107 MSG_BATCH_SEND_V2 (one message; the runtime batches)
//   PublishCloudEvent  POST /eventmesh/publish/{topic}, binary or structured content mode
//   PublishCloudEventBatch  POST /eventmesh/publish/{topic}, application/cloudevents-batch+json
//   Request            code 101 MSG_SEND_SYNC: waits for the reply (ttl = timeout)
//   Reply              code 301 REPLY_MESSAGE (legacy request-reply)
//   Subscribe / Unsubscribe / Heartbeat   codes 206 / 207 / 203 for a webhook URL
// A call completes when the runtime answered: OK for retCode 0, otherwise the status mapped by
// retCode (message = the runtime's retMsg; RetCodeOf() gives the retCode).
// "Synchronous" methods block the calling thread until then; *Async methods take a callback
// (run on an io thread of the client) or return a std::future.
//
// Threading: thread-safe. Callbacks run on the client's io threads and must not block; do not
// call the blocking methods (or wait on a returned future) from a callback, and do not destroy
// the client inside one.
// Errors: InvalidArgument (bad options or message, before anything is sent), Unavailable (no
// connection / TLS verification failed / connection lost), DeadlineExceeded (no answer within
// request_timeout; for Request: the runtime's retCode 4 or no answer within timeout +
// request_timeout), Cancelled ("client closed": calls after Close()), and the runtime's
// retCodes mapped to status codes (table in eventmesh/sdk/http/README.md).

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/internal/http_client_options.h"
#include "eventmesh/sdk/internal/http_types.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::net {
class HttpClient;
}  // namespace eventmesh::net

namespace eventmesh::sdk::internal {
class RuntimeDiscovery;
}  // namespace eventmesh::sdk::internal

namespace eventmesh::sdk::http {

// The SDK's message model (message.h) and RegistryOptions, also reachable as http::Message etc.
using sdk::CloudEvent;
using sdk::Event;
using sdk::EventKind;
using sdk::Message;
using sdk::ReceivedEvent;
using sdk::RegistryOptions;
using sdk::SubscriptionItem;
using sdk::SubscriptionMode;
using sdk::SubscriptionType;
using sdk::Transport;

// One request to the runtime (internal: http_requests.h).
struct RuntimeRequest;

using StatusCallback = std::function<void(absl::Status)>;
// Receives the responder's reply: a Message with its topic, content and properties.
using ReplyCallback = std::function<void(absl::StatusOr<Message>)>;

// Counters of one client; all monotonic.
struct HttpClientStats {
  uint64_t requests_sent = 0;       // requests handed to the transport
  uint64_t requests_failed = 0;     // completed with a non-OK status
  uint64_t registry_refreshes = 0;  // registry lookups after Create (all runtimes had failed)
  // Runtime URL lists taken from the live view of the registry (registry->watch).
  uint64_t registry_view_updates = 0;
};

class UrlRotation;

class EventMeshHttpClient {
 public:
  // Validates the options and creates the transport (TLS context with ca_file for https).
  // Nothing is sent to a runtime. With options.registry, lists the mesh's runtimes first
  // (blocking). Errors: InvalidArgument (options, unreadable ca_file); with a registry,
  // Unavailable "no runtime of mesh \"m\" with a http endpoint is registered" and the
  // registry's errors ("registry lookup for mesh \"m\": ...").
  static absl::StatusOr<std::unique_ptr<EventMeshHttpClient>> Create(HttpClientOptions options);

  ~EventMeshHttpClient();
  EventMeshHttpClient(const EventMeshHttpClient&) = delete;
  EventMeshHttpClient& operator=(const EventMeshHttpClient&) = delete;

  // ---- publish (104) ----
  absl::Status Publish(const Message& message);
  void PublishAsync(const Message& message, StatusCallback done);
  std::future<absl::Status> PublishAsync(const Message& message);
  // A CloudEvent through code 104 (protocoltype cloudevents, structured JSON in `content`);
  // the topic is the event's subject.
  absl::Status Publish(const CloudEvent& event);
  void PublishAsync(const CloudEvent& event, StatusCallback done);

  // ---- batches ----
  // 102: every message in one request; `batch_id` empty = random.
  absl::Status PublishBatch(const std::vector<Message>& messages, const std::string& batch_id = "");
  void PublishBatchAsync(const std::vector<Message>& messages, StatusCallback done);
  // 107: one message per request, batched by the runtime.
  absl::Status PublishBatchV2(const Message& message);
  void PublishBatchV2Async(const Message& message, StatusCallback done);

  // ---- CloudEvents HTTP binding (/eventmesh/publish/{topic}) ----
  // `topic` empty = the event's subject.
  absl::Status PublishCloudEvent(const CloudEvent& event, CloudEventMode mode,
                                 const std::string& topic = "");
  void PublishCloudEventAsync(const CloudEvent& event, CloudEventMode mode,
                              const std::string& topic, StatusCallback done);
  absl::Status PublishCloudEventBatch(const std::vector<CloudEvent>& events,
                                      const std::string& topic = "");
  void PublishCloudEventBatchAsync(const std::vector<CloudEvent>& events, const std::string& topic,
                                   StatusCallback done);

  // ---- request-reply (101) ----
  // Sends the message with ttl = timeout (ms) and returns the responder's reply (topic,
  // content, properties). DeadlineExceeded when the runtime says no reply came in time
  // (retCode 4).
  absl::StatusOr<Message> Request(const Message& message, absl::Duration timeout);
  void RequestAsync(const Message& message, absl::Duration timeout, ReplyCallback done);

  // ---- reply (301) ----
  // Answers `request` (a kRequest event: a push to an HttpSubscriber, or a TCP delivery of a
  // SYNC subscription) with `reply`'s content. The reply carries the request's topic
  // (origtopic), bizseqno, uniqueid and properties / extensions as extFields (the runtime
  // correlates the reply through them); `reply.properties` are added to the extFields. Errors:
  // InvalidArgument ("reply bizseqno is required", ...) and the runtime's (retCode 16: no
  // pending request).
  absl::Status Reply(const ReceivedEvent& request, const Message& reply);

  // ---- webhook subscriptions (206 / 207 / 203), group = options.consumer_group ----
  absl::Status Subscribe(const std::string& url, const std::vector<SubscriptionItem>& topics,
                         PushFormat format = PushFormat::kEventMeshForm);
  absl::Status Unsubscribe(const std::string& url, const std::vector<std::string>& topics);
  absl::Status Heartbeat(const std::string& url, const std::vector<std::string>& topics);
  void HeartbeatAsync(const std::string& url, const std::vector<std::string>& topics,
                      StatusCallback done);

  // Stops the transport; in-flight calls fail with Unavailable, later calls with Cancelled
  // ("client closed"). Idempotent. Must not be called from a callback.
  void Close();

  const HttpClientOptions& options() const { return options_; }
  HttpClientStats stats() const;
  // The runtime URLs in use ("http://host:port"; from the registry when one is configured).
  std::vector<std::string> runtime_urls() const;

 private:
  class Refresher;
  EventMeshHttpClient(HttpClientOptions options, std::unique_ptr<net::HttpClient> transport,
                      std::vector<RuntimeUrl> urls,
                      std::unique_ptr<internal::RuntimeDiscovery> discovery);

  using RawCallback = std::function<void(absl::StatusOr<std::string>)>;
  // Sends `request` (or completes with its error) to the next runtime URL.
  void Call(absl::StatusOr<RuntimeRequest> request, absl::Duration timeout, RawCallback done);
  void CallStatus(absl::StatusOr<RuntimeRequest> request, StatusCallback done);
  absl::Status CallBlocking(absl::StatusOr<RuntimeRequest> request);

  const HttpClientOptions options_;
  const std::unique_ptr<UrlRotation> urls_;
  // With a registry: lists the runtimes again, on its own thread.
  std::unique_ptr<Refresher> refresher_;
  std::unique_ptr<net::HttpClient> transport_;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> requests_sent_{0};
  std::atomic<uint64_t> requests_failed_{0};
};

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_HTTP_HTTP_CLIENT_H_
