#include "eventmesh/sdk/http/http_client.h"

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio.hpp"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/sdk/internal/http_requests.h"
#include "eventmesh/sdk/internal/runtime_discovery.h"
#include "eventmesh/sdk/internal/url_rotation.h"

namespace eventmesh::sdk::http {

namespace ph = protocol::http;

namespace {

std::future<absl::Status> ToFuture(std::function<void(StatusCallback)> start) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> future = promise->get_future();
  start([promise](absl::Status status) { promise->set_value(std::move(status)); });
  return future;
}

std::vector<RuntimeUrl> UrlsOf(const std::vector<internal::RuntimeAddress>& addresses, bool https) {
  std::vector<RuntimeUrl> urls;
  for (const auto& address : addresses)
    urls.push_back(RuntimeUrl{https, address.host, address.port});
  return urls;
}

}  // namespace

// Keeps the rotation's URLs current from the registry. With registry->watch (default), the live
// view (internal::RegistryView, its own thread) swaps the new URLs in as soon as the mesh changes.
// When every known runtime failed, Request() takes the view's URLs when they are fresh and new,
// and otherwise lists the mesh again on the refresher's own thread (registry calls block;
// requests complete on the transport's io thread). One lookup at a time.
class EventMeshHttpClient::Refresher {
 public:
  Refresher(std::unique_ptr<internal::RuntimeDiscovery> discovery, const RegistryOptions& registry,
            bool https, UrlRotation* urls)
      : discovery_(std::move(discovery)),
        https_(https),
        urls_(urls),
        work_(boost::asio::make_work_guard(io_)),
        thread_([this] { io_.run(); }) {
    if (registry.watch) {
      internal::RegistryViewOptions view;
      view.wait = registry.watch_wait;
      view.max_backoff = registry.watch_max_backoff;
      discovery_->StartWatching(view, [this](const registry::Snapshot& snapshot) {
        auto ordered = internal::OrderEndpoints(snapshot.instances, discovery_->idc(), "http");
        if (!ordered.empty() && Swap(UrlsOf(ordered, https_))) view_updates_.fetch_add(1);
      });
    }
  }
  ~Refresher() { Stop(); }

  // Starts a lookup unless one is running.
  void Request() {
    if (auto in_view = discovery_->FindInView("http"); in_view.has_value()) {
      if (Swap(UrlsOf(*in_view, https_))) {
        view_updates_.fetch_add(1);
        return;
      }
    }
    if (refreshing_.exchange(true)) return;
    boost::asio::post(io_, [this] {
      auto found = discovery_->Find("http");
      refreshes_.fetch_add(1);
      if (found.ok()) urls_->Replace(UrlsOf(*found, https_));
      refreshing_.store(false);
    });
  }
  // Stops the view and ends a lookup in flight at once. Idempotent.
  void Stop() {
    discovery_->Shutdown();
    if (!thread_.joinable()) return;
    work_.reset();
    io_.stop();
    thread_.join();
  }
  uint64_t refreshes() const { return refreshes_.load(); }
  uint64_t view_updates() const { return view_updates_.load(); }

 private:
  // Replaces the rotation's URLs when `urls` differ from them; true when it did.
  bool Swap(std::vector<RuntimeUrl> urls) {
    auto names = [](const std::vector<RuntimeUrl>& list) {
      std::vector<std::string> out;
      for (const auto& url : list) out.push_back(url.ToString());
      return out;
    };
    absl::MutexLock lock(&swap_mu_);
    if (names(urls) == names(urls_->urls())) return false;
    urls_->Replace(std::move(urls));
    return true;
  }

