// Several runtimes sharing one store service: two in-process runtime::Servers, each with the
// "store" connector pointing at one in-process StoreServer (RocksDB engine), driven over real
// sockets by TestClient.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
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

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_dir_ = testing::TestDataDir();
    std::filesystem::create_directories(base_dir_);
    auto store = testing::TestStoreService::Start(base_dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  }

  void TearDown() override {
    clients_.clear();
    for (auto& runtime : runtimes_) runtime->Shutdown();
    runtimes_.clear();
    store_.reset();
  }

  // Starts one more runtime on the shared store; returns its index.
  int StartRuntime(std::map<std::string, std::string> properties = {}) {
    const int index = static_cast<int>(runtimes_.size());
    store_->AddRuntimeProperties(&properties);
    auto server = testing::StartTestServer(std::move(properties),
                                           absl::StrCat(base_dir_, "/runtime", index), registry_);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return -1;
    runtimes_.push_back(std::move(*server));
    return index;
  }

  TestClient* Client(int runtime, const std::string& purpose, const std::string& group) {
    auto client = TestClient::Connect(runtimes_[runtime]->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, group);
    EXPECT_TRUE(hello.ok()) << hello.status();
    if (hello.ok()) {
      EXPECT_EQ(hello->header.code, 0) << hello->header.desc;
    }
    clients_.push_back(std::move(*client));
    return clients_.back().get();
  }

  TestClient* Subscriber(
      int runtime, const std::string& group, const std::string& topic,
      SubscriptionMode mode = SubscriptionMode::kClustering,
      protocol::tcp::SubscriptionType type = protocol::tcp::SubscriptionType::kAsync) {
    TestClient* client = Client(runtime, "sub", group);
    if (client == nullptr) return nullptr;
    auto subscribed = client->Subscribe(topic, mode, type);
    EXPECT_TRUE(subscribed.ok()) << subscribed.status();
    if (subscribed.ok()) {
      EXPECT_EQ(subscribed->header.code, 0) << subscribed->header.desc;
    }
    auto listened = client->Listen();
    EXPECT_TRUE(listened.ok()) << listened.status();
    return client;
  }

  void PublishOk(TestClient* client, const std::string& topic, const std::string& body,
                 bool broadcast = false) {
    auto ack = client->Publish(topic, body, broadcast);
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  }

  // Waits until the store's group has `members` members each owning `partitions / members`
  // partitions, then a few heartbeat intervals so every member applied the assignment.
  void WaitForBalancedGroup(const std::string& group, size_t members, size_t partitions) {
    const absl::Time deadline = absl::Now() + absl::Seconds(15);
    for (;;) {
      auto described = store_->engine()->DescribeGroup({group});
      ASSERT_TRUE(described.ok()) << described.status();
      bool balanced = described->members.size() == members;
      for (const auto& member : described->members) {
        balanced = balanced && member.partitions.size() == partitions / members;
      }
      if (balanced) break;
      ASSERT_LT(absl::Now(), deadline) << "group " << group << " never balanced";
      absl::SleepFor(absl::Milliseconds(20));
    }
    absl::SleepFor(absl::Milliseconds(400));  // heartbeats every 100 ms
  }

  std::string base_dir_;
  std::unique_ptr<testing::TestStoreService> store_;
  connectors::ConnectorRegistry registry_;
  std::vector<std::unique_ptr<Server>> runtimes_;
  std::vector<std::unique_ptr<TestClient>> clients_;
};

