#ifndef EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_

// The "embedded" connector (alias "standalone", Apache EventMesh's name for its built-in
// store): an EventStoreConnector (eventstore/event_store_connector.h, where publishing,
// subscriptions, group membership and commits are described) over the event-store engine
// (RocksDbEventStore) in-process, whose own background thread runs retention every
// retentionIntervalMs. With syncMode none a publish batch is appended on the caller's thread
// when nothing is queued. The store directory can be used by one process at a time.
//
// Config section (eventMesh.storage.embedded.* / eventMesh.storage.standalone.*), defaults:
//   path                 <runtime dataDir>/store   store directory
//   syncMode             batch        none | batch | always (see store::SyncMode)
//   appenderThreads      2
//   fetchMaxEvents       500          events per fetch
//   fetchWaitMs          500          long-poll wait
//   sessionTimeoutMs     10000        group member session timeout
//   heartbeatIntervalMs  1000
//   commitIntervalMs     200
//   retryMaxBackoffMs    2000         fetch retry backoff cap
//   retentionIntervalMs  60000        store retention pass period
// Errors: a bad config value is InvalidArgument naming the key; Open fails with the engine's
// error when the directory cannot be opened (e.g. locked by another process).

#include <memory>

#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/connectors/eventstore/event_store_connector.h"
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
  int64_t retry_max_backoff_ms = 2'000;
};

// Parses the config section described above. Without `path`, the store lives in
// <context.data_dir>/store; its per-event limit is raised to hold context.max_event_bytes of data.
absl::StatusOr<EmbeddedOptions> ParseEmbeddedConfig(const ConnectorConfig& config,
                                                    const ConnectorContext& context = {});

// Opens the engine and builds the connector (name "embedded").
absl::StatusOr<std::unique_ptr<EventStoreConnector>> OpenEmbeddedConnector(
    const EmbeddedOptions& options);

// Registers "embedded" and its alias "standalone".
absl::Status RegisterEmbeddedConnector(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_
