#include "eventmesh/runtime/core/consumer_manager.h"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/common/named_thread.h"
#include "glog/logging.h"

namespace eventmesh::runtime::core {

std::string DeadLetterTopic(const std::string& group) {
  std::string topic = group + ".DLQ";
  for (char& c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (topic.size() > 249) topic = topic.substr(topic.size() - 249);
  return topic;
}

ConsumerManager::ConsumerManager(connectors::Connector* connector, TopicRegistry* topics,
                                 ConsumerManagerOptions options)
    : connector_(connector), topics_(topics), options_(options) {
  tick_thread_ = StartNamedThread("em-ack-timer", [this] { TickLoop(); });
}

ConsumerManager::~ConsumerManager() { Shutdown(); }

absl::Status ConsumerManager::Subscribe(const std::shared_ptr<DeliveryTarget>& target,
                                        const std::string& group, const std::string& topic,
                                        connectors::ConsumeMode mode, PushKind push_kind,
                                        TargetSettings settings, connectors::StartPosition start) {
  const uint64_t owner = mode == connectors::ConsumeMode::kBroadcasting ? target->target_id() : 0;
  Key key{group, topic, owner};
  std::shared_ptr<GroupConsumer> consumer;
  std::shared_ptr<GroupConsumer> redundant;  // opened concurrently by another subscriber
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_) return absl::UnavailableError("the runtime is shutting down");
    auto it = consumers_.find(key);
    if (it != consumers_.end()) {
      consumer = it->second;
      lingering_.erase(key);  // a member is back: its events and their counts carry on
    } else {
      if (absl::Status admitted = AdmitGroupLocked(group); !admitted.ok()) return admitted;
      // Joining the group is a store call that may take long (a slow or unreachable store):
      // it runs without the manager's lock, so other sessions keep subscribing and leaving.
      opening_.insert(group);
      lock.unlock();
      auto sink = [this, group](cloudevents::CloudEvent event,
                                std::function<void(absl::Status)> done) {
        DeadLetter(group, std::move(event), std::move(done));
      };
      auto opened_consumer = std::make_shared<GroupConsumer>(
          group, topic, mode, options_.delivery, [this] { return NextSeqBlock(); }, sink);
      absl::Status opened = opened_consumer->Open(connector_, options_.max_unacked_per_consumer,
                                                  start, options_.max_unacked_bytes_per_consumer);
      lock.lock();
      opening_.erase(opening_.find(group));
      if (!opened.ok()) return opened;
      if (stopped_) {
        lock.unlock();
        opened_consumer->Close();
        return absl::UnavailableError("the runtime is shutting down");
      }
      auto [existing, inserted] = consumers_.emplace(key, opened_consumer);
      if (!inserted) redundant = std::move(opened_consumer);  // someone else was faster
      consumer = existing->second;
      lingering_.erase(key);
    }
    bool known = false;
    auto range = by_target_.equal_range(target->target_id());
    for (auto i = range.first; i != range.second; ++i) known |= i->second == key;
    if (!known) by_target_.emplace(target->target_id(), key);
  }
  if (redundant) redundant->Close();
  consumer->AddTarget(target, push_kind, settings);
  return absl::OkStatus();
}

absl::Status ConsumerManager::AdmitGroupLocked(const std::string& group) {
  if (options_.max_groups <= 0) return absl::OkStatus();
  auto first = consumers_.lower_bound(Key{group, std::string(), 0});
  if (first != consumers_.end() && std::get<0>(first->first) == group) return absl::OkStatus();
  if (opening_.count(group) > 0) return absl::OkStatus();
  std::set<absl::string_view> groups;
  for (const auto& [key, consumer] : consumers_) groups.insert(std::get<0>(key));
  for (const auto& name : opening_) groups.insert(name);
  if (static_cast<int64_t>(groups.size()) < options_.max_groups) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("group \"", group, "\" refused: this runtime serves at most ",
                   options_.max_groups, " consumer groups (eventMesh.server.group.maxGroups)"));
}

void ConsumerManager::Unsubscribe(uint64_t target_id, const std::string& group,
                                  const std::string& topic) {
  std::vector<std::shared_ptr<GroupConsumer>> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto range = by_target_.equal_range(target_id);
    for (auto i = range.first; i != range.second;) {
      const Key& key = i->second;
      if (std::get<0>(key) != group || std::get<1>(key) != topic) {
        ++i;
        continue;
      }
      auto it = consumers_.find(key);
      if (it != consumers_.end() && it->second->RemoveTarget(target_id) == 0) {
        to_close.push_back(it->second);
        consumers_.erase(it);
      }
      i = by_target_.erase(i);
    }
  }
  for (auto& consumer : to_close) consumer->Close();
}

