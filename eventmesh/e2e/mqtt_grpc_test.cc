// Events cross the MQTT and gRPC frontends both ways on one runtime: an MQTT 5 publish reaches
// a gRPC stream subscriber, a gRPC publish reaches an MQTT wildcard subscriber (topic levels
// unchanged, payload as published).

#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "eventmesh/protocol/mqtt/packet.h"
#include "eventmesh/runtime/grpc/testing/grpc_test_client.h"
#include "eventmesh/runtime/mqtt/testing/mqtt_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

namespace mq = protocol::mqtt;
namespace gt = grpc::testing;
using protocol::grpc::Attr;
using protocol::grpc::ResponseCode;
using protocol::grpc::SubscriptionItem;
namespace key = protocol::grpc::key;

TEST(MqttGrpcTest, EventsCrossMqttAndGrpcBothWays) {
  connectors::ConnectorRegistry registry;
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry).ok());
  auto server =
      testing::StartTestServer({{"eventMesh.server.provide.protocols", "TCP,HTTP,GRPC,MQTT"},
                                {"eventMesh.server.mqtt.topicScanIntervalMs", "100"}},
                               testing::TestDataDir(), registry);
  ASSERT_TRUE(server.ok()) << server.status();
  const int mqtt_port = (*server)->port_of("mqtt");
  const int grpc_port = (*server)->port_of("grpc");
  ASSERT_GT(mqtt_port, 0);
  ASSERT_GT(grpc_port, 0);
  const std::string topic = "home/hall/light";

  // gRPC stream subscriber of the MQTT topic.
  auto channel = gt::Channel(grpc_port);
  gt::StreamClient grpc_sub(channel);
  auto answer = grpc_sub.Subscribe(
      gt::SubscriptionEvent("grpc-readers", {SubscriptionItem{topic, false, false}}));
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(ResponseCode(*answer), 0) << Attr(*answer, key::kResponseMessage);

  // MQTT 5 wildcard subscriber.
  auto connect = [&](const std::string& id) {
    auto client = mqtt::testing::MqttTestClient::Open(mqtt_port);
    EXPECT_TRUE(client.ok()) << client.status();
    mq::Connect c;
    c.version = mq::Version::kV5;
    c.client_id = id;
    c.keep_alive = 60;
    auto ack = (*client)->Connect(c);
    EXPECT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->reason_code, mq::reason::kSuccess);
    return std::move(*client);
  };
  auto mqtt_sub = connect("lights-watcher");
  auto subscribed = mqtt_sub->Subscribe({{"home/+/light", 1}});
  ASSERT_TRUE(subscribed.ok()) << subscribed.status();
  ASSERT_EQ(subscribed->reason_codes.size(), 1u);
  EXPECT_EQ(subscribed->reason_codes[0], 1);

  // MQTT -> gRPC (and the MQTT subscriber).
  auto mqtt_pub = connect("switch");
  mq::Publish publish;
  publish.topic = topic;
  publish.payload = "on, from mqtt";
  publish.qos = 1;
  auto puback = mqtt_pub->Publish(publish);
  ASSERT_TRUE(puback.ok()) << puback.status();
  EXPECT_EQ(puback->reason_code, mq::reason::kSuccess);
  auto event = grpc_sub.NextEvent();
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(Attr(*event, key::kSubject), topic);
  EXPECT_TRUE(absl::StrContains(event->text_data() + event->binary_data(), "on, from mqtt"))
      << event->DebugString();
  auto first = mqtt_sub->NextPublish();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->payload, "on, from mqtt");
  ASSERT_TRUE(mqtt_sub->Puback(first->packet_id).ok());

  // gRPC -> MQTT.
  auto published = gt::Publish(channel, gt::TextEvent(topic, "off, from grpc"));
  ASSERT_TRUE(published.ok()) << published.status();
  ASSERT_EQ(ResponseCode(*published), 0) << Attr(*published, key::kResponseMessage);
  auto second = mqtt_sub->NextPublish();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->topic, topic);
  EXPECT_TRUE(absl::StrContains(second->payload, "off, from grpc")) << second->payload;
  ASSERT_TRUE(mqtt_sub->Puback(second->packet_id).ok());
  (*server)->Shutdown();
}

}  // namespace
}  // namespace eventmesh::runtime
