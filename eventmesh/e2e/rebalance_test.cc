// Client rebalancing between runtimes sharing one store service: in-process runtime::Servers on
// one in-process StoreServer (as cluster_test.cc), clients from the SDK (which follows
// REDIRECT_TO_CLIENT) and TestClient. Short intervals through the configuration; every wait is
// bounded.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/testing/received_bodies.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using Received = eventmesh::testing::ReceivedBodies;

using protocol::tcp::Command;

class RebalanceTest : public ::testing::Test {
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
    for (auto& client : clients_) (void)client->Close();
    clients_.clear();
    for (auto& runtime : runtimes_) runtime->Shutdown();
    runtimes_.clear();
    store_.reset();
  }

  int StartRuntime(int64_t interval_ms) {
    const int index = static_cast<int>(runtimes_.size());
    std::map<std::string, std::string> properties;
    properties.emplace("eventMesh.server.tcp.workerThreads", "1");
    properties.emplace("eventMesh.storage.store.fetchWaitMs", "50");
    store_->AddRuntimeProperties(&properties);
    properties.emplace("eventMesh.server.tcp.RebalanceIntervalInMills", absl::StrCat(interval_ms));
    properties.emplace("eventMesh.server.rebalanceRedirect.sleepIntervalInMills", "20");
    properties.emplace("eventMesh.server.tcp.advertisedAddress", "127.0.0.1");
    auto server = testing::StartTestServer(std::move(properties),
                                           absl::StrCat(base_dir_, "/runtime", index), registry_);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return -1;
    runtimes_.push_back(std::move(*server));
    return index;
  }

  // Waits until runtime `index` sees `peers` live peers.
  void WaitForPeers(int index, size_t peers) {
    cluster::ClusterRebalancer* rebalancer = runtimes_[index]->rebalancer();
    ASSERT_NE(rebalancer, nullptr);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (rebalancer->LivePeers().size() != peers) {
      ASSERT_LT(absl::Now(), deadline) << "runtime " << index << " never saw " << peers << " peers";
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  sdk::EventMeshTcpClient* Subscriber(int runtime, const std::string& group,
                                      const std::string& topic, Received* received) {
    sdk::TcpClientOptions options;
    options.port = runtimes_[runtime]->tcp_port();
    options.group = group;
    options.purpose = sdk::ClientPurpose::kSubscribe;
    options.reconnect_max_backoff = absl::Milliseconds(200);
    auto client = sdk::EventMeshTcpClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    (*client)->SetHandler([received](std::shared_ptr<sdk::Delivery> delivery) {
      received->Add(delivery->event().data());
    });
    EXPECT_TRUE(
        (*client)
            ->Subscribe(topic, sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kAsync)
            .ok());
    EXPECT_TRUE((*client)->Listen().ok());
    clients_.push_back(std::move(*client));
    return clients_.back().get();
  }

  sdk::EventMeshTcpClient* Publisher(int runtime) {
    sdk::TcpClientOptions options;
    options.port = runtimes_[runtime]->tcp_port();
    options.group = "producers";
    options.purpose = sdk::ClientPurpose::kPublish;
    auto client = sdk::EventMeshTcpClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    clients_.push_back(std::move(*client));
    return clients_.back().get();
  }

  // Publishes `body` to `topic`, retrying (bounded) while the publisher is being moved.
  void PublishOk(sdk::EventMeshTcpClient* publisher, const std::string& topic,
                 const std::string& body) {
    sdk::Message message;
    message.topic = topic;
    message.content = body;
    absl::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {
      status = publisher->Publish(message).get();
      if (status.ok()) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "publish of " << body << " failed: " << status;
  }

  // Subscriber sessions of `group` per runtime.
  std::vector<int> SubscriberCounts(const std::string& group) {
    std::vector<int> counts;
    for (auto& runtime : runtimes_) {
      int count = 0;
      for (const auto& session : runtime->Sessions()) {
        if (session.hello_done && session.group == group && session.purpose == "sub" &&
            !session.redirected) {
          ++count;
        }
      }
      counts.push_back(count);
    }
    return counts;
  }

  std::string base_dir_;
  std::unique_ptr<testing::TestStoreService> store_;
  connectors::ConnectorRegistry registry_;
  std::vector<std::unique_ptr<Server>> runtimes_;
  std::vector<std::unique_ptr<sdk::EventMeshTcpClient>> clients_;
};

TEST_F(RebalanceTest, NineSubscribersOnOneOfThreeRuntimesSettleEvenlyAndNoEventIsLost) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(StartRuntime(/*interval_ms=*/300), i);
  WaitForPeers(0, 2);
  WaitForPeers(1, 2);
  WaitForPeers(2, 2);
  Received received;
  std::vector<sdk::EventMeshTcpClient*> subscribers;
  for (int i = 0; i < 9; ++i) {
    subscribers.push_back(Subscriber(0, "workers", "jobs", &received));
    ASSERT_NE(subscribers.back(), nullptr);
  }
  sdk::EventMeshTcpClient* publisher = Publisher(0);
  ASSERT_NE(publisher, nullptr);

  // Publish while the runtimes move the subscribers, until they are spread 3/3/3.
  std::set<std::string> published;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int i = 0;
  for (;; ++i) {
    const std::string body = absl::StrCat("job-", i);
    PublishOk(publisher, "jobs", body);
    published.insert(body);
    if (i % 10 == 0 && SubscriberCounts("workers") == std::vector<int>{3, 3, 3}) break;
    ASSERT_LT(absl::Now(), deadline)
        << "never settled; counts " << SubscriberCounts("workers")[0] << "/"
        << SubscriberCounts("workers")[1] << "/" << SubscriberCounts("workers")[2];
    absl::SleepFor(absl::Milliseconds(10));
  }
  // A few more rounds: the spread stays (no ping-pong).
  const int64_t rounds_at_settle = runtimes_[0]->rebalancer()->stats().rounds;
  while (runtimes_[0]->rebalancer()->stats().rounds < rounds_at_settle + 3) {
    const std::string body = absl::StrCat("job-", i++);
    PublishOk(publisher, "jobs", body);
    published.insert(body);
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(SubscriberCounts("workers"), (std::vector<int>{3, 3, 3}));
  int64_t redirects = 0;
  for (auto& runtime : runtimes_) redirects += runtime->rebalancer()->stats().redirects;
  EXPECT_EQ(redirects, 6) << "every move was needed: none went back";
  EXPECT_EQ(runtimes_[1]->rebalancer()->stats().redirects, 0);
  EXPECT_EQ(runtimes_[2]->rebalancer()->stats().redirects, 0);
  // Every subscriber is connected; six followed one redirect each.
  int moved = 0;
  for (auto* subscriber : subscribers) {
    const absl::Time connect_deadline = absl::Now() + absl::Seconds(10);
    while (!subscriber->connected() && absl::Now() < connect_deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_TRUE(subscriber->connected());
    moved += static_cast<int>(subscriber->stats().redirects);
    EXPECT_LE(subscriber->stats().redirects, 1u);
  }
  EXPECT_EQ(moved, 6);

  // RECOMMEND: at 3/3/3 the tie goes by total load; runtime 0 also serves the publisher.
  const std::string recommended = runtimes_[0]->Recommend("workers", "sub");
  EXPECT_TRUE(recommended == absl::StrCat("127.0.0.1:", runtimes_[1]->tcp_port()) ||
              recommended == absl::StrCat("127.0.0.1:", runtimes_[2]->tcp_port()))
      << recommended;
  EXPECT_EQ(runtimes_[1]->Recommend("workers", "sub"), recommended);

  // Nothing published during the rebalancing was lost.
  const std::set<std::string> missing = received.WaitFor(published, absl::Seconds(30));
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << published.size()
                               << " events never arrived, e.g. " << *missing.begin();
}

TEST_F(RebalanceTest, ShutdownDrainsClientsToTheLivePeer) {
  // A long interval: no rebalancing round runs before the shutdown, only the drain moves.
  ASSERT_EQ(StartRuntime(/*interval_ms=*/10'000), 0);
  ASSERT_EQ(StartRuntime(/*interval_ms=*/10'000), 1);
  WaitForPeers(0, 1);
  Received received;
  std::vector<sdk::EventMeshTcpClient*> subscribers;
  for (int i = 0; i < 4; ++i) {
    subscribers.push_back(Subscriber(0, "drained", "orders", &received));
    ASSERT_NE(subscribers.back(), nullptr);
  }
  sdk::EventMeshTcpClient* publisher = Publisher(1);
  ASSERT_NE(publisher, nullptr);
  std::set<std::string> published;
  for (int i = 0; i < 20; ++i) {
    PublishOk(publisher, "orders", absl::StrCat("before-", i));
    published.insert(absl::StrCat("before-", i));
  }
  EXPECT_TRUE(received.WaitFor(published, absl::Seconds(30)).empty());

  runtimes_[0]->Shutdown();
  EXPECT_EQ(runtimes_[0]->rebalancer()->stats().drained, 4);
  const std::string peer = absl::StrCat("127.0.0.1:", runtimes_[1]->tcp_port());
  for (auto* subscriber : subscribers) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!(subscriber->connected() && subscriber->server_address() == peer) &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    EXPECT_EQ(subscriber->server_address(), peer);
    EXPECT_TRUE(subscriber->connected());
    EXPECT_EQ(subscriber->stats().redirects, 1u);
    EXPECT_EQ(subscriber->stats().server_goodbyes, 0u) << "told goodbye instead of redirected";
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (SubscriberCounts("drained")[1] != 4 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(SubscriberCounts("drained")[1], 4);
  for (int i = 0; i < 20; ++i) {
    PublishOk(publisher, "orders", absl::StrCat("after-", i));
    published.insert(absl::StrCat("after-", i));
  }
  const std::set<std::string> missing = received.WaitFor(published, absl::Seconds(30));
  EXPECT_TRUE(missing.empty()) << missing.size() << " events never arrived";
}

TEST_F(RebalanceTest, ShutdownWithoutLivePeersSaysGoodbye) {
  ASSERT_EQ(StartRuntime(/*interval_ms=*/10'000), 0);
  auto client = testing::TestClient::Connect(runtimes_[0]->tcp_port());
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Hello("sub", "alone").ok());
  runtimes_[0]->Shutdown();
  EXPECT_EQ(runtimes_[0]->rebalancer()->stats().drained, 0);
  auto goodbye = (*client)->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_EQ(goodbye->header.desc, "graceful normal quit from eventmesh");
  EXPECT_FALSE((*client)->Next(Command::kRedirectToClient, absl::Milliseconds(100)).ok());
}

TEST_F(RebalanceTest, SessionListAndRedirectHook) {
  ASSERT_EQ(StartRuntime(/*interval_ms=*/0), 0);  // rebalancing off
  EXPECT_EQ(runtimes_[0]->rebalancer(), nullptr);
  EXPECT_EQ(runtimes_[0]->Recommend("any", "sub"),
            absl::StrCat("127.0.0.1:", runtimes_[0]->tcp_port()));
  auto subscriber = testing::TestClient::Connect(runtimes_[0]->tcp_port());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_TRUE((*subscriber)->Hello("sub", "listed").ok());
  ASSERT_TRUE((*subscriber)->Subscribe("listed-topic").ok());
  ASSERT_TRUE((*subscriber)->Listen().ok());
  auto anonymous = testing::TestClient::Connect(runtimes_[0]->tcp_port());  // no HELLO
  ASSERT_TRUE(anonymous.ok());
  auto publisher = testing::TestClient::Connect(runtimes_[0]->tcp_port());
  ASSERT_TRUE(publisher.ok());
  ASSERT_TRUE((*publisher)->Hello("pub", "listers").ok());
  auto ack = (*publisher)->Publish("listed-topic", "held");
  ASSERT_TRUE(ack.ok());
  auto push = (*subscriber)->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();  // not acknowledged

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::vector<tcp::SessionInfo> sessions = runtimes_[0]->Sessions();
  while (sessions.size() != 3 && absl::Now() < deadline) sessions = runtimes_[0]->Sessions();
  ASSERT_EQ(sessions.size(), 3u);
  EXPECT_TRUE(sessions[0].hello_done);
  EXPECT_EQ(sessions[0].purpose, "sub");
  EXPECT_EQ(sessions[0].group, "listed");
  EXPECT_EQ(sessions[0].unacked_pushes, 1);
  EXPECT_GE(sessions[0].age_ms, 0);
  EXPECT_FALSE(sessions[0].redirected);
  EXPECT_FALSE(sessions[1].hello_done);
  EXPECT_EQ(sessions[2].purpose, "pub");
  EXPECT_EQ(sessions[2].group, "listers");
  EXPECT_EQ(sessions[2].unacked_pushes, 0);

  ASSERT_TRUE((*subscriber)->Ack(*push).ok());

  ASSERT_TRUE(runtimes_[0]->Redirect(sessions[0].id, "127.0.0.1", 10001).ok());
  auto redirect = (*subscriber)->Next(Command::kRedirectToClient);
  ASSERT_TRUE(redirect.ok()) << redirect.status();
  EXPECT_EQ(redirect->header.code, 0);
  EXPECT_EQ(redirect->body, "{\"ip\":\"127.0.0.1\",\"port\":10001}");
  EXPECT_TRUE(runtimes_[0]->Sessions()[0].redirected);
  absl::Status unknown = runtimes_[0]->Redirect(9999, "127.0.0.1", 10001);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "no session 9999");
}

}  // namespace
}  // namespace eventmesh::runtime
