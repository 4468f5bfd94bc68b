#ifndef EVENTMESH_RUNTIME_CORE_CONSUMER_MANAGER_H_
#define EVENTMESH_RUNTIME_CORE_CONSUMER_MANAGER_H_

// Maps client subscriptions onto GroupConsumers and drives their ack timeouts.
//
// CLUSTERING subscriptions of one (group, topic) share one GroupConsumer (one connector
// subscription = one member of the store's consumer group, so several runtimes on one store
// share the group). BROADCASTING subscriptions get one GroupConsumer per (session, topic).
// A GroupConsumer is closed when its last session leaves.
// Dead letters go to topic DeadLetterTopic(group) = "<group>.DLQ" (characters outside
// [A-Za-z0-9._-] replaced by '_'), created on demand; the event keeps its attributes, its subject
// becomes the dead-letter topic and extensions "dlqtopic" (original topic) and "dlqdeliveries"
// (push count; a target's Reject sets its own attempt count and "dlqreason") are added.
// Owns a timer thread (ack timeouts, every tick_ms). Thread-safe; the subscription map lock is
// taken on subscribe/unsubscribe/session close only, never on the delivery path.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "absl/status/status.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/runtime/core/group_consumer.h"
#include "eventmesh/runtime/core/topic_registry.h"

namespace eventmesh::runtime::core {

std::string DeadLetterTopic(const std::string& group);

struct ConsumerManagerOptions {
  DeliverySettings delivery;
  int32_t max_unacked_per_consumer = 10'000;  // connector read-ahead bound per GroupConsumer
  int64_t max_unacked_bytes_per_consumer = int64_t{64} << 20;  // the same bound in bytes
  int64_t tick_ms = 50;
  // A clustering consumer whose last target's connection closed stays open this long (ms), so
  // a subscriber that reconnects finds its unacknowledged events with their delivery counts (a
  // poison event still reaches the dead-letter topic when its subscriber crashes on it every
  // time). 0 = close at once. An explicit unsubscribe closes at once.
  int64_t linger_ms = 10'000;
  // Distinct groups with an open consumer in this runtime at most (eventMesh.server.group.
  // maxGroups); a subscription that would open one more is refused with ResourceExhausted.
  // 0 = unbounded.
  int64_t max_groups = 0;
};

class ConsumerManager {
 public:
  // `connector` and `topics` must outlive the manager.
  ConsumerManager(connectors::Connector* connector, TopicRegistry* topics,
                  ConsumerManagerOptions options);
  ~ConsumerManager();

  // Starts pushing events of `topic` to `target` for `group`. The topic must exist (see
  // TopicRegistry). Errors from the connector's Subscribe.
  // `settings` apply to this target in the (group, topic) consumer (see TargetSettings).
  // `start`: where the group begins when it has no committed position yet (used only when this
  // call opens the group's consumer in this runtime).
  absl::Status Subscribe(const std::shared_ptr<DeliveryTarget>& target, const std::string& group,
                         const std::string& topic, connectors::ConsumeMode mode, PushKind push_kind,
                         TargetSettings settings = {},
                         connectors::StartPosition start = connectors::StartPosition::kLatest);
  void Unsubscribe(uint64_t target_id, const std::string& group, const std::string& topic);
  // Removes the target from everything (its unacknowledged events are redelivered).
  void RemoveTarget(uint64_t target_id);

  // The first of kSeqBlock runtime-wide unique push seqs (GroupConsumer's SeqBlockGenerator).
  uint64_t NextSeqBlock() { return (seq_blocks_.fetch_add(1) + 1) * kSeqBlock; }
  // A target id for targets that are not TCP sessions (webhooks): from kExternalTargetIdBase
  // upward, so they never collide with session ids (which the TCP server counts from 1).
  static constexpr uint64_t kExternalTargetIdBase = uint64_t{1} << 62;
  uint64_t NewExternalTargetId() { return kExternalTargetIdBase + external_ids_.fetch_add(1); }
  // Stops the timer and closes every consumer (commits acknowledged positions). Idempotent.
  void Shutdown();

  // The (group, topic) pairs with at least one target now, sorted and unique: what the runtime
  // reports to the registry as the topics its clients want.
  std::vector<std::pair<std::string, std::string>> Subscriptions();

  // One open GroupConsumer (lingering ones included), for the admin port and gauges.
  struct ConsumerSummary {
    std::string group;
    std::string topic;
    bool broadcasting = false;
    bool lingering = false;  // no target left; closes after linger_ms
    size_t targets = 0;
    ConsumerStats stats;
  };
  // Every open consumer, sorted by (group, topic). Takes each consumer's lock briefly.
  std::vector<ConsumerSummary> Consumers();

 private:
  // (group, topic, target id or 0 for clustering)
  using Key = std::tuple<std::string, std::string, uint64_t>;

  void TickLoop();
  // OK when `group` already has a consumer (or one being opened) or there is room for one
  // more group. Requires mu_.
  absl::Status AdmitGroupLocked(const std::string& group);
  void DeadLetter(const std::string& group, cloudevents::CloudEvent event,
                  std::function<void(absl::Status)> done);

  connectors::Connector* const connector_;
  TopicRegistry* const topics_;
  const ConsumerManagerOptions options_;
  std::atomic<uint64_t> seq_blocks_{0};
  std::atomic<uint64_t> external_ids_{0};

  std::mutex mu_;
  std::map<Key, std::shared_ptr<GroupConsumer>> consumers_;
  std::map<Key, int64_t> lingering_;  // consumers without targets -> steady deadline to close
  std::multimap<uint64_t, Key> by_target_;
  std::multiset<std::string> opening_;  // groups of consumers being opened (outside mu_)
  bool stopped_ = false;
  std::condition_variable tick_cv_;
  std::thread tick_thread_;
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_CONSUMER_MANAGER_H_
