// End-to-end tests of the runtime over real sockets: an in-process Server on a free port with the
// embedded connector, driven by TestClient.

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/redirect_info.h"
#include "eventmesh/protocol/tcp/user_agent.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using protocol::tcp::Command;
using protocol::tcp::Package;
using protocol::tcp::SubscriptionMode;
using testing::TestClient;

std::string BodyOf(const Package& push) {
  auto message = protocol::tcp::EventMeshMessage::FromJson(push.body);
  return message.ok() ? message->body : "<undecodable: " + push.body + ">";
}

// An ASYNC_MESSAGE_TO_SERVER of protocol type `type` (protocol version 1.0) carrying `body`.
Package AsyncPublish(absl::string_view type, std::string body) {
  Package publish;
  publish.header.cmd = Command::kAsyncMessageToServer;
  publish.header.properties["protocoltype"] = std::string(type);
  publish.header.properties["protocolversion"] = "1.0";
  publish.header.properties["protocoldesc"] = "tcp";
  publish.body = std::move(body);
  return publish;
}

class RuntimeTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void StartServer(std::map<std::string, std::string> properties = {}) {
    data_dir_ = testing::TestDataDir();
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    auto server = testing::StartTestServer(std::move(properties), data_dir_, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<TestClient> Client(const std::string& purpose, const std::string& group,
                                     int unack = 0) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, group, unack);
    EXPECT_TRUE(hello.ok()) << hello.status();
    if (hello.ok()) {
      EXPECT_EQ(hello->header.cmd, Command::kHelloResponse);
      EXPECT_EQ(hello->header.code, 0) << hello->header.desc;
    }
    return std::move(*client);
  }

  std::unique_ptr<TestClient> Subscriber(const std::string& group, const std::string& topic,
                                         SubscriptionMode mode = SubscriptionMode::kClustering,
                                         int unack = 0) {
    auto client = Client("sub", group, unack);
    auto subscribed = client->Subscribe(topic, mode);
    EXPECT_TRUE(subscribed.ok()) << subscribed.status();
    if (subscribed.ok()) {
      EXPECT_EQ(subscribed->header.code, 0) << subscribed->header.desc;
    }
    auto listened = client->Listen();
    EXPECT_TRUE(listened.ok()) << listened.status();
    if (listened.ok()) {
      EXPECT_EQ(listened->header.cmd, Command::kListenResponse);
      EXPECT_EQ(listened->header.code, 0) << listened->header.desc;
    }
    return client;
  }

  void PublishOk(TestClient* client, const std::string& topic, const std::string& body,
                 bool broadcast = false) {
    auto ack = client->Publish(topic, body, broadcast);
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->header.cmd, broadcast ? Command::kBroadcastMessageToServerAck
                                         : Command::kAsyncMessageToServerAck);
    EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  }

  connectors::ConnectorRegistry registry_;
  std::string data_dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(RuntimeTest, HelloAcceptedAndRejected) {
  StartServer();
  auto ok = Client("pub", "producers");
  ASSERT_NE(ok, nullptr);

  auto bad = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(bad.ok());
  auto reply = (*bad)->Hello("both", "g");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->header.cmd, Command::kHelloResponse);
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(reply->header.desc, "UserAgent purpose must be \"pub\" or \"sub\", got \"both\"");
  EXPECT_TRUE((*bad)->WaitClosed());

  auto no_group = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(no_group.ok());
  reply = (*no_group)->Hello("sub", "");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(reply->header.desc, "UserAgent group is required (non-blank)");
}

TEST_F(RuntimeTest, RecommendAnswersTheAdvertisedAddressWithoutASession) {
  StartServer({{"eventMesh.server.hostIp", "127.0.0.1"}});
  auto client = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(client.ok());
  protocol::tcp::UserAgent agent;
  agent.subsystem = "5023";
  agent.pid = 1;
  agent.version = "2.0";
  agent.group = "g";
  agent.purpose = "sub";
  Package recommend;
  recommend.header.cmd = Command::kRecommendRequest;
  recommend.header.seq = "5";
  recommend.body = agent.ToJson();
  auto reply = (*client)->Request(recommend);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->header.cmd, Command::kRecommendResponse);
  EXPECT_EQ(reply->header.code, 0) << reply->header.desc;
  EXPECT_EQ(*reply->header.seq, "5");
  // A JSON string, as Apache EventMesh's encoder writes a String body.
  EXPECT_EQ(reply->body, absl::StrCat("\"127.0.0.1:", server_->tcp_port(), "\""));

  recommend.header.seq = "6";
  recommend.body = "{not json";
  reply = (*client)->Request(recommend);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->header.cmd, Command::kRecommendResponse);
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_FALSE(reply->header.desc.empty());
  // The connection still works: HELLO afterwards.
  auto hello = (*client)->Hello("pub", "g");
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->header.code, 0);
}

TEST_F(RuntimeTest, CommandsBeforeHelloAreRejectedWithTheirSeq) {
  StartServer();
  auto client = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(client.ok());
  Package heartbeat;
  heartbeat.header.cmd = Command::kHeartbeatRequest;
  heartbeat.header.seq = "77";
  auto reply = (*client)->Request(heartbeat);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->header.cmd, Command::kHeartbeatResponse);
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(*reply->header.seq, "77");
  EXPECT_EQ(reply->header.desc,
            "no session is found: send HELLO_REQUEST first (got HEARTBEAT_REQUEST)");

  reply = (*client)->Publish("t", "x");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.cmd, Command::kAsyncMessageToServerAck);
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(reply->header.desc,
            "no session is found: send HELLO_REQUEST first (got ASYNC_MESSAGE_TO_SERVER)");

  // After HELLO the same connection works.
  auto hello = (*client)->Hello("pub", "p");
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->header.code, 0);
  heartbeat.header.seq = "78";
  reply = (*client)->Request(heartbeat);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.code, 0);
}

