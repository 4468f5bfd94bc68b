#include "eventmesh/connectors/embedded/embedded_connector.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/store/engine/write_metrics.h"

namespace eventmesh::connectors {

namespace {

config::KeyTable<EmbeddedOptions> BuildKeyTable() {
  config::KeyTable<EmbeddedOptions> table;
  table
      .Custom("path", "<dataDir>/store", "",
              "store directory; by default <dataDir>/store under the runtime's "
              "eventMesh.server.dataDir (required without one)",
              [](const std::string&, const std::string& value, EmbeddedOptions* o) {
                o->store.path = value;  // "" = the default
                return absl::OkStatus();
              })
      .Custom("syncMode", std::string(store::SyncModeName(store::StoreOptions{}.sync_mode)), "",
              "what an acknowledged append survives: none (process crash), batch (power loss, "
              "group commit), always (one fsync per append); none appends on the publisher's "
              "thread when nothing is queued",
              [](const std::string& key, const std::string& value, EmbeddedOptions* o) {
                auto mode = store::ParseSyncMode(value);
                if (!mode.ok()) {
                  return absl::InvalidArgumentError(
                      absl::StrCat("invalid value \"", value, "\" for key ", key,
                                   ": expected none, batch or always"));
                }
                o->store.sync_mode = *mode;
                return absl::OkStatus();
              });
  AddEventStoreTuningKeys(&table, [](EmbeddedOptions& o) -> EmbeddedOptions& { return o; });
  table.Int(
      "syncIntervalUs", [](EmbeddedOptions& o) -> int64_t& { return o.store.sync_interval_us; }, 0,
      store::kMaxSyncIntervalUs, "us",
      "syncMode batch: least time between the starts of two fsynced writes; appends arriving "
      "meanwhile share the next fsync (fewer, fuller fsyncs under load; an append after a quiet "
      "interval is written at once; 0 = write as soon as the previous write ended)");
  table.Int(
      "tailCacheBytes", [](EmbeddedOptions& o) -> int64_t& { return o.store.tail_cache_bytes; }, 0,
      INT64_MAX, "bytes",
      "per partition, memory for the newest events, kept so caught-up subscribers are served "
      "without reading the disk (0 = none)");
  table.Int(
      "tailCacheTotalBytes",
      [](EmbeddedOptions& o) -> int64_t& { return o.store.tail_cache_total_bytes; }, 0, INT64_MAX,
      "bytes",
      "memory of all partitions' tail caches together; beyond it the partitions appended to "
      "least recently give up their oldest events first (0 = no cache)");
  table.Int(
      "retentionIntervalMs",
      [](EmbeddedOptions& o) -> int64_t& { return o.store.retention_interval_ms; }, 0, INT64_MAX,
      "ms", "period of the store's retention pass (0 = no retention thread)");
  table.Int(
      "minFreeDiskBytes",
      [](EmbeddedOptions& o) -> int64_t& { return o.store.min_free_disk_bytes; }, 0, INT64_MAX,
      "bytes",
      "free space kept on the store's filesystem: publishes that would use it fail at once "
      "(disk full, nothing written) and succeed again when space is freed (0 = no reserve)");
  return table;
}

}  // namespace

const config::KeyTable<EmbeddedOptions>& EmbeddedKeyTable() {
  static const config::KeyTable<EmbeddedOptions>* const table = new auto(BuildKeyTable());
  return *table;
}

absl::StatusOr<EmbeddedOptions> ParseEmbeddedConfig(const ConnectorConfig& config,
                                                    const ConnectorContext& context) {
  EmbeddedOptions options;
  const std::string section =
      context.section.empty() ? ConnectorSection("embedded") : context.section;
  if (auto status = EmbeddedKeyTable().ApplyAll(config, &options, section); !status.ok()) {
    return absl::InvalidArgumentError(status.message());
  }
  if (options.store.path.empty()) {
    if (context.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "embedded connector: key path (store directory) is required");
    }
    options.store.path = context.data_dir + "/store";
  }
  // Room for the largest event the runtime admits, plus its attributes.
  constexpr int64_t kAttributeRoom = 64 * 1024;
  options.store.limits.max_event_bytes =
      std::max(options.store.limits.max_event_bytes, context.max_event_bytes + kAttributeRoom);
  options.store.limits.max_batch_bytes =
      std::max(options.store.limits.max_batch_bytes, options.store.limits.max_event_bytes);
  options.metrics = context.metrics;
  return options;
}

absl::StatusOr<std::unique_ptr<EventStoreConnector>> OpenEmbeddedConnector(
    const EmbeddedOptions& options) {
  store::StoreOptions store_options = options.store;
  if (options.metrics != nullptr) {
    if (absl::Status s = store::ObserveCommitWrites(options.metrics, &store_options); !s.ok()) {
      return s;
    }
  }
  auto store = store::RocksDbEventStore::Open(store_options);
  if (!store.ok()) return store.status();
  EventStoreConnectorOptions connector;
  connector.name = "embedded";
  connector.durable = options.store.sync_mode != store::SyncMode::kNone;
  connector.shared = false;  // one process per store directory
  connector.appender_threads = options.appender_threads;
  // With syncMode none an append does not wait for the disk: no thread hand-off needed.
  connector.append_on_caller_thread = options.store.sync_mode == store::SyncMode::kNone;
  // Otherwise appends wait for an fsync: issued with AppendAsync, completed by the engine.
  connector.append_async = options.store.sync_mode != store::SyncMode::kNone;
  connector.limits = options.store.limits;
  connector.fetch_max_events = options.fetch_max_events;
  connector.fetch_wait_ms = options.fetch_wait_ms;
  connector.session_timeout_ms = options.session_timeout_ms;
  connector.heartbeat_interval_ms = options.heartbeat_interval_ms;
  connector.commit_interval_ms = options.commit_interval_ms;
  connector.retry_max_backoff_ms = options.retry_max_backoff_ms;
  connector.retry_initial_backoff_ms =
      std::min(connector.retry_initial_backoff_ms, connector.retry_max_backoff_ms);
  const store::RocksDbEventStore* engine = store->get();  // owned by the connector from here
  connector.gauges = [engine] {
    std::vector<ConnectorGauge> gauges{
        {"eventmesh_store_tail_cache_bytes",
         "Memory of the recent events the embedded store keeps for caught-up subscribers (all "
         "partitions; tailCacheTotalBytes bounds it).",
         static_cast<double>(engine->GetStats().tail_cache_bytes)}};
    const store::WriteStallStats stalls = engine->GetWriteStallStats();
    for (const store::WriteStallMetric& metric : store::WriteStallMetrics()) {
      gauges.push_back({metric.name, metric.help, metric.value(stalls), metric.counter});
    }
    return gauges;
  };
  return EventStoreConnector::Create(std::move(*store), connector);
}

absl::Status RegisterEmbeddedConnector(ConnectorRegistry* registry) {
  ConnectorFactory factory =
      [](const ConnectorConfig& config,
         const ConnectorContext& context) -> absl::StatusOr<std::unique_ptr<Connector>> {
    auto options = ParseEmbeddedConfig(config, context);
    if (!options.ok()) return options.status();
    auto connector = OpenEmbeddedConnector(*options);
    if (!connector.ok()) return connector.status();
    return std::unique_ptr<Connector>(std::move(*connector));
  };
  if (auto status = registry->Register("embedded", factory); !status.ok()) return status;
  return registry->Register("standalone", factory);
}

}  // namespace eventmesh::connectors
