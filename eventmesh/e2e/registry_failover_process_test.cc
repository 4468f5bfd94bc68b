// Processes, not threads: the registry server, the store service and two runtime binaries, with
// SDK clients that find their runtime through the registry. The subscriber's runtime is
// SIGKILLed mid-stream: it vanishes from the registry when its lease runs out, the subscriber
// reconnects to the other runtime, and every event acknowledged to the publisher is delivered at
// least once.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/testing/child_process.h"
#include "eventmesh/testing/received_bodies.h"
#include "gtest/gtest.h"

namespace eventmesh {
namespace {

using eventmesh::testing::ChildProcess;
using eventmesh::testing::FreeLoopbackPort;

constexpr char kMesh[] = "mesh-k";

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/", path);
}

bool Eventually(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

using Received = eventmesh::testing::ReceivedBodies;

// True when something accepts TCP connections on 127.0.0.1:`port`.
bool AcceptsConnections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return connected;
}

class RegistryFailoverProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/failover");
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    registry_port_ = FreeLoopbackPort();
    auto registry = ChildProcess::Start(
        Runfile("eventmesh/registry/registry"),
        {absl::StrCat("--port=", registry_port_), absl::StrCat("--data_dir=", dir_, "/registry")},
        dir_ + "/registry.log");
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    store_port_ = FreeLoopbackPort();
    auto store = ChildProcess::Start(Runfile("eventmesh/store/service/store_main"),
                                     {absl::StrCat("--port=", store_port_),
                                      absl::StrCat("--data_dir=", dir_, "/store"), "--sync=none"},
                                     dir_ + "/store.log");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    // The runtimes reach the store only when a client subscribes: wait until it listens.
    ASSERT_TRUE(Eventually([&] { return AcceptsConnections(store_port_); })) << store_->LogTail();
    registry::HttpRegistryOptions options;
    options.addresses = {absl::StrCat("127.0.0.1:", registry_port_)};
    options.timeout = absl::Seconds(2);
    reader_ = std::move(registry::HttpRegistry::Create(options)).value();
  }

  std::unique_ptr<ChildProcess> StartRuntime(const std::string& id) {
    auto runtime = ChildProcess::Start(
        Runfile("eventmesh/runtime/runtime"),
        {absl::StrCat("--port=", FreeLoopbackPort()),
         absl::StrCat("--http_port=", FreeLoopbackPort()), "--admin_port=0",
         absl::StrCat("--data_dir=", dir_, "/", id), "--eventMesh.storage.plugin.type=store",
         absl::StrCat("--eventMesh.storage.store.address=127.0.0.1:", store_port_),
         "--eventMesh.storage.store.fetchWaitMs=100",
         "--eventMesh.storage.store.heartbeatIntervalMs=100",
         "--eventMesh.storage.store.commitIntervalMs=50",
         "--eventMesh.storage.store.sessionTimeoutMs=2000",
         "--eventMesh.server.delivery.ackTimeoutInMills=2000",
         "--eventMesh.server.tcp.RebalanceIntervalInMills=0",
         "--eventMesh.registry.plugin.enabled=true",
         absl::StrCat("--eventMesh.registry.plugin.server-addr=127.0.0.1:", registry_port_),
         "--eventMesh.registry.leaseMs=2000", "--eventMesh.registry.reportIntervalMs=200",
         absl::StrCat("--eventMesh.registry.instanceId=", id),
         absl::StrCat("--eventMesh.server.cluster=", kMesh), "--eventMesh.server.hostIp=127.0.0.1"},
        absl::StrCat(dir_, "/", id, ".log"));
    EXPECT_TRUE(runtime.ok()) << runtime.status();
    return runtime.ok() ? *std::move(runtime) : nullptr;
  }

  std::vector<registry::Instance> Runtimes() {
    auto listed = reader_->List(kMesh);
    return listed.ok() ? listed->instances : std::vector<registry::Instance>{};
  }

  sdk::TcpClientOptions Options(const std::string& group, sdk::ClientPurpose purpose) {
    sdk::TcpClientOptions options;
    options.group = group;
    options.purpose = purpose;
    options.reconnect_max_backoff = absl::Milliseconds(200);
    options.connect_timeout = absl::Seconds(2);
    sdk::RegistryOptions registry;
    registry.addresses = {absl::StrCat("127.0.0.1:", registry_port_)};
    registry.mesh = kMesh;
    options.registry = registry;
    return options;
  }

  std::string dir_;
  int registry_port_ = 0;
  int store_port_ = 0;
  std::unique_ptr<ChildProcess> registry_;
  std::unique_ptr<ChildProcess> store_;
  std::unique_ptr<registry::HttpRegistry> reader_;
};