TEST_F(ClusterTest, ClusteringGroupAcrossRuntimesReceivesEveryEventExactlyOnce) {
  const int a = StartRuntime();
  const int b = StartRuntime();
  ASSERT_EQ(b, 1);
  TestClient* member_a = Subscriber(a, "workers", "jobs");
  TestClient* member_b = Subscriber(b, "workers", "jobs");
  ASSERT_NE(member_a, nullptr);
  ASSERT_NE(member_b, nullptr);
  WaitForBalancedGroup("workers", 2, 4);  // auto-created topics have 4 partitions
  TestClient* publisher_a = Client(a, "pub", "p");
  TestClient* publisher_b = Client(b, "pub", "p");
  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) {
    PublishOk(i % 2 ? publisher_a : publisher_b, "jobs", absl::StrCat("job-", i));
  }
  std::multiset<std::string> seen;
  int per_member[2] = {0, 0};
  TestClient* members[2] = {member_a, member_b};
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (static_cast<int>(seen.size()) < kEvents && absl::Now() < deadline) {
    for (int m = 0; m < 2; ++m) {
      auto push = members[m]->Next(Command::kAsyncMessageToClient, absl::Milliseconds(50));
      if (!push.ok()) continue;
      seen.insert(BodyOf(*push));
      ++per_member[m];
      ASSERT_TRUE(members[m]->Ack(*push).ok());
    }
  }
  ASSERT_EQ(static_cast<int>(seen.size()), kEvents);
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(seen.count(absl::StrCat("job-", i)), 1u) << i;
  EXPECT_GT(per_member[0], 0) << "the member on runtime A got nothing";
  EXPECT_GT(per_member[1], 0) << "the member on runtime B got nothing";
  for (TestClient* member : members) {
    EXPECT_FALSE(member->Next(Command::kAsyncMessageToClient, absl::Milliseconds(300)).ok());
  }
}

