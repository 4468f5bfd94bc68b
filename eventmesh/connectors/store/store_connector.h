#ifndef EVENTMESH_CONNECTORS_STORE_STORE_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_STORE_STORE_CONNECTOR_H_

// The "store" connector: an EventStoreConnector (eventstore/event_store_connector.h, where
// publishing, subscriptions, group membership and commits are described) over the event store
// service (eventmesh/store/service) through a RemoteEventStore. Several runtimes pointing at one
// store service share topics and consumer groups (a CLUSTERING group spans the runtimes; the
// store assigns partitions to the members), so Capabilities::shared_store is true.
//
// The connection is made in the background (creating the connector does not wait for the
// store). While the store is unreachable, publishes fail with Unavailable (an append the store
// did not answer in time is Unavailable too: it may or may not have been stored, it is never
// acknowledged), subscriptions retry their fetches with exponential backoff and resume when the
// store is back (re-joining their group if their membership expired meanwhile).
// `durable` is reported true: the service's own syncMode decides what an acknowledged append
// survives (default batch: process crash and power loss).
//
// Config section (eventMesh.storage.store.*): every key is declared once, in
// StoreConnectorKeyTable() (store_connector.cc), with its default, unit, range and description;
// eventmesh/connectors/store/README.md carries the rendered reference (`bazel run
// //eventmesh/connectors/store:config_reference`; config_reference_test fails when they
// differ). Keys: address (required, host:port of the store service), callTimeoutMs,
// connectTimeoutMs, reconnectMaxBackoffMs, maxEventBytes, maxBatchBytes, maxBatchEvents (keep
// the three limits at or below the service's) and the shared tuning keys
// (AddEventStoreTuningKeys; appenderThreads defaults to 4 here).
// Errors: InvalidArgument naming the key with its section for unknown keys and bad values
// ("unknown configuration key eventMesh.storage.store.adress (did you mean
// eventMesh.storage.store.address?)").

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/connectors/eventstore/event_store_connector.h"

namespace eventmesh::connectors {

struct StoreConnectorOptions {
  std::string host;
  uint16_t port = 0;
  int64_t call_timeout_ms = 10'000;
  int64_t connect_timeout_ms = 5'000;
  int64_t reconnect_max_backoff_ms = 1'000;
  // The store service's token file (its --token_file) and TLS (its --tls_cert_file).
  std::string token_file;
  bool tls_enabled = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  // name/durable/shared are set by OpenStoreConnector. Four appends in flight by default.
  EventStoreConnectorOptions tuning = [] {
    EventStoreConnectorOptions defaults;
    defaults.appender_threads = 4;
    return defaults;
  }();
};

// The keys of the config section (names without the section prefix).
const config::KeyTable<StoreConnectorOptions>& StoreConnectorKeyTable();

// Parses the config section through StoreConnectorKeyTable(); messages name keys under
// `section` (default eventMesh.storage.store.).
absl::StatusOr<StoreConnectorOptions> ParseStoreConfig(const ConnectorConfig& config,
                                                       const std::string& section = "");

// Builds the connector (name "store"); does not wait for the connection.
// Errors: InvalidArgument (as StoreClient::Create).
absl::StatusOr<std::unique_ptr<EventStoreConnector>> OpenStoreConnector(
    const StoreConnectorOptions& options);

// Registers "store".
absl::Status RegisterStoreConnector(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_STORE_STORE_CONNECTOR_H_
