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
// Config section (eventMesh.storage.store.*), defaults:
//   address               (required) host:port of the store service, e.g. 127.0.0.1:10300
//   callTimeoutMs         10000   per store call (a long-poll fetch adds fetchWaitMs)
//   connectTimeoutMs      5000    one connection attempt
//   reconnectMaxBackoffMs 1000    cap of the client's reconnect backoff (starts at 50 ms)
//   appenderThreads       4       appends in flight at once (each one batch)
//   maxEventBytes         1048576 checked before sending; keep <= the service's --max_event_bytes
//   maxBatchBytes         4194304 one append's bytes (batches stay 64 KiB below); keep <= the
//                                 service's --max_batch_bytes (> 65536)
//   maxBatchEvents        1000    events per append; keep <= the service's --max_batch_events
//   fetchMaxEvents 500, fetchWaitMs 500, sessionTimeoutMs 10000, heartbeatIntervalMs 1000,
//   commitIntervalMs 200, retryMaxBackoffMs 2000   as for the embedded connector
// Errors: InvalidArgument naming the key for unknown keys and bad values.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/connectors/eventstore/event_store_connector.h"

namespace eventmesh::connectors {

struct StoreConnectorOptions {
  std::string host;
  uint16_t port = 0;
  int64_t call_timeout_ms = 10'000;
  int64_t connect_timeout_ms = 5'000;
  int64_t reconnect_max_backoff_ms = 1'000;
  EventStoreConnectorOptions tuning;  // name/durable/shared are set by OpenStoreConnector
};

// Parses the config section described above.
absl::StatusOr<StoreConnectorOptions> ParseStoreConfig(const ConnectorConfig& config);

// Builds the connector (name "store"); does not wait for the connection.
// Errors: InvalidArgument (as StoreClient::Create).
absl::StatusOr<std::unique_ptr<EventStoreConnector>> OpenStoreConnector(
    const StoreConnectorOptions& options);

// Registers "store".
absl::Status RegisterStoreConnector(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_STORE_STORE_CONNECTOR_H_
