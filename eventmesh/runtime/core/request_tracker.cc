#include "eventmesh/runtime/core/request_tracker.h"

#include <unistd.h>

#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace eventmesh::runtime::core {
namespace {

std::string NewRuntimeId() {
  std::random_device device;
  uint64_t bits = (static_cast<uint64_t>(device()) << 32) ^ device();
  bits ^= static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  bits ^= static_cast<uint64_t>(getpid()) << 17;
  return absl::StrCat(absl::Hex(bits, absl::kZeroPad16));
}

}  // namespace

RequestTracker::RequestTracker()
    : nonce_(static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())),
      runtime_id_(NewRuntimeId()),
      reply_topic_(absl::StrCat("eventmesh-reply-", runtime_id_)) {}

RequestTracker::~RequestTracker() { Shutdown(); }

std::string RequestTracker::NewCorrelationId(uint64_t session_id, const std::string& seq) {
  uint64_t n = 0;
  {
    absl::MutexLock lock(&mu_);
    n = ++next_;
  }
  return absl::StrCat(runtime_id_, "-", nonce_, "-", session_id, "-", n, "-", seq);
}

void RequestTracker::Register(const std::string& id, ResponseFn on_response) {
  absl::MutexLock lock(&mu_);
  pending_[id] = std::move(on_response);
}

bool RequestTracker::Complete(const std::string& id, const cloudevents::CloudEvent& response) {
  ResponseFn fn;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return false;
    fn = std::move(it->second);
    pending_.erase(it);
  }
  fn(response);
  return true;
}

bool RequestTracker::Cancel(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return pending_.erase(id) > 0;
}

size_t RequestTracker::pending() {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

absl::StatusOr<std::string> RequestTracker::EnsureReplyChannel(connectors::Connector* connector) {
  if (!connector->capabilities().shared_store) return std::string();
  std::lock_guard<std::mutex> lock(channel_mu_);
  if (shut_down_) return absl::UnavailableError("the request tracker is shut down");
  if (reply_subscription_ != nullptr) return reply_topic_;
  absl::Status created = connector->CreateTopic(reply_topic_, 1);
  if (!created.ok() && created.code() != absl::StatusCode::kAlreadyExists) {
    return absl::Status(created.code(), absl::StrCat("cannot create the reply topic ", reply_topic_,
                                                     ": ", created.message()));
  }
  channel_connector_ = connector;
  connectors::SubscribeOptions options;
  options.group = reply_topic_;
  options.topic = reply_topic_;
  options.mode = connectors::ConsumeMode::kBroadcasting;
  options.max_unacked = 10'000;
  auto subscription = connector->Subscribe(
      options, [this](std::vector<connectors::DeliveredEvent>* events) { OnReplies(events); });
  if (!subscription.ok()) {
    return absl::Status(subscription.status().code(),
                        absl::StrCat("cannot subscribe to the reply topic ", reply_topic_, ": ",
                                     subscription.status().message()));
  }
  reply_subscription_ = std::move(*subscription);
  std::vector<connectors::Position> early;
  {
    absl::MutexLock ack_lock(&ack_mu_);
    ack_target_ = reply_subscription_.get();
    early.swap(early_acks_);
  }
  if (!early.empty()) reply_subscription_->AckAll(early);
  return reply_topic_;
}

void RequestTracker::OnReplies(std::vector<connectors::DeliveredEvent>* events) {
  std::vector<connectors::Position> positions;
  positions.reserve(events->size());
  for (auto& delivered : *events) {
    positions.push_back(delivered.position);
    cloudevents::CloudEvent response = *delivered.event;  // a copy: its subject is rewritten
    const std::string* id = response.FindExtension(kCorrelationExtension);
    if (id == nullptr) {
      LOG(WARNING) << "event without " << kCorrelationExtension << " on reply topic "
                   << reply_topic_ << " dropped";
      continue;
    }
    const std::string correlation = *id;
    if (const std::string* subject = response.FindExtension(kReplySubjectExtension)) {
      response.set_subject(*subject);
      response.RemoveExtension(kReplySubjectExtension);
    } else {
      response.clear_subject();
    }
    if (!Complete(correlation, response)) {
      VLOG(1) << "forwarded response for unknown or expired request " << correlation;
    }
  }
  connectors::Subscription* target = nullptr;
  {
    absl::MutexLock lock(&ack_mu_);
    target = ack_target_;
    if (target == nullptr) {
      early_acks_.insert(early_acks_.end(), positions.begin(), positions.end());
      return;
    }
  }
  // Safe: Shutdown closes the subscription, which waits for this handler to return.
  target->AckAll(positions);
}

RequestTracker::Route RequestTracker::RouteResponse(connectors::Connector* connector,
                                                    const std::string& id,
                                                    cloudevents::CloudEvent response) {
  if (Complete(id, response)) return Route::kLocal;
  const std::string* reply_topic = response.FindExtension(kReplyTopicExtension);
  if (reply_topic == nullptr || *reply_topic == reply_topic_ || reply_topic->empty()) {
    return Route::kUnknown;
  }
  if (!IsReplyTopic(*reply_topic)) return Route::kRefused;
  const std::string destination = *reply_topic;
  if (response.subject()) response.SetExtension(kReplySubjectExtension, *response.subject());
  response.set_subject(destination);
  connector->Publish(
      std::move(response), [destination, id](absl::StatusOr<connectors::PublishResult> result) {
        if (!result.ok()) {
          LOG(WARNING) << "cannot forward the response to request " << id << " to reply topic "
                       << destination << ": " << result.status();
        }
      });
  return Route::kForward;
}

bool RequestTracker::IsReplyTopic(absl::string_view topic) {
  constexpr absl::string_view kPrefix = "eventmesh-reply-";
  if (!absl::StartsWith(topic, kPrefix) || topic.size() != kPrefix.size() + 16) return false;
  for (const char c : topic.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void RequestTracker::Shutdown() {
  std::unique_ptr<connectors::Subscription> subscription;
  connectors::Connector* connector = nullptr;
  {
    std::lock_guard<std::mutex> lock(channel_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    subscription = std::move(reply_subscription_);
    connector = channel_connector_;
  }
  if (subscription != nullptr) subscription->Close();
  {
    absl::MutexLock lock(&ack_mu_);
    ack_target_ = nullptr;
    early_acks_.clear();
  }
  subscription.reset();
  if (connector != nullptr) {
    absl::Status deleted = connector->DeleteTopic(reply_topic_);
    if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) {
      LOG(WARNING) << "cannot delete reply topic " << reply_topic_ << ": " << deleted;
    }
  }
}

}  // namespace eventmesh::runtime::core