TEST_F(RuntimeTest, PublishIsAckedAndDurableInTheStore) {
  StartServer();
  auto publisher = Client("pub", "p");
  for (int i = 0; i < 5; ++i) PublishOk(publisher.get(), "orders", absl::StrCat("order-", i));
  publisher.reset();
  server_->Shutdown();
  server_.reset();

  store::StoreOptions options;
  options.path = data_dir_ + "/store";
  auto store = store::RocksDbEventStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto topic = (*store)->DescribeTopic({"orders"});
  ASSERT_TRUE(topic.ok()) << topic.status();
  EXPECT_EQ(topic->partitions, 4);  // the default partition count of auto-created topics
  std::set<std::string> bodies;
  for (int p = 0; p < topic->partitions; ++p) {
    store::ReadRequest read;
    read.topic = "orders";
    read.partition = p;
    auto records = (*store)->Read(read);
    ASSERT_TRUE(records.ok());
    for (const auto& record : records->records) {
      auto event = cloudevents::ParseProto(record.payload);
      ASSERT_TRUE(event.ok());
      EXPECT_EQ(*event->subject(), "orders");
      bodies.insert(event->data());
    }
  }
  EXPECT_EQ(bodies, (std::set<std::string>{"order-0", "order-1", "order-2", "order-3", "order-4"}));
}

TEST_F(RuntimeTest, SubscriberReceivesEventsPublishedByAnotherClient) {
  StartServer();
  auto subscriber = Subscriber("readers", "news");
  auto publisher = Client("pub", "p");
  for (int i = 0; i < 5; ++i) PublishOk(publisher.get(), "news", absl::StrCat("n", i));
  std::multiset<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    EXPECT_EQ(push->header.code, 0);
    ASSERT_TRUE(push->header.seq.has_value());
    EXPECT_EQ(push->header.properties.at("protocoltype"), "eventmeshmessage");
    seen.insert(BodyOf(*push));
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"n0", "n1", "n2", "n3", "n4"}));
}

TEST_F(RuntimeTest, ClusteringGroupOfThreeReceivesEveryEventExactlyOnce) {
  StartServer();
  std::vector<std::unique_ptr<TestClient>> members;
  for (int i = 0; i < 3; ++i) members.push_back(Subscriber("workers", "jobs"));
  auto publisher = Client("pub", "p");
  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) PublishOk(publisher.get(), "jobs", absl::StrCat("job-", i));

  std::multiset<std::string> seen;
  std::vector<int> per_member(3, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (static_cast<int>(seen.size()) < kEvents && absl::Now() < deadline) {
    for (int m = 0; m < 3; ++m) {
      auto push = members[m]->Next(Command::kAsyncMessageToClient, absl::Milliseconds(50));
      if (!push.ok()) continue;
      seen.insert(BodyOf(*push));
      ++per_member[m];
      ASSERT_TRUE(members[m]->Ack(*push).ok());
    }
  }
  ASSERT_EQ(static_cast<int>(seen.size()), kEvents);
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(seen.count(absl::StrCat("job-", i)), 1u);
  for (int m = 0; m < 3; ++m) EXPECT_GT(per_member[m], 0) << "member " << m << " got nothing";
  // Nothing more arrives (no duplicates) while the events are acknowledged.
  for (auto& member : members) {
    EXPECT_FALSE(member->Next(Command::kAsyncMessageToClient, absl::Milliseconds(200)).ok());
  }
}

TEST_F(RuntimeTest, BroadcastReachesEverySessionOfTheGroup) {
  StartServer();
  auto a = Subscriber("screens", "alerts", SubscriptionMode::kBroadcasting);
  auto b = Subscriber("screens", "alerts", SubscriptionMode::kBroadcasting);
  auto publisher = Client("pub", "p");
  for (int i = 0; i < 4; ++i) {
    PublishOk(publisher.get(), "alerts", absl::StrCat("a", i), /*broadcast=*/true);
  }
  for (auto* client : {a.get(), b.get()}) {
    std::multiset<std::string> seen;
    for (int i = 0; i < 4; ++i) {
      auto push = client->Next(Command::kBroadcastMessageToClient);
      ASSERT_TRUE(push.ok()) << push.status();
      seen.insert(BodyOf(*push));
      ASSERT_TRUE(client->Ack(*push).ok());
    }
    EXPECT_EQ(seen, (std::multiset<std::string>{"a0", "a1", "a2", "a3"}));
  }
}

TEST_F(RuntimeTest, UnackedEventGoesToAnotherSessionWhenTheHolderDisconnects) {
  StartServer();  // ack timeout 30 s: only the disconnect can move the event
  auto first = Subscriber("g", "payments");
  auto publisher = Client("pub", "p");
  PublishOk(publisher.get(), "payments", "pay-1");
  auto push = first->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(BodyOf(*push), "pay-1");
  auto second = Subscriber("g", "payments");
  first->Close();  // dies without acknowledging
  auto again = second->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(BodyOf(*again), "pay-1");
  EXPECT_NE(*again->header.seq, *push->header.seq);
}

TEST_F(RuntimeTest, UnackedEventIsRedeliveredAfterTheAckTimeout) {
  StartServer({{"eventMesh.server.delivery.ackTimeoutInMills", "300"}});
  auto a = Subscriber("g", "tasks");
  auto publisher = Client("pub", "p");
  PublishOk(publisher.get(), "tasks", "t-1");
  auto push = a->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  // Not acknowledged: it comes again.
  auto again = a->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(BodyOf(*again), "t-1");
  ASSERT_TRUE(a->Ack(*again).ok());
}

