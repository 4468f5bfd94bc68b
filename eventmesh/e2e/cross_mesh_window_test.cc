// Cross-mesh forwarding with several batches in flight on one connection, and over TLS.
// Real runtimes in this process, a real registry server, real loopback sockets:
//   * publish order is kept on the other mesh with a window of 8 batches;
//   * connections cut mid-stream (a relay that resets them) and a mesh restarted mid-stream
//     lose nothing and keep the order of first delivery;
//   * an unreachable mesh does not hold back forwarding to another one;
//   * a mesh that requires (mutual) TLS gets the events over TLS; with the wrong CA nothing is
//     delivered, the route reports the certificate error, and everything arrives once the
//     forwarding runtime restarts with the right CA (nothing was committed meanwhile).

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/testing/tls_certs.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/chaos/tcp_proxy.h"

namespace eventmesh::runtime {
namespace {

using protocol::tcp::Command;
using ::testing::HasSubstr;

// A subscriber that acknowledges every push and records the events ("e-<n>") in the order they
// were first seen, and how often each was seen.
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
  // Reads pushes until `n` distinct events were seen or `limit` passes; true when they were.
  bool ReadDistinct(size_t n, absl::Duration limit = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + limit;
    while (first_seen_.size() < n && absl::Now() < deadline) ReadOne();
    return first_seen_.size() >= n;
  }
  // Reads whatever arrives for `d` (duplicates after the end).
  void ReadFor(absl::Duration d) {
    const absl::Time deadline = absl::Now() + d;
    while (absl::Now() < deadline) ReadOne();
  }
  const std::vector<int>& first_seen() const { return first_seen_; }
  int64_t duplicates() const { return duplicates_; }
  std::string origin_of(int n) const {
    auto it = origins_.find(n);
    return it == origins_.end() ? "" : it->second;
  }

 private:
  void ReadOne() {
    auto push = client_->Next(Command::kAsyncMessageToClient, absl::Milliseconds(200));
    if (!push.ok()) return;
    auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
    EXPECT_TRUE(message.ok()) << message.status();
    int n = -1;
    if (message.ok() && absl::StartsWith(message->body, "e-") &&
        absl::SimpleAtoi(message->body.substr(2), &n)) {
      if (++seen_[n] == 1) {
        first_seen_.push_back(n);
        if (auto it = message->properties.find("eventmeshorigin");
            it != message->properties.end()) {
          origins_[n] = it->second;
        }
      } else {
        ++duplicates_;
      }
    } else {
      ADD_FAILURE() << "unexpected push " << push->body.substr(0, 200);
    }
    EXPECT_TRUE(client_->Ack(*push).ok());
  }

