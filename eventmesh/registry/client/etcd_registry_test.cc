// EtcdRegistry against a real etcd (Debian's etcd-server) started on free loopback ports: the
// same Registry contract as the registry server, plus etcd-specific cases.
#include "eventmesh/registry/client/etcd_registry.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "eventmesh/registry/testing/etcd_server.h"
#include "eventmesh/registry/testing/registry_contract.h"
#include "gtest/gtest.h"

namespace eventmesh::registry {
namespace {

class EtcdBackend : public testing::Backend {
 public:
  EtcdBackend() {
    static int n = 0;
    const char* tmp = std::getenv("TEST_TMPDIR");
    auto etcd =
        testing::EtcdServer::Start(absl::StrCat(tmp ? tmp : "/tmp", "/etcd-", getpid(), "-", n++));
    EXPECT_TRUE(etcd.ok()) << etcd.status();
    if (etcd.ok()) etcd_ = *std::move(etcd);
  }
  std::unique_ptr<Registry> NewClient() override {
    if (etcd_ == nullptr) return nullptr;
    EtcdRegistryOptions options;
    options.endpoints = {etcd_->address()};
    options.timeout = absl::Seconds(3);
    auto client = EtcdRegistry::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::unique_ptr<Registry>(*std::move(client)) : nullptr;
  }

 private:
  std::unique_ptr<testing::EtcdServer> etcd_;
};

using testing::RegistryContractTest;
INSTANTIATE_TEST_SUITE_P(Etcd, RegistryContractTest, ::testing::Values(testing::BackendFactory([] {
                           return std::make_unique<EtcdBackend>();
                         })));

TEST(EtcdRegistryTest, BadEndpointsAreRefused) {
  EtcdRegistryOptions options;
  EXPECT_EQ(EtcdRegistry::Create(options).status().message(),
            "at least one etcd endpoint is required");
  options.endpoints = {"https://127.0.0.1:2379"};
  EXPECT_EQ(EtcdRegistry::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EtcdRegistryTest, UnreachableEtcdIsUnavailable) {
  EtcdRegistryOptions options;
  options.endpoints = {"127.0.0.1:1"};
  options.timeout = absl::Seconds(2);
  auto client = EtcdRegistry::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->List("m").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace eventmesh::registry