TEST_F(RuntimeTest, AcksInOneWriteSettleTheirOwnPushesOnly) {
  StartServer({{"eventMesh.server.delivery.ackTimeoutInMills", "1500"}});
  // Session a holds two consumers of group g (two topics); session b shares one of them.
  auto a = Client("sub", "g");
  ASSERT_NE(a, nullptr);
  for (const char* topic : {"orders", "refunds"}) {
    auto subscribed = a->Subscribe(topic);
    ASSERT_TRUE(subscribed.ok()) << subscribed.status();
    EXPECT_EQ(subscribed->header.code, 0) << subscribed->header.desc;
  }
  ASSERT_TRUE(a->Listen().ok());
  auto b = Subscriber("g", "orders");
  auto publisher = Client("pub", "p");
  for (const char* body : {"o-1", "o-2", "o-3", "o-4"}) PublishOk(publisher.get(), "orders", body);
  PublishOk(publisher.get(), "refunds", "r-1");
  // Round robin over the two sessions: each gets some of the orders, a the refund.
  std::vector<Package> at_a, at_b;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (at_a.size() + at_b.size() < 5 && absl::Now() < deadline) {
    if (auto push = a->Next(Command::kAsyncMessageToClient, absl::Milliseconds(20)); push.ok()) {
      at_a.push_back(*std::move(push));
    }
    if (auto push = b->Next(Command::kAsyncMessageToClient, absl::Milliseconds(20)); push.ok()) {
      at_b.push_back(*std::move(push));
    }
  }
  ASSERT_EQ(at_a.size() + at_b.size(), 5u);
  ASSERT_GE(at_a.size(), 2u);
  ASSERT_FALSE(at_b.empty());

  // a, in one write: the refund's ack, an ack of a push b holds (of the orders consumer, while
  // a's own pushes of that consumer are in flight), acks of a's orders with its first one twice,
  // and an ack of a seq never pushed. Only a's own settle.
  std::string acks;
  auto append_ack = [&](const std::string& seq) {
    Package ack;
    ack.header.cmd = Command::kAsyncMessageToClientAck;
    ack.header.seq = seq;
    ASSERT_TRUE(protocol::tcp::EncodePackage(ack, protocol::tcp::LengthConvention::kCurrent, &acks,
                                             protocol::tcp::kMaxFrameSize)
                    .ok());
  };
  for (const Package& push : at_a) {
    if (BodyOf(push) == "r-1") append_ack(*push.header.seq);
  }
  append_ack(*at_b[0].header.seq);
  bool first_order = true;
  for (const Package& push : at_a) {
    if (BodyOf(push) == "r-1") continue;
    append_ack(*push.header.seq);
    if (first_order) append_ack(*push.header.seq);
    first_order = false;
  }
  append_ack("987654321");
  ASSERT_TRUE(a->SendRaw(acks).ok());
  for (size_t i = 1; i < at_b.size(); ++i) ASSERT_TRUE(b->Ack(at_b[i]).ok());

  // b's first push is still unsettled: after the ack timeout it is delivered again, to a (a
  // redelivery avoids the session that let it time out).
  auto again = a->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(BodyOf(*again), BodyOf(at_b[0]));
  ASSERT_TRUE(a->Ack(*again).ok());
  // Nothing else comes again (well past the timeout).
  EXPECT_FALSE(a->Next(Command::kAsyncMessageToClient, absl::Milliseconds(2500)).ok());
  EXPECT_FALSE(b->Next(Command::kAsyncMessageToClient, absl::Milliseconds(100)).ok());
}

// A subscriber that stops reading its socket: once its session holds more output than the
// bound, the session is closed, and the events it held unacknowledged go to the other member of
// the group; nothing is lost, and the publisher and the other subscriber are served throughout.
TEST_F(RuntimeTest, ASubscriberThatDoesNotReadIsClosedAndItsEventsGoToAnother) {
  StartServer({{"eventMesh.storage.embedded.syncMode", "none"},
               {"eventMesh.server.tcp.maxPendingOutputBytes", "1048576"}});
  auto stalled_client = TestClient::Connect(
      server_->tcp_port(), protocol::tcp::LengthConvention::kCurrent, protocol::tcp::kMaxFrameSize,
      /*receive_buffer_bytes=*/16 * 1024);
  ASSERT_TRUE(stalled_client.ok()) << stalled_client.status();
  TestClient& stalled = **stalled_client;
  ASSERT_TRUE(stalled.Hello("sub", "g").ok());
  ASSERT_TRUE(stalled.Subscribe("bulk").ok());
  ASSERT_TRUE(stalled.Listen().ok());
  stalled.PauseReading();
  // A window of 8 pushes: the reader's own output stays under the bound (8 x 64 KiB).
  auto reader = Subscriber("g", "bulk", SubscriptionMode::kClustering, /*unack=*/8);
  auto publisher = Client("pub", "p");
  // 400 events of 64 KiB: round robin gives the stalled session about 12 MiB, more than the
  // bound plus what the sockets' buffers hold.
  constexpr int kEvents = 400;
  const std::string padding(64 * 1024, 'x');
  for (int i = 0; i < kEvents; ++i) {
    PublishOk(publisher.get(), "bulk", absl::StrCat(i, ":", padding));
  }
  std::set<int> seen;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (seen.size() < kEvents && absl::Now() < deadline) {
    auto push = reader->Next(Command::kAsyncMessageToClient, absl::Seconds(5));
    if (!push.ok()) break;
    ASSERT_TRUE(reader->Ack(*push).ok());
    const std::string body = BodyOf(*push);
    seen.insert(std::atoi(body.substr(0, body.find(':')).c_str()));
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  // The stalled session was closed by the runtime.
  stalled.ResumeReading();
  EXPECT_TRUE(stalled.WaitClosed());
  // The publisher's session still works.
  PublishOk(publisher.get(), "bulk", "after");
}

TEST_F(RuntimeTest, DeadLetterAfterMaxDeliveries) {
  StartServer({{"eventMesh.server.delivery.ackTimeoutInMills", "200"},
               {"eventMesh.server.delivery.maxDeliveryCount", "2"}});
  // A reader of the dead-letter topic of group "fragile".
  auto dlq_reader = Subscriber("auditors", "fragile.DLQ");
  auto consumer = Subscriber("fragile", "risky");
  auto publisher = Client("pub", "p");
  PublishOk(publisher.get(), "risky", "poison");
  for (int i = 0; i < 2; ++i) {
    auto push = consumer->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << "delivery " << i << ": " << push.status();
    EXPECT_EQ(BodyOf(*push), "poison");
  }
  auto dead = dlq_reader->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(dead.ok()) << dead.status();
  auto message = protocol::tcp::EventMeshMessage::FromJson(dead->body);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->body, "poison");
  EXPECT_EQ(message->topic, "fragile.DLQ");
  EXPECT_EQ(message->properties.at("dlqtopic"), "risky");
  ASSERT_TRUE(dlq_reader->Ack(*dead).ok());
  // No third delivery to the failing consumer.
  EXPECT_FALSE(consumer->Next(Command::kAsyncMessageToClient, absl::Milliseconds(600)).ok());
}