  std::unique_ptr<testing::TestClient> client_;
  std::map<int, int> seen_;
  std::map<int, std::string> origins_;
  std::vector<int> first_seen_;
  int64_t duplicates_ = 0;
};

// Every event 0..n-1 was seen, and first seen in publish order.
void ExpectAllInOrder(const Subscriber& s, int n) {
  ASSERT_EQ(s.first_seen().size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(s.first_seen()[i], i) << "event e-" << s.first_seen()[i] << " first seen at " << i;
  }
}

void Publish(Server* server, int from, int to) {
  auto publisher = testing::TestClient::Connect(server->tcp_port());
  ASSERT_TRUE(publisher.ok());
  ASSERT_TRUE((*publisher)->Hello("pub", "shop").ok());
  for (int i = from; i < to; ++i) {
    auto ack = (*publisher)->Publish("orders", absl::StrCat("e-", i));
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
  }
}

// The figures of the forwarding route (orders -> mesh) of `server` (zero when there is none).
federation::ForwardStats RouteStats(Server* server, const std::string& mesh) {
  for (const auto& info : server->forwarder()->Routes()) {
    if (info.topic == "orders" && info.mesh == mesh) return info.stats;
  }
  return {};
}

// The same once `forwarded` reached `n` (the other mesh delivers a batch before its answer is
// back here), or after a bounded wait.
federation::ForwardStats RouteStatsOnce(Server* server, const std::string& mesh, int64_t n) {
  federation::ForwardStats stats = RouteStats(server, mesh);
  for (int i = 0; i < 300 && stats.forwarded < n; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    stats = RouteStats(server, mesh);
  }
  return stats;
}

class CrossMeshWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto server = registry::RegistryServer::Start({});
    ASSERT_TRUE(server.ok()) << server.status();
    registry_ = *std::move(server);
  }

  // A runtime of `mesh` in the registry; one partition per topic so publish order is total.
  absl::StatusOr<std::unique_ptr<Server>> StartMesh(const std::string& mesh,
                                                    std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> properties = {
        {"eventMesh.registry.plugin.enabled", "true"},
        {"eventMesh.registry.plugin.server-addr", absl::StrCat("127.0.0.1:", registry_->port())},
        {"eventMesh.registry.reportIntervalMs", "100"},
        {"eventMesh.registry.leaseMs", "3000"},
        {"eventMesh.registry.instanceId", mesh + "-1"},
        {"eventMesh.server.cluster", mesh},
        {"eventMesh.server.hostIp", "127.0.0.1"},
        {"eventMesh.server.topic.defaultPartitions", "1"},
        {"eventMesh.federation.batchSize", "10"},
        {"eventMesh.federation.batchesInFlight", "8"}};
    for (auto& [key, value] : extra) properties[key] = value;
    return testing::StartTestServer(properties, testing::TestDataDir(mesh), connectors_);
  }

  // Registers a mesh that only exists in the registry: an HTTP endpoint at `port` and a
  // subscriber of "orders".
  void RegisterFakeMesh(const std::string& mesh, int port) {
    registry::HttpRegistryOptions options;
    options.addresses = {absl::StrCat("127.0.0.1:", registry_->port())};
    auto client = registry::HttpRegistry::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    registry::Instance instance;
    instance.mesh = mesh;
    instance.id = mesh + "-1";
    instance.endpoints.push_back({"http", "127.0.0.1", port});
    instance.topics.push_back({"orders", "sub", "billing"});
    auto registered = (*client)->Register(instance, absl::Seconds(120));
    ASSERT_TRUE(registered.ok()) << registered.status();
    fake_clients_.push_back(*std::move(client));
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::vector<std::unique_ptr<registry::HttpRegistry>> fake_clients_;
};

TEST_F(CrossMeshWindowTest, OrderIsKeptWithSeveralBatchesInFlight) {
  constexpr int kEvents = 3000;
  auto a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  // A backlog first: when the route appears the forwarder has 300 batches to send at once.
  Publish(a->get(), 0, kEvents);
  auto b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  EXPECT_TRUE(on_b->ReadDistinct(kEvents)) << on_b->first_seen().size() << " of " << kEvents;
  ExpectAllInOrder(*on_b, kEvents);
  EXPECT_EQ(on_b->duplicates(), 0);
  EXPECT_EQ(on_b->origin_of(0), "mesh-a");
  const federation::ForwardStats stats = RouteStatsOnce(a->get(), "mesh-b", kEvents);
  EXPECT_EQ(stats.forwarded, kEvents);
  EXPECT_EQ(stats.failures, 0) << stats.last_error;
  EXPECT_GT(stats.peak_in_flight, 1);  // the backlog went out pipelined
  EXPECT_LE(stats.peak_in_flight, 8);
  EXPECT_EQ(stats.connections, 1);
}

TEST_F(CrossMeshWindowTest, ConnectionsCutMidStreamLoseNothingAndKeepOrder) {
  constexpr int kEvents = 4000;
  // Mesh B is outside the registry; the registry lists a mesh "mesh-p" whose HTTP endpoint is
  // a relay to B's HTTP port that the test cuts (connection resets) while events are in flight.
  auto b = testing::StartTestServer({{"eventMesh.server.topic.defaultPartitions", "1"}},
                                    testing::TestDataDir("mesh-b"), connectors_);
  ASSERT_TRUE(b.ok()) << b.status();
  auto relay = chaos::TcpProxy::Start((*b)->http_port());
  ASSERT_TRUE(relay.ok()) << relay.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  auto a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  Publish(a->get(), 0, kEvents);
  RegisterFakeMesh("mesh-p", (*relay)->listen_port());

  int cut = 0;
  for (size_t goal = 400; goal < kEvents; goal += 600) {
    on_b->ReadDistinct(goal);
    cut += (*relay)->Cut();
  }
  EXPECT_TRUE(on_b->ReadDistinct(kEvents)) << on_b->first_seen().size() << " of " << kEvents;
  ExpectAllInOrder(*on_b, kEvents);
  const federation::ForwardStats stats = RouteStatsOnce(a->get(), "mesh-p", kEvents);
  EXPECT_GE(stats.forwarded, kEvents);  // a batch stored before its answer was cut counts twice
  LOG(INFO) << "cut " << cut << " connections; " << stats.failures << " failures, " << stats.resent
            << " batches sent again, " << stats.connections << " connections, peak "
            << stats.peak_in_flight << " in flight, " << on_b->duplicates() << " duplicates";
  if (stats.failures > 0) {
    EXPECT_GT(stats.connections, 1);
  }
}