TEST_F(RegistryFailoverProcessTest, SubscriberSurvivesASigkilledRuntime) {
  std::map<std::string, std::unique_ptr<ChildProcess>> runtimes;
  runtimes["r1"] = StartRuntime("r1");
  runtimes["r2"] = StartRuntime("r2");
  ASSERT_TRUE(Eventually([&] { return Runtimes().size() == 2; }))
      << runtimes["r1"]->LogTail() << runtimes["r2"]->LogTail();

  Received received;
  auto subscriber =
      sdk::EventMeshTcpClient::Connect(Options("billing", sdk::ClientPurpose::kSubscribe));
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  (*subscriber)->SetHandler([&](std::shared_ptr<sdk::Delivery> delivery) {
    received.Add(delivery->event().data());
  });
  {
    const absl::Status subscribed = (*subscriber)
                                        ->Subscribe("orders", sdk::SubscriptionMode::kClustering,
                                                    sdk::SubscriptionType::kAsync);
    ASSERT_TRUE(subscribed.ok()) << subscribed;
  }
  ASSERT_TRUE((*subscriber)->Listen().ok());
  // The subscriber's runtime is the one whose report shows a client.
  std::string victim;
  ASSERT_TRUE(Eventually([&] {
    for (const auto& in : Runtimes()) {
      if (in.load.clients == 1) victim = in.id;
    }
    return !victim.empty();
  }));
  // The publisher goes to the least loaded runtime: the other one.
  auto publisher = sdk::EventMeshTcpClient::Connect(Options("shop", sdk::ClientPurpose::kPublish));
  ASSERT_TRUE(publisher.ok()) << publisher.status();

  std::set<std::string> acked;
  auto publish = [&](const std::string& prefix, int count) {
    for (int i = 0; i < count; ++i) {
      sdk::Message message;
      message.topic = "orders";
      message.content = absl::StrCat(prefix, i);
      if ((*publisher)->Publish(message).get().ok()) acked.insert(message.content);
    }
  };
  publish("before-", 30);
  ASSERT_EQ(acked.size(), 30u);
  ASSERT_TRUE(Eventually([&] { return received.Missing(acked).empty(); }));

  runtimes[victim]->Signal(SIGKILL);
  ASSERT_EQ(runtimes[victim]->Wait(absl::Seconds(10)), 128 + SIGKILL);
  publish("after-", 30);
  EXPECT_GE(acked.size(), 50u);  // the publisher's runtime is alive: nearly all are acknowledged
  // The killed runtime leaves the registry when its lease runs out.
  EXPECT_TRUE(Eventually([&] {
    auto now = Runtimes();
    return now.size() == 1 && now[0].id != victim;
  })) << "still registered: "
      << Runtimes().size();
  // Every acknowledged event reaches the subscriber on the surviving runtime.
  std::set<std::string> missing;
  EXPECT_TRUE(Eventually(
      [&] {
        missing = received.Missing(acked);
        return missing.empty();
      },
      absl::Seconds(60)))
      << missing.size() << " of " << acked.size() << " acknowledged events missing, e.g. "
      << (missing.empty() ? "" : *missing.begin());
  EXPECT_GT((*subscriber)->stats().connects, 1u);
}

}  // namespace
}  // namespace eventmesh