// A poison event whose only subscriber crashes on it every time (closes without acking, then
// reconnects) still reaches the dead-letter topic after maxDeliveryCount deliveries: the
// group's member lingers while the subscriber reconnects, so the count is not reset.
TEST_F(RuntimeTest, PoisonEventReachesTheDeadLetterTopicWhenItsSubscriberCrashesEachTime) {
  StartServer({{"eventMesh.server.delivery.maxDeliveryCount", "2"},
               {"eventMesh.server.delivery.lingerMs", "60000"}});
  auto dlq = Subscriber("dlq-readers", "crashers.DLQ");
  auto publisher = Client("pub", "p");
  {
    auto first = Subscriber("crashers", "poison");
    PublishOk(publisher.get(), "poison", "kills its consumer");
    auto push = first->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    first->Close();  // crashed before acknowledging
  }
  {
    auto second = Subscriber("crashers", "poison");
    auto push = second->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();  // delivery 2 of 2
    EXPECT_EQ(BodyOf(*push), "kills its consumer");
    second->Close();  // crashed again
  }
  auto dead = dlq->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(BodyOf(*dead), "kills its consumer");
  ASSERT_TRUE(dlq->Ack(*dead).ok());
  // The next subscriber is not handed the poison event again.
  auto third = Subscriber("crashers", "poison");
  PublishOk(publisher.get(), "poison", "harmless");
  auto push = third->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(BodyOf(*push), "harmless");
}

// The delivery count of a poison event survives a runtime restart: it is kept with the group's
// committed position, so the event reaches the dead-letter topic after maxDeliveryCount
// deliveries in all, not maxDeliveryCount per runtime lifetime.
TEST_F(RuntimeTest, PoisonEventDeliveryCountSurvivesARuntimeRestart) {
  const std::map<std::string, std::string> properties = {
      {"eventMesh.server.delivery.maxDeliveryCount", "3"},
      {"eventMesh.server.delivery.ackTimeoutInMills", "1000"}};
  StartServer(properties);
  {
    auto dlq = Subscriber("dlq-readers", "crashers.DLQ");  // creates the dead-letter topic
    auto consumer = Subscriber("crashers", "poison");
    auto publisher = Client("pub", "p");
    PublishOk(publisher.get(), "poison", "kills its consumer");
    for (int i = 0; i < 2; ++i) {  // delivered, never acknowledged, delivered again
      auto push = consumer->Next(Command::kAsyncMessageToClient);
      ASSERT_TRUE(push.ok()) << "delivery " << i + 1 << ": " << push.status();
    }
    consumer->Close();
  }
  server_->Shutdown();
  server_.reset();  // closes the store
  auto restarted = testing::StartTestServer(properties, data_dir_, registry_);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  server_ = std::move(*restarted);

  auto dlq = Subscriber("dlq-readers", "crashers.DLQ");
  auto consumer = Subscriber("crashers", "poison");
  auto push = consumer->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();  // delivery 3 of 3
  EXPECT_EQ(BodyOf(*push), "kills its consumer");
  auto dead = dlq->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(BodyOf(*dead), "kills its consumer");
  ASSERT_TRUE(dlq->Ack(*dead).ok());
  EXPECT_FALSE(consumer->Next(Command::kAsyncMessageToClient, absl::Milliseconds(600)).ok())
      << "delivered again after the dead letter: the count restarted at 0";
}

TEST_F(RuntimeTest, FullWindowStopsFeedingASlowConsumerWhileAnotherKeepsReceiving) {
  StartServer();
  auto slow = Subscriber("mixed", "stream", SubscriptionMode::kClustering, /*unack=*/3);
  auto fast = Subscriber("mixed", "stream");
  auto publisher = Client("pub", "p");
  constexpr int kEvents = 30;
  for (int i = 0; i < kEvents; ++i) PublishOk(publisher.get(), "stream", absl::StrCat("s", i));
  int fast_count = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (fast_count + static_cast<int>(slow->queued()) < kEvents && absl::Now() < deadline) {
    auto push = fast->Next(Command::kAsyncMessageToClient, absl::Milliseconds(100));
    if (!push.ok()) continue;
    ++fast_count;
    ASSERT_TRUE(fast->Ack(*push).ok());
  }
  EXPECT_EQ(slow->queued(), 3u);  // exactly its window, never acknowledged
  EXPECT_EQ(fast_count, kEvents - 3);
}

TEST_F(RuntimeTest, BadInputIsAnsweredOrClosedWhileOthersKeepWorking) {
  StartServer();
  auto good = Client("pub", "p");

  // Random bytes: the connection is closed.
  auto random = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(random.ok());
  ASSERT_TRUE(
      (*random)->SendRaw(std::string("\x01\x02garbage that is not a frame at all....", 40)).ok());
  EXPECT_TRUE((*random)->WaitClosed());

  // A command without a processor: error reply with its seq.
  auto unknown = Client("pub", "p");
  Package register_request;
  register_request.header.cmd = Command::kRegisterRequest;
  register_request.header.seq = "5";
  auto reply = unknown->Request(register_request);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(*reply->header.seq, "5");
  EXPECT_EQ(reply->header.desc, "command REGISTER_REQUEST is not accepted by the server");

  // A message with a malformed body: error reply with its seq.
  Package bad_body = TestClient::MessagePackage(Command::kAsyncMessageToServer, "t", "x");
  bad_body.body = "{not json";
  reply = unknown->Request(bad_body);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.cmd, Command::kAsyncMessageToServerAck);
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_FALSE(reply->header.desc.empty());

  // A frame whose header is not JSON after a good HELLO: SERVER_GOODBYE with the reason, then
  // the connection is closed.
  auto broken = Client("pub", "p");
  std::string frame = "EventMesh0000";
  const std::string header = "{bad";
  auto append32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(v >> shift));
  };
  append32(13 + header.size());
  append32(header.size());
  frame += header;
  ASSERT_TRUE(broken->SendRaw(frame).ok());
  auto goodbye = broken->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_EQ(goodbye->header.code, 1);
  EXPECT_NE(goodbye->header.desc.find("undecodable frame: malformed JSON in package header"),
            std::string::npos)
      << goodbye->header.desc;
  EXPECT_TRUE(broken->WaitClosed());

  PublishOk(good.get(), "still-alive", "yes");
}