TEST_F(ClusterTest, BroadcastReachesConsumersOnEveryRuntime) {
  const int a = StartRuntime();
  const int b = StartRuntime();
  TestClient* on_a = Subscriber(a, "screens", "alerts", SubscriptionMode::kBroadcasting);
  TestClient* on_b = Subscriber(b, "screens", "alerts", SubscriptionMode::kBroadcasting);
  TestClient* publisher = Client(a, "pub", "p");
  for (int i = 0; i < 4; ++i) PublishOk(publisher, "alerts", absl::StrCat("a", i), true);
  for (TestClient* client : {on_a, on_b}) {
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

TEST_F(ClusterTest, PartitionsOfAConsumerLeavingOneRuntimeGoToTheOtherNothingLost) {
  const int a = StartRuntime();
  const int b = StartRuntime();
  TestClient* member_a = Subscriber(a, "billing", "invoices");
  TestClient* member_b = Subscriber(b, "billing", "invoices");
  WaitForBalancedGroup("billing", 2, 4);
  TestClient* publisher = Client(b, "pub", "p");
  constexpr int kBefore = 40;
  for (int i = 0; i < kBefore; ++i) PublishOk(publisher, "invoices", absl::StrCat("inv-", i));

  // A receives its share and acknowledges only every other event; B acknowledges everything.
  std::set<std::string> acked;
  std::set<std::string> unacked_by_a;
  int received = 0;
  int received_by_a = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (received < kBefore && absl::Now() < deadline) {
    auto push = member_a->Next(Command::kAsyncMessageToClient, absl::Milliseconds(50));
    if (push.ok()) {
      ++received;
      if (++received_by_a % 2 == 0) {
        unacked_by_a.insert(BodyOf(*push));
      } else {
        acked.insert(BodyOf(*push));
        ASSERT_TRUE(member_a->Ack(*push).ok());
      }
    }
    push = member_b->Next(Command::kAsyncMessageToClient, absl::Milliseconds(50));
    if (push.ok()) {
      ++received;
      acked.insert(BodyOf(*push));
      ASSERT_TRUE(member_b->Ack(*push).ok());
    }
  }
  ASSERT_EQ(received, kBefore);
  ASSERT_FALSE(unacked_by_a.empty());

  // A's consumer leaves: runtime A closes its group member; B takes over every partition and
  // gets A's unacknowledged events again, plus everything published afterwards.
  member_a->Close();
  constexpr int kAfter = 20;
  for (int i = 0; i < kAfter; ++i) PublishOk(publisher, "invoices", absl::StrCat("late-", i));
  std::set<std::string> expected = acked;
  expected.insert(unacked_by_a.begin(), unacked_by_a.end());
  for (int i = 0; i < kAfter; ++i) expected.insert(absl::StrCat("late-", i));
  ASSERT_EQ(expected.size(), static_cast<size_t>(kBefore + kAfter));
  const absl::Time second_deadline = absl::Now() + absl::Seconds(20);
  while (acked.size() < expected.size() && absl::Now() < second_deadline) {
    auto push = member_b->Next(Command::kAsyncMessageToClient, absl::Milliseconds(100));
    if (!push.ok()) continue;
    acked.insert(BodyOf(*push));
    ASSERT_TRUE(member_b->Ack(*push).ok());
  }
  EXPECT_EQ(acked, expected);
  for (const auto& body : unacked_by_a) EXPECT_EQ(acked.count(body), 1u) << body;
}

TEST_F(ClusterTest, StoreOutageFailsPublishesAndDeliveryResumesWhenTheStoreReturns) {
  const int a = StartRuntime();
  TestClient* subscriber = Subscriber(a, "readers", "feed");
  TestClient* publisher = Client(a, "pub", "p");
  PublishOk(publisher, "feed", "before");
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(BodyOf(*push), "before");
  ASSERT_TRUE(subscriber->Ack(*push).ok());

  store_->StopServer();
  auto failed = publisher->Publish("feed", "during");
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->header.code, 1);
  EXPECT_EQ(failed->header.desc.rfind("publish failed: UNAVAILABLE: ", 0), 0u)
      << failed->header.desc;

  absl::Status restarted = store_->RestartServer();
  ASSERT_TRUE(restarted.ok()) << restarted;
  bool published = false;
  for (int attempt = 0; attempt < 200 && !published; ++attempt) {
    auto ack = publisher->Publish("feed", "after");
    ASSERT_TRUE(ack.ok()) << ack.status();
    published = ack->header.code == 0;
    if (!published) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(published);
  push = subscriber->Next(Command::kAsyncMessageToClient, absl::Seconds(20));
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(BodyOf(*push), "after");  // "during" was never stored
  ASSERT_TRUE(subscriber->Ack(*push).ok());
}

// Answers the next REQUEST_TO_CLIENT on `responder` with `body` (properties echoed unchanged).
void Answer(TestClient* responder, const std::string& body, Package* request_out = nullptr) {
  auto incoming = responder->Next(Command::kRequestToClient);
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  ASSERT_TRUE(responder->Ack(*incoming).ok());
  auto message = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
  ASSERT_TRUE(message.ok()) << message.status();
  message->body = body;
  Package response = TestClient::MessagePackage(Command::kResponseToServer, message->topic, "");
  response.body = message->ToJson();
  response.header.seq = incoming->header.seq;
  ASSERT_TRUE(responder->Send(response).ok());
  if (request_out != nullptr) *request_out = *incoming;
}

TEST_F(ClusterTest, RequestOnOneRuntimeIsAnsweredByAResponderOnAnother) {
  const int a = StartRuntime();
  const int b = StartRuntime();
  TestClient* responder = Subscriber(b, "responders", "rpc", SubscriptionMode::kClustering,
                                     protocol::tcp::SubscriptionType::kSync);
  ASSERT_NE(responder, nullptr);
  TestClient* requester = Client(a, "pub", "callers");
  for (int i = 0; i < 3; ++i) {
    Package request =
        TestClient::MessagePackage(Command::kRequestToServer, "rpc", absl::StrCat("ping-", i));
    request.header.seq = absl::StrCat(900 + i);
    ASSERT_TRUE(requester->Send(request).ok());
    Package seen_request;
    Answer(responder, absl::StrCat("pong-", i), &seen_request);
    auto seen = protocol::tcp::EventMeshMessage::FromJson(seen_request.body);
    ASSERT_TRUE(seen.ok());
    EXPECT_EQ(seen->body, absl::StrCat("ping-", i));
    // The request names runtime A's reply topic.
    EXPECT_EQ(seen->properties.at("rrreplytopic").rfind("eventmesh-reply-", 0), 0u);

    auto answer = requester->Next(Command::kResponseToClient);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->header.code, 0) << answer->header.desc;
    EXPECT_EQ(*answer->header.seq, absl::StrCat(900 + i));
    auto message = protocol::tcp::EventMeshMessage::FromJson(answer->body);
    ASSERT_TRUE(message.ok());
    EXPECT_EQ(message->body, absl::StrCat("pong-", i));
    EXPECT_EQ(message->topic, "rpc");  // the reply topic was only the way back
  }
  // No second answer (e.g. a timeout) follows.
  EXPECT_FALSE(requester->Next(Command::kResponseToClient, absl::Milliseconds(300)).ok());
}

TEST_F(ClusterTest, RequestAnsweredOnTheSameRuntimeStaysLocal) {
  const int a = StartRuntime();
  StartRuntime();
  TestClient* responder = Subscriber(a, "responders", "rpc-local", SubscriptionMode::kClustering,
                                     protocol::tcp::SubscriptionType::kSync);
  TestClient* requester = Client(a, "pub", "callers");
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "rpc-local", "ping");
  request.header.seq = "77";
  ASSERT_TRUE(requester->Send(request).ok());
  Answer(responder, "pong");
  auto answer = requester->Next(Command::kResponseToClient);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->header.code, 0);
  EXPECT_EQ(BodyOf(*answer), "pong");
  // Completed in-process: nothing was forwarded through the store.
  auto topics = store_->engine()->ListTopics({});
  ASSERT_TRUE(topics.ok());
  for (const auto& topic : topics->topics) {
    if (topic.rfind("eventmesh-reply-", 0) != 0) continue;
    auto described = store_->engine()->DescribeTopic({topic});
    ASSERT_TRUE(described.ok());
    EXPECT_EQ(described->partition_info[0].next_offset, 0) << topic;
  }
}

