// Runtimes in the mesh registry: each registers itself with its endpoints, load and topics when
// eventMesh.registry.plugin.enabled is set, the registry's routing table follows what clients do,
// a graceful shutdown deregisters at once, and configuration mistakes stop start-up with the key.
// Runs against the registry server and against a real etcd.

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "boost/asio.hpp"
#include "eventmesh/common/metrics/testing/promtool.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/registry/client/etcd_registry.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/registry/testing/etcd_server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class RegistryE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    registry::RegistryServerOptions options;
    options.token = "t0ken";
    auto server = registry::RegistryServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    registry_server_ = *std::move(server);
    registry::HttpRegistryOptions client_options;
    client_options.addresses = {Address()};
    auto client = registry::HttpRegistry::Create(client_options);
    ASSERT_TRUE(client.ok());
    registry_ = *std::move(client);
  }
  std::string Address() const { return absl::StrCat("127.0.0.1:", registry_server_->port()); }

  std::map<std::string, std::string> Properties(const std::string& mesh, const std::string& id) {
    return {{"eventMesh.registry.plugin.enabled", "true"},
            {"eventMesh.registry.plugin.server-addr", Address()},
            {"eventMesh.registry.plugin.token", "t0ken"},
            {"eventMesh.registry.reportIntervalMs", "100"},
            {"eventMesh.registry.leaseMs", "3000"},
            {"eventMesh.registry.instanceId", id},
            {"eventMesh.server.cluster", mesh},
            {"eventMesh.server.idc", "idc1"},
            {"eventMesh.server.hostIp", "127.0.0.1"}};
  }

  absl::StatusOr<std::unique_ptr<Server>> Start(std::map<std::string, std::string> properties,
                                                const std::string& name) {
    return testing::StartTestServer(std::move(properties), testing::TestDataDir(name), connectors_);
  }

  std::vector<registry::Instance> Instances(const std::string& mesh) {
    auto listed = registry_->List(mesh);
    return listed.ok() ? listed->instances : std::vector<registry::Instance>{};
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<registry::RegistryServer> registry_server_;
  std::unique_ptr<registry::HttpRegistry> registry_;
};

TEST_F(RegistryE2eTest, RuntimesRegisterReportTopicsAndLeaveOnShutdown) {
  auto a = Start(Properties("mesh-a", "rt-a"), "a");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Start(Properties("mesh-b", "rt-b"), "b");
  ASSERT_TRUE(b.ok()) << b.status();

  auto in_a = Instances("mesh-a");
  ASSERT_EQ(in_a.size(), 1u);
  EXPECT_EQ(in_a[0].id, "rt-a");
  EXPECT_EQ(in_a[0].idc, "idc1");
  ASSERT_NE(in_a[0].FindEndpoint("tcp"), nullptr);
  EXPECT_EQ(in_a[0].FindEndpoint("tcp")->port, (*a)->tcp_port());
  EXPECT_EQ(in_a[0].FindEndpoint("tcp")->host, "127.0.0.1");
  ASSERT_NE(in_a[0].FindEndpoint("http"), nullptr);
  EXPECT_EQ(in_a[0].FindEndpoint("http")->port, (*a)->http_port());

  // A subscriber on mesh B and a publisher on mesh A: the routing table says A produces
  // "orders" and B's group "billing" wants it.
  auto subscriber = testing::TestClient::Connect((*b)->tcp_port());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_TRUE((*subscriber)->Hello("sub", "billing").ok());
  ASSERT_TRUE((*subscriber)->Subscribe("orders").ok());
  ASSERT_TRUE((*subscriber)->Listen().ok());
  auto publisher = testing::TestClient::Connect((*a)->tcp_port());
  ASSERT_TRUE(publisher.ok());
  ASSERT_TRUE((*publisher)->Hello("pub", "shop").ok());
  auto ack = (*publisher)->Publish("orders", "o-1");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->header.code, 0);

  std::vector<registry::Route> routes;
  EXPECT_TRUE(Eventually([&] {
    auto all = registry_->List("");
    if (!all.ok()) return false;
    routes = registry::RoutesOf(all->instances, "orders");
    return routes.size() == 1 && routes[0].producers == std::vector<std::string>{"mesh-a"} &&
           routes[0].consumers.size() == 1 && routes[0].consumers[0].mesh == "mesh-b" &&
           routes[0].consumers[0].groups == std::vector<std::string>{"billing"};
  })) << registry::RoutesToJson(routes);
  EXPECT_TRUE(Eventually([&] {
    auto in_b = Instances("mesh-b");
    return in_b.size() == 1 && in_b[0].load.clients == 1;
  }));

  // Graceful shutdown deregisters at once (no wait for the lease).
  (*a)->Shutdown();
  EXPECT_TRUE(Instances("mesh-a").empty());
  EXPECT_EQ(Instances("mesh-b").size(), 1u);
}

