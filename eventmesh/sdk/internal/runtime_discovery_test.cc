#include "eventmesh/sdk/internal/runtime_discovery.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::internal {
namespace {

registry::Instance Runtime(const std::string& id, const std::string& idc, int64_t clients,
                           int tcp_port, int http_port = 0) {
  registry::Instance instance;
  instance.mesh = "m";
  instance.id = id;
  instance.idc = idc;
  instance.load.clients = clients;
  if (tcp_port > 0) instance.endpoints.push_back({"tcp", "127.0.0.1", tcp_port});
  if (http_port > 0) instance.endpoints.push_back({"http", "127.0.0.1", http_port});
  return instance;
}

std::vector<int> Ports(const std::vector<RuntimeAddress>& addresses) {
  std::vector<int> ports;
  for (const auto& address : addresses) ports.push_back(address.port);
  return ports;
}

TEST(OrderEndpointsTest, OwnIdcFirstThenFewestClientsThenId) {
  std::vector<registry::Instance> instances = {
      Runtime("a", "idc1", 0, 1001), Runtime("b", "idc2", 5, 1002), Runtime("c", "idc2", 1, 1003),
      Runtime("d", "idc1", 0, 1004)};
  EXPECT_EQ(Ports(OrderEndpoints(instances, "idc2", "tcp")),
            (std::vector<int>{1003, 1002, 1001, 1004}));
  EXPECT_EQ(Ports(OrderEndpoints(instances, "", "tcp")),
            (std::vector<int>{1001, 1004, 1003, 1002}));
  auto ordered = OrderEndpoints(instances, "idc2", "tcp");
  EXPECT_EQ(ordered[0].instance_id, "c");
  EXPECT_EQ(ordered[0].idc, "idc2");
  EXPECT_EQ(ordered[0].ToString(), "127.0.0.1:1003");
}

TEST(OrderEndpointsTest, OnlyInstancesWithTheProtocol) {
  std::vector<registry::Instance> instances = {Runtime("a", "", 0, 1001),
                                               Runtime("b", "", 0, 0, 2002)};
  EXPECT_EQ(Ports(OrderEndpoints(instances, "", "tcp")), (std::vector<int>{1001}));
  EXPECT_EQ(Ports(OrderEndpoints(instances, "", "http")), (std::vector<int>{2002}));
}

TEST(OrderEndpointsTest, TheAvoidedRuntimeGoesLastWhenOthersExist) {
  std::vector<registry::Instance> instances = {Runtime("a", "", 0, 1001),
                                               Runtime("b", "", 3, 1002)};
  EXPECT_EQ(Ports(OrderEndpoints(instances, "", "tcp", "127.0.0.1:1001")),
            (std::vector<int>{1002, 1001}));
  EXPECT_EQ(Ports(OrderEndpoints({Runtime("a", "", 0, 1001)}, "", "tcp", "127.0.0.1:1001")),
            (std::vector<int>{1001}));
}

// A registry answering List from a fixed result.
class FixedRegistry : public registry::Registry {
 public:
  explicit FixedRegistry(absl::StatusOr<registry::Snapshot> result) : result_(std::move(result)) {}
  absl::StatusOr<absl::Duration> Register(const registry::Instance&, absl::Duration) override {
    return absl::UnimplementedError("read only");
  }
  absl::Status Renew(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("read only");
  }
  absl::Status Deregister(absl::string_view, absl::string_view) override {
    return absl::UnimplementedError("read only");
  }
  absl::StatusOr<registry::Snapshot> List(absl::string_view mesh) override {
    last_mesh = std::string(mesh);
    return result_;
  }
  absl::StatusOr<registry::Snapshot> Watch(absl::string_view mesh, uint64_t,
                                           absl::Duration) override {
    return List(mesh);
  }
  std::string last_mesh;

 private:
  absl::StatusOr<registry::Snapshot> result_;
};

RegistryOptions Options() {
  RegistryOptions options;
  options.addresses = {"127.0.0.1:1"};
  options.mesh = "orders-mesh";
  options.idc = "idc2";
  return options;
}

TEST(RuntimeDiscoveryTest, FindListsTheMeshInClientOrder) {
  registry::Snapshot snapshot;
  snapshot.instances = {Runtime("a", "idc1", 0, 1001), Runtime("b", "idc2", 9, 1002)};
  auto fixed = std::make_unique<FixedRegistry>(snapshot);
  FixedRegistry* registry = fixed.get();
  RuntimeDiscovery discovery(Options(), std::move(fixed));
  auto found = discovery.Find("tcp");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(Ports(*found), (std::vector<int>{1002, 1001}));
  EXPECT_EQ(registry->last_mesh, "orders-mesh");
}

TEST(RuntimeDiscoveryTest, NoRuntimeNamesTheMeshAndProtocol) {
  registry::Snapshot snapshot;
  snapshot.instances = {Runtime("b", "", 0, 0, 2002)};
  RuntimeDiscovery discovery(Options(), std::make_unique<FixedRegistry>(snapshot));
  EXPECT_EQ(discovery.Find("tcp").status(),
            absl::UnavailableError(
                "no runtime of mesh \"orders-mesh\" with a tcp endpoint is registered"));
  RuntimeDiscovery unknown(Options(),
                           std::make_unique<FixedRegistry>(absl::NotFoundError("no mesh")));
  EXPECT_EQ(unknown.Find("tcp").status().code(), absl::StatusCode::kUnavailable);
}

TEST(RuntimeDiscoveryTest, RegistryErrorsKeepTheirCodeAndNameTheMesh) {
  RuntimeDiscovery discovery(
      Options(), std::make_unique<FixedRegistry>(absl::UnavailableError("connection refused")));
  EXPECT_EQ(discovery.Find("tcp").status(),
            absl::UnavailableError("registry lookup for mesh \"orders-mesh\": connection refused"));
}

TEST(RegistryOptionsTest, ErrorsNameTheField) {
  RegistryOptions options = Options();
  EXPECT_TRUE(options.Validate().ok());
  options.type = "zookeeper";
  EXPECT_EQ(options.Validate(),
            absl::InvalidArgumentError("registry.type must be eventmesh or etcd, got 'zookeeper'"));
  options = Options();
  options.addresses.clear();
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("registry.addresses is required"));
  options = Options();
  options.mesh = "";
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("registry.mesh is required"));
  options = Options();
  options.timeout = absl::ZeroDuration();
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("registry.timeout must be positive"));
  options = Options();
  options.watch_wait = absl::ZeroDuration();
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("registry.watch_wait must be positive"));
  options = Options();
  options.watch_max_backoff = -absl::Seconds(1);
  EXPECT_EQ(options.Validate(),
            absl::InvalidArgumentError("registry.watch_max_backoff must be positive"));
}

}  // namespace
}  // namespace eventmesh::sdk::internal
