#ifndef EVENTMESH_CONNECTORS_EVENTSTORE_EVENT_STORE_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_EVENTSTORE_EVENT_STORE_CONNECTOR_H_

// EventStoreConnector: the Connector over any store::EventStore. The "embedded" connector is
// this class over an in-process RocksDbEventStore, the "store" connector this class over a
// RemoteEventStore (the store service); both are thin constructions (embedded/, store/).
//
// Delivery: a subscription that accepts_stored_bytes gets each fetched record's stored bytes
// (the CloudEvents protobuf form) undecoded; any other gets the decoded event. Records the store
// serves from memory come with this connector's attachment (a copy of the stored bytes made at
// publish), which deliveries share without a copy.
// Publish: the event is serialized (CloudEvents protobuf format) on the caller's thread and
// queued; `appender_threads` threads drain the queue, append everything queued for one topic as
// one batch (round-robin partition) and run the callbacks after Append returned, i.e. once the
// batch is durable under the store's sync mode. With `append_on_caller_thread` (embedded,
// syncMode none) a batch is appended on the caller's thread when nothing is queued or being
// appended. With `append_async` (embedded, syncMode batch/always) each batch is issued on the
// caller's thread with AppendAsync and its callbacks run when the store reports it durable (on
// the engine's commit threads), with no appender thread between. An append on the caller's
// thread also completes the fetches parked at the partition's end: a completion of 64 events
// or more is delivered by the connector's delivery thread (`em-deliver`), so under load the
// publisher's thread and the delivery use two cores; smaller ones are delivered in place. An Append
// that fails (e.g. the store service is unreachable) fails the callbacks with the store's status; a
// DeadlineExceeded append is reported as Unavailable (the event may or may not have been stored):
// no publish is ever acknowledged that the store did not confirm. Clustering subscriptions: each
// one joins the store consumer group as a member (heartbeats from the connector thread every
// heartbeat_interval_ms), reads its assigned partitions with FetchAsync long-polls from the group's
// committed offset (or the partition's end when the group never committed), and commits per
// partition the contiguous acknowledged watermark every commit_interval_ms and on Close. Several
// runtimes on one store therefore share a group. Broadcasting subscriptions read every partition
// from its end at subscribe time; nothing is committed. A fetch that fails (store unreachable) is
// retried by the connector thread with exponential backoff (retry_initial_backoff_ms doubling up to
// retry_max_backoff_ms); an expired group membership (store restarted, long outage) is re-joined on
// the next heartbeat, so subscriptions resume by themselves when the store comes back.
//
// Ownership: owns the store. Thread-safe. Errors as in connector.h. Subscriptions still open at
// Shutdown() stop being maintained (no heartbeats/commits/retries) but may still be closed.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "eventmesh/common/bounded_executor.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/common/config/values.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::connectors {

// Tuning shared by every EventStoreConnector, with defaults.
struct EventStoreConnectorOptions {
  std::string name = "embedded";  // Connector::name()
  bool durable = true;            // Capabilities::durable
  bool shared = false;            // Capabilities::shared_store
  int32_t appender_threads = 2;
  bool append_on_caller_thread = false;
  // Appends start on the publisher's thread with EventStore::AppendAsync and their callbacks
  // run where the store completes them (embedded, syncMode batch/always: the engine's commit
  // threads): no appender thread between. For stores whose appends in flight cost nothing
  // to hold; the runtime's session buffers bound them.
  bool append_async = false;
  store::AppendLimits limits;  // checked before queueing (max_event_bytes) and batching
  int32_t fetch_max_events = 500;
  int64_t fetch_wait_ms = 500;
  int64_t session_timeout_ms = 10'000;
  int64_t heartbeat_interval_ms = 1'000;
  int64_t commit_interval_ms = 200;
  int64_t retry_initial_backoff_ms = 50;
  int64_t retry_max_backoff_ms = 2'000;
  // What Connector::Gauges reports (called at every metrics scrape, from any thread; it may
  // use the store, which lives as long as the connector). Empty = none.
  std::function<std::vector<ConnectorGauge>()> gauges;
};