  const std::unique_ptr<internal::RuntimeDiscovery> discovery_;
  const bool https_;
  UrlRotation* const urls_;
  absl::Mutex swap_mu_;  // one compare-and-replace at a time
  std::atomic<bool> refreshing_{false};
  std::atomic<uint64_t> refreshes_{0};
  std::atomic<uint64_t> view_updates_{0};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

absl::StatusOr<std::unique_ptr<EventMeshHttpClient>> EventMeshHttpClient::Create(
    HttpClientOptions options) {
  if (auto s = options.Validate(); !s.ok()) return s;
  std::vector<RuntimeUrl> urls;
  std::unique_ptr<internal::RuntimeDiscovery> discovery;
  if (options.registry.has_value()) {
    auto created = internal::RuntimeDiscovery::Create(*options.registry);
    if (!created.ok()) return created.status();
    discovery = *std::move(created);
    auto found = discovery->Find("http");
    if (!found.ok()) return found.status();
    urls = UrlsOf(*found, options.registry_https);
  } else {
    urls = options.ParsedUrls();
  }
  net::HttpClientOptions transport_options;
  transport_options.threads = 1;
  transport_options.ca_file = options.ca_file;
  transport_options.client_cert_file = options.client_cert_file;
  transport_options.client_key_file = options.client_key_file;
  transport_options.user_agent = "eventmesh-cpp-sdk";
  auto transport = net::HttpClient::Create(transport_options);
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<EventMeshHttpClient>(new EventMeshHttpClient(
      std::move(options), *std::move(transport), std::move(urls), std::move(discovery)));
}

EventMeshHttpClient::EventMeshHttpClient(HttpClientOptions options,
                                         std::unique_ptr<net::HttpClient> transport,
                                         std::vector<RuntimeUrl> urls,
                                         std::unique_ptr<internal::RuntimeDiscovery> discovery)
    : options_(std::move(options)),
      urls_(std::make_unique<UrlRotation>(std::move(urls))),
      transport_(std::move(transport)) {
  if (discovery != nullptr) {
    refresher_ = std::make_unique<Refresher>(std::move(discovery), *options_.registry,
                                             options_.registry_https, urls_.get());
  }
}

EventMeshHttpClient::~EventMeshHttpClient() { Close(); }

void EventMeshHttpClient::Close() {
  if (closed_.exchange(true)) return;
  transport_->Shutdown();
  if (refresher_ != nullptr) refresher_->Stop();
}

HttpClientStats EventMeshHttpClient::stats() const {
  HttpClientStats s;
  s.requests_sent = requests_sent_.load();
  s.requests_failed = requests_failed_.load();
  if (refresher_ != nullptr) {
    s.registry_refreshes = refresher_->refreshes();
    s.registry_view_updates = refresher_->view_updates();
  }
  return s;
}

std::vector<std::string> EventMeshHttpClient::runtime_urls() const {
  std::vector<std::string> urls;
  for (const auto& url : urls_->urls()) urls.push_back(url.ToString());
  return urls;
}

void EventMeshHttpClient::Call(absl::StatusOr<RuntimeRequest> request, absl::Duration timeout,
                               RawCallback done) {
  if (!request.ok()) {
    requests_failed_.fetch_add(1);
    done(request.status());
    return;
  }
  if (closed_.load()) {
    requests_failed_.fetch_add(1);
    done(absl::CancelledError("client closed"));
    return;
  }
  const UrlRotation::Pick pick = urls_->Next();
  net::HttpRequest out;
  out.method = "POST";
  out.url = absl::StrCat(pick.url.ToString(), request->path);
  out.headers = std::move(request->headers);
  out.body = std::move(request->body);
  requests_sent_.fetch_add(1);
  transport_->Send(
      std::move(out), timeout,
      [this, pick, done = std::move(done)](absl::StatusOr<net::HttpResponse> response) {
        urls_->Report(pick, /*reached=*/response.ok());
        if (!response.ok() && refresher_ != nullptr && urls_->AllFailed()) {
          refresher_->Request();
        }
        absl::StatusOr<std::string> result =
            response.ok() ? StatusFromRuntimeResponse(response->status, response->body)
                          : absl::StatusOr<std::string>(response.status());
        if (!result.ok()) requests_failed_.fetch_add(1);
        done(std::move(result));
      });
}

void EventMeshHttpClient::CallStatus(absl::StatusOr<RuntimeRequest> request, StatusCallback done) {
  Call(std::move(request), options_.request_timeout,
       [done = std::move(done)](absl::StatusOr<std::string> result) { done(result.status()); });
}

absl::Status EventMeshHttpClient::CallBlocking(absl::StatusOr<RuntimeRequest> request) {
  return ToFuture([&](StatusCallback cb) { CallStatus(std::move(request), std::move(cb)); }).get();
}

// ---- publish ----

absl::Status EventMeshHttpClient::Publish(const Message& message) {
  return CallBlocking(BuildSendMessageRequest(options_, ph::RequestCode::kMsgSendAsync, message));
}

void EventMeshHttpClient::PublishAsync(const Message& message, StatusCallback done) {
  CallStatus(BuildSendMessageRequest(options_, ph::RequestCode::kMsgSendAsync, message),
             std::move(done));
}

std::future<absl::Status> EventMeshHttpClient::PublishAsync(const Message& message) {
  return ToFuture([&](StatusCallback cb) { PublishAsync(message, std::move(cb)); });
}

absl::Status EventMeshHttpClient::Publish(const CloudEvent& event) {
  return CallBlocking(
      BuildSendCloudEventRequest(options_, ph::RequestCode::kMsgSendAsync, event, 0));
}

void EventMeshHttpClient::PublishAsync(const CloudEvent& event, StatusCallback done) {
  CallStatus(BuildSendCloudEventRequest(options_, ph::RequestCode::kMsgSendAsync, event, 0),
             std::move(done));
}

absl::Status EventMeshHttpClient::PublishBatch(const std::vector<Message>& messages,
                                               const std::string& batch_id) {
  return CallBlocking(BuildBatchRequest(options_, messages, batch_id));
}

void EventMeshHttpClient::PublishBatchAsync(const std::vector<Message>& messages,
                                            StatusCallback done) {
  CallStatus(BuildBatchRequest(options_, messages, ""), std::move(done));
}

absl::Status EventMeshHttpClient::PublishBatchV2(const Message& message) {
  return CallBlocking(BuildBatchV2Request(options_, message));
}

void EventMeshHttpClient::PublishBatchV2Async(const Message& message, StatusCallback done) {
  CallStatus(BuildBatchV2Request(options_, message), std::move(done));
}

absl::Status EventMeshHttpClient::PublishCloudEvent(const CloudEvent& event, CloudEventMode mode,
                                                    const std::string& topic) {
  return CallBlocking(BuildCloudEventPublishRequest(options_, event, mode, topic));
}

void EventMeshHttpClient::PublishCloudEventAsync(const CloudEvent& event, CloudEventMode mode,
                                                 const std::string& topic, StatusCallback done) {
  CallStatus(BuildCloudEventPublishRequest(options_, event, mode, topic), std::move(done));
}

absl::Status EventMeshHttpClient::PublishCloudEventBatch(const std::vector<CloudEvent>& events,
                                                         const std::string& topic) {
  return CallBlocking(BuildCloudEventBatchRequest(options_, events, topic));
}

void EventMeshHttpClient::PublishCloudEventBatchAsync(const std::vector<CloudEvent>& events,
                                                      const std::string& topic,
                                                      StatusCallback done) {
  CallStatus(BuildCloudEventBatchRequest(options_, events, topic), std::move(done));
}

// ---- request-reply ----

void EventMeshHttpClient::RequestAsync(const Message& message, absl::Duration timeout,
                                       ReplyCallback done) {
  if (timeout <= absl::ZeroDuration()) {
    done(absl::InvalidArgumentError("request timeout must be positive"));
    return;
  }
  Message m = message;
  m.ttl_ms = absl::ToInt64Milliseconds(timeout);
  if (m.ttl_ms <= 0) m.ttl_ms = 1;
  Call(BuildSendMessageRequest(options_, ph::RequestCode::kMsgSendSync, m),
       timeout + options_.request_timeout,
       [done = std::move(done)](absl::StatusOr<std::string> ret_msg) {
         if (!ret_msg.ok()) {
           done(ret_msg.status());
           return;
         }
         done(ParseReplyMessage(*ret_msg));
       });
}

absl::StatusOr<Message> EventMeshHttpClient::Request(const Message& message,
                                                     absl::Duration timeout) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<Message>>>();
  auto future = promise->get_future();
  RequestAsync(message, timeout,
               [promise](absl::StatusOr<Message> reply) { promise->set_value(std::move(reply)); });
  return future.get();
}

absl::Status EventMeshHttpClient::Reply(const ReceivedEvent& request, const Message& reply) {
  auto body = BuildReplyBody(request, reply);
  if (!body.ok()) return CallBlocking(body.status());
  return CallBlocking(BuildReplyRequest(options_, *body));
}

// ---- subscriptions ----

absl::Status EventMeshHttpClient::Subscribe(const std::string& url,
                                            const std::vector<SubscriptionItem>& topics,
                                            PushFormat format) {
  return CallBlocking(BuildSubscribeRequest(options_, url, topics, format));
}

absl::Status EventMeshHttpClient::Unsubscribe(const std::string& url,
                                              const std::vector<std::string>& topics) {
  return CallBlocking(BuildUnsubscribeRequest(options_, url, topics));
}

absl::Status EventMeshHttpClient::Heartbeat(const std::string& url,
                                            const std::vector<std::string>& topics) {
  return CallBlocking(BuildHeartbeatRequest(options_, url, topics));
}

void EventMeshHttpClient::HeartbeatAsync(const std::string& url,
                                         const std::vector<std::string>& topics,
                                         StatusCallback done) {
  CallStatus(BuildHeartbeatRequest(options_, url, topics), std::move(done));
}

}  // namespace eventmesh::sdk::http
