#include "eventmesh/runtime/testing/test_server.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/runtime/config.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::testing {

std::string TestDataDir(const std::string& suffix) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", test != nullptr ? test->name() : "test",
                      suffix);
}

absl::StatusOr<std::unique_ptr<Server>> StartTestServer(
    std::map<std::string, std::string> properties, const std::string& data_dir,
    const connectors::ConnectorRegistry& registry, ServerOptions options) {
  properties.emplace("eventMesh.server.tcp.port", "0");
  properties.emplace("eventMesh.server.http.port", "0");
  properties.emplace("eventMesh.server.grpc.port", "0");
  // Tests run in parallel: never the fixed admin port 10106 (also when the TCP port is fixed).
  properties.emplace("eventMesh.server.admin.http.port", "0");
  properties.emplace("eventMesh.server.dataDir", data_dir);
  properties.emplace("eventMesh.server.tcp.workerThreads", "2");
  properties.emplace("eventMesh.server.http.workerThreads", "2");
  auto plugin = properties.find("eventMesh.storage.plugin.type");
  if (plugin == properties.end() || plugin->second == "embedded" ||
      plugin->second == "standalone") {
    properties.emplace("eventMesh.storage.embedded.syncMode", "none");
    properties.emplace("eventMesh.storage.embedded.fetchWaitMs", "100");
    properties.emplace("eventMesh.storage.embedded.commitIntervalMs", "50");
    properties.emplace("eventMesh.storage.embedded.heartbeatIntervalMs", "100");
  }
  auto config = BuildConfig(properties);
  if (!config.ok()) return config.status();
  auto server = Server::Create(*config, registry, std::move(options));
  if (!server.ok()) return server.status();
  absl::Status started = (*server)->Start();
  if (!started.ok()) {
    (*server)->Shutdown();
    return started;
  }
  return server;
}

absl::StatusOr<std::unique_ptr<TestStoreService>> TestStoreService::Start(const std::string& path) {
  std::unique_ptr<TestStoreService> service(new TestStoreService());
  store::StoreOptions options;
  options.path = path;
  options.sync_mode = store::SyncMode::kNone;
  auto engine = store::RocksDbEventStore::Open(options);
  if (!engine.ok()) return engine.status();
  service->engine_ = std::move(*engine);
  absl::Status started = service->RestartServer();
  if (!started.ok()) return started;
  return service;
}

TestStoreService::~TestStoreService() {
  StopServer();
  engine_.reset();
}

void TestStoreService::AddRuntimeProperties(std::map<std::string, std::string>* properties) const {
  properties->emplace("eventMesh.storage.plugin.type", "store");
  properties->emplace("eventMesh.storage.store.address", address());
  properties->emplace("eventMesh.storage.store.fetchWaitMs", "100");
  properties->emplace("eventMesh.storage.store.commitIntervalMs", "50");
  properties->emplace("eventMesh.storage.store.heartbeatIntervalMs", "100");
  properties->emplace("eventMesh.storage.store.sessionTimeoutMs", "5000");
  properties->emplace("eventMesh.storage.store.reconnectMaxBackoffMs", "200");
}

std::string TestStoreService::address() const { return absl::StrCat("127.0.0.1:", port_); }

void TestStoreService::StopServer() {
  if (server_) server_->Stop();
  server_.reset();
}

absl::Status TestStoreService::RestartServer() {
  StopServer();
  store::service::StoreServerOptions options;
  options.port = port_;  // 0 the first time: an ephemeral port
  options.io_threads = 1;
  options.executor_threads = 8;
  auto server = store::service::StoreServer::Start(engine_.get(), options);
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  port_ = server_->port();
  return absl::OkStatus();
}

}  // namespace eventmesh::runtime::testing