// A publish whose header and message each carry 32,000 properties in reverse name order (as many
// as the frame JSON value limit allows): they are sorted once, not inserted one by one, which
// held the session's io thread (and every session on it) for minutes. The publish is answered
// and the runtime keeps serving; the test's timeout catches a quadratic path.
TEST_F(RuntimeTest, ManyPropertiesInOnePublishAreTakenInOneSortAndTheRuntimeKeepsServing) {
  StartServer();
  auto good = Client("pub", "p");
  auto publisher = Client("pub", "p2");
  std::string header =
      R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","code":0,"seq":"4242","properties":{)"
      R"("protocoltype":"eventmeshmessage","protocolversion":"1.0","protocoldesc":"tcp")";
  std::string body = R"({"topic":"t","body":"x","properties":{)";
  for (int i = 32000; i > 0; --i) {
    header += ",\"h" + std::to_string(i) + "\":\"v\"";
    body += "\"m" + std::to_string(i) + "\":\"v\"";
    body += i > 1 ? "," : "}}";
  }
  header += "}}";
  std::string frame = "EventMesh0000";
  auto append32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(v >> shift));
  };
  append32(13 + header.size() + body.size());
  append32(header.size());
  frame += header + body;
  ASSERT_TRUE(publisher->SendRaw(frame).ok());
  auto publish_reply = publisher->Next(Command::kAsyncMessageToServerAck);
  ASSERT_TRUE(publish_reply.ok()) << publish_reply.status();
  EXPECT_EQ(publish_reply->header.seq, "4242");
  EXPECT_EQ(publish_reply->header.code, 0) << publish_reply->header.desc;
  PublishOk(publisher.get(), "still-alive", "yes");
  PublishOk(good.get(), "still-alive", "yes");
}

// About 2 MB of nested brackets in every JSON place of a frame used to overflow the parser's
// stack and stop the process. Each is now refused with the nesting limit named, and the runtime
// keeps serving.
TEST_F(RuntimeTest, DeeplyNestedJsonIsRefusedAndTheRuntimeKeepsServing) {
  StartServer();
  auto good = Client("pub", "p");
  const std::string nested = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  auto frame_with_header = [](const std::string& header) {
    std::string frame = "EventMesh0000";
    auto append32 = [&](uint32_t v) {
      for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(v >> shift));
    };
    append32(13 + header.size());
    append32(header.size());
    return frame + header;
  };

  // As the very first frame of a connection: closed.
  auto first = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->SendRaw(frame_with_header(nested)).ok());
  EXPECT_TRUE((*first)->WaitClosed());

  // After a good HELLO: SERVER_GOODBYE naming the limit, then closed.
  auto later = Client("pub", "p");
  ASSERT_TRUE(later->SendRaw(frame_with_header(nested)).ok());
  auto goodbye = later->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_NE(goodbye->header.desc.find("nesting deeper than 128 levels"), std::string::npos)
      << goodbye->header.desc;
  EXPECT_TRUE(later->WaitClosed());

  // A HELLO whose UserAgent body is nested: HELLO refused.
  auto hello = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(hello.ok());
  Package hello_request;
  hello_request.header.cmd = Command::kHelloRequest;
  hello_request.body = nested;
  auto hello_reply = (*hello)->Request(hello_request);
  ASSERT_TRUE(hello_reply.ok()) << hello_reply.status();
  EXPECT_EQ(hello_reply->header.code, 1);
  EXPECT_NE(hello_reply->header.desc.find("nesting deeper than"), std::string::npos);

  // A publish whose EventMeshMessage nests a property value; a nested subscription.
  auto publisher = Client("pub", "p");
  Package publish = TestClient::MessagePackage(Command::kAsyncMessageToServer, "t", "x");
  publish.body = R"({"topic":"t","body":"x","properties":{"k":)" + nested + "}}";
  auto publish_reply = publisher->Request(publish);
  ASSERT_TRUE(publish_reply.ok()) << publish_reply.status();
  EXPECT_EQ(publish_reply->header.code, 1);
  EXPECT_NE(publish_reply->header.desc.find("nesting deeper than"), std::string::npos);
  auto subscriber = Client("sub", "s");
  Package subscribe;
  subscribe.header.cmd = Command::kSubscribeRequest;
  subscribe.body = R"({"topicList":)" + nested + "}";
  auto subscribe_reply = subscriber->Request(subscribe);
  ASSERT_TRUE(subscribe_reply.ok()) << subscribe_reply.status();
  EXPECT_EQ(subscribe_reply->header.code, 1);

  PublishOk(good.get(), "still-alive", "yes");
  PublishOk(publisher.get(), "still-alive", "yes");
}

// Headers and message bodies cut or bent where the fast readers (compact JSON read straight from
// the text) hand over to the general JSON reader: each is answered or refused precisely, what
// the fast reader declines still arrives intact, and the runtime keeps serving.
TEST_F(RuntimeTest, TextsAtTheFastReadersEdgesAreAnsweredAndTheRuntimeKeepsServing) {
  StartServer();
  auto subscriber = Subscriber("edge-readers", "edges");
  auto publisher = Client("pub", "p");
  auto frame_with_header = [](const std::string& header) {
    std::string frame = "EventMesh0000";
    auto append32 = [&](uint32_t v) {
      for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(v >> shift));
    };
    append32(13 + header.size());
    append32(header.size());
    return frame + header;
  };

  // Headers cut inside a key, a value or the properties: SERVER_GOODBYE, then closed.
  for (const std::string header :
       {R"({"cmd)", R"({"cmd")", R"({"cmd":"ASYNC_MESSAGE_TO_SERVER)",
        R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","seq":"1","properties":{"protocoltype")",
        R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","code":-)", R"({"seq":12345678901234567890123)"}) {
    auto cut = Client("pub", "p");
    ASSERT_TRUE(cut->SendRaw(frame_with_header(header)).ok());
    auto goodbye = cut->Next(Command::kServerGoodbyeRequest);
    ASSERT_TRUE(goodbye.ok()) << header << ": " << goodbye.status();
    EXPECT_NE(goodbye->header.desc.find("undecodable frame"), std::string::npos)
        << header << ": " << goodbye->header.desc;
    EXPECT_TRUE(cut->WaitClosed()) << header;
  }

  // Bodies the fast reader declines or refuses.
  const std::vector<std::pair<std::string, bool>> bodies = {
      {R"({"topic)", false},
      {R"({"topic":"edges","body":"cut)", false},
      {R"({"topic":"edges","body":5})", true},  // bound as text, as Jackson does
      {R"({"topic":"edges","properties":{"k":"v",}})", false},
      {R"({"topic":"edges","body":"caf\u00e9 \"quoted\" tab\t"})", true},
      {"{\"topic\":\"edges\",\"body\":\"na\xc3\xafve\"}", true},
      {R"({"topic" : "edges" , "body" : "spaced" , "extra" : {"nested":[1]}})", true},
  };
  for (const auto& [body, accepted] : bodies) {
    Package publish = TestClient::MessagePackage(Command::kAsyncMessageToServer, "edges", "x");
    publish.body = body;
    auto reply = publisher->Request(publish);
    ASSERT_TRUE(reply.ok()) << body << ": " << reply.status();
    EXPECT_EQ(reply->header.cmd, Command::kAsyncMessageToServerAck) << body;
    EXPECT_EQ(reply->header.code, accepted ? 0 : 1) << body << ": " << reply->header.desc;
    if (!accepted) {
      EXPECT_FALSE(reply->header.desc.empty()) << body;
    }
  }
  const std::multiset<std::string> expected = {"5", "caf\xc3\xa9 \"quoted\" tab\t", "na\xc3\xafve",
                                               "spaced"};
  std::multiset<std::string> seen;
  for (size_t i = 0; i < expected.size(); ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    seen.insert(BodyOf(*push));
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  EXPECT_EQ(seen, expected);

  PublishOk(publisher.get(), "still-alive", "yes");
}

TEST_F(RuntimeTest, ListenOnAPublisherSessionFails) {
  StartServer();
  auto publisher = Client("pub", "p");
  auto reply = publisher->Listen();
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(reply->header.desc, "LISTEN_REQUEST needs a session with purpose \"sub\"");
}

TEST_F(RuntimeTest, MissingTopicIsNamedWhenAutoCreationIsOff) {
  StartServer({{"eventMesh.server.topic.autoCreate", "false"}});
  auto publisher = Client("pub", "p");
  auto reply = publisher->Publish("nope", "x");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(reply->header.desc,
            "topic \"nope\" does not exist and topic auto-creation is off "
            "(eventMesh.server.topic.autoCreate=false)");
  auto subscriber = Client("sub", "s");
  reply = subscriber->Subscribe("nope");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.code, 1);
  EXPECT_EQ(reply->header.desc,
            "topic \"nope\" does not exist and topic auto-creation is off "
            "(eventMesh.server.topic.autoCreate=false)");
}

