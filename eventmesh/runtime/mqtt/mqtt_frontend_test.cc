// End-to-end tests of the MQTT frontend: an in-process runtime (embedded store) with tcp, http
// and mqtt on free loopback ports, driven by raw MQTT clients (MqttTestClient) and the TCP
// TestClient.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/mqtt/testing/mqtt_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::mqtt {
namespace {

namespace mq = protocol::mqtt;
using ::testing::HasSubstr;
using testing::MqttTestClient;

class MqttFrontendTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void StartServer(std::map<std::string, std::string> properties = {}) {
    if (data_dir_.empty()) data_dir_ = runtime::testing::TestDataDir();
    if (!registered_) {
      ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
      registered_ = true;
    }
    properties.emplace("eventMesh.server.provide.protocols", "TCP,HTTP,MQTT");
    properties.emplace("eventMesh.server.mqtt.topicScanIntervalMs", "100");
    auto server = runtime::testing::StartTestServer(properties, data_dir_, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->port_of("mqtt");
    ASSERT_GT(port_, 0);
  }

  void RestartServer(std::map<std::string, std::string> properties = {}) {
    server_->Shutdown();
    server_.reset();
    StartServer(std::move(properties));
  }

  std::unique_ptr<MqttTestClient> Open() {
    auto client = MqttTestClient::Open(port_);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // A connected client; `clean` = clean session / clean start.
  std::unique_ptr<MqttTestClient> Connected(const std::string& client_id,
                                            mq::Version version = mq::Version::kV311,
                                            bool clean = true, uint32_t expiry = 0,
                                            std::optional<uint16_t> receive_maximum = {}) {
    auto client = Open();
    if (client == nullptr) return nullptr;
    mq::Connect c;
    c.version = version;
    c.client_id = client_id;
    c.clean_start = clean;
    c.keep_alive = 60;
    if (version == mq::Version::kV5) {
      if (expiry > 0) c.properties.session_expiry_interval = expiry;
      c.properties.receive_maximum = receive_maximum;
    }
    auto ack = client->Connect(c);
    EXPECT_TRUE(ack.ok()) << ack.status();
    if (!ack.ok()) return nullptr;
    EXPECT_EQ(ack->reason_code, mq::reason::kSuccess);
    return client;
  }

  static mq::Publish Message(const std::string& topic, const std::string& payload, uint8_t qos) {
    mq::Publish p;
    p.topic = topic;
    p.payload = payload;
    p.qos = qos;
    return p;
  }

  static void SubscribeOk(MqttTestClient* client, const std::string& filter, uint8_t qos) {
    auto ack = client->Subscribe({{filter, qos}});
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->reason_codes.size(), 1u);
    EXPECT_EQ(ack->reason_codes[0], qos) << filter;
  }

  static void PublishOk(MqttTestClient* client, const std::string& topic,
                        const std::string& payload) {
    auto ack = client->Publish(Message(topic, payload, 1));
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->reason_code, mq::reason::kSuccess) << ack->properties.reason_string.value_or("");
  }

  // Receives the next PUBLISH and acknowledges it (QoS 1).
  static std::string Receive(MqttTestClient* client) {
    auto p = client->NextPublish();
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return "<none>";
    if (p->qos > 0) {
      EXPECT_TRUE(client->Puback(p->packet_id).ok());
    }
    return p->payload;
  }