// The registry server's GET /metrics: requests, instances per mesh, watches; promtool accepts it.
TEST_F(RegistryE2eTest, MetricsShowInstancesPerMeshAndRequests) {
  auto a = Start(Properties("mesh-a", "rt-a"), "a");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(Instances("mesh-a").size(), 1u);
  auto http = net::HttpClient::Create({});
  ASSERT_TRUE(http.ok());
  net::HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat("http://", Address(), "/metrics");
  absl::Notification done;
  absl::StatusOr<net::HttpResponse> response;
  (*http)->Send(request, absl::Seconds(10), [&](absl::StatusOr<net::HttpResponse> r) {
    response = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_THAT(response->body,
              ::testing::HasSubstr("eventmesh_registry_instances{mesh=\"mesh-a\"} 1\n"));
  EXPECT_THAT(response->body,
              ::testing::HasSubstr("eventmesh_registry_requests_total{method=\"PUT\"} "));
  EXPECT_THAT(response->body, ::testing::HasSubstr("# TYPE eventmesh_registry_watches gauge"));
  const absl::Status checked = metrics::testing::PromtoolCheckMetrics(response->body);
  EXPECT_TRUE(checked.ok()) << checked;
}

TEST_F(RegistryE2eTest, MisconfigurationStopsStartUpNamingTheKey) {
  auto properties = Properties("mesh-a", "rt-a");
  properties.erase("eventMesh.registry.plugin.server-addr");
  auto no_address = Start(properties, "no-address");
  ASSERT_FALSE(no_address.ok());
  EXPECT_NE(no_address.status().message().find("eventMesh.registry.plugin.server-addr"),
            std::string::npos)
      << no_address.status();

  properties = Properties("mesh-a", "rt-a");
  properties["eventMesh.registry.plugin.token"] = "wrong";
  auto bad_token = Start(properties, "bad-token");
  ASSERT_FALSE(bad_token.ok());
  EXPECT_EQ(bad_token.status().code(), absl::StatusCode::kPermissionDenied) << bad_token.status();

  properties = Properties("mesh-a", "rt-a");
  properties["eventMesh.registry.plugin.type"] = "zookeeper";
  auto bad_type = Start(properties, "bad-type");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("eventMesh.registry.plugin.type"), std::string::npos)
      << bad_type.status();

  properties = Properties("mesh-a", "rt-a");
  properties["eventMesh.registry.plugin.sever-addr"] = Address();
  auto misspelt = Start(properties, "misspelt");
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.status().message().find("eventMesh.registry.plugin.sever-addr"),
            std::string::npos)
      << misspelt.status();
}

TEST_F(RegistryE2eTest, AnUnreachableRegistryDoesNotStopTheRuntime) {
  auto properties = Properties("mesh-a", "rt-late");
  const int port = registry_server_->port();
  registry_server_.reset();
  // The registry's port stays bound (not listening: connections are refused) while the runtime
  // starts, so that none of the runtime's own listeners can take it.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket placeholder(io);
  boost::system::error_code ec;
  placeholder.open(boost::asio::ip::tcp::v4(), ec);
  placeholder.set_option(boost::asio::socket_base::reuse_address(true), ec);
  placeholder.bind(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
                                                  static_cast<uint16_t>(port)),
                   ec);
  ASSERT_FALSE(ec) << ec.message();
  auto runtime = Start(properties, "late");
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  ASSERT_NE((*runtime)->registry_agent(), nullptr);
  EXPECT_FALSE((*runtime)->registry_agent()->stats().registered);
  placeholder.close(ec);
  registry::RegistryServerOptions options;
  options.http.port = port;
  options.token = "t0ken";
  auto server = registry::RegistryServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  registry_server_ = *std::move(server);
  EXPECT_TRUE(Eventually([&] { return Instances("mesh-a").size() == 1; }));
}

TEST(RegistryEtcdE2eTest, ARuntimeRegistersInEtcd) {
  auto etcd = registry::testing::EtcdServer::Start(testing::TestDataDir("etcd"));
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  registry::EtcdRegistryOptions options;
  options.endpoints = {(*etcd)->address()};
  auto reader = registry::EtcdRegistry::Create(options);
  ASSERT_TRUE(reader.ok());

  connectors::ConnectorRegistry connectors;
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors).ok());
  auto runtime =
      testing::StartTestServer({{"eventMesh.registry.plugin.enabled", "true"},
                                {"eventMesh.registry.plugin.type", "etcd"},
                                {"eventMesh.registry.plugin.server-addr", (*etcd)->address()},
                                {"eventMesh.registry.leaseMs", "3000"},
                                {"eventMesh.server.cluster", "mesh-e"},
                                {"eventMesh.server.hostIp", "127.0.0.1"}},
                               testing::TestDataDir(), connectors);
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto listed = (*reader)->List("mesh-e");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->instances.size(), 1u);
  EXPECT_EQ(listed->instances[0].id, absl::StrCat("127.0.0.1-", (*runtime)->tcp_port()));
  EXPECT_EQ(listed->instances[0].FindEndpoint("tcp")->port, (*runtime)->tcp_port());
  // Still there after more than a lease: the agent keeps the etcd lease alive.
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  EXPECT_EQ((*reader)->List("mesh-e")->instances.size(), 1u);
  (*runtime)->Shutdown();
  EXPECT_TRUE((*reader)->List("mesh-e")->instances.empty());
}

}  // namespace
}  // namespace eventmesh::runtime
