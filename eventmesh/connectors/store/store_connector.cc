#include "eventmesh/connectors/store/store_connector.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "eventmesh/common/config/values.h"
#include "eventmesh/store/client/remote_event_store.h"

namespace eventmesh::connectors {
namespace {

// An integer >= 1 (milliseconds, bytes or a count).
absl::Status ParsePositive(const ConnectorConfig& config, const std::string& key, int64_t* out) {
  auto it = config.find(key);
  if (it == config.end()) return absl::OkStatus();
  auto value = config::ParseInt(key, it->second, 1, INT64_MAX);
  if (!value.ok()) return value.status();
  *out = *value;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StoreConnectorOptions> ParseStoreConfig(const ConnectorConfig& config) {
  const auto& tuning_keys = EventStoreTuningKeys();
  for (const auto& [key, value] : config) {
    if (key != "address" && key != "callTimeoutMs" && key != "connectTimeoutMs" &&
        key != "reconnectMaxBackoffMs" && key != "maxEventBytes" && key != "maxBatchBytes" &&
        key != "maxBatchEvents" &&
        std::find(tuning_keys.begin(), tuning_keys.end(), key) == tuning_keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown key ", key, " in the store connector config"));
    }
  }
  StoreConnectorOptions options;
  options.tuning.appender_threads = 4;
  auto address = config.find("address");
  if (address == config.end() || address->second.empty()) {
    return absl::InvalidArgumentError(
        "store connector: key address (host:port of the store service) is required");
  }
  auto host_port = config::ParseHostPort("address", address->second, /*require_port=*/true);
  if (!host_port.ok()) return host_port.status();
  options.host = host_port->host;
  options.port = static_cast<uint16_t>(host_port->port);
  if (auto s = ParsePositive(config, "callTimeoutMs", &options.call_timeout_ms); !s.ok()) return s;
  if (auto s = ParsePositive(config, "connectTimeoutMs", &options.connect_timeout_ms); !s.ok())
    return s;
  if (auto s = ParsePositive(config, "reconnectMaxBackoffMs", &options.reconnect_max_backoff_ms);
      !s.ok()) {
    return s;
  }
  if (auto s = ParsePositive(config, "maxEventBytes", &options.tuning.limits.max_event_bytes);
      !s.ok()) {
    return s;
  }
  if (auto s = ParsePositive(config, "maxBatchBytes", &options.tuning.limits.max_batch_bytes);
      !s.ok()) {
    return s;
  }
  if (auto s = ParsePositive(config, "maxBatchEvents", &options.tuning.limits.max_batch_events);
      !s.ok()) {
    return s;
  }
  if (options.tuning.limits.max_batch_bytes <= 64 * 1024) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", config.at("maxBatchBytes"),
                                                   "\" for key maxBatchBytes: expected more than "
                                                   "65536"));
  }
  if (auto s = ParseEventStoreTuning(config, &options.tuning); !s.ok()) return s;
  return options;
}

absl::StatusOr<std::unique_ptr<EventStoreConnector>> OpenStoreConnector(
    const StoreConnectorOptions& options) {
  store::client::StoreClientOptions client;
  client.host = options.host;
  client.port = options.port;
  client.call_timeout = absl::Milliseconds(options.call_timeout_ms);
  client.connect_timeout = absl::Milliseconds(options.connect_timeout_ms);
  client.max_backoff = absl::Milliseconds(options.reconnect_max_backoff_ms);
  client.initial_backoff = std::min(client.initial_backoff, client.max_backoff);
  auto remote = store::client::RemoteEventStore::Connect(client);
  if (!remote.ok()) return remote.status();
  EventStoreConnectorOptions connector = options.tuning;
  connector.name = "store";
  connector.durable = true;
  connector.shared = true;
  // Appends wait for the network: never on the publisher's (or a store client's) thread.
  connector.append_on_caller_thread = false;
  return EventStoreConnector::Create(std::move(*remote), connector);
}

absl::Status RegisterStoreConnector(ConnectorRegistry* registry) {
  return registry->Register(
      "store",
      [](const ConnectorConfig& config,
         const ConnectorContext&) -> absl::StatusOr<std::unique_ptr<Connector>> {
        auto options = ParseStoreConfig(config);
        if (!options.ok()) return options.status();
        auto connector = OpenStoreConnector(*options);
        if (!connector.ok()) return connector.status();
        return std::unique_ptr<Connector>(std::move(*connector));
      });
}

}  // namespace eventmesh::connectors
