#ifndef EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_EMBEDDED_EMBEDDED_CONNECTOR_H_

// The "embedded" connector (alias "standalone", Apache EventMesh's name for its built-in
// store): an EventStoreConnector (eventstore/event_store_connector.h, where publishing,
// subscriptions, group membership and commits are described) over the event-store engine
// (RocksDbEventStore) in-process, whose own background thread runs retention every
// retentionIntervalMs. With syncMode none a publish batch is appended on the caller's thread
// when nothing is queued. The store directory can be used by one process at a time.
//
// Config section (eventMesh.storage.embedded.* / eventMesh.storage.standalone.*): every key is
// declared once, in EmbeddedKeyTable() (embedded_connector.cc), with its default, unit, range
// and description; eventmesh/connectors/embedded/README.md carries the rendered reference
// (`bazel run //eventmesh/connectors/embedded:config_reference`; config_reference_test fails
// when they differ). Keys: path (default <runtime dataDir>/store), syncMode, retentionIntervalMs
// and the shared tuning keys (AddEventStoreTuningKeys).
// Errors: an unknown key or a bad value is InvalidArgument naming the key with its section
// ("unknown configuration key eventMesh.storage.embedded.syncmode (did you mean
// eventMesh.storage.embedded.syncMode?)"); Open fails with the engine's
// error when the directory cannot be opened (e.g. locked by another process).

#include <memory>

#include "absl/status/statusor.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/common/metrics/metrics.h"
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
  // When set (ConnectorContext::metrics), the engine's commit writes are observed there
  // (store::ObserveCommitWrites); it must outlive the connector.
  metrics::Registry* metrics = nullptr;
};

// The keys of the config section (names without the section prefix).
const config::KeyTable<EmbeddedOptions>& EmbeddedKeyTable();

// Parses the config section through EmbeddedKeyTable(); messages name keys under
// context.section (default eventMesh.storage.embedded.). Without `path`, the store lives in
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