TEST_F(RuntimeTest, GlobalRateLimitAnswersOverload) {
  StartServer({{"eventMesh.server.tcp.msgReqnumPerSecond", "1"}});
  auto publisher = Client("pub", "p");
  int overloaded = 0;
  for (int i = 0; i < 5; ++i) {
    auto reply = publisher->Publish("limited", "x");
    ASSERT_TRUE(reply.ok());
    if (reply->header.code == 1) {
      EXPECT_EQ(reply->header.desc, "Tps overload, global flow control");
      ++overloaded;
    }
  }
  EXPECT_GE(overloaded, 1);
}

TEST_F(RuntimeTest, SessionRateLimitOverloadsOnlyThatSession) {
  StartServer({{"eventMesh.server.session.msgReqnumPerSecond", "2"}});
  auto busy = Client("pub", "busy");
  auto quiet = Client("pub", "quiet");
  int overloaded = 0;
  for (int i = 0; i < 20; ++i) {
    auto reply = busy->Publish("limited", "x");
    ASSERT_TRUE(reply.ok());
    if (reply->header.code == 1) {
      EXPECT_EQ(reply->header.desc,
                "Tps overload, session flow control: more than "
                "eventMesh.server.session.msgReqnumPerSecond publishes per second");
      ++overloaded;
    }
  }
  // Twenty publishes would have to span ten one-second windows to all pass.
  EXPECT_GE(overloaded, 1);
  // Another session has its own budget.
  auto reply = quiet->Publish("limited", "y");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.code, 0) << reply->header.desc;
}

TEST_F(RuntimeTest, GracefulShutdownSaysGoodbyeToEveryClient) {
  StartServer();
  auto a = Client("pub", "p");
  auto b = Subscriber("g", "t");
  std::thread stopper([&] { server_->Shutdown(); });
  for (auto* client : {a.get(), b.get()}) {
    auto goodbye = client->Next(Command::kServerGoodbyeRequest);
    ASSERT_TRUE(goodbye.ok()) << goodbye.status();
    EXPECT_EQ(goodbye->header.code, 0);
    EXPECT_EQ(goodbye->header.desc, "graceful normal quit from eventmesh");
    EXPECT_TRUE(client->WaitClosed());
  }
  stopper.join();
}

TEST_F(RuntimeTest, RequestReplyRoundTripThroughASyncSubscriber) {
  StartServer();
  auto responder = Client("sub", "responders");
  auto subscribed = responder->Subscribe("rpc", SubscriptionMode::kClustering,
                                         protocol::tcp::SubscriptionType::kSync);
  ASSERT_TRUE(subscribed.ok());
  ASSERT_EQ(subscribed->header.code, 0);
  ASSERT_TRUE(responder->Listen().ok());
  auto requester = Client("pub", "callers");
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "rpc", "ping");
  request.header.seq = "900";
  ASSERT_TRUE(requester->Send(request).ok());

  auto incoming = responder->Next(Command::kRequestToClient);
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  EXPECT_EQ(BodyOf(*incoming), "ping");
  ASSERT_TRUE(responder->Ack(*incoming).ok());
  auto message = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
  ASSERT_TRUE(message.ok());
  message->body = "pong";  // the properties (with the correlation id) go back unchanged
  Package response = TestClient::MessagePackage(Command::kResponseToServer, "rpc", "");
  response.body = message->ToJson();
  response.header.seq = incoming->header.seq;
  ASSERT_TRUE(responder->Send(response).ok());

  auto answer = requester->Next(Command::kResponseToClient);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->header.code, 0);
  EXPECT_EQ(*answer->header.seq, "900");
  EXPECT_EQ(BodyOf(*answer), "pong");
}

TEST_F(RuntimeTest, RequestWithoutResponderTimesOutAfterTtl) {
  StartServer();
  auto requester = Client("pub", "callers");
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "nobody-home", "ping");
  auto message = protocol::tcp::EventMeshMessage::FromJson(request.body);
  ASSERT_TRUE(message.ok());
  message->properties["ttl"] = "200";
  request.body = message->ToJson();
  auto answer = requester->Request(request);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->header.cmd, Command::kResponseToClient);
  EXPECT_EQ(answer->header.code, 1);
  EXPECT_EQ(answer->header.desc, "request timed out: no response within 200 ms (ttl)");
}