  std::string data_dir_;
  connectors::ConnectorRegistry registry_;
  bool registered_ = false;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(MqttFrontendTest, PublishAndSubscribeQos1BothVersions) {
  StartServer();
  for (mq::Version v : {mq::Version::kV311, mq::Version::kV5}) {
    const std::string topic = v == mq::Version::kV5 ? "home/kitchen/temp5" : "home/kitchen/temp";
    auto sub = Connected(absl::StrCat("sub-", static_cast<int>(v)), v);
    auto pub = Connected(absl::StrCat("pub-", static_cast<int>(v)), v);
    ASSERT_NE(sub, nullptr);
    ASSERT_NE(pub, nullptr);
    SubscribeOk(sub.get(), topic, 1);
    PublishOk(pub.get(), topic, "21.5");
    auto got = sub->NextPublish();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->topic, topic);
    EXPECT_EQ(got->payload, "21.5");
    EXPECT_EQ(got->qos, 1);
    EXPECT_FALSE(got->dup);
    if (v == mq::Version::kV5) {
      // Binary mode: the CloudEvent attributes as user properties.
      std::map<std::string, std::string> props(got->properties.user_properties.begin(),
                                               got->properties.user_properties.end());
      EXPECT_EQ(props["specversion"], "1.0");
      EXPECT_EQ(props["type"], "org.apache.eventmesh.mqtt.message");
      EXPECT_EQ(props["source"], "/mqtt/pub-5");
      EXPECT_FALSE(props["id"].empty());
    }
    ASSERT_TRUE(sub->Puback(got->packet_id).ok());
    // QoS 0 both ways.
    ASSERT_TRUE(pub->Publish(Message(topic, "qos0", 0)).ok());
    EXPECT_EQ(Receive(sub.get()), "qos0");
    // PINGREQ.
    ASSERT_TRUE(pub->SendRaw(std::string("\xc0\x00", 2)).ok());
    EXPECT_TRUE(pub->Next(mq::PacketType::kPingresp).ok());
    // Clean DISCONNECT.
    ASSERT_TRUE(pub->Disconnect().ok());
    EXPECT_TRUE(pub->WaitClosed());
  }
}

// The admin port lists MQTT connections beside TCP sessions (Server::Clients feeds /v1/clients).
TEST_F(MqttFrontendTest, ConnectionsAreListedAsClients) {
  StartServer();
  auto sub = Connected("listed-sub", mq::Version::kV5);
  auto pub = Connected("listed-pub");
  ASSERT_NE(sub, nullptr);
  ASSERT_NE(pub, nullptr);
  SubscribeOk(sub.get(), "home/+/temp", 1);
  std::map<std::string, admin::ClientInfo> by_id;
  for (const admin::ClientInfo& client : server_->Clients()) {
    if (client.protocol == "mqtt") by_id[client.id] = client;
  }
  ASSERT_EQ(by_id.size(), 2u);
  EXPECT_EQ(by_id["listed-sub"].purpose, "sub");
  EXPECT_EQ(by_id["listed-sub"].version, "5");
  EXPECT_EQ(by_id["listed-sub"].topics, std::vector<std::string>{"home/+/temp"});
  EXPECT_FALSE(by_id["listed-sub"].group.empty());
  EXPECT_THAT(by_id["listed-sub"].address, HasSubstr("127.0.0.1:"));
  EXPECT_EQ(by_id["listed-pub"].purpose, "pub");
  EXPECT_EQ(by_id["listed-pub"].version, "3.1.1");
  EXPECT_TRUE(by_id["listed-pub"].topics.empty());
}

TEST_F(MqttFrontendTest, UnacknowledgedDeliveryComesAgainWithDup) {
  StartServer({{"eventMesh.server.delivery.ackTimeoutInMills", "300"}});
  auto sub = Connected("slow", mq::Version::kV5);
  auto pub = Connected("fast", mq::Version::kV5);
  SubscribeOk(sub.get(), "orders/eu", 1);
  PublishOk(pub.get(), "orders/eu", "o-1");
  auto first = sub->NextPublish();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->dup);
  // No PUBACK: the group's position does not move and the event comes again, flagged DUP.
  auto again = sub->NextPublish();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->payload, "o-1");
  EXPECT_TRUE(again->dup);
  ASSERT_TRUE(sub->Puback(again->packet_id).ok());
  PublishOk(pub.get(), "orders/eu", "o-2");
  auto next = sub->NextPublish();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->payload, "o-2");
  EXPECT_FALSE(next->dup);
  ASSERT_TRUE(sub->Puback(next->packet_id).ok());
}

