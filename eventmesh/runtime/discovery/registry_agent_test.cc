// The agent against a real registry server on loopback (through HttpRegistry).
#include "eventmesh/runtime/discovery/registry_agent.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::discovery {
namespace {

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 300; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class RegistryAgentTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(0); }
  void StartServer(int port) {
    registry::RegistryServerOptions options;
    options.http.port = port;
    auto server = registry::RegistryServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    if (client_ == nullptr) {
      registry::HttpRegistryOptions client_options;
      client_options.addresses = {absl::StrCat("127.0.0.1:", server_->port())};
      client_options.timeout = absl::Seconds(2);
      auto client = registry::HttpRegistry::Create(client_options);
      ASSERT_TRUE(client.ok());
      client_ = *std::move(client);
    }
  }
  RegistryAgentOptions Options() {
    RegistryAgentOptions options;
    options.identity.mesh = "mesh-a";
    options.identity.id = "rt-1";
    options.identity.idc = "idc1";
    options.identity.endpoints = {{"tcp", "127.0.0.1", 10000}};
    options.lease = absl::Milliseconds(1500);
    options.report_interval = absl::Milliseconds(100);
    return options;
  }
  std::vector<registry::Instance> Listed() {
    auto listed = client_->List("mesh-a");
    return listed.ok() ? listed->instances : std::vector<registry::Instance>{};
  }

  std::unique_ptr<registry::RegistryServer> server_;
  std::unique_ptr<registry::HttpRegistry> client_;
};

TEST_F(RegistryAgentTest, RegistersReportsChangesStaysAliveAndDeregisters) {
  absl::Mutex mu;
  RuntimeReport report;
  report.load.clients = 1;
  auto agent = RegistryAgent::Start(client_.get(), Options(), [&] {
    absl::MutexLock lock(&mu);
    return report;
  });
  ASSERT_TRUE(agent.ok()) << agent.status();
  auto listed = Listed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].load.clients, 1);
  {
    absl::MutexLock lock(&mu);
    report.load.clients = 5;
    report.topics = {{"orders", "sub", "billing"}};
  }
  EXPECT_TRUE(Eventually([&] {
    auto now = Listed();
    return now.size() == 1 && now[0].load.clients == 5 && now[0].topics.size() == 1;
  }));
  // Several lease lengths later it is still there: renewals keep it.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(Listed().size(), 1u);
  EXPECT_GT((*agent)->stats().renewals, 0u);
  (*agent)->Stop();
  EXPECT_TRUE(Listed().empty());
}

TEST_F(RegistryAgentTest, RegistersAgainAfterTheRegistryLostIt) {
  auto agent = RegistryAgent::Start(client_.get(), Options(), nullptr);
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_EQ(Listed().size(), 1u);
  // A registry restarted without its state on the same port.
  const int port = server_->port();
  server_.reset();
  StartServer(port);
  EXPECT_TRUE(Listed().empty());
  EXPECT_TRUE(Eventually([&] { return Listed().size() == 1; }));
}

TEST_F(RegistryAgentTest, ABadIdentityIsRefusedAtStart) {
  RegistryAgentOptions options = Options();
  options.identity.endpoints[0].port = 0;
  auto agent = RegistryAgent::Start(client_.get(), options, nullptr);
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryAgentTest, AnUnreachableRegistryIsRetriedInTheBackground) {
  const int port = server_->port();
  server_.reset();
  auto agent = RegistryAgent::Start(client_.get(), Options(), nullptr);
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_FALSE((*agent)->stats().registered);
  StartServer(port);
  EXPECT_TRUE(Eventually([&] { return Listed().size() == 1; }));
}

}  // namespace
}  // namespace eventmesh::runtime::discovery