TEST_F(RuntimeTest, LegacyLengthConventionIsAnsweredInKind) {
  StartServer();
  auto legacy = TestClient::Connect(server_->tcp_port(), protocol::tcp::LengthConvention::kLegacy);
  ASSERT_TRUE(legacy.ok());
  auto hello = (*legacy)->Hello("pub", "old-clients");
  ASSERT_TRUE(hello.ok()) << hello.status();  // decoded with the legacy convention
  EXPECT_EQ(hello->header.code, 0);
  auto ack = (*legacy)->Publish("legacy-topic", "x");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->header.code, 0);
}

TEST_F(RuntimeTest, SilentSessionExpires) {
  StartServer({{"eventMesh.server.session.expiredInMills", "300"}});
  auto client = Client("pub", "p");
  EXPECT_TRUE(client->WaitClosed());
}

// An unauthenticated connection cannot hold a slot by sending other frames (or bytes): without
// a successful HELLO it is closed after helloTimeoutMs.
TEST_F(RuntimeTest, ConnectionWithoutHelloIsClosedAfterTheHelloTimeout) {
  StartServer({{"eventMesh.server.tcp.helloTimeoutMs", "300"}});
  auto silent = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(silent.ok());
  auto chatty = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(chatty.ok());
  Package heartbeat;
  heartbeat.header.cmd = Command::kHeartbeatRequest;
  for (int i = 0; i < 5; ++i) {
    auto reply = (*chatty)->Request(heartbeat);  // answered "no session", does not count
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->header.code, 1);
  }
  auto greeted = Client("pub", "p");
  EXPECT_TRUE((*silent)->WaitClosed());
  EXPECT_TRUE((*chatty)->WaitClosed());
  PublishOk(greeted.get(), "still-open", "yes");  // a session with HELLO stays
}

TEST_F(RuntimeTest, ConnectionsPerAddressAndSubscriptionsPerSessionAreBounded) {
  StartServer({{"eventMesh.server.tcp.maxConnectionsPerAddress", "2"},
               {"eventMesh.server.session.maxSubscriptions", "3"}});
  auto first = Client("sub", "s");
  auto second = Client("pub", "p");
  auto third = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(third.ok());
  auto goodbye = (*third)->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_EQ(
      goodbye->header.desc,
      "too many connections from 127.0.0.1 (eventMesh.server.tcp.maxConnectionsPerAddress=2)");
  EXPECT_TRUE((*third)->WaitClosed());

  for (const char* topic : {"t1", "t2", "t3", "t1"}) {  // t1 again is not a new one
    auto reply = first->Subscribe(topic);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->header.code, 0) << topic << ": " << reply->header.desc;
  }
  auto over = first->Subscribe("t4");
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->header.code, 1);
  EXPECT_EQ(
      over->header.desc,
      "more than 3 topics subscribed in one session (eventMesh.server.session.maxSubscriptions)");
  // A closed connection frees its address slot.
  second->Close();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::unique_ptr<TestClient> again;
  while (absl::Now() < deadline) {
    auto client = TestClient::Connect(server_->tcp_port());
    ASSERT_TRUE(client.ok());
    auto hello = (*client)->Hello("pub", "p");
    if (hello.ok() && hello->header.code == 0) {
      again = std::move(*client);
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_NE(again, nullptr);
  PublishOk(again.get(), "t1", "ok");
}

TEST_F(RuntimeTest, ConnectionsBeyondClientMaxNumAreTurnedAway) {
  StartServer({{"eventMesh.server.tcp.clientMaxNum", "1"}});
  auto first = Client("pub", "p");
  auto second = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(second.ok());
  auto goodbye = (*second)->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_EQ(goodbye->header.code, 1);
  EXPECT_EQ(goodbye->header.desc, "too many connections (eventMesh.server.tcp.clientMaxNum=1)");
  EXPECT_TRUE((*second)->WaitClosed());
  PublishOk(first.get(), "t", "still served");
}

TEST_F(RuntimeTest, InFlightPublishLimitPerSessionAnswersOverload) {
  StartServer({{"eventMesh.server.session.upstreamBufferSize", "1"},
               {"eventMesh.storage.embedded.syncMode", "always"}});
  auto publisher = Client("pub", "p");
  PublishOk(publisher.get(), "burst", "warm-up");  // creates the topic
  // Pipelined publishes in one write: they are processed before the first append completes.
  std::string burst;
  constexpr int kBurst = 50;
  for (int i = 0; i < kBurst; ++i) {
    Package publish = TestClient::MessagePackage(Command::kAsyncMessageToServer, "burst", "b");
    publish.header.seq = absl::StrCat(5000 + i);
    auto frame = protocol::tcp::EncodePackage(publish, protocol::tcp::LengthConvention::kCurrent);
    ASSERT_TRUE(frame.ok());
    burst += *frame;
  }
  ASSERT_TRUE(publisher->SendRaw(burst).ok());
  int overloaded = 0, ok = 0;
  for (int i = 0; i < kBurst; ++i) {
    auto ack = publisher->Next(Command::kAsyncMessageToServerAck);
    ASSERT_TRUE(ack.ok()) << ack.status();
    if (ack->header.code == 0) {
      ++ok;
    } else {
      EXPECT_EQ(ack->header.desc,
                "Tps overload, session flow control: 1 publishes in flight "
                "(eventMesh.server.session.upstreamBufferSize)");
      ++overloaded;
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(overloaded, 1);
}

TEST_F(RuntimeTest, CloudEventsProtocolTypeRoundTrips) {
  StartServer();
  auto subscriber = Subscriber("ce-readers", "ce-topic");
  auto publisher = Client("pub", "p");
  const Package publish = AsyncPublish(
      "cloudevents",
      R"({"specversion":"1.0","id":"ce-1","source":"/sensors","type":"reading",)"
      R"("subject":"ce-topic","datacontenttype":"application/cloudevents+json","data":"42"})");
  auto ack = publisher->Request(publish);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->header.properties.at("protocoltype"), "cloudevents");
  EXPECT_NE(push->body.find("\"id\":\"ce-1\""), std::string::npos) << push->body;
  EXPECT_NE(push->body.find("\"source\":\"/sensors\""), std::string::npos) << push->body;
}

// A message property named protocoltype replaces the header's in the event (as in Apache
// EventMesh); an event whose protocoltype names no TCP format still reaches its subscriber, as an
// EventMeshMessage that keeps the property, instead of going to the dead-letter topic.
TEST_F(RuntimeTest, AMessagePropertyProtocolTypeIsDeliveredAsAnEventMeshMessage) {
  StartServer();
  auto subscriber = Subscriber("odd-readers", "odd-topic");
  auto publisher = Client("pub", "p");
  Package publish =
      AsyncPublish("eventmeshmessage",
                   R"({"topic":"odd-topic","properties":{"protocoltype":"5"},"body":"payload"})");
  publish.header.seq = "odd-1";
  auto ack = publisher->Request(publish);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->header.properties.at("protocoltype"), "eventmeshmessage");
  auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(message.ok()) << message.status() << push->body;
  EXPECT_EQ(message->body, "payload");
  EXPECT_EQ(message->properties.at("protocoltype"), "5");
  ASSERT_TRUE(subscriber->Ack(*push).ok());
}

TEST_F(RuntimeTest, AclChecksCredentialsAndTopicPermissions) {
  const std::string creds = absl::StrCat(std::getenv("TEST_TMPDIR"), "/credentials.json");
  {
    std::ofstream out(creds);
    out << R"({"users":[{"username":"alice","password":"pw","publish":["orders*"],)"
        << R"("subscribe":["orders"]}]})";
  }
  StartServer({{"eventMesh.server.security.enabled", "true"},
               {"eventMesh.server.security.credentialsFile", creds}});
  auto intruder = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(intruder.ok());
  auto denied = (*intruder)->Hello("pub", "p", 0, "alice", "guess");
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->header.code, 2);
  EXPECT_EQ(denied->header.desc, "aclFail: authentication failed for user \"alice\"");
  EXPECT_TRUE((*intruder)->WaitClosed());

  auto alice = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(alice.ok());
  auto hello = (*alice)->Hello("sub", "g", 0, "alice", "pw");
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->header.code, 0);
  auto ack = (*alice)->Publish("payroll", "x");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, 2);
  EXPECT_EQ(ack->header.desc, "aclFail: user \"alice\" may not publish to topic \"payroll\"");
  ack = (*alice)->Publish("orders.eu", "x");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  auto sub = (*alice)->Subscribe("orders.eu");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->header.code, 2);
  EXPECT_EQ(sub->header.desc, "aclFail: user \"alice\" may not subscribe to topic \"orders.eu\"");
  sub = (*alice)->Subscribe("orders");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->header.code, 0) << sub->header.desc;
}