TEST_F(MqttFrontendTest, ReceiveMaximumBoundsDeliveriesInFlight) {
  StartServer();
  auto sub = Connected("window", mq::Version::kV5, true, 0, /*receive_maximum=*/2);
  auto pub = Connected("producer", mq::Version::kV5);
  SubscribeOk(sub.get(), "flow", 1);
  for (int i = 0; i < 5; ++i) PublishOk(pub.get(), "flow", absl::StrCat("m", i));
  auto a = sub->NextPublish();
  auto b = sub->NextPublish();
  ASSERT_TRUE(a.ok() && b.ok());
  // The window is full: nothing more arrives until a PUBACK (a PINGREQ round trip proves the
  // connection is otherwise live and ordered behind any queued PUBLISH).
  ASSERT_TRUE(sub->SendRaw(std::string("\xc0\x00", 2)).ok());
  ASSERT_TRUE(sub->Next(mq::PacketType::kPingresp).ok());
  EXPECT_EQ(sub->queued(), 0u);
  std::set<std::string> got = {a->payload, b->payload};
  ASSERT_TRUE(sub->Puback(a->packet_id).ok());
  ASSERT_TRUE(sub->Puback(b->packet_id).ok());
  for (int i = 0; i < 3; ++i) got.insert(Receive(sub.get()));
  EXPECT_EQ(got, (std::set<std::string>{"m0", "m1", "m2", "m3", "m4"}));
}

TEST_F(MqttFrontendTest, WildcardsIncludingTopicsCreatedLater) {
  StartServer();
  auto pub = Connected("pub", mq::Version::kV311);
  PublishOk(pub.get(), "home/kitchen/temp", "before");  // the topic exists before the filter
  auto plus = Connected("plus", mq::Version::kV311);
  auto hash = Connected("hash", mq::Version::kV311);
  SubscribeOk(plus.get(), "home/+/temp", 1);
  SubscribeOk(hash.get(), "home/#", 1);
  PublishOk(pub.get(), "home/kitchen/temp", "k");
  EXPECT_EQ(Receive(plus.get()), "k");
  EXPECT_EQ(Receive(hash.get()), "k");
  // Topics created after the subscription, by MQTT and by TCP.
  PublishOk(pub.get(), "home/garage/temp", "g");
  EXPECT_EQ(Receive(plus.get()), "g");
  EXPECT_EQ(Receive(hash.get()), "g");
  auto tcp = runtime::testing::TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(tcp.ok());
  ASSERT_TRUE((*tcp)->Hello("pub", "tcp-producers").ok());
  auto published = (*tcp)->Publish("home/attic/humidity", "h");
  ASSERT_TRUE(published.ok()) << published.status();
  // An MQTT 3.1.1 subscriber gets another protocol's event in structured mode.
  auto from_tcp = cloudevents::ParseJsonEvent(Receive(hash.get()));
  ASSERT_TRUE(from_tcp.ok()) << from_tcp.status();
  EXPECT_EQ(from_tcp->subject(), "home/attic/humidity");
  EXPECT_EQ(from_tcp->data(), "h");
  // "home/+/temp" does not match it, nor "home" deeper levels.
  PublishOk(pub.get(), "home/attic/temp/raw", "deep");
  EXPECT_EQ(Receive(hash.get()), "deep");
  PublishOk(pub.get(), "home/attic/temp", "t");
  EXPECT_EQ(Receive(plus.get()), "t");
  EXPECT_EQ(Receive(hash.get()), "t");
}

