#ifndef EVENTMESH_CONNECTORS_KAFKA_TESTING_MOCK_CLUSTER_H_
#define EVENTMESH_CONNECTORS_KAFKA_TESTING_MOCK_CLUSTER_H_

// librdkafka's in-process mock Kafka cluster (rdkafka_mock.h) for tests: real brokers speaking
// the Kafka protocol on loopback ports, with producer (idempotent), consumer groups and offset
// commits, and failure injection (brokers down/up, request errors).
//
// What the librdkafka 2.0.2 mock lacks, and how tests work around it: it has no Admin API
// (CreateTopics/DeleteTopics), so topic_admin() returns a TopicAdmin that creates topics on the
// mock directly and "deletes" them by making them unknown in metadata (re-creating such a topic
// brings it back with its old records); and it auto-creates any topic a client asks metadata
// for by name (4 partitions), so "missing topic" errors of producers cannot be exercised.
//
// Thread-safe (librdkafka serializes the mock's commands). Destroy every client of the cluster
// before the cluster.

#include <cstdint>
#include <memory>
#include <string>

#include "eventmesh/connectors/kafka/kafka_connector.h"

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace eventmesh::connectors::kafka::testing {

class MockKafkaCluster {
 public:
  // Starts `brokers` brokers (ids 1..brokers) on loopback ports.
  explicit MockKafkaCluster(int brokers = 3);
  ~MockKafkaCluster();
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  // "127.0.0.1:p1,127.0.0.1:p2,..."
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  int brokers() const { return brokers_; }

  // Disconnects a broker and refuses new connections / accepts them again.
  void SetBrokerDown(int32_t broker_id);
  void SetBrokerUp(int32_t broker_id);
  void SetAllBrokersDown();
  void SetAllBrokersUp();

  // Creates a topic on the mock (replication capped at the broker count).
  absl::Status CreateTopic(const std::string& topic, int32_t partitions);

  // A TopicAdmin over this cluster (see above); valid while the cluster lives.
  std::shared_ptr<TopicAdmin> topic_admin();

  rd_kafka_mock_cluster_t* mock() { return mock_; }

 private:
  const int brokers_;
  rd_kafka_t* handle_ = nullptr;  // hosts the mock cluster
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace eventmesh::connectors::kafka::testing

#endif  // EVENTMESH_CONNECTORS_KAFKA_TESTING_MOCK_CLUSTER_H_
