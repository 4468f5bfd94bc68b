// Cross-mesh routing: two meshes, each with its own runtime and its own store, joined only by
// the registry. A subscriber on one mesh receives what is published on the other (at least
// once), nothing is forwarded back in a loop, and a mesh restarted mid-stream gets what was
// published while it was away (forwarding resumes from the committed position).

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/registry/testing/etcd_server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using protocol::tcp::Command;

// A subscriber that acknowledges every push and counts bodies.
class Subscriber {
 public:
  static std::unique_ptr<Subscriber> Connect(int port, const std::string& group,
                                             const std::string& topic) {
    auto client = testing::TestClient::Connect(port);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    EXPECT_TRUE((*client)->Hello("sub", group).ok());
    EXPECT_TRUE((*client)->Subscribe(topic).ok());
    EXPECT_TRUE((*client)->Listen().ok());
    auto s = std::make_unique<Subscriber>();
    s->client_ = *std::move(client);
    return s;
  }
  // Reads pushes until `done` holds or `limit` passes.
  bool ReadUntil(const std::function<bool(const std::map<std::string, int>&)>& done,
                 absl::Duration limit = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + limit;
    while (!done(counts_) && absl::Now() < deadline) {
      auto push = client_->Next(Command::kAsyncMessageToClient, absl::Milliseconds(200));
      if (!push.ok()) continue;
      auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
      EXPECT_TRUE(message.ok()) << message.status();
      if (message.ok()) {
        ++counts_[message->body];
        if (auto it = message->properties.find("eventmeshorigin");
            it != message->properties.end()) {
          origins_[message->body] = it->second;
        }
      }
      EXPECT_TRUE(client_->Ack(*push).ok());
    }
    return done(counts_);
  }
  const std::map<std::string, int>& counts() const { return counts_; }
  const std::map<std::string, std::string>& origins() const { return origins_; }

 private:
  std::unique_ptr<testing::TestClient> client_;
  std::map<std::string, int> counts_;
  std::map<std::string, std::string> origins_;
};

// Whether `server`'s consumer of (group, topic) soon has nothing in flight or pending.
bool AllAcked(Server* server, const std::string& group, const std::string& topic) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    for (const auto& c : server->consumers()->Consumers()) {
      if (c.group == group && c.topic == topic && c.stats.in_flight == 0 && c.stats.pending == 0 &&
          c.stats.acked > 0) {
        return true;
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

int CountPrefix(const std::map<std::string, int>& counts, const std::string& prefix) {
  int n = 0;
  for (const auto& [body, count] : counts) {
    if (absl::StartsWith(body, prefix)) ++n;
  }
  return n;
}

class CrossMeshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto server = registry::RegistryServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status();
    registry_ = *std::move(server);
  }
  absl::StatusOr<std::unique_ptr<Server>> StartMesh(const std::string& mesh) {
    return testing::StartTestServer(
        {{"eventMesh.registry.plugin.enabled", "true"},
         {"eventMesh.registry.plugin.server-addr", absl::StrCat("127.0.0.1:", registry_->port())},
         {"eventMesh.registry.reportIntervalMs", "100"},
         {"eventMesh.registry.leaseMs", "3000"},
         {"eventMesh.registry.instanceId", mesh + "-1"},
         {"eventMesh.server.cluster", mesh},
         {"eventMesh.server.hostIp", "127.0.0.1"}},
        testing::TestDataDir(mesh), connectors_);
  }

 public:
  static void Publish(Server* server, const std::string& prefix, int from, int to) {
    auto publisher = testing::TestClient::Connect(server->tcp_port());
    ASSERT_TRUE(publisher.ok());
    ASSERT_TRUE((*publisher)->Hello("pub", "shop").ok());
    for (int i = from; i < to; ++i) {
      auto ack = (*publisher)->Publish("orders", absl::StrCat(prefix, i));
      ASSERT_TRUE(ack.ok()) << ack.status();
      ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
    }
  }

 protected:
  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<registry::RegistryServer> registry_;
};

TEST_F(CrossMeshTest, EventsCrossMeshesBothWaysAndNeverLoop) {
  auto a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_a = Subscriber::Connect((*a)->tcp_port(), "local", "orders");
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_a && on_b);
  // Published before the route exists (mesh A is not yet known to produce "orders"): forwarding
  // starts at the earliest retained event, so these cross too.
  Publish(a->get(), "a-", 0, 20);
  Publish(b->get(), "b-", 0, 5);

  EXPECT_TRUE(on_b->ReadUntil([](const std::map<std::string, int>& c) {
    return CountPrefix(c, "a-") == 20 && CountPrefix(c, "b-") == 5;
  })) << "mesh B got "
      << on_b->counts().size() << " distinct events, first " << on_b->counts().begin()->first
      << ", last " << on_b->counts().rbegin()->first;
  EXPECT_EQ(on_b->origins().at("a-0"), "mesh-a");
  EXPECT_EQ(on_b->origins().count("b-0"), 0u);  // local events carry no origin
  EXPECT_TRUE(on_a->ReadUntil([](const std::map<std::string, int>& c) {
    return CountPrefix(c, "a-") == 20 && CountPrefix(c, "b-") == 5;
  })) << "mesh A got "
      << on_a->counts().size() << " distinct events";
  EXPECT_EQ(on_a->origins().at("b-3"), "mesh-b");

  // No loop: after a quiet second and a half, every event was seen exactly once on each side.
  on_a->ReadUntil([](const std::map<std::string, int>&) { return false; }, absl::Seconds(1.5));
  on_b->ReadUntil([](const std::map<std::string, int>&) { return false; }, absl::Seconds(1.5));
  for (const auto& [body, count] : on_a->counts()) EXPECT_EQ(count, 1) << body << " on mesh A";
  for (const auto& [body, count] : on_b->counts()) EXPECT_EQ(count, 1) << body << " on mesh B";
}