TEST_F(MqttFrontendTest, SharedSubscriptionGivesEachEventToOneMember) {
  StartServer();
  auto a = Connected("worker-a", mq::Version::kV5);
  auto b = Connected("worker-b", mq::Version::kV5);
  auto pub = Connected("boss", mq::Version::kV5);
  SubscribeOk(a.get(), "$share/workers/jobs/+", 1);
  SubscribeOk(b.get(), "$share/workers/jobs/+", 1);
  PublishOk(pub.get(), "jobs/x", "warm-up");  // creates the topic; both members join it
  std::set<std::string> seen;
  const int kEvents = 20;
  for (int i = 0; i < kEvents; ++i) PublishOk(pub.get(), "jobs/x", absl::StrCat("j", i));
  int from_a = 0;
  int from_b = 0;
  // Every event arrives exactly once across the two members.
  for (int received = 0; received < kEvents;) {
    for (MqttTestClient* c : {a.get(), b.get()}) {
      auto p = c->NextPublish(absl::Milliseconds(200));
      if (!p.ok()) continue;
      ASSERT_TRUE(c->Puback(p->packet_id).ok());
      if (p->payload == "warm-up") continue;
      EXPECT_TRUE(seen.insert(p->payload).second) << "twice: " << p->payload;
      ++received;
      (c == a.get() ? from_a : from_b)++;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  EXPECT_GT(from_a, 0);
  EXPECT_GT(from_b, 0);
}

TEST_F(MqttFrontendTest, EventsCrossMqttAndTcp) {
  StartServer();
  // TCP subscriber of an MQTT topic with levels.
  auto tcp_sub = runtime::testing::TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(tcp_sub.ok());
  ASSERT_TRUE((*tcp_sub)->Hello("sub", "tcp-group").ok());
  auto subscribed = (*tcp_sub)->Subscribe("home/kitchen/temp");
  ASSERT_TRUE(subscribed.ok()) << subscribed.status();
  EXPECT_EQ(subscribed->header.code, 0) << subscribed->header.desc;
  ASSERT_TRUE((*tcp_sub)->Listen().ok());
  auto mqtt_sub = Connected("mqtt-sub", mq::Version::kV311);
  SubscribeOk(mqtt_sub.get(), "home/kitchen/temp", 1);

  auto mqtt_pub = Connected("sensor", mq::Version::kV311);
  PublishOk(mqtt_pub.get(), "home/kitchen/temp", "from-mqtt");
  auto push = (*tcp_sub)->Next(protocol::tcp::Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(message.ok()) << push->body;
  EXPECT_EQ(message->body, "from-mqtt");
  ASSERT_TRUE((*tcp_sub)->Ack(*push).ok());
  EXPECT_EQ(Receive(mqtt_sub.get()), "from-mqtt");

  auto tcp_pub = runtime::testing::TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(tcp_pub.ok());
  ASSERT_TRUE((*tcp_pub)->Hello("pub", "tcp-producers").ok());
  auto published = (*tcp_pub)->Publish("home/kitchen/temp", "from-tcp");
  ASSERT_TRUE(published.ok()) << published.status();
  // MQTT 3.1.1 subscribers get events of other protocols in structured mode.
  const std::string structured = Receive(mqtt_sub.get());
  auto event = cloudevents::ParseJsonEvent(structured);
  ASSERT_TRUE(event.ok()) << structured;
  EXPECT_EQ(event->subject(), "home/kitchen/temp");
  EXPECT_THAT(event->data(), HasSubstr("from-tcp"));
}

TEST_F(MqttFrontendTest, CredentialsAreCheckedAgainstTheAcl) {
  data_dir_ = runtime::testing::TestDataDir();
  std::filesystem::create_directories(data_dir_);
  const std::string credentials = data_dir_ + "/credentials.json";
  std::ofstream(credentials) << R"({"users": [
      {"username": "alice", "password": "s3cret", "publish": ["home/*"], "subscribe": ["home/*"]}]})";
  StartServer({{"eventMesh.server.security.enabled", "true"},
               {"eventMesh.server.security.credentialsFile", credentials}});
  for (mq::Version v : {mq::Version::kV311, mq::Version::kV5}) {
    auto client = Open();
    mq::Connect c;
    c.version = v;
    c.client_id = "intruder";
    c.username = "alice";
    c.password = "wrong";
    auto ack = client->Connect(c);
    ASSERT_TRUE(ack.ok()) << ack.status();
    // 3.1.1 return code 4 reads back as 0x04; MQTT 5 reason 0x86.
    EXPECT_EQ(ack->reason_code, v == mq::Version::kV5 ? mq::reason::kBadUserNameOrPassword : 4);
    EXPECT_TRUE(client->WaitClosed());
  }
  auto alice = Open();
  mq::Connect c;
  c.version = mq::Version::kV5;
  c.client_id = "alice-1";
  c.username = "alice";
  c.password = "s3cret";
  auto ack = alice->Connect(c);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->reason_code, mq::reason::kSuccess);
  SubscribeOk(alice.get(), "home/+/temp", 1);
  auto denied = alice->Subscribe({{"office/#", 1}});
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->reason_codes, std::vector<uint8_t>{mq::reason::kNotAuthorized});
  auto refused = alice->Publish(Message("office/printer", "x", 1));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->reason_code, mq::reason::kNotAuthorized);
  PublishOk(alice.get(), "home/hall/temp", "ok");
  EXPECT_EQ(Receive(alice.get()), "ok");
}

