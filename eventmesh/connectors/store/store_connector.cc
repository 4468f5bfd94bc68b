#include "eventmesh/connectors/store/store_connector.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "eventmesh/common/config/secret_file.h"
#include "eventmesh/common/config/values.h"
#include "eventmesh/store/client/remote_event_store.h"

namespace eventmesh::connectors {
namespace {

config::KeyTable<StoreConnectorOptions> BuildKeyTable() {
  config::KeyTable<StoreConnectorOptions> table;
  const auto positive = [&table](const char* name, int64_t& (*field)(StoreConnectorOptions&),
                                 const char* unit, const char* description) {
    table.Int(name, field, 1, INT64_MAX, unit, description);
  };
  table.Custom("address", "", "",
               "host:port of the store service (//eventmesh/store/service:store_main, default "
               "port 10300); required",
               [](const std::string& key, const std::string& value, StoreConnectorOptions* o) {
                 if (value.empty()) {
                   o->host.clear();  // refused below as missing
                   return absl::OkStatus();
                 }
                 auto host_port = config::ParseHostPort(key, value, /*require_port=*/true);
                 if (!host_port.ok()) return host_port.status();
                 o->host = host_port->host;
                 o->port = static_cast<uint16_t>(host_port->port);
                 return absl::OkStatus();
               });
  positive(
      "callTimeoutMs", [](StoreConnectorOptions& o) -> int64_t& { return o.call_timeout_ms; }, "ms",
      "per store call (a long-poll fetch adds fetchWaitMs)");
  positive(
      "connectTimeoutMs", [](StoreConnectorOptions& o) -> int64_t& { return o.connect_timeout_ms; },
      "ms", "one connection attempt");
  positive(
      "reconnectMaxBackoffMs",
      [](StoreConnectorOptions& o) -> int64_t& { return o.reconnect_max_backoff_ms; }, "ms",
      "cap of the client's reconnect backoff (starts at 50 ms)");
  positive(
      "maxEventBytes",
      [](StoreConnectorOptions& o) -> int64_t& { return o.tuning.limits.max_event_bytes; }, "bytes",
      "largest event, checked before sending; keep at or below the service's --max_event_bytes");
  table.Custom(
      "maxBatchBytes", std::to_string(StoreConnectorOptions{}.tuning.limits.max_batch_bytes),
      "bytes",
      "one append's bytes (batches stay 64 KiB below); keep at or below the service's "
      "--max_batch_bytes [65537..]",
      [](const std::string& key, const std::string& value, StoreConnectorOptions* o) {
        auto parsed = config::ParseInt(key, value, 1, INT64_MAX);
        if (!parsed.ok()) return parsed.status();
        if (*parsed <= 64 * 1024) {
          return absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ",
                                                         key, ": expected more than 65536"));
        }
        o->tuning.limits.max_batch_bytes = *parsed;
        return absl::OkStatus();
      });
  positive(
      "maxBatchEvents",
      [](StoreConnectorOptions& o) -> int64_t& { return o.tuning.limits.max_batch_events; },
      "events", "events per append; keep at or below the service's --max_batch_events");
  table
      .String("tokenFile", &StoreConnectorOptions::token_file,
              "file holding the store service's token (its --token_file); \"\" = none")
      .Bool("tls.enabled", &StoreConnectorOptions::tls_enabled,
            "connect with TLS (a service started with --tls_cert_file)")
      .String("tls.caFile", &StoreConnectorOptions::tls_ca_file,
              "PEM CAs trusted for the service's certificate (\"\" = the system's)")
      .String("tls.certFile", &StoreConnectorOptions::tls_cert_file,
              "PEM client certificate, for a service with --tls_client_ca_file")
      .String("tls.keyFile", &StoreConnectorOptions::tls_key_file, "PEM client private key")
      .String("tls.serverName", &StoreConnectorOptions::tls_server_name,
              "name the service's certificate must carry (\"\" = the host of address)");
  AddEventStoreTuningKeys(
      &table, [](StoreConnectorOptions& o) -> EventStoreConnectorOptions& { return o.tuning; });
  return table;
}

}  // namespace

const config::KeyTable<StoreConnectorOptions>& StoreConnectorKeyTable() {
  static const config::KeyTable<StoreConnectorOptions>* const table = new auto(BuildKeyTable());
  return *table;
}

absl::StatusOr<StoreConnectorOptions> ParseStoreConfig(const ConnectorConfig& config,
                                                       const std::string& section) {
  StoreConnectorOptions options;
  if (auto status = StoreConnectorKeyTable().ApplyAll(
          config, &options, section.empty() ? ConnectorSection("store") : section);
      !status.ok()) {
    return absl::InvalidArgumentError(status.message());
  }
  if (options.host.empty()) {
    return absl::InvalidArgumentError(
        "store connector: key address (host:port of the store service) is required");
  }
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
  if (!options.token_file.empty()) {
    auto token = config::ReadSecretFile("eventMesh.storage.store.tokenFile", options.token_file);
    if (!token.ok()) return token.status();
    client.token = *std::move(token);
  }
  if (options.tls_enabled) {
    client.tls = store::client::StoreClientTls{options.tls_ca_file, options.tls_cert_file,
                                               options.tls_key_file, options.tls_server_name};
  }
  auto remote = store::client::RemoteEventStore::Connect(client);
  if (!remote.ok()) return remote.status();
  // A heartbeat that hangs fails after a third of the session, leaving time for the next one.
  (*remote)->set_heartbeat_timeout(
      std::min(client.call_timeout,
               absl::Milliseconds(std::max<int64_t>(1, options.tuning.session_timeout_ms / 3))));
  EventStoreConnectorOptions connector = options.tuning;
  connector.retry_initial_backoff_ms =
      std::min(connector.retry_initial_backoff_ms, connector.retry_max_backoff_ms);
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
         const ConnectorContext& context) -> absl::StatusOr<std::unique_ptr<Connector>> {
        auto options = ParseStoreConfig(config, context.section);
        if (!options.ok()) return options.status();
        auto connector = OpenStoreConnector(*options);
        if (!connector.ok()) return connector.status();
        return std::unique_ptr<Connector>(std::move(*connector));
      });
}

}  // namespace eventmesh::connectors