TEST_F(CrossMeshTest, AMeshRestartedMidStreamGetsWhatItMissed) {
  auto a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  Publish(a->get(), "first-", 0, 10);
  ASSERT_TRUE(on_b->ReadUntil(
      [](const std::map<std::string, int>& c) { return CountPrefix(c, "first-") == 10; }));

  // Forwarded events do not make a mesh a producer: only the mesh that published a topic is
  // listed for it (so forwarding stays one hop from the origin).
  registry::HttpRegistryOptions client_options;
  client_options.addresses = {absl::StrCat("127.0.0.1:", registry_->port())};
  auto reader = registry::HttpRegistry::Create(client_options);
  ASSERT_TRUE(reader.ok());
  auto all = (*reader)->List("");
  ASSERT_TRUE(all.ok());
  const auto routes = registry::RoutesOf(all->instances, "orders");
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].producers, std::vector<std::string>{"mesh-a"});

  // Mesh B goes away (it leaves the registry: mesh A stops forwarding and keeps its position);
  // events published meanwhile wait in mesh A's store.
  on_b.reset();
  (*b)->Shutdown();
  b->reset();
  Publish(a->get(), "second-", 0, 15);

  // Mesh B comes back (same store, new ports) and its subscriber returns.
  b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  Publish(a->get(), "third-", 0, 5);
  EXPECT_TRUE(on_b->ReadUntil([](const std::map<std::string, int>& c) {
    return CountPrefix(c, "second-") == 15 && CountPrefix(c, "third-") == 5;
  })) << "mesh B got "
      << CountPrefix(on_b->counts(), "second-") << " of 15 and "
      << CountPrefix(on_b->counts(), "third-") << " of 5";
  // Forwarding resumed from the committed position, not from the start.
  EXPECT_EQ(CountPrefix(on_b->counts(), "first-"), 0);
}

// The publishing mesh restarts while events wait for a mesh that was away: the topics its clients
// published are remembered in its data directory, so it forwards them as soon as the other mesh
// wants the topic again, without a client publishing to it after the restart.
TEST_F(CrossMeshTest, APublishingMeshRestartedWithABacklogForwardsItWithoutANewPublish) {
  auto a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  Publish(a->get(), "first-", 0, 10);
  ASSERT_TRUE(on_b->ReadUntil(
      [](const std::map<std::string, int>& c) { return CountPrefix(c, "first-") == 10; }));
  // The subscriber's acknowledgements have reached mesh B's group (an ack still on its way when
  // the connection closes is lost, and the event comes again: at-least-once).
  ASSERT_TRUE(AllAcked(b->get(), "billing", "orders"));

  // Mesh B goes away; what mesh A's clients publish meanwhile waits in mesh A's store.
  on_b.reset();
  (*b)->Shutdown();
  b->reset();
  Publish(a->get(), "waiting-", 0, 15);

  // Mesh A restarts (same store); no client publishes to it again.
  (*a)->Shutdown();
  a->reset();
  a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();

  b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  EXPECT_TRUE(on_b->ReadUntil([](const std::map<std::string, int>& c) {
    return CountPrefix(c, "waiting-") == 15;
  })) << "mesh B got "
      << CountPrefix(on_b->counts(), "waiting-") << " of the 15 events waiting on mesh A";
  EXPECT_EQ(CountPrefix(on_b->counts(), "first-"), 0);  // resumed from the committed position
}

// The same routing with etcd as the registry (a real etcd on free loopback ports).
TEST(CrossMeshEtcdTest, EventsCrossMeshesThroughAnEtcdRegistry) {
  auto etcd = registry::testing::EtcdServer::Start(testing::TestDataDir("etcd"));
  ASSERT_TRUE(etcd.ok()) << etcd.status();

  connectors::ConnectorRegistry connectors;
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors).ok());
  auto start = [&](const std::string& mesh) {
    return testing::StartTestServer({{"eventMesh.registry.plugin.enabled", "true"},
                                     {"eventMesh.registry.plugin.type", "etcd"},
                                     {"eventMesh.registry.plugin.server-addr", (*etcd)->address()},
                                     {"eventMesh.registry.reportIntervalMs", "100"},
                                     {"eventMesh.registry.leaseMs", "3000"},
                                     {"eventMesh.registry.instanceId", mesh + "-1"},
                                     {"eventMesh.server.cluster", mesh},
                                     {"eventMesh.server.hostIp", "127.0.0.1"}},
                                    testing::TestDataDir(mesh), connectors);
  };
  auto a = start("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = start("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  CrossMeshTest::Publish(a->get(), "e-", 0, 20);
  EXPECT_TRUE(on_b->ReadUntil([](const std::map<std::string, int>& c) {
    return CountPrefix(c, "e-") == 20;
  })) << "mesh B got "
      << CountPrefix(on_b->counts(), "e-") << " of 20";
  EXPECT_EQ(on_b->origins().count("e-0"), 1u);
  (*a)->Shutdown();
  (*b)->Shutdown();
}

}  // namespace
}  // namespace eventmesh::runtime