TEST_F(MqttFrontendTest, FailedLoginsAreThrottled) {
  data_dir_ = runtime::testing::TestDataDir();
  std::filesystem::create_directories(data_dir_);
  const std::string credentials = data_dir_ + "/credentials.json";
  std::ofstream(credentials) << R"({"users": [{"username": "bob", "password": "pw"}]})";
  StartServer({{"eventMesh.server.security.enabled", "true"},
               {"eventMesh.server.security.credentialsFile", credentials},
               {"eventMesh.server.security.loginFailureBurst", "2"},
               {"eventMesh.server.security.loginFailuresPerMinute", "1"}});
  auto login = [&](const std::string& password) -> uint8_t {
    auto client = Open();
    mq::Connect c;
    c.version = mq::Version::kV5;
    c.client_id = "bob-" + password;
    c.username = "bob";
    c.password = password;
    auto ack = client->Connect(c);
    EXPECT_TRUE(ack.ok()) << ack.status();
    return ack.ok() ? ack->reason_code : 0xFF;
  };
  EXPECT_EQ(login("guess1"), mq::reason::kBadUserNameOrPassword);
  EXPECT_EQ(login("guess2"), mq::reason::kBadUserNameOrPassword);
  // The address used its burst: even the right password is refused before it is checked.
  EXPECT_EQ(login("pw"), mq::reason::kServerBusy);
}

