#include "eventmesh/connectors/embedded/embedded_connector.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::connectors {

absl::StatusOr<EmbeddedOptions> ParseEmbeddedConfig(const ConnectorConfig& config,
                                                    const ConnectorContext& context) {
  for (const auto& [key, value] : config) {
    const auto& tuning = EventStoreTuningKeys();
    if (key != "path" && key != "syncMode" && key != "retentionIntervalMs" &&
        std::find(tuning.begin(), tuning.end(), key) == tuning.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown key ", key, " in the embedded connector config"));
    }
  }
  EmbeddedOptions options;
  auto path = config.find("path");
  if (path != config.end() && !path->second.empty()) {
    options.store.path = path->second;
  } else if (!context.data_dir.empty()) {
    options.store.path = context.data_dir + "/store";
  } else {
    return absl::InvalidArgumentError("embedded connector: key path (store directory) is required");
  }
  // Room for the largest event the runtime admits, plus its attributes.
  constexpr int64_t kAttributeRoom = 64 * 1024;
  options.store.limits.max_event_bytes =
      std::max(options.store.limits.max_event_bytes, context.max_event_bytes + kAttributeRoom);
  options.store.limits.max_batch_bytes =
      std::max(options.store.limits.max_batch_bytes, options.store.limits.max_event_bytes);
  if (auto it = config.find("syncMode"); it != config.end()) {
    auto mode = store::ParseSyncMode(it->second);
    if (!mode.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid value \"", it->second, "\" for key syncMode: expected none, batch or always"));
    }
    options.store.sync_mode = *mode;
  }
  if (auto it = config.find("retentionIntervalMs"); it != config.end()) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(it->second, &value) || value < 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid value \"", it->second,
                                                     "\" for key retentionIntervalMs: expected an "
                                                     "integer >= 0"));
    }
    options.store.retention_interval_ms = value;
  }
  EventStoreConnectorOptions tuning;
  if (auto status = ParseEventStoreTuning(config, &tuning); !status.ok()) return status;
  options.appender_threads = tuning.appender_threads;
  options.fetch_max_events = tuning.fetch_max_events;
  options.fetch_wait_ms = tuning.fetch_wait_ms;
  options.session_timeout_ms = tuning.session_timeout_ms;
  options.heartbeat_interval_ms = tuning.heartbeat_interval_ms;
  options.commit_interval_ms = tuning.commit_interval_ms;
  options.retry_max_backoff_ms = tuning.retry_max_backoff_ms;
  return options;
}

absl::StatusOr<std::unique_ptr<EventStoreConnector>> OpenEmbeddedConnector(
    const EmbeddedOptions& options) {
  auto store = store::RocksDbEventStore::Open(options.store);
  if (!store.ok()) return store.status();
  EventStoreConnectorOptions connector;
  connector.name = "embedded";
  connector.durable = options.store.sync_mode != store::SyncMode::kNone;
  connector.shared = false;  // one process per store directory
  connector.appender_threads = options.appender_threads;
  // With syncMode none an append does not wait for the disk: no thread hand-off needed.
  connector.append_on_caller_thread = options.store.sync_mode == store::SyncMode::kNone;
  connector.limits = options.store.limits;
  connector.fetch_max_events = options.fetch_max_events;
  connector.fetch_wait_ms = options.fetch_wait_ms;
  connector.session_timeout_ms = options.session_timeout_ms;
  connector.heartbeat_interval_ms = options.heartbeat_interval_ms;
  connector.commit_interval_ms = options.commit_interval_ms;
  connector.retry_max_backoff_ms = options.retry_max_backoff_ms;
  connector.retry_initial_backoff_ms =
      std::min(connector.retry_initial_backoff_ms, connector.retry_max_backoff_ms);
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
