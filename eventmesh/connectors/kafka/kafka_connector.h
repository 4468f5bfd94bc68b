#ifndef EVENTMESH_CONNECTORS_KAFKA_KAFKA_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_KAFKA_KAFKA_CONNECTOR_H_

// The "kafka" connector: Apache Kafka through librdkafka (C API). Mesh topics are Kafka topics;
// an event is a Kafka record in the CloudEvents Kafka binding's binary mode (kafka_binding.h:
// ce_* headers, content-type header, data as the value, the `partitionkey` extension as the
// record key), so other Kafka clients read and write the same records.
//
// Publishing: one idempotent producer (acks=all, enable.idempotence=true) per connector. A
// publish is acknowledged only from its delivery report, which a poll thread serves: the
// callback gets the record's partition and offset, or an error naming the topic and the Kafka
// error (Unavailable when the cluster did not confirm it within publishTimeoutMs — it may or may
// not have been stored —, NotFound for a missing topic, InvalidArgument for an oversize event).
// At most maxQueuedEvents publishes wait for confirmation; beyond that a publish fails at once
// with ResourceExhausted (never blocks). PublishBatch hands every event to the producer on the
// caller's thread. Events without a partitionkey extension are spread by librdkafka's
// partitioner (sticky batches); events with one keep their order per key.
//
// Subscriptions: each has its own consumer and thread, which calls the DeliveryHandler with
// batches (at most fetchMaxEvents). Subscribe waits up to subscribeWaitMs for a CLUSTERING
// subscription's first partition assignment (a new group's first one takes the brokers'
// group.initial.rebalance.delay.ms), so that a subscription is receiving when Subscribe returns.
// CLUSTERING joins the Kafka consumer group `groupPrefix + group` (enable.auto.commit=false): per
// partition the connector commits the contiguous acknowledged watermark every commitIntervalMs,
// when a partition is revoked and on Close; revoked partitions forget their in-flight events (the
// new owner gets the unacknowledged ones again: at-least-once). A partition the group never
// committed starts, with kLatest, at the partition's end as it was when Subscribe returned (so
// every event published after Subscribe returned is delivered), with kEarliest at its beginning;
// either start is committed at once so a later owner resumes there. BROADCASTING uses no group: the
// subscription is assigned every partition at its end at Subscribe time and commits nothing. Flow
// control: at most max_unacked delivered-but-unacknowledged events per subscription; at the limit
// the subscription pauses its partitions and resumes them as acknowledgements come.
//
// Start-up fails (Unavailable naming bootstrapServers and the address) when no broker answers
// within connectTimeoutMs. Brokers going away later: publishes fail within publishTimeoutMs,
// consumers keep retrying, and both go on when the brokers are back.
//
// Thread-safety: every method may be called from any thread. Subscriptions are independent of
// the connector once opened (each owns its consumer) but must be closed before the connector is
// destroyed. Topic names: the mesh's ([A-Za-z0-9._-] levels separated by '/'). Kafka refuses
// '/', so a topic with levels is stored as KafkaTopicName(topic) = "__em." + the name with '_'
// written "__" and '/' written "_s" ("home/kitchen_1/temp" -> "__em.home_skitchen__1_stemp");
// other topics keep their name. Mesh topics starting with "__em." are refused, and a stored name
// must fit Kafka's 249 characters.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/connectors/kafka/kafka_options.h"

namespace eventmesh::connectors::kafka {

// Marks Kafka topics that hold a mesh topic with '/' levels.
inline constexpr char kLevelledTopicPrefix[] = "__em.";
// The Kafka topic of a mesh topic, and back (see the file comment).
std::string KafkaTopicName(const std::string& topic);
std::string MeshTopicName(const std::string& kafka_topic);

// How the connector creates and deletes topics. The default uses Kafka's Admin API
// (CreateTopics/DeleteTopics through the controller), given Kafka topic names (KafkaTopicName).
// Implementations must be thread-safe.
// Errors: AlreadyExists (Create of an existing topic), NotFound (Delete of a missing one),
// Unavailable / DeadlineExceeded (cluster not answering), InvalidArgument.
class TopicAdmin {
 public:
  virtual ~TopicAdmin() = default;
  virtual absl::Status Create(const std::string& topic, int32_t partitions,
                              int32_t replication_factor) = 0;
  virtual absl::Status Delete(const std::string& topic) = 0;
};

// Builds the connector (name "kafka"): creates the producer and waits up to connectTimeoutMs
// for the cluster to answer. `admin` replaces the Admin API (tests against librdkafka's mock
// cluster, which has none); null = the Admin API.
// Errors: InvalidArgument (a librdkafka property refused), Unavailable (cluster unreachable:
// "... eventMesh.storage.kafka.bootstrapServers=host:port ...").
absl::StatusOr<std::unique_ptr<Connector>> OpenKafkaConnector(
    const KafkaOptions& options, std::shared_ptr<TopicAdmin> admin = nullptr);

// Registers "kafka".
absl::Status RegisterKafkaConnector(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors::kafka

#endif  // EVENTMESH_CONNECTORS_KAFKA_KAFKA_CONNECTOR_H_
