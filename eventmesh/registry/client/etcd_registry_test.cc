// EtcdRegistry against a real etcd (Debian's etcd-server) started on free loopback ports: the
// same Registry contract as the registry server, plus etcd-specific cases.
#include "eventmesh/registry/client/etcd_registry.h"

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "eventmesh/registry/testing/registry_contract.h"
#include "eventmesh/testing/child_process.h"
#include "gtest/gtest.h"

namespace eventmesh::registry {
namespace {

class EtcdBackend : public testing::Backend {
 public:
  EtcdBackend() {
    static int n = 0;
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = absl::StrCat(tmp ? tmp : "/tmp", "/etcd-", getpid(), "-", n++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    client_port_ = eventmesh::testing::FreeLoopbackPort();
    const int peer_port = eventmesh::testing::FreeLoopbackPort();
    const std::string client_url = absl::StrCat("http://127.0.0.1:", client_port_);
    const std::string peer_url = absl::StrCat("http://127.0.0.1:", peer_port);
    auto etcd = eventmesh::testing::ChildProcess::Start(
        "etcd",
        {"--name=t", absl::StrCat("--data-dir=", dir_, "/data"),
         absl::StrCat("--listen-client-urls=", client_url),
         absl::StrCat("--advertise-client-urls=", client_url),
         absl::StrCat("--listen-peer-urls=", peer_url),
         absl::StrCat("--initial-advertise-peer-urls=", peer_url),
         absl::StrCat("--initial-cluster=t=", peer_url), "--log-level=warn"},
        dir_ + "/etcd.log");
    EXPECT_TRUE(etcd.ok()) << etcd.status();
    if (!etcd.ok()) return;
    etcd_ = *std::move(etcd);
    // Ready once a range answers.
    auto probe = NewClient();
    for (int i = 0; i < 200; ++i) {
      if (probe != nullptr && probe->List("").ok()) {
        ready_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(ready_) << "etcd did not start: " << etcd_->LogTail();
  }
  ~EtcdBackend() override {
    etcd_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<Registry> NewClient() override {
    EtcdRegistryOptions options;
    options.endpoints = {absl::StrCat("127.0.0.1:", client_port_)};
    options.timeout = absl::Seconds(3);
    auto client = EtcdRegistry::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::unique_ptr<Registry>(*std::move(client)) : nullptr;
  }

 private:
  std::string dir_;
  int client_port_ = 0;
  std::unique_ptr<eventmesh::testing::ChildProcess> etcd_;
  bool ready_ = false;
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
