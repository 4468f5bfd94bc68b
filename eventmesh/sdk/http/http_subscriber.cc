#include "eventmesh/sdk/http/http_subscriber.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/sdk/internal/webhook_endpoint.h"

namespace eventmesh::sdk::http {

absl::StatusOr<std::unique_ptr<HttpSubscriber>> HttpSubscriber::Start(HttpSubscriberOptions options,
                                                                      PushHandler handler) {
  if (!handler) return absl::InvalidArgumentError("a push handler is required");
  if (options.heartbeat_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("heartbeat_interval must be positive");
  }
  if (options.path.empty() || options.path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("path must start with '/', got '", options.path, "'"));
  }
  std::unique_ptr<HttpSubscriber> subscriber(
      new HttpSubscriber(std::move(options), std::move(handler)));
  HttpSubscriber* self = subscriber.get();
  const HttpSubscriberOptions& o = self->options_;

  auto client = EventMeshHttpClient::Create(o.client);
  if (!client.ok()) return client.status();
  self->client_ = *std::move(client);

  WebhookEndpointOptions endpoint;
  endpoint.allowed_origins = o.allowed_origins;
  auto server = WebhookServer::Start(o.server, [self, endpoint](const ServerRequest& request) {
    return HandleWebhookRequest(
        request,
        [self](const ReceivedEvent& event) {
          {
            absl::MutexLock lock(&self->mu_);
            ++self->pushes_;
          }
          return self->handler_(event);
        },
        endpoint);
  });
  if (!server.ok()) return server.status();
  self->server_ = *std::move(server);

  std::string host = o.advertised_host;
  if (host.empty()) host = o.server.address;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (absl::StrContains(host, ':')) host = absl::StrCat("[", host, "]");
  self->url_ = absl::StrCat("http://", host, ":", self->server_->port(), o.path);

  if (!o.topics.empty()) {
    if (auto s = self->client_->Subscribe(self->url_, o.topics, o.push_format); !s.ok()) {
      self->server_->Stop();
      self->client_->Close();
      {
        absl::MutexLock lock(&self->mu_);
        self->stopped_ = true;
      }
      return s;
    }
    absl::MutexLock lock(&self->mu_);
    self->topics_ = o.topics;
  }
  self->heartbeat_thread_ = std::thread([self] { self->HeartbeatLoop(); });
  return subscriber;
}

HttpSubscriber::HttpSubscriber(HttpSubscriberOptions options, PushHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpSubscriber::~HttpSubscriber() { Stop().IgnoreError(); }

std::vector<std::string> HttpSubscriber::TopicNames() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& item : topics_) names.push_back(item.topic);
  return names;
}

absl::Status HttpSubscriber::Subscribe(const std::vector<SubscriptionItem>& topics) {
  if (auto s = client_->Subscribe(url_, topics, options_.push_format); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  for (const auto& item : topics) {
    auto same = [&](const SubscriptionItem& t) { return t.topic == item.topic; };
    auto it = std::find_if(topics_.begin(), topics_.end(), same);
    if (it == topics_.end()) {
      topics_.push_back(item);
    } else {
      *it = item;
    }
  }
  return absl::OkStatus();
}

absl::Status HttpSubscriber::Unsubscribe(const std::vector<std::string>& topics) {
  if (auto s = client_->Unsubscribe(url_, topics); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  topics_.erase(std::remove_if(topics_.begin(), topics_.end(),
                               [&](const SubscriptionItem& t) {
                                 return std::find(topics.begin(), topics.end(), t.topic) !=
                                        topics.end();
                               }),
                topics_.end());
  return absl::OkStatus();
}

absl::Status HttpSubscriber::Reply(const ReceivedEvent& request, const Message& reply) {
  return client_->Reply(request, reply);
}

absl::Status HttpSubscriber::HeartbeatNow() {
  const std::vector<std::string> topics = TopicNames();
  if (topics.empty()) return absl::OkStatus();
  absl::Status s = client_->Heartbeat(url_, topics);
  absl::MutexLock lock(&mu_);
  if (s.ok()) {
    ++heartbeats_sent_;
  } else {
    ++heartbeat_failures_;
  }
  return s;
}

void HttpSubscriber::HeartbeatLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.heartbeat_interval)) return;
    }
    const absl::Status beat = HeartbeatNow();
    if (RetCodeOf(beat) == 21) {  // EVENTMESH_HEARTBEAT_ERR: the subscription is unknown
      std::vector<SubscriptionItem> topics;
      {
        absl::MutexLock lock(&mu_);
        topics = topics_;
      }
      if (!topics.empty() && client_->Subscribe(url_, topics, options_.push_format).ok()) {
        absl::MutexLock lock(&mu_);
        ++resubscribes_;
      }
    }
  }
}

absl::Status HttpSubscriber::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return stop_result_;
    if (stopping_) {
      auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopped_; };
      mu_.Await(absl::Condition(&done));
      return stop_result_;
    }
    stopping_ = true;
  }
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  absl::Status result;
  const std::vector<std::string> topics = TopicNames();
  if (!topics.empty() && client_ != nullptr) result = client_->Unsubscribe(url_, topics);
  if (server_ != nullptr) server_->Stop();
  if (client_ != nullptr) client_->Close();
  absl::MutexLock lock(&mu_);
  stop_result_ = result;
  stopped_ = true;
  return result;
}

HttpSubscriberStats HttpSubscriber::stats() const {
  absl::MutexLock lock(&mu_);
  HttpSubscriberStats s;
  s.pushes = pushes_;
  s.heartbeats_sent = heartbeats_sent_;
  s.heartbeat_failures = heartbeat_failures_;
  s.resubscribes = resubscribes_;
  return s;
}

}  // namespace eventmesh::sdk::http