TEST_F(MqttFrontendTest, BadInputGetsReasonCodesAndOthersKeepWorking) {
  StartServer({{"eventMesh.server.mqtt.maxPacketSize", "4096"}});
  auto healthy_sub = Connected("healthy-sub", mq::Version::kV5);
  auto healthy_pub = Connected("healthy-pub", mq::Version::kV5);
  SubscribeOk(healthy_sub.get(), "ok/topic", 1);
  int sent = 0;
  auto still_serving = [&] {
    const std::string payload = absl::StrCat("alive-", sent++);
    PublishOk(healthy_pub.get(), "ok/topic", payload);
    EXPECT_EQ(Receive(healthy_sub.get()), payload);
  };

  // A packet before CONNECT: closed.
  auto early = Open();
  ASSERT_TRUE(early->SendRaw(std::string("\x30\x05\x00\x01t\x00\x01", 7)).ok());
  EXPECT_TRUE(early->WaitClosed());
  still_serving();

  // Garbage instead of CONNECT.
  auto garbage = Open();
  ASSERT_TRUE(garbage->SendRaw("GET / HTTP/1.1\r\n\r\n").ok());
  EXPECT_TRUE(garbage->WaitClosed());
  still_serving();

  // An unsupported protocol level: CONNACK 0x01 (3.1.1 form), then closed.
  auto v31 = Open();
  ASSERT_TRUE(
      v31->SendRaw(std::string("\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01x", 17)).ok());
  auto refused = v31->Next(mq::PacketType::kConnack);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->body, std::string("\x00\x01", 2));
  EXPECT_TRUE(v31->WaitClosed());

  struct Case {
    const char* what;
    std::string bytes;
    uint8_t reason;
  } cases[] = {
      {"second CONNECT", std::string("\x10\x0e\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x01x", 16),
       0x82},
      {"oversize remaining length", std::string("\x30\xff\xff\xff\x7f", 5), 0x95},
      {"five length bytes", std::string("\x30\x80\x80\x80\x80\x01", 6), 0x81},
      {"invalid UTF-8 topic", std::string("\x30\x06\x00\x02\xc3\x28\x00x", 8), 0x90},
      {"wildcard in a publish topic",
       std::string("\x30\x06\x00\x03"
                   "a/+"
                   "\x00",
                   8),
       0x90},
      {"QoS 3", std::string("\x36\x06\x00\x01t\x00\x01\x00", 8), 0x81},
      {"SUBSCRIBE with bad flags", std::string("\x80\x06\x00\x01\x00\x01t\x01", 8), 0x81},
      {"a CONNACK from a client", std::string("\x20\x02\x00\x00", 4), 0x82},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto bad = Connected(absl::StrCat("bad-", c.what).substr(0, 20), mq::Version::kV5);
    ASSERT_NE(bad, nullptr);
    ASSERT_TRUE(bad->SendRaw(c.bytes).ok());
    auto disconnect = bad->Next(mq::PacketType::kDisconnect);
    ASSERT_TRUE(disconnect.ok()) << disconnect.status();
    auto d = mq::DecodeDisconnect(disconnect->header.flags, disconnect->body, mq::Version::kV5);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->reason_code, c.reason) << d->properties.reason_string.value_or("");
    EXPECT_TRUE(d->properties.reason_string.has_value());
    EXPECT_TRUE(bad->WaitClosed());
    still_serving();
  }
  // MQTT 3.1.1 has no DISCONNECT from the server: the connection just closes.
  auto old = Connected("old-client", mq::Version::kV311);
  ASSERT_TRUE(old->SendRaw(std::string("\x30\x06\x00\x03"
                                       "a/#"
                                       "\x00",
                                       8))
                  .ok());
  EXPECT_TRUE(old->WaitClosed());
  still_serving();
  // A topic the mesh cannot name (empty level): MQTT 5 gets PUBACK 0x90, the connection stays.
  auto odd = Connected("odd", mq::Version::kV5);
  auto ack = odd->Publish(Message("a//b", "x", 1));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->reason_code, mq::reason::kTopicNameInvalid);
  auto sub_ack = odd->Subscribe({{"a//b", 1}, {"a/#/b", 1}});
  ASSERT_TRUE(sub_ack.ok()) << sub_ack.status();
  EXPECT_EQ(sub_ack->reason_codes, (std::vector<uint8_t>{mq::reason::kTopicFilterInvalid,
                                                         mq::reason::kTopicFilterInvalid}));
  still_serving();
}

TEST_F(MqttFrontendTest, KeepAliveTimeoutCloses) {
  StartServer();
  auto client = Open();
  mq::Connect c;
  c.version = mq::Version::kV5;
  c.client_id = "sleepy";
  c.keep_alive = 1;
  ASSERT_TRUE(client->Connect(c).ok());
  auto disconnect = client->Next(mq::PacketType::kDisconnect, absl::Seconds(10));
  ASSERT_TRUE(disconnect.ok()) << disconnect.status();
  EXPECT_EQ(disconnect->body[0], static_cast<char>(mq::reason::kKeepAliveTimeout));
  EXPECT_TRUE(client->WaitClosed());
}