TEST_F(CrossMeshWindowTest, AMeshRestartedMidStreamLosesNothing) {
  constexpr int kBefore = 2000, kWhileDown = 1000, kAfter = 500;
  constexpr int kEvents = kBefore + kWhileDown + kAfter;
  // One event per batch: the backlog takes 2000 round trips, so mesh B stops while batches are
  // in flight.
  auto a = StartMesh("mesh-a", {{"eventMesh.federation.batchSize", "1"}});
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  // One publisher for the whole test: mesh A stays a producer of the topic.
  auto publisher = testing::TestClient::Connect((*a)->tcp_port());
  ASSERT_TRUE(publisher.ok());
  ASSERT_TRUE((*publisher)->Hello("pub", "shop").ok());
  auto publish = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      auto ack = (*publisher)->Publish("orders", absl::StrCat("e-", i));
      ASSERT_TRUE(ack.ok()) << ack.status();
      ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
    }
  };
  publish(0, kBefore);
  on_b->ReadDistinct(kBefore / 4);
  const size_t before = on_b->first_seen().size();
  std::vector<int> first_deliveries = on_b->first_seen();
  const federation::ForwardStats at_stop = RouteStats(a->get(), "mesh-b");
  LOG(INFO) << "mesh B stops after " << at_stop.forwarded << " forwarded events";
  on_b.reset();
  (*b)->Shutdown();
  b->reset();
  publish(kBefore, kBefore + kWhileDown);
  b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  publish(kBefore + kWhileDown, kEvents);
  // The group resumes at its committed position on B: what the first subscriber had not
  // acknowledged comes again, then the rest. A batch B stored while its answer was lost in the
  // shutdown is sent again by A and stored twice, so the new subscriber may also get a second
  // copy of an event the first subscriber had (behind later ones): the first delivery of every
  // event, over both subscribers, is in publish order and nothing is missing.
  ASSERT_TRUE(on_b->ReadDistinct(1));
  const int resumed_at = on_b->first_seen().front();
  EXPECT_LE(resumed_at, static_cast<int>(before));
  const std::set<int> seen_first(first_deliveries.begin(), first_deliveries.end());
  auto first_deliveries_on_new = [&] {
    std::vector<int> out;
    for (int n : on_b->first_seen()) {
      if (seen_first.count(n) == 0) out.push_back(n);
    }
    return out;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (first_deliveries.size() + first_deliveries_on_new().size() <
             static_cast<size_t>(kEvents) &&
         absl::Now() < deadline) {
    on_b->ReadDistinct(on_b->first_seen().size() + 1, absl::Seconds(1));
  }
  for (int n : first_deliveries_on_new()) first_deliveries.push_back(n);
  ASSERT_EQ(first_deliveries.size(), static_cast<size_t>(kEvents));
  for (size_t i = 0; i < first_deliveries.size(); ++i) {
    ASSERT_EQ(first_deliveries[i], static_cast<int>(i)) << "first delivery " << i;
  }
}

TEST_F(CrossMeshWindowTest, AnUnreachableMeshDoesNotHoldBackTheOthers) {
  constexpr int kEvents = 500;
  int dead_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    dead_port = probe.local_endpoint().port();
  }
  RegisterFakeMesh("mesh-c", dead_port);
  auto a = StartMesh("mesh-a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = StartMesh("mesh-b");
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  Publish(a->get(), 0, kEvents);
  EXPECT_TRUE(on_b->ReadDistinct(kEvents)) << on_b->first_seen().size() << " of " << kEvents;
  ExpectAllInOrder(*on_b, kEvents);
  federation::ForwardStats to_c = RouteStats(a->get(), "mesh-c");
  for (int i = 0; i < 300 && to_c.failures == 0; ++i) {  // bounded wait for its first failure
    absl::SleepFor(absl::Milliseconds(100));
    to_c = RouteStats(a->get(), "mesh-c");
  }
  EXPECT_EQ(to_c.forwarded, 0);
  EXPECT_GT(to_c.failures, 0);
  EXPECT_THAT(to_c.last_error, HasSubstr("connecting"));
}

