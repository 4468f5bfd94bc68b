// The SDK's TCP client given a registry instead of a fixed address: an in-process registry
// server, in-process runtimes that register in it (eventMesh.registry.*), and clients that find
// their runtime there (the HTTP client too: its runtime URLs). Failover: two runtimes on one store
// service; the subscriber's runtime shuts down (it deregisters; cluster rebalancing is off so that
// the registry path alone moves the client) and the subscriber goes on on the other one, receiving
// every acknowledged event at least once, its reconnect taking the runtimes from the client's live
// view of the registry (a long poll on the change index). A runtime that leaves the registry while
// it keeps running makes the subscriber move at once; a new runtime shows in the view without a
// lookup; the same with etcd as the registry. Also: a mesh without runtimes, an unreachable
// registry, the client's IDC preferred, a dead registered runtime skipped, the HTTP client's URLs
// following the view. Every wait is bounded.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/registry/testing/etcd_server.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/sdk/http/http_client.h"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/testing/child_process.h"
#include "eventmesh/testing/received_bodies.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using Received = eventmesh::testing::ReceivedBodies;

constexpr char kToken[] = "t0ken";
constexpr char kMesh[] = "orders-mesh";

class SdkRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    registry::RegistryServerOptions options;
    options.token = kToken;
    auto server = registry::RegistryServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    registry_server_ = *std::move(server);
  }

  void TearDown() override {
    for (auto& client : clients_) (void)client->Close();
    clients_.clear();
    for (auto& runtime : runtimes_) runtime->Shutdown();
    runtimes_.clear();
    store_.reset();
  }

  std::string RegistryAddress() const {
    return absl::StrCat("127.0.0.1:", registry_server_->port());
  }

  // Starts a runtime of kMesh that registers as `id` in `idc` (unless `self_register` is
  // false: then the test registers it, see Writer()); on the shared store service when one was
  // started.
  Server* StartRuntime(const std::string& id, const std::string& idc, bool self_register = true,
                       const std::map<std::string, std::string>& overrides = {}) {
    std::map<std::string, std::string> properties = {
        {"eventMesh.server.cluster", kMesh},
        {"eventMesh.server.idc", idc},
        {"eventMesh.server.hostIp", "127.0.0.1"},
        // Moving clients is left to the registry: no rebalancing or redirect on drain.
        {"eventMesh.server.tcp.RebalanceIntervalInMills", "0"},
    };
    if (self_register) {
      properties.insert({{"eventMesh.registry.plugin.enabled", "true"},
                         {"eventMesh.registry.plugin.server-addr", RegistryAddress()},
                         {"eventMesh.registry.plugin.token", kToken},
                         {"eventMesh.registry.reportIntervalMs", "100"},
                         {"eventMesh.registry.leaseMs", "3000"},
                         {"eventMesh.registry.instanceId", id}});
    }
    for (const auto& [key, value] : overrides) properties[key] = value;
    if (store_ != nullptr) {
      properties.emplace("eventMesh.server.tcp.workerThreads", "1");
      properties.emplace("eventMesh.storage.store.fetchWaitMs", "50");
      properties.emplace("eventMesh.server.tcp.advertisedAddress", "127.0.0.1");
      store_->AddRuntimeProperties(&properties);
    }
    auto server =
        testing::StartTestServer(std::move(properties), testing::TestDataDir(id), connectors_);
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return nullptr;
    runtimes_.push_back(*std::move(server));
    return runtimes_.back().get();
  }

  void StartStore() {
    auto store = testing::TestStoreService::Start(testing::TestDataDir("store"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  sdk::TcpClientOptions Options(const std::string& group, sdk::ClientPurpose purpose,
                                const std::string& idc, const std::string& mesh = kMesh) {
    sdk::TcpClientOptions options;
    options.group = group;
    options.purpose = purpose;
    options.reconnect_max_backoff = absl::Milliseconds(200);
    options.connect_timeout = absl::Seconds(2);
    options.registry = Registry(idc, mesh);
    return options;
  }

  sdk::RegistryOptions Registry(const std::string& idc, const std::string& mesh = kMesh) {
    sdk::RegistryOptions registry;
    registry.addresses = {RegistryAddress()};
    registry.mesh = mesh;
    registry.idc = idc;
    return registry;
  }

  // A registry client with the token, for registering runtimes by hand.
  std::unique_ptr<registry::HttpRegistry> Writer() {
    registry::HttpRegistryOptions options;
    options.addresses = {RegistryAddress()};
    options.token = kToken;
    auto writer = registry::HttpRegistry::Create(options);
    EXPECT_TRUE(writer.ok()) << writer.status();
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  static registry::Instance InstanceOf(const std::string& id, Server* runtime) {
    registry::Instance instance;
    instance.mesh = kMesh;
    instance.id = id;
    instance.idc = "idc1";
    instance.endpoints = {{"tcp", "127.0.0.1", runtime->tcp_port()}};
    return instance;
  }

  sdk::EventMeshTcpClient* Keep(std::unique_ptr<sdk::EventMeshTcpClient> client) {
    clients_.push_back(std::move(client));
    return clients_.back().get();
  }

  static std::string AddressOf(Server* runtime) {
    return absl::StrCat("127.0.0.1:", runtime->tcp_port());
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<registry::RegistryServer> registry_server_;
  std::unique_ptr<testing::TestStoreService> store_;
  std::vector<std::unique_ptr<Server>> runtimes_;
  std::vector<std::unique_ptr<sdk::EventMeshTcpClient>> clients_;
};

// Polls `done` every 20 ms until it holds (true) or `limit` passes (false).
bool WaitUntil(const std::function<bool()>& done, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

// Publishes `body`, retrying (bounded) while the publisher reconnects; true once acked.
bool PublishAcked(sdk::EventMeshTcpClient* publisher, const std::string& topic,
                  const std::string& body) {
  sdk::Message message;
  message.topic = topic;
  message.content = body;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (publisher->Publish(message).get().ok()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST_F(SdkRegistryTest, SubscriberMovesToAnotherRuntimeWhenItsRuntimeShutsDown) {
  StartStore();
  Server* a = StartRuntime("rt-a", "idc1");
  Server* b = StartRuntime("rt-b", "idc1");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  Received received;
  auto subscriber =
      sdk::EventMeshTcpClient::Connect(Options("billing", sdk::ClientPurpose::kSubscribe, "idc1"));
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  sdk::EventMeshTcpClient* sub = Keep(*std::move(subscriber));
  sub->SetHandler([&received](std::shared_ptr<sdk::Delivery> delivery) {
    received.Add(delivery->event().data());
  });
  ASSERT_TRUE(
      sub->Subscribe("orders", sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kAsync)
          .ok());
  ASSERT_TRUE(sub->Listen().ok());
  auto publisher =
      sdk::EventMeshTcpClient::Connect(Options("shop", sdk::ClientPurpose::kPublish, "idc1"));
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  sdk::EventMeshTcpClient* pub = Keep(*std::move(publisher));

  // Both runtimes are equal for the client (same IDC, no clients yet): the first by id.
  ASSERT_EQ(sub->server_address(), AddressOf(a));
  Server* other = b;

  std::set<std::string> acked;
  for (int i = 0; i < 20; ++i) {
    const std::string body = absl::StrCat("before-", i);
    ASSERT_TRUE(PublishAcked(pub, "orders", body)) << body;
    acked.insert(body);
  }
  ASSERT_TRUE(received.WaitFor(acked, absl::Seconds(30)).empty());

  a->Shutdown();  // Deregisters at once; its clients get SERVER_GOODBYE or lose the connection.

  for (int i = 0; i < 20; ++i) {
    const std::string body = absl::StrCat("after-", i);
    ASSERT_TRUE(PublishAcked(pub, "orders", body)) << body;
    acked.insert(body);
  }
  const std::set<std::string> missing = received.WaitFor(acked, absl::Seconds(60));
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged events never delivered, e.g. "
                               << *missing.begin();

  EXPECT_EQ(sub->server_address(), AddressOf(other));
  EXPECT_EQ(pub->server_address(), AddressOf(other));
  EXPECT_TRUE(sub->connected());
  const sdk::ClientStats stats = sub->stats();
  EXPECT_GE(stats.connects, 2u);
  EXPECT_EQ(stats.registry_lookups, 1u);  // Connect only: the reconnect took the live view.
  EXPECT_GE(stats.registry_view_picks, 1u);
  EXPECT_EQ(stats.redirects, 0u);  // Moved by the registry, not by a redirect.
}

// The runtime a subscriber is connected to leaves the registry while it keeps running (its
// lease ran out, or it was deregistered): the subscriber's live view sees it and the client moves
// to the other runtime at once, though its connection is fine. Both runtimes are registered by
// the test, so nothing re-registers the first one.
TEST_F(SdkRegistryTest, ASubscriberMovesWhenItsRuntimeLeavesTheRegistry) {
  StartStore();
  Server* a = StartRuntime("rt-a", "idc1", /*self_register=*/false);
  Server* b = StartRuntime("rt-b", "idc1", /*self_register=*/false);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto writer = Writer();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Register(InstanceOf("rt-a", a), absl::Minutes(5)).ok());
  ASSERT_TRUE(writer->Register(InstanceOf("rt-b", b), absl::Minutes(5)).ok());

  Received received;
  auto subscriber =
      sdk::EventMeshTcpClient::Connect(Options("billing", sdk::ClientPurpose::kSubscribe, "idc1"));
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  sdk::EventMeshTcpClient* sub = Keep(*std::move(subscriber));
  sub->SetHandler([&received](std::shared_ptr<sdk::Delivery> delivery) {
    received.Add(delivery->event().data());
  });
  ASSERT_TRUE(
      sub->Subscribe("orders", sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kAsync)
          .ok());
  ASSERT_TRUE(sub->Listen().ok());
  // The publisher has a fixed address: only the subscriber moves.
  sdk::TcpClientOptions pub_options;
  pub_options.port = b->tcp_port();
  pub_options.group = "shop";
  auto publisher = sdk::EventMeshTcpClient::Connect(pub_options);
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  sdk::EventMeshTcpClient* pub = Keep(*std::move(publisher));
  ASSERT_EQ(sub->server_address(), AddressOf(a));  // same IDC, no clients: the first by id

  std::set<std::string> acked;
  for (int i = 0; i < 20; ++i) {
    const std::string body = absl::StrCat("before-", i);
    ASSERT_TRUE(PublishAcked(pub, "orders", body)) << body;
    acked.insert(body);
  }
  ASSERT_TRUE(received.WaitFor(acked, absl::Seconds(30)).empty());
  // The view has both runtimes before rt-a goes.
  ASSERT_TRUE(
      WaitUntil([&] { return sub->stats().registry_view_runtimes == 2; }, absl::Seconds(30)));

  ASSERT_TRUE(writer->Deregister(kMesh, "rt-a").ok());  // rt-a keeps running
  ASSERT_TRUE(WaitUntil([&] { return sub->server_address() == AddressOf(b) && sub->connected(); },
                        absl::Seconds(30)))
      << sub->server_address();

  for (int i = 0; i < 20; ++i) {
    const std::string body = absl::StrCat("after-", i);
    ASSERT_TRUE(PublishAcked(pub, "orders", body)) << body;
    acked.insert(body);
  }
  const std::set<std::string> missing = received.WaitFor(acked, absl::Seconds(60));
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged events never delivered, e.g. "
                               << *missing.begin();
  const sdk::ClientStats stats = sub->stats();
  EXPECT_EQ(stats.registry_moves, 1u);
  EXPECT_EQ(stats.registry_lookups, 1u);  // the move took its runtime from the view
  EXPECT_EQ(stats.registry_view_picks, 1u);
  EXPECT_EQ(stats.connects, 2u);
  EXPECT_EQ(stats.server_goodbyes, 0u);  // rt-a never said goodbye
  EXPECT_EQ(stats.registry_watch_errors, 0u);
}

TEST_F(SdkRegistryTest, ANewRuntimeAppearsInTheViewWithoutALookup) {
  Server* a = StartRuntime("rt-a", "idc1");
  ASSERT_NE(a, nullptr);
  auto client =
      sdk::EventMeshTcpClient::Connect(Options("shop", sdk::ClientPurpose::kPublish, "idc1"));
  ASSERT_TRUE(client.ok()) << client.status();
  sdk::EventMeshTcpClient* pub = Keep(*std::move(client));
  ASSERT_TRUE(
      WaitUntil([&] { return pub->stats().registry_view_runtimes == 1; }, absl::Seconds(30)));
  Server* b = StartRuntime("rt-b", "idc1");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(
      WaitUntil([&] { return pub->stats().registry_view_runtimes == 2; }, absl::Seconds(30)));
  const sdk::ClientStats stats = pub->stats();
  EXPECT_EQ(stats.registry_lookups, 1u);  // Connect's; the view learnt of rt-b by itself
  EXPECT_GE(stats.registry_view_changes, 2u);
  EXPECT_EQ(stats.registry_moves, 0u);
  EXPECT_EQ(pub->server_address(), AddressOf(a));  // a new runtime does not move anyone
  // With the view off, nothing is watched.
  auto options = Options("shop", sdk::ClientPurpose::kPublish, "idc1");
  options.registry->watch = false;
  auto unwatched = sdk::EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(unwatched.ok()) << unwatched.status();
  EXPECT_TRUE(PublishAcked(unwatched->get(), "orders", "o-1"));
  EXPECT_EQ((*unwatched)->stats().registry_view_changes, 0u);
}

TEST_F(SdkRegistryTest, AMeshWithoutRuntimesFailsConnectNamingTheMesh) {
  ASSERT_NE(StartRuntime("rt-a", "idc1"), nullptr);  // In kMesh, not in the one asked for.
  auto client = sdk::EventMeshTcpClient::Connect(
      Options("shop", sdk::ClientPurpose::kPublish, "idc1", "empty-mesh"));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(client.status().message().find("\"empty-mesh\""), std::string::npos) << client.status();
}

TEST_F(SdkRegistryTest, AnUnreachableRegistryFailsConnect) {
  auto options = Options("shop", sdk::ClientPurpose::kPublish, "idc1");
  options.registry->addresses = {
      absl::StrCat("127.0.0.1:", eventmesh::testing::FreeLoopbackPort())};
  options.registry->timeout = absl::Seconds(2);
  auto client = sdk::EventMeshTcpClient::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("registry lookup for mesh \"orders-mesh\""),
            std::string::npos)
      << client.status();
}

TEST_F(SdkRegistryTest, BadRegistryOptionsAreRefused) {
  auto options = Options("shop", sdk::ClientPurpose::kPublish, "idc1", "");
  EXPECT_EQ(sdk::EventMeshTcpClient::Connect(options).status(),
            absl::InvalidArgumentError("registry.mesh is required"));
}

TEST_F(SdkRegistryTest, TheClientPrefersRuntimesOfItsIdc) {
  // Ids chosen so that the tie-break by id would pick the other IDC.
  Server* in_idc1 = StartRuntime("rt-b", "idc1");
  Server* in_idc2 = StartRuntime("rt-a", "idc2");
  ASSERT_NE(in_idc1, nullptr);
  ASSERT_NE(in_idc2, nullptr);
  auto from_idc1 =
      sdk::EventMeshTcpClient::Connect(Options("shop", sdk::ClientPurpose::kPublish, "idc1"));
  ASSERT_TRUE(from_idc1.ok()) << from_idc1.status();
  EXPECT_EQ((*from_idc1)->server_address(), AddressOf(in_idc1));
  auto from_idc2 =
      sdk::EventMeshTcpClient::Connect(Options("shop", sdk::ClientPurpose::kPublish, "idc2"));
  ASSERT_TRUE(from_idc2.ok()) << from_idc2.status();
  EXPECT_EQ((*from_idc2)->server_address(), AddressOf(in_idc2));
}

TEST_F(SdkRegistryTest, ARegisteredRuntimeThatDoesNotAnswerIsSkipped) {
  Server* live = StartRuntime("rt-live", "idc2");
  ASSERT_NE(live, nullptr);
  // A crashed runtime whose lease has not run out yet: first in the client's order.
  registry::HttpRegistryOptions writer_options;
  writer_options.addresses = {RegistryAddress()};
  writer_options.token = kToken;
  auto writer = registry::HttpRegistry::Create(writer_options);
  ASSERT_TRUE(writer.ok());
  registry::Instance dead;
  dead.mesh = kMesh;
  dead.id = "rt-dead";
  dead.idc = "idc1";
  dead.endpoints = {{"tcp", "127.0.0.1", eventmesh::testing::FreeLoopbackPort()}};
  ASSERT_TRUE((*writer)->Register(dead, absl::Seconds(30)).ok());

  auto client =
      sdk::EventMeshTcpClient::Connect(Options("shop", sdk::ClientPurpose::kPublish, "idc1"));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->server_address(), AddressOf(live));
  EXPECT_TRUE(PublishAcked(client->get(), "orders", "o-1"));
}

TEST_F(SdkRegistryTest, HttpClientListsTheMeshAgainWhenItsRuntimesFail) {
  Server* a = StartRuntime("rt-a", "idc1");
  ASSERT_NE(a, nullptr);
  sdk::http::HttpClientOptions options;
  options.registry = Registry("idc1");
  options.registry->watch = false;  // the lookup path; the live view is the next test's
  options.producer_group = "shop";
  options.request_timeout = absl::Seconds(3);
  auto client = sdk::http::EventMeshHttpClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ((*client)->runtime_urls(),
            std::vector<std::string>{absl::StrCat("http://127.0.0.1:", a->http_port())});
  sdk::Message message;
  message.topic = "orders";
  message.content = "h-1";
  EXPECT_TRUE((*client)->Publish(message).ok());

  Server* b = StartRuntime("rt-b", "idc1");
  ASSERT_NE(b, nullptr);
  a->Shutdown();
  // The only runtime the client knows fails: it lists the mesh again and finds rt-b.
  message.content = "h-2";
  absl::Status published = absl::UnknownError("not sent");
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!published.ok() && absl::Now() < deadline) {
    published = (*client)->Publish(message);
    if (!published.ok()) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(published.ok()) << published;
  EXPECT_EQ((*client)->runtime_urls(),
            std::vector<std::string>{absl::StrCat("http://127.0.0.1:", b->http_port())});
  EXPECT_GE((*client)->stats().registry_refreshes, 1u);
  (*client)->Close();

  sdk::http::HttpClientOptions nowhere = options;
  nowhere.registry->mesh = "empty-mesh";
  auto refused = sdk::http::EventMeshHttpClient::Create(nowhere);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status(),
            absl::UnavailableError(
                "no runtime of mesh \"empty-mesh\" with a http endpoint is registered"));
}

// With the live view, the HTTP client's URLs follow the mesh before any request fails: a new
// runtime is added, a runtime shutting down (it deregisters first) is dropped.
TEST_F(SdkRegistryTest, HttpClientUrlsFollowTheLiveView) {
  Server* a = StartRuntime("rt-a", "idc1");
  ASSERT_NE(a, nullptr);
  sdk::http::HttpClientOptions options;
  options.registry = Registry("idc1");
  options.producer_group = "shop";
  options.request_timeout = absl::Seconds(3);
  auto client = sdk::http::EventMeshHttpClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string url_a = absl::StrCat("http://127.0.0.1:", a->http_port());
  Server* b = StartRuntime("rt-b", "idc1");
  ASSERT_NE(b, nullptr);
  const std::string url_b = absl::StrCat("http://127.0.0.1:", b->http_port());
  ASSERT_TRUE(WaitUntil([&] { return (*client)->runtime_urls().size() == 2; }, absl::Seconds(30)));
  a->Shutdown();
  ASSERT_TRUE(
      WaitUntil([&] { return (*client)->runtime_urls() == std::vector<std::string>{url_b}; },
                absl::Seconds(30)))
      << (*client)->runtime_urls().size();
  sdk::Message message;
  message.topic = "orders";
  message.content = "h-1";
  EXPECT_TRUE((*client)->Publish(message).ok());
  const sdk::http::HttpClientStats stats = (*client)->stats();
  EXPECT_EQ(stats.requests_failed, 0u);     // moved before anything failed
  EXPECT_EQ(stats.registry_refreshes, 0u);  // no lookup after Create
  EXPECT_GE(stats.registry_view_updates, 2u);
  (*client)->Close();
}

// The same with etcd as the registry: runtimes register in etcd, the subscriber's live view is
// etcd's watch stream, and a runtime's graceful shutdown moves the subscriber to the other one.
TEST_F(SdkRegistryTest, WithEtcdASubscriberFollowsItsMesh) {
  auto etcd = registry::testing::EtcdServer::Start(testing::TestDataDir("etcd"));
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  const std::map<std::string, std::string> in_etcd = {
      {"eventMesh.registry.plugin.type", "etcd"},
      {"eventMesh.registry.plugin.server-addr", (*etcd)->address()},
      {"eventMesh.registry.plugin.token", ""},
  };
  StartStore();
  Server* a = StartRuntime("rt-a", "idc1", /*self_register=*/true, in_etcd);
  Server* b = StartRuntime("rt-b", "idc1", /*self_register=*/true, in_etcd);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);

  auto options = Options("billing", sdk::ClientPurpose::kSubscribe, "idc1");
  options.registry->type = "etcd";
  options.registry->addresses = {(*etcd)->address()};
  Received received;
  auto subscriber = sdk::EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  sdk::EventMeshTcpClient* sub = Keep(*std::move(subscriber));
  sub->SetHandler([&received](std::shared_ptr<sdk::Delivery> delivery) {
    received.Add(delivery->event().data());
  });
  ASSERT_TRUE(
      sub->Subscribe("orders", sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kAsync)
          .ok());
  ASSERT_TRUE(sub->Listen().ok());
  ASSERT_EQ(sub->server_address(), AddressOf(a));
  sdk::TcpClientOptions pub_options;
  pub_options.port = b->tcp_port();
  pub_options.group = "shop";
  auto publisher = sdk::EventMeshTcpClient::Connect(pub_options);
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  sdk::EventMeshTcpClient* pub = Keep(*std::move(publisher));
  ASSERT_TRUE(
      WaitUntil([&] { return sub->stats().registry_view_runtimes == 2; }, absl::Seconds(30)));

  std::set<std::string> acked;
  for (int i = 0; i < 10; ++i) {
    const std::string body = absl::StrCat("before-", i);
    ASSERT_TRUE(PublishAcked(pub, "orders", body)) << body;
    acked.insert(body);
  }
  ASSERT_TRUE(received.WaitFor(acked, absl::Seconds(30)).empty());
  a->Shutdown();  // deregisters from etcd first, then drains
  for (int i = 0; i < 10; ++i) {
    const std::string body = absl::StrCat("after-", i);
    ASSERT_TRUE(PublishAcked(pub, "orders", body)) << body;
    acked.insert(body);
  }
  const std::set<std::string> missing = received.WaitFor(acked, absl::Seconds(60));
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged events never delivered, e.g. "
                               << *missing.begin();
  EXPECT_EQ(sub->server_address(), AddressOf(b));
  const sdk::ClientStats stats = sub->stats();
  EXPECT_EQ(stats.registry_lookups, 1u);
  EXPECT_GE(stats.registry_view_picks, 1u);
  EXPECT_EQ(stats.registry_watch_errors, 0u);
}

}  // namespace
}  // namespace eventmesh::runtime