TEST_F(RuntimeTest, RedirectHookSendsRedirectToClient) {
  StartServer();
  auto client = Client("sub", "g");
  EXPECT_EQ(server_->RedirectAll("10.0.0.2", 10001), 1u);
  auto redirect = client->Next(Command::kRedirectToClient);
  ASSERT_TRUE(redirect.ok()) << redirect.status();
  EXPECT_EQ(redirect->header.code, 0);
  auto info = protocol::tcp::RedirectInfo::FromJson(redirect->body);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->ip, "10.0.0.2");
  EXPECT_EQ(info->port, 10001);
}

TEST_F(RuntimeTest, ClientGoodbyeIsAnsweredAndTheConnectionClosed) {
  StartServer();
  auto client = Client("pub", "p");
  Package goodbye;
  goodbye.header.cmd = Command::kClientGoodbyeRequest;
  auto reply = client->Request(goodbye);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->header.cmd, Command::kClientGoodbyeResponse);
  EXPECT_EQ(reply->header.code, 0);
  EXPECT_TRUE(client->WaitClosed());
}

TEST_F(RuntimeTest, UnsubscribeStopsDelivery) {
  StartServer();
  auto subscriber = Subscriber("g", "feed");
  auto publisher = Client("pub", "p");
  PublishOk(publisher.get(), "feed", "before");
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  ASSERT_TRUE(subscriber->Ack(*push).ok());
  Package unsubscribe;
  unsubscribe.header.cmd = Command::kUnsubscribeRequest;
  auto reply = subscriber->Request(unsubscribe);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->header.cmd, Command::kUnsubscribeResponse);
  EXPECT_EQ(reply->header.code, 0);
  PublishOk(publisher.get(), "feed", "after");
  EXPECT_FALSE(subscriber->Next(Command::kAsyncMessageToClient, absl::Milliseconds(500)).ok());
}

TEST_F(RuntimeTest, HeartbeatsKeepASessionAlive) {
  StartServer({{"eventMesh.server.session.expiredInMills", "1000"}});
  auto client = Client("pub", "p");
  for (int i = 0; i < 15; ++i) {
    Package heartbeat;
    heartbeat.header.cmd = Command::kHeartbeatRequest;
    auto reply = client->Request(heartbeat);
    ASSERT_TRUE(reply.ok()) << "heartbeat " << i << ": " << reply.status();
    EXPECT_EQ(reply->header.cmd, Command::kHeartbeatResponse);
    EXPECT_EQ(reply->header.code, 0);
    absl::SleepFor(absl::Milliseconds(100));
  }
  PublishOk(client.get(), "t", "alive");
}

TEST_F(RuntimeTest, StartFailsWhenThePortIsTaken) {
  StartServer();
  auto config = BuildConfig({{"eventMesh.server.tcp.port", std::to_string(server_->tcp_port())},
                             {"eventMesh.server.dataDir", data_dir_ + "-second"},
                             {"eventMesh.storage.embedded.syncMode", "none"}});
  ASSERT_TRUE(config.ok());
  auto second = Server::Create(*config, registry_);
  ASSERT_TRUE(second.ok()) << second.status();
  absl::Status started = (*second)->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(started.message(), absl::StrCat("cannot listen on TCP port ", server_->tcp_port(),
                                            ": Address already in use"));
}

TEST_F(RuntimeTest, UnknownConnectorIsNamed) {
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  auto config = BuildConfig({{"eventMesh.storage.plugin.type", "pulsar"},
                             {"eventMesh.server.dataDir",
                              absl::StrCat(std::getenv("TEST_TMPDIR"), "/unknown-connector")}});
  ASSERT_TRUE(config.ok());
  auto server = Server::Create(*config, registry_);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(server.status().message(),
            "storage connector \"pulsar\": unknown connector \"pulsar\"; registered: embedded, "
            "kafka, nats, standalone, store");
}

}  // namespace
}  // namespace eventmesh::runtime
