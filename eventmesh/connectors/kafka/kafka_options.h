#ifndef EVENTMESH_CONNECTORS_KAFKA_KAFKA_OPTIONS_H_
#define EVENTMESH_CONNECTORS_KAFKA_KAFKA_OPTIONS_H_

// The "kafka" connector's configuration: the options struct, its key table (section
// eventMesh.storage.kafka.*) and the librdkafka properties the connector derives from it.
//
// Every key is declared once, in KafkaKeyTable() (kafka_options.cc), with its default, unit,
// range and description; eventmesh/connectors/kafka/README.md carries the rendered reference
// (`bazel run //eventmesh/connectors/kafka:config_reference`; config_reference_test fails when
// they differ). Besides the table, `property.<librdkafka property>` passes any librdkafka
// property through to every client the connector creates (producer and consumers), e.g.
// eventMesh.storage.kafka.property.compression.type=lz4. Properties the connector owns (acks,
// enable.idempotence, enable.auto.commit, group.id, ...) are refused there with a message naming
// the key to use instead, and unknown properties or bad values with librdkafka's own message.
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/connectors/api/connector_registry.h"

namespace eventmesh::connectors::kafka {

struct KafkaOptions {
  // host:port[,host:port...] of the brokers used to discover the cluster; required.
  std::string bootstrap_servers;
  std::string client_id = "eventmesh";
  // Replication factor of the topics CreateTopic creates; -1 = the brokers'
  // default.replication.factor.
  int32_t replication_factor = -1;
  // Partitions of a topic created with partitions <= 0.
  int32_t default_partitions = 1;
  // Lets brokers create topics a publish or subscription names (allow.auto.create.topics); off:
  // a missing topic is NotFound.
  bool auto_create_topics = false;
  std::string security_protocol = "plaintext";
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;
  std::string ssl_ca_location;
  std::string ssl_certificate_location;
  std::string ssl_key_location;
  std::string ssl_key_password;
  // Prepended to the mesh group to form the Kafka consumer group id.
  std::string group_prefix;
  int64_t commit_interval_ms = 500;
  int64_t session_timeout_ms = 10'000;
  // max.in.flight.requests.per.connection of the producer (idempotence allows at most 5).
  int32_t max_in_flight = 5;
  // message.timeout.ms: a publish not confirmed by then fails.
  int64_t publish_timeout_ms = 30'000;
  // queue.buffering.max.messages: publishes beyond it are refused with ResourceExhausted.
  int32_t max_queued_events = 100'000;
  int64_t linger_ms = 5;
  // How long start-up waits for the cluster to answer.
  int64_t connect_timeout_ms = 10'000;
  // Topic admin and metadata calls, and the committed-offset lookups of a rebalance.
  int64_t request_timeout_ms = 10'000;
  // How long Subscribe waits for a CLUSTERING subscription's first partition assignment
  // (0 = not at all).
  int64_t subscribe_wait_ms = 10'000;
  // Events handed to a DeliveryHandler in one call.
  int32_t fetch_max_events = 500;
  // The largest event data the runtime admits (ConnectorContext::max_event_bytes); the producer's
  // message.max.bytes is raised to hold it.
  int64_t max_event_bytes = 1 << 20;
  // property.<name>=<value> pass-through, in key order.
  std::vector<std::pair<std::string, std::string>> properties;
  // The prefix of the keys in messages ("eventMesh.storage.kafka.").
  std::string section = "eventMesh.storage.kafka.";
};

// The keys of the config section (names without the section prefix), except property.*.
const config::KeyTable<KafkaOptions>& KafkaKeyTable();

// The prefix of pass-through keys.
inline constexpr char kPropertyPrefix[] = "property.";

// Parses the config section: property.* keys into KafkaOptions::properties (checked against
// librdkafka), everything else through KafkaKeyTable(); messages name keys under
// context.section (default eventMesh.storage.kafka.). Errors: InvalidArgument naming the key.
absl::StatusOr<KafkaOptions> ParseKafkaConfig(const ConnectorConfig& config,
                                              const ConnectorContext& context = {});

// The librdkafka properties every client of the connector shares (bootstrap servers, client
// id, security, pass-through properties), in the order they are applied.
std::vector<std::pair<std::string, std::string>> CommonClientProperties(
    const KafkaOptions& options);

// The librdkafka properties the connector sets itself and refuses as pass-through.
bool IsOwnedProperty(const std::string& name, std::string* instead);

}  // namespace eventmesh::connectors::kafka

#endif  // EVENTMESH_CONNECTORS_KAFKA_KAFKA_OPTIONS_H_
