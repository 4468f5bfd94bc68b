#include "eventmesh/connectors/kafka/kafka_options.h"

#include "gtest/gtest.h"

namespace eventmesh::connectors::kafka {
namespace {

TEST(KafkaOptionsTest, ParsesKeysAndPassThroughProperties) {
  auto options = ParseKafkaConfig({{"bootstrapServers", "k1:9092, k2:9093"},
                                   {"replicationFactor", "3"},
                                   {"securityProtocol", "SASL_SSL"},
                                   {"saslMechanism", "scram-sha-512"},
                                   {"groupPrefix", "mesh-"},
                                   {"property.compression.type", "lz4"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->bootstrap_servers, "k1:9092,k2:9093");
  EXPECT_EQ(options->replication_factor, 3);
  EXPECT_EQ(options->security_protocol, "sasl_ssl");
  EXPECT_EQ(options->sasl_mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(options->group_prefix, "mesh-");
  ASSERT_EQ(options->properties.size(), 1u);
  EXPECT_EQ(options->properties[0].first, "compression.type");
  const auto properties = CommonClientProperties(*options);
  EXPECT_EQ(properties.back(), (std::pair<std::string, std::string>{"compression.type", "lz4"}));
}

TEST(KafkaOptionsTest, ErrorsNameTheKey) {
  EXPECT_EQ(
      ParseKafkaConfig({}).status().message(),
      "kafka connector: key eventMesh.storage.kafka.bootstrapServers (host:port[,host:port...] "
      "of the Kafka brokers) is required");
  EXPECT_EQ(ParseKafkaConfig({{"bootstrapServers", "k1"}}).status().message(),
            "invalid value \"k1\" for key eventMesh.storage.kafka.bootstrapServers: expected "
            "host:port");
  EXPECT_EQ(
      ParseKafkaConfig({{"bootstrapServers", "k:1"}, {"bootstrapServer", "x"}}).status().message(),
      "unknown configuration key eventMesh.storage.kafka.bootstrapServer (did you mean "
      "eventMesh.storage.kafka.bootstrapServers?)");
  EXPECT_EQ(
      ParseKafkaConfig({{"bootstrapServers", "k:1"}, {"property.acks", "1"}}).status().message(),
      "configuration key eventMesh.storage.kafka.property.acks: the connector sets acks "
      "itself");
  EXPECT_EQ(ParseKafkaConfig({{"bootstrapServers", "k:1"}, {"property.linger.ms", "1"}})
                .status()
                .message(),
            "configuration key eventMesh.storage.kafka.property.linger.ms: the connector sets "
            "linger.ms itself (use eventMesh.storage.kafka.lingerMs)");
  const auto unknown =
      ParseKafkaConfig({{"bootstrapServers", "k:1"}, {"property.no.such.thing", "1"}}).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("eventMesh.storage.kafka.property.no.such.thing"),
            std::string::npos)
      << unknown.message();
  EXPECT_EQ(ParseKafkaConfig({{"bootstrapServers", "k:1"}, {"securityProtocol", "tls"}})
                .status()
                .message(),
            "invalid value \"tls\" for key eventMesh.storage.kafka.securityProtocol: expected one "
            "of plaintext, ssl, sasl_plaintext, sasl_ssl");
}

TEST(KafkaOptionsTest, MessagesUseTheRegistrySection) {
  ConnectorContext context;
  context.section = "eventMesh.storage.kafka.";
  context.max_event_bytes = 4 << 20;
  auto options = ParseKafkaConfig({{"bootstrapServers", "k:1"}}, context);
  ASSERT_TRUE(options.ok());
  for (const auto& [name, value] : CommonClientProperties(*options)) {
    if (name == "message.max.bytes") {
      EXPECT_EQ(value, std::to_string((4 << 20) + 64 * 1024));
    }
  }
}

}  // namespace
}  // namespace eventmesh::connectors::kafka