TEST_F(MqttFrontendTest, PersistentSessionSurvivesReconnectAndRestart) {
  StartServer();
  {
    auto sub = Connected("durable", mq::Version::kV311, /*clean=*/false);
    SubscribeOk(sub.get(), "plant/+/pressure", 1);
    auto pub = Connected("plc", mq::Version::kV311);
    PublishOk(pub.get(), "plant/a/pressure", "p1");
    EXPECT_EQ(Receive(sub.get()), "p1");
    sub->Drop();  // no DISCONNECT
  }
  {
    // Published while the client is away: kept for its session.
    auto pub = Connected("plc", mq::Version::kV311);
    PublishOk(pub.get(), "plant/a/pressure", "p2");
    PublishOk(pub.get(), "plant/b/pressure", "p3");  // a new topic matching the filter
  }
  {
    auto sub = Open();
    mq::Connect c;
    c.client_id = "durable";
    c.clean_start = false;
    auto ack = sub->Connect(c);
    ASSERT_TRUE(ack.ok());
    EXPECT_TRUE(ack->session_present);
    std::set<std::string> got = {Receive(sub.get()), Receive(sub.get())};
    EXPECT_EQ(got, (std::set<std::string>{"p2", "p3"}));
    sub->Drop();
  }
  {
    auto pub = Connected("plc", mq::Version::kV311);
    PublishOk(pub.get(), "plant/a/pressure", "p4");
  }
  RestartServer();
  auto sub = Open();
  mq::Connect c;
  c.client_id = "durable";
  c.clean_start = false;
  auto ack = sub->Connect(c);
  ASSERT_TRUE(ack.ok());
  EXPECT_TRUE(ack->session_present);
  EXPECT_EQ(Receive(sub.get()), "p4");
  // The subscription itself survived the restart.
  auto pub = Connected("plc", mq::Version::kV311);
  PublishOk(pub.get(), "plant/c/pressure", "p5");
  EXPECT_EQ(Receive(sub.get()), "p5");
  // A clean session ends it.
  sub->Drop();
  auto clean = Open();
  mq::Connect fresh;
  fresh.client_id = "durable";
  fresh.clean_start = true;
  auto fresh_ack = clean->Connect(fresh);
  ASSERT_TRUE(fresh_ack.ok());
  EXPECT_FALSE(fresh_ack->session_present);
}

TEST_F(MqttFrontendTest, RetainedWillAndExpiry) {
  StartServer();
  auto pub = Connected("station", mq::Version::kV5);
  mq::Publish retained = Message("weather/now", "sunny", 1);
  retained.retain = true;
  ASSERT_TRUE(pub->Publish(retained).ok());
  // A later subscriber gets the retained message first, flagged retain.
  auto late = Connected("late", mq::Version::kV5);
  SubscribeOk(late.get(), "weather/#", 1);
  auto got = late->NextPublish();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->payload, "sunny");
  EXPECT_TRUE(got->retain);
  ASSERT_TRUE(late->Puback(got->packet_id).ok());
  // It survives a restart.
  late.reset();
  pub.reset();
  RestartServer();
  auto after = Connected("after", mq::Version::kV311);
  SubscribeOk(after.get(), "weather/now", 1);
  EXPECT_EQ(Receive(after.get()), "sunny");

  // A will message is published when its client vanishes.
  auto watcher = Connected("watcher", mq::Version::kV311);
  SubscribeOk(watcher.get(), "devices/+/status", 1);
  {
    auto device = Open();
    mq::Connect c;
    c.client_id = "device-7";
    mq::Will will;
    will.topic = "devices/7/status";
    will.payload = "offline";
    will.qos = 1;
    c.will = will;
    ASSERT_TRUE(device->Connect(c).ok());
    device->Drop();
  }
  EXPECT_EQ(Receive(watcher.get()), "offline");

  // An expired message is not delivered; a live one is, with the remaining interval.
  auto v5 = Connected("expiring", mq::Version::kV5);
  SubscribeOk(v5.get(), "ttl/x", 1);
  auto producer = Connected("ttl-producer", mq::Version::kV5);
  mq::Publish soon = Message("ttl/x", "keep", 1);
  soon.properties.message_expiry_interval = 3600;
  ASSERT_TRUE(producer->Publish(soon).ok());
  auto live = v5->NextPublish();
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->payload, "keep");
  ASSERT_TRUE(live->properties.message_expiry_interval.has_value());
  EXPECT_LE(*live->properties.message_expiry_interval, 3600u);
  ASSERT_TRUE(v5->Puback(live->packet_id).ok());
}