class CrossMeshTlsTest : public CrossMeshWindowTest {
 protected:
  void SetUp() override {
    CrossMeshWindowTest::SetUp();
    auto certs = eventmesh::testing::GenerateTestCertificates(testing::TestDataDir("certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
  }
  // Mesh B serves HTTPS only and requires a client certificate signed by the test CA.
  absl::StatusOr<std::unique_ptr<Server>> StartTlsMeshB() {
    return StartMesh("mesh-b", {{"eventMesh.server.useTls.enabled", "true"},
                                {"eventMesh.server.http.tls.certFile", certs_.server_cert},
                                {"eventMesh.server.http.tls.keyFile", certs_.server_key},
                                {"eventMesh.server.http.tls.clientCaFile", certs_.ca_cert}});
  }
  absl::StatusOr<std::unique_ptr<Server>> StartMeshA(const std::string& ca_file) {
    return StartMesh("mesh-a", {{"eventMesh.federation.tls.caFile", ca_file},
                                {"eventMesh.federation.tls.certFile", certs_.client_cert},
                                {"eventMesh.federation.tls.keyFile", certs_.client_key}});
  }

  eventmesh::testing::TestCertificates certs_;
};

TEST_F(CrossMeshTlsTest, ForwardingOverMutualTlsDelivers) {
  constexpr int kEvents = 300;
  auto b = StartTlsMeshB();
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  auto a = StartMeshA(certs_.ca_cert);
  ASSERT_TRUE(a.ok()) << a.status();
  Publish(a->get(), 0, kEvents);
  EXPECT_TRUE(on_b->ReadDistinct(kEvents)) << on_b->first_seen().size() << " of " << kEvents;
  ExpectAllInOrder(*on_b, kEvents);
  const federation::ForwardStats stats = RouteStatsOnce(a->get(), "mesh-b", kEvents);
  EXPECT_EQ(stats.forwarded, kEvents);
  EXPECT_EQ(stats.failures, 0) << stats.last_error;
}

TEST_F(CrossMeshTlsTest, AWrongCaIsReportedAndNothingIsLost) {
  constexpr int kEvents = 200;
  auto b = StartTlsMeshB();
  ASSERT_TRUE(b.ok()) << b.status();
  auto on_b = Subscriber::Connect((*b)->tcp_port(), "billing", "orders");
  ASSERT_TRUE(on_b);
  {
    auto a = StartMeshA(certs_.other_ca_cert);
    ASSERT_TRUE(a.ok()) << a.status();
    Publish(a->get(), 0, kEvents);
    // Bounded wait for the route's first failure.
    federation::ForwardStats stats;
    for (int i = 0; i < 300 && stats.failures == 0; ++i) {
      on_b->ReadFor(absl::Milliseconds(100));
      stats = RouteStats(a->get(), "mesh-b");
    }
    EXPECT_GT(stats.failures, 0);
    EXPECT_THAT(stats.last_error, HasSubstr("certificate verification failed"));
    EXPECT_EQ(stats.forwarded, 0);
    EXPECT_TRUE(on_b->first_seen().empty());
    (*a)->Shutdown();
  }
  // The same runtime (same store) with the right CA. Its publisher comes back (a runtime is a
  // producer of the topics its clients publish): the events it kept arrive first, in order.
  auto a = StartMeshA(certs_.ca_cert);
  ASSERT_TRUE(a.ok()) << a.status();
  Publish(a->get(), kEvents, kEvents + 1);
  EXPECT_TRUE(on_b->ReadDistinct(kEvents + 1))
      << on_b->first_seen().size() << " of " << kEvents + 1;
  ExpectAllInOrder(*on_b, kEvents + 1);
  EXPECT_EQ(on_b->duplicates(), 0);
}

TEST_F(CrossMeshTlsTest, AnUnusableCaFileStopsTheRuntimeWithTheKeyName) {
  auto a = StartMesh("mesh-a", {{"eventMesh.federation.tls.caFile", "/nonexistent/ca.pem"}});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(),
              HasSubstr("eventMesh.federation.tls.caFile \"/nonexistent/ca.pem\""));
}

}  // namespace
}  // namespace eventmesh::runtime