// Declares the tuning keys every EventStoreConnector-based connector accepts on `table`:
// appenderThreads, fetchMaxEvents, fetchWaitMs, sessionTimeoutMs, heartbeatIntervalMs,
// commitIntervalMs, retryMaxBackoffMs. `tuning` maps an Options to the struct holding the
// fields (EventStoreConnectorOptions, or any struct with the same field names); the defaults
// shown are those of a default-constructed Options. Values are integers >= 1; appenderThreads
// above 64 and fetchMaxEvents above 10000 count as 64 and 10000. The caller keeps
// retry_initial_backoff_ms <= retry_max_backoff_ms when it builds the connector.
template <typename Options, typename Tuning>
void AddEventStoreTuningKeys(config::KeyTable<Options>* table, Tuning tuning) {
  using T = std::remove_reference_t<std::invoke_result_t<Tuning, Options&>>;
  const auto field = [tuning](auto T::*member) {
    // decltype(auto) of the parenthesized member access: a reference to the field.
    return
        [tuning, member](Options& o) -> decltype(auto) { return (std::invoke(tuning, o).*member); };
  };
  // An integer >= 1, values above `max` counting as `max`.
  const auto capped = [tuning](int32_t T::*member, int32_t max) {
    return [tuning, member, max](const std::string& key, const std::string& value, Options* o) {
      auto parsed = config::ParseInt(key, value, 1, INT64_MAX);
      if (!parsed.ok()) return parsed.status();
      std::invoke(tuning, *o).*member = static_cast<int32_t>(std::min<int64_t>(*parsed, max));
      return absl::OkStatus();
    };
  };
  Options defaults{};
  const T& d = std::invoke(tuning, defaults);
  table
      ->Custom("appenderThreads", std::to_string(d.appender_threads), "",
               "threads appending queued publishes, each one batch at a time (appends in "
               "flight; the embedded store in syncMode batch/always appends without them) "
               "[1..64; more counts as 64]",
               capped(&T::appender_threads, 64))
      .Custom("fetchMaxEvents", std::to_string(d.fetch_max_events), "events",
              "events per fetch [1..10000; more counts as 10000]",
              capped(&T::fetch_max_events, 10'000))
      .Int("fetchWaitMs", field(&T::fetch_wait_ms), 1, INT64_MAX, "ms",
           "long-poll wait of a fetch at the end of a partition")
      .Int("sessionTimeoutMs", field(&T::session_timeout_ms), 1, INT64_MAX, "ms",
           "consumer group member session timeout (a member without heartbeat for this long "
           "leaves the group)")
      .Int("heartbeatIntervalMs", field(&T::heartbeat_interval_ms), 1, INT64_MAX, "ms",
           "group heartbeat period of each CLUSTERING subscription")
      .Int("commitIntervalMs", field(&T::commit_interval_ms), 1, INT64_MAX, "ms",
           "period of offset commits (the contiguous acknowledged watermark)")
      .Int("retryMaxBackoffMs", field(&T::retry_max_backoff_ms), 1, INT64_MAX, "ms",
           "cap of the fetch retry backoff (starts at 50 ms, doubling)");
}

class EventStoreSubscriptionState;

class EventStoreConnector final : public Connector {
 public:
  // Starts the appender and connector threads. `store` must not be null.
  static std::unique_ptr<EventStoreConnector> Create(std::unique_ptr<store::EventStore> store,
                                                     const EventStoreConnectorOptions& options);
  ~EventStoreConnector() override;

  absl::string_view name() const override { return options_.name; }
  Capabilities capabilities() const override;
  void Publish(cloudevents::CloudEvent event, PublishCallback done) override;
  void PublishBatch(std::vector<PendingPublish>* batch) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const SubscribeOptions& options,
                                                          DeliveryHandler handler) override;
  absl::Status CreateTopic(const std::string& topic, int32_t partitions) override;
  absl::Status CreateTopicWithRetention(const std::string& topic, int32_t partitions,
                                        const TopicRetention& retention) override;
  absl::StatusOr<TopicRetention> GetTopicRetention(const std::string& topic) override;
  absl::StatusOr<bool> TopicExists(const std::string& topic) override;
  absl::Status DeleteTopic(const std::string& topic) override;
  absl::StatusOr<std::vector<std::string>> ListTopics() override;
  absl::StatusOr<std::vector<PartitionOffsets>> Offsets(const std::string& topic,
                                                        const std::string& group) override;
  absl::Status ResetGroupOffsets(const std::string& group, const std::string& topic,
                                 OffsetReset reset) override;
  absl::StatusOr<std::vector<StoredEvent>> ReadEvents(const std::string& topic, int32_t partition,
                                                      int64_t offset, int32_t max_events) override;
  void Shutdown() override;
  std::vector<ConnectorGauge> Gauges() override;

  // The store (for tools and tests).
  store::EventStore* store() { return store_.get(); }
  const EventStoreConnectorOptions& options() const { return options_; }

 private:
  struct PendingAppend {
    TopicName topic;
    // Empty when `attachment` holds the bytes (RecordAttachment::Payload).
    std::string payload;
    PublishCallback done;
    // The payload itself, moved into an attachment when the store serves recent records from
    // memory (EventStore::KeepsAttachments): the store writes it from there and deliveries
    // share it, so it is never copied.
    std::shared_ptr<const store::RecordAttachment> attachment;
    int64_t bytes = 0;  // the payload's size, for the queue's byte bounds
  };

  // One topic's share of a batch: its records in publish order and their callbacks.
  struct TopicAppend {
    TopicName topic;  // request.topic, shared with the publish results
    store::AppendRequest request;
    std::vector<PublishCallback> dones;
  };

  EventStoreConnector(std::unique_ptr<store::EventStore> store,
                      const EventStoreConnectorOptions& options);
  void AppenderLoop();
  // PublishBatch's fast path: when appends run on the publisher's thread, nothing is queued or
  // being appended, and every publish of `batch` is in its stored form with one topic and
  // within the limits, appends them as one request on this thread, runs their callbacks and
  // returns true. Otherwise returns false and leaves `batch` as it was.
  bool AppendStoredHere(std::vector<PendingPublish>* batch);
  // Runs `append` (an append on the publisher's thread) marked as such: a small completion of
  // the fetches it completes is delivered on this thread (EventStoreSubscriptionState::Deliver).
  static void AppendOnPublisherThread(absl::FunctionRef<void()> append);
  // The end of an append counted in busy_appenders_ on the publisher's thread: uncounts it and
  // wakes Shutdown's wait once nothing is queued or being appended.
  void DoneAppendingHere();
  // Moves `batch` into one append request per topic (round-robin partition).
  static std::vector<TopicAppend> GroupByTopic(std::vector<PendingAppend>* batch);
  // Appends `batch` (grouped by topic, publish order kept per topic) and runs its callbacks.
  void AppendBatch(std::vector<PendingAppend>* batch);
  // The same with AppendAsync: returns once every append is issued; each topic's callbacks run
  // when the store completes its append. Counted in busy_appenders_ until then.
  void AppendBatchAsync(std::vector<PendingAppend>* batch);
  // Runs the callbacks of `count` publishes appended as one batch at `partition`/`base_offset`
  // (`dones[k]` for the k-th), or fails them all with the store's error.
  static void CompleteAppended(const TopicName& topic,
                               const absl::StatusOr<store::AppendResult>& result,
                               std::vector<PublishCallback>* dones);
  void MaintenanceLoop();

  const EventStoreConnectorOptions options_;
  std::unique_ptr<store::EventStore> store_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::condition_variable drained_cv_;
  std::deque<PendingAppend> queue_;
  int64_t queued_bytes_ = 0;
  int32_t busy_appenders_ = 0;
  int32_t idle_appenders_ = 0;  // appenders waiting on queue_cv_
  bool stopping_ = false;
  std::vector<std::thread> appenders_;
  // With append_on_caller_thread: delivers the large fetch completions such appends complete.
  std::shared_ptr<BoundedExecutor> delivery_;

  // Maintenance: one scheduler thread hands each subscription's tick (heartbeat, commit, pump) to
  // a pool of kMaintenanceWorkers, a subscription at most once at a time, so one slow store call
  // delays only its own subscription, never the heartbeats of the others.
  static constexpr int kMaintenanceWorkers = 4;
  void MaintenanceWorker();
  std::mutex subs_mu_;
  std::condition_variable maintenance_cv_;
  std::condition_variable tick_cv_;
  bool maintenance_stop_ = false;
  std::vector<std::weak_ptr<EventStoreSubscriptionState>> subscriptions_;
  std::deque<std::shared_ptr<EventStoreSubscriptionState>> tick_queue_;  // subs_mu_
  std::thread maintenance_thread_;
  std::vector<std::thread> maintenance_workers_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_EVENTSTORE_EVENT_STORE_CONNECTOR_H_