void ConsumerManager::RemoveTarget(uint64_t target_id) {
  std::vector<std::shared_ptr<GroupConsumer>> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto range = by_target_.equal_range(target_id);
    for (auto i = range.first; i != range.second; ++i) {
      auto it = consumers_.find(i->second);
      if (it != consumers_.end() && it->second->RemoveTarget(target_id) == 0) {
        const bool broadcasting = std::get<2>(i->second) != 0;
        if (options_.linger_ms > 0 && !broadcasting) {
          lingering_[i->second] = SteadyNowMs() + options_.linger_ms;
        } else {
          to_close.push_back(it->second);
          consumers_.erase(it);
        }
      }
    }
    by_target_.erase(range.first, range.second);
  }
  for (auto& consumer : to_close) consumer->Close();
}

void ConsumerManager::DeadLetter(const std::string& group, cloudevents::CloudEvent event,
                                 std::function<void(absl::Status)> done) {
  const std::string topic = DeadLetterTopic(group);
  absl::Status ensured = topics_->EnsureTopic(topic);
  if (!ensured.ok()) {
    done(ensured);
    return;
  }
  if (event.subject()) event.SetExtension("dlqtopic", *event.subject());
  if (event.FindExtension("dlqdeliveries") == nullptr) {
    event.SetExtension("dlqdeliveries", std::to_string(options_.delivery.max_delivery_count));
  }
  event.set_subject(topic);
  connector_->Publish(
      std::move(event),
      [done = std::move(done)](absl::StatusOr<connectors::PublishResult> r) { done(r.status()); });
}

void ConsumerManager::TickLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    tick_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
    if (stopped_) break;
    const int64_t now = SteadyNowMs();
    std::vector<std::shared_ptr<GroupConsumer>> expired;
    for (auto it = lingering_.begin(); it != lingering_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      if (auto consumer = consumers_.find(it->first); consumer != consumers_.end()) {
        expired.push_back(consumer->second);
        consumers_.erase(consumer);
      }
      it = lingering_.erase(it);
    }
    std::vector<std::shared_ptr<GroupConsumer>> consumers;
    consumers.reserve(consumers_.size());
    for (auto& [key, consumer] : consumers_) consumers.push_back(consumer);
    lock.unlock();
    for (auto& consumer : expired) consumer->Close();
    for (auto& consumer : consumers) consumer->Tick(now);
    consumers.clear();
    expired.clear();
    lock.lock();
  }
}

std::vector<std::pair<std::string, std::string>> ConsumerManager::Subscriptions() {
  std::vector<std::pair<std::string, std::string>> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, consumer] : consumers_) {
      if (lingering_.count(key) > 0) continue;
      out.emplace_back(std::get<0>(key), std::get<1>(key));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<ConsumerManager::ConsumerSummary> ConsumerManager::Consumers() {
  std::vector<std::pair<ConsumerSummary, std::shared_ptr<GroupConsumer>>> found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, consumer] : consumers_) {
      ConsumerSummary summary;
      summary.group = std::get<0>(key);
      summary.topic = std::get<1>(key);
      summary.broadcasting = std::get<2>(key) != 0;
      summary.lingering = lingering_.count(key) > 0;
      found.emplace_back(std::move(summary), consumer);
    }
  }
  std::vector<ConsumerSummary> out;
  out.reserve(found.size());
  for (auto& [summary, consumer] : found) {
    summary.stats = consumer->stats();
    summary.targets = consumer->target_count();
    out.push_back(std::move(summary));
  }
  std::sort(out.begin(), out.end(), [](const ConsumerSummary& a, const ConsumerSummary& b) {
    return std::tie(a.group, a.topic) < std::tie(b.group, b.topic);
  });
  return out;
}

void ConsumerManager::Shutdown() {
  std::map<Key, std::shared_ptr<GroupConsumer>> consumers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ && consumers_.empty()) {
      // Already shut down.
    }
    stopped_ = true;
    consumers.swap(consumers_);
    lingering_.clear();
    by_target_.clear();
    tick_cv_.notify_all();
  }
  if (tick_thread_.joinable()) tick_thread_.join();
  for (auto& [key, consumer] : consumers) consumer->Close();
}

}  // namespace eventmesh::runtime::core
