#ifndef EVENTMESH_CONNECTORS_NATS_NATS_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_NATS_NATS_CONNECTOR_H_

// The "nats" connector: the Connector over NATS JetStream, through the NATS C client (libnats).
//
// Mapping (README.md has the details):
//  - a topic is a JetStream stream NatsStreamName(topic) = "EM_" + the topic encoded (letters,
//    digits and '-' kept, every other byte as _XX in hex), whose N partitions are the N subjects
//    NatsSubject(prefix, topic, p) = "<subjectPrefix>.<encoded topic>.<p>"; the partition count
//    is the number of subjects of the stream. Publishing picks partitions round-robin.
//  - a CLUSTERING group is a durable pull consumer named with the encoded group on the topic's
//    stream (explicit ack, MaxDeliver unlimited); every member of the group, in this runtime or
//    another, fetches batches from it, so each event goes to one member. A BROADCASTING
//    subscription is an ephemeral pull consumer delivering events published after it opened.
//  - Position = {topic, partition, stream sequence}.
//  - Redelivery belongs to the runtime (its ack timeout and dead-letter topic): while the runtime
//    holds a delivered event, the connector tells JetStream it is in progress (every ackWaitMs/3),
//    so JetStream never redelivers it behind the runtime's back; the event is acknowledged to
//    JetStream when the runtime acknowledges it. JetStream's AckWait (ackWaitMs) only brings an
//    event back when this process died holding it. Closing a subscription NAKs what it held, so
//    another member gets it at once.
//
// Publish: events are serialized (CloudEvents protobuf format) on the caller's thread and queued;
// one publisher thread hands them to JetStream's asynchronous publish (at most maxInFlight
// unacknowledged), and the callback runs on JetStream's PubAck. A publish JetStream did not
// confirm within publishTimeoutMs fails with Unavailable (the event may or may not have been
// stored); a topic without stream is NotFound.
// Connection: Create fails when no server of `servers` answers (message naming the key and the
// address) or JetStream is not enabled. Afterwards libnats reconnects for ever (reconnectWaitMs
// apart); fetches retry with backoff and re-create a consumer the server lost.
//
// Thread-safety: every method may be called from any thread. Callbacks run on libnats or
// connector threads. Ownership: subscriptions must be closed before the connector is destroyed.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/connectors/api/connector_registry.h"

namespace eventmesh::connectors {

struct NatsOptions {
  std::string servers = "nats://127.0.0.1:4222";  // comma-separated URLs
  std::string user;
  std::string password;
  std::string token;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string subject_prefix = "eventmesh";
  bool memory_storage = false;  // stream storage: file (default) or memory
  int64_t replicas = 1;
  int64_t max_age_ms = 0;  // 0 = unlimited
  int64_t max_bytes = 0;   // 0 = unlimited
  int64_t ack_wait_ms = 30'000;
  int64_t fetch_batch = 100;
  int64_t fetch_wait_ms = 500;
  int64_t publish_timeout_ms = 5'000;
  int64_t max_in_flight = 1'024;
  int64_t connect_timeout_ms = 2'000;
  int64_t reconnect_wait_ms = 250;
  int64_t request_timeout_ms = 5'000;
  // Where messages name keys ("eventMesh.storage.nats."); set by ParseNatsConfig.
  std::string section;
};

// The keys of the config section (names without the section prefix).
const config::KeyTable<NatsOptions>& NatsKeyTable();

// Parses the config section through NatsKeyTable(); messages name keys under context.section
// (default eventMesh.storage.nats.).
absl::StatusOr<NatsOptions> ParseNatsConfig(const ConnectorConfig& config,
                                            const ConnectorContext& context = {});

// The stream of `topic` and the subject of its partition `partition`.
std::string NatsStreamName(const std::string& topic);
std::string NatsSubject(const std::string& prefix, const std::string& topic, int32_t partition);

// Connects and builds the connector (name "nats"). Errors: Unavailable (no server answers;
// names the servers key and address), FailedPrecondition (JetStream not enabled),
// InvalidArgument (bad TLS files or server URL).
absl::StatusOr<std::unique_ptr<Connector>> OpenNatsConnector(const NatsOptions& options);

// Registers "nats".
absl::Status RegisterNatsConnector(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_NATS_NATS_CONNECTOR_H_
