#ifndef EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_

// The "embedded" connector (alias "standalone", Apache EventMesh's name for its built-in
// store): the event-store engine (RocksDbEventStore) in-process.
//
// Publish: the event is serialized (CloudEvents protobuf format) on the caller's thread and
// queued; `appender_threads` threads drain the queue, append everything queued for one topic as
// one batch (round-robin partition) and run the callbacks after Append returned, i.e. once the
// batch is durable under the store's sync mode. Several appenders let the engine coalesce their
// writes (group commit).
// Clustering subscriptions: each one joins the store consumer group as a member (heartbeats from
// the connector thread every heartbeat_interval_ms), reads its assigned partitions with
// FetchAsync long-polls from the group's committed offset (or the partition's end when the group
// never committed), and commits per partition the contiguous acknowledged watermark every
// commit_interval_ms and on Close. Several runtimes on one store therefore share a group.
// Broadcasting subscriptions read every partition from its end at subscribe time; nothing is
// committed.
//
// Config section (eventMesh.storage.embedded.* / eventMesh.storage.standalone.*), defaults:
//   path                 (required) store directory
//   syncMode             batch        none | batch | always (see store::SyncMode)
//   appenderThreads      2
//   fetchMaxEvents       500          events per fetch
//   fetchWaitMs          500          long-poll wait
//   sessionTimeoutMs     10000        group member session timeout
//   heartbeatIntervalMs  1000
//   commitIntervalMs     200
//   retentionIntervalMs  60000        store retention pass period
// Thread-safe. Errors as in connector.h; a bad config value is InvalidArgument naming the key.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/store/engine/event_store.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"

namespace eventmesh::connectors {

struct EmbeddedOptions {
  store::StoreOptions store;  // store.path is required
  int32_t appender_threads = 2;
  int32_t fetch_max_events = 500;
  int64_t fetch_wait_ms = 500;
  int64_t session_timeout_ms = 10'000;
  int64_t heartbeat_interval_ms = 1'000;
  int64_t commit_interval_ms = 200;
};

// Parses the config section described above.
absl::StatusOr<EmbeddedOptions> ParseEmbeddedConfig(const ConnectorConfig& config);

class EmbeddedSubscriptionState;

class EmbeddedConnector final : public Connector {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedConnector>> Open(const EmbeddedOptions& options);
  ~EmbeddedConnector() override;

  absl::string_view name() const override { return "embedded"; }
  Capabilities capabilities() const override;
  void Publish(cloudevents::CloudEvent event, PublishCallback done) override;
  void PublishBatch(std::vector<PendingPublish>* batch) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const SubscribeOptions& options,
                                                          DeliveryHandler handler) override;
  absl::Status CreateTopic(const std::string& topic, int32_t partitions) override;
  absl::StatusOr<bool> TopicExists(const std::string& topic) override;
  absl::Status DeleteTopic(const std::string& topic) override;
  void Shutdown() override;

  // The engine (for tools and tests).
  store::EventStore* store() { return store_.get(); }

 private:
  struct PendingAppend {
    std::string topic;
    std::string payload;
    PublishCallback done;
  };

  explicit EmbeddedConnector(const EmbeddedOptions& options,
                             std::unique_ptr<store::RocksDbEventStore> store);
  void AppenderLoop();
  // Appends `batch` (grouped by topic, publish order kept per topic) and runs its callbacks.
  void AppendBatch(std::vector<PendingAppend>* batch);
  void MaintenanceLoop();

  const EmbeddedOptions options_;
  std::unique_ptr<store::RocksDbEventStore> store_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::condition_variable drained_cv_;
  std::deque<PendingAppend> queue_;
  int64_t queued_bytes_ = 0;
  int32_t busy_appenders_ = 0;
  int32_t idle_appenders_ = 0;  // appenders waiting on queue_cv_
  bool stopping_ = false;
  std::vector<std::thread> appenders_;

  std::mutex subs_mu_;
  std::condition_variable maintenance_cv_;
  bool maintenance_stop_ = false;
  std::vector<std::weak_ptr<EmbeddedSubscriptionState>> subscriptions_;
  std::thread maintenance_thread_;
  std::atomic<bool> shut_down_{false};
};

// Registers "embedded" and its alias "standalone".
absl::Status RegisterEmbeddedConnector(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_