TEST_F(ClusterTest, CrossRuntimeRequestWithoutAnswerTimesOutAndALateAnswerIsDropped) {
  const int a = StartRuntime();
  const int b = StartRuntime();
  TestClient* responder = Subscriber(b, "sleepy", "slow-rpc", SubscriptionMode::kClustering,
                                     protocol::tcp::SubscriptionType::kSync);
  TestClient* requester = Client(a, "pub", "callers");
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "slow-rpc", "ping");
  auto message = protocol::tcp::EventMeshMessage::FromJson(request.body);
  ASSERT_TRUE(message.ok());
  message->properties["ttl"] = "300";
  request.body = message->ToJson();
  request.header.seq = "555";
  ASSERT_TRUE(requester->Send(request).ok());
  auto incoming = responder->Next(Command::kRequestToClient);
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  ASSERT_TRUE(responder->Ack(*incoming).ok());

  auto answer = requester->Next(Command::kResponseToClient);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->header.code, 1);
  EXPECT_EQ(*answer->header.seq, "555");
  EXPECT_EQ(answer->header.desc, "request timed out: no response within 300 ms (ttl)");

  // The responder answers after the timeout: forwarded to A, dropped there.
  auto late = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
  ASSERT_TRUE(late.ok());
  late->body = "too late";
  Package response = TestClient::MessagePackage(Command::kResponseToServer, "slow-rpc", "");
  response.body = late->ToJson();
  response.header.seq = incoming->header.seq;
  ASSERT_TRUE(responder->Send(response).ok());
  EXPECT_FALSE(requester->Next(Command::kResponseToClient, absl::Milliseconds(500)).ok());
}

}  // namespace
}  // namespace eventmesh::runtime