TEST_F(MqttFrontendTest, CloudEventsBinaryAndStructuredModes) {
  StartServer();
  auto sub5 = Connected("ce-sub5", mq::Version::kV5);
  auto sub3 = Connected("ce-sub3", mq::Version::kV311);
  SubscribeOk(sub5.get(), "ce/orders", 1);
  SubscribeOk(sub3.get(), "ce/orders", 1);
  auto pub = Connected("ce-pub", mq::Version::kV5);
  mq::Publish binary = Message("ce/orders", "{\"n\":1}", 1);
  binary.properties.content_type = "application/json";
  binary.properties.user_properties = {{"specversion", "1.0"},
                                       {"id", "order-1"},
                                       {"source", "/shop"},
                                       {"type", "com.example.order"},
                                       {"tenant", "acme"}};
  PublishOk(pub.get(), binary.topic, "");  // creates nothing special: a plain message first
  EXPECT_EQ(Receive(sub3.get()), "");
  (void)Receive(sub5.get());
  auto ack = pub->Publish(binary);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->reason_code, mq::reason::kSuccess);
  auto got5 = sub5->NextPublish();
  ASSERT_TRUE(got5.ok());
  std::map<std::string, std::string> props(got5->properties.user_properties.begin(),
                                           got5->properties.user_properties.end());
  EXPECT_EQ(props["id"], "order-1");
  EXPECT_EQ(props["source"], "/shop");
  EXPECT_EQ(props["type"], "com.example.order");
  EXPECT_EQ(props["tenant"], "acme");
  EXPECT_EQ(got5->properties.content_type, "application/json");
  EXPECT_EQ(got5->payload, "{\"n\":1}");
  ASSERT_TRUE(sub5->Puback(got5->packet_id).ok());
  // The 3.1.1 subscriber gets the same event in structured mode.
  auto event = cloudevents::ParseJsonEvent(Receive(sub3.get()));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->id(), "order-1");
  EXPECT_EQ(event->type(), "com.example.order");
  // Structured mode in: a 3.1.1 client publishing a JSON CloudEvent.
  auto pub3 = Connected("ce-pub3", mq::Version::kV311);
  PublishOk(pub3.get(), "ce/orders",
            R"({"specversion":"1.0","id":"order-2","source":"/legacy","type":"com.example.order",)"
            R"("datacontenttype":"text/plain","data":"x"})");
  auto got = sub5->NextPublish();
  ASSERT_TRUE(got.ok());
  std::map<std::string, std::string> p2(got->properties.user_properties.begin(),
                                        got->properties.user_properties.end());
  EXPECT_EQ(p2["id"], "order-2");
  EXPECT_EQ(p2["source"], "/legacy");
  EXPECT_EQ(got->payload, "x");
  // A binary-mode message that is not a valid CloudEvent: 0x99.
  mq::Publish broken = Message("ce/orders", "x", 1);
  broken.properties.user_properties = {{"specversion", "1.0"}, {"id", "only-id"}};
  auto bad = pub->Publish(broken);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->reason_code, mq::reason::kPayloadFormatInvalid);
}

TEST_F(MqttFrontendTest, SecondConnectionTakesTheClientIdOver) {
  StartServer();
  auto first = Connected("same-id", mq::Version::kV5);
  auto second = Connected("same-id", mq::Version::kV5);
  auto disconnect = first->Next(mq::PacketType::kDisconnect);
  ASSERT_TRUE(disconnect.ok()) << disconnect.status();
  EXPECT_EQ(disconnect->body[0], static_cast<char>(mq::reason::kSessionTakenOver));
  EXPECT_TRUE(first->WaitClosed());
  SubscribeOk(second.get(), "takeover/t", 1);
  auto pub = Connected("takeover-pub", mq::Version::kV5);
  PublishOk(pub.get(), "takeover/t", "still-here");
  EXPECT_EQ(Receive(second.get()), "still-here");
}

}  // namespace
}  // namespace eventmesh::runtime::mqtt
