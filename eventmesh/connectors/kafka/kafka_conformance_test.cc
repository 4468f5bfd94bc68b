// The connector conformance suite (connectors/testing) over the "kafka" connector against
// librdkafka's in-process mock cluster (3 brokers). Topics are created on the mock directly (it
// has no Admin API); the outage test takes every broker down and brings them back.

#include <map>
#include <memory>
#include <string>

#include "eventmesh/connectors/kafka/kafka_connector.h"
#include "eventmesh/connectors/kafka/testing/mock_cluster.h"
#include "eventmesh/connectors/testing/connector_conformance.h"

namespace eventmesh::connectors::testing {
namespace {

class KafkaEnvironment : public ConformanceEnvironment {
 public:
  std::string name() const override { return "kafka"; }

  absl::Status SetUp() override {
    cluster_ = std::make_unique<kafka::testing::MockKafkaCluster>(3);
    admin_ = cluster_->topic_admin();
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Connector>> Open() override {
    auto options = kafka::ParseKafkaConfig(Section());
    if (!options.ok()) return options.status();
    return kafka::OpenKafkaConnector(*options, admin_);
  }

  absl::Status StopEngine() override {
    cluster_->SetAllBrokersDown();
    return absl::OkStatus();
  }
  absl::Status StartEngine() override {
    cluster_->SetAllBrokersUp();
    return absl::OkStatus();
  }

  // "kafka" with topics created on the mock (the runtime's CreateTopic calls go there).
  absl::Status RegisterConnectors(ConnectorRegistry* registry) override {
    return registry->Register(
        "kafka",
        [admin = admin_](const ConnectorConfig& config, const ConnectorContext& context)
            -> absl::StatusOr<std::unique_ptr<Connector>> {
          auto options = kafka::ParseKafkaConfig(config, context);
          if (!options.ok()) return options.status();
          return kafka::OpenKafkaConnector(*options, admin);
        });
  }

  std::map<std::string, std::string> RuntimeProperties(const std::string&) override {
    std::map<std::string, std::string> properties;
    properties["eventMesh.storage.plugin.type"] = "kafka";
    for (const auto& [key, value] : Section()) {
      properties[ConnectorSection("kafka") + key] = value;
    }
    return properties;
  }

 private:
  ConnectorConfig Section() const {
    return {{"bootstrapServers", cluster_->bootstrap_servers()},
            {"commitIntervalMs", "50"},
            {"sessionTimeoutMs", "6000"},
            {"publishTimeoutMs", "5000"},
            {"requestTimeoutMs", "5000"},
            {"connectTimeoutMs", "10000"},
            {"lingerMs", "1"}};
  }

  std::unique_ptr<kafka::testing::MockKafkaCluster> cluster_;
  std::shared_ptr<kafka::TopicAdmin> admin_;
};

INSTANTIATE_TEST_SUITE_P(Kafka, ConnectorConformanceTest,
                         ::testing::Values(ConformanceFactory{
                             "kafka", [] { return std::make_unique<KafkaEnvironment>(); }}),
                         ConformanceTestName);

}  // namespace
}  // namespace eventmesh::connectors::testing
