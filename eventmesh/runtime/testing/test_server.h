// Test helpers that start an in-process runtime::Server (and, for multi-runtime tests, an
// in-process store service) on free loopback ports with small test timings.
// Nothing here asserts: failures come back as a Status for the test to check.

#ifndef EVENTMESH_RUNTIME_TESTING_TEST_SERVER_H_
#define EVENTMESH_RUNTIME_TESTING_TEST_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"

namespace eventmesh::runtime::testing {

// TEST_TMPDIR/<name of the running gtest test><suffix>. The directory is not created.
std::string TestDataDir(const std::string& suffix = "");

// Builds a config from `properties` and starts a Server with `registry` and `options`.
// Adds, unless `properties` already has them: TCP, HTTP and admin port 0, eventMesh.server.dataDir
// = `data_dir`, 2 TCP and 2 HTTP worker threads, and when the storage plugin is the embedded one
// (the default) its syncMode none, fetchWaitMs 100, commitIntervalMs 50, heartbeatIntervalMs 100.
// Errors: those of BuildConfig, Server::Create and Server::Start.
absl::StatusOr<std::unique_ptr<Server>> StartTestServer(
    std::map<std::string, std::string> properties, const std::string& data_dir,
    const connectors::ConnectorRegistry& registry, ServerOptions options = {});

// A store service in this process: a RocksDbEventStore (sync mode none) under a directory and a
// store::service::StoreServer for it on 127.0.0.1, port 0. The destructor stops the server,
// then closes the engine. Not thread-safe itself; engine() and the server are.
class TestStoreService {
 public:
  // Errors: those of RocksDbEventStore::Open and StoreServer::Start.
  static absl::StatusOr<std::unique_ptr<TestStoreService>> Start(const std::string& path);
  ~TestStoreService();

  store::RocksDbEventStore* engine() { return engine_.get(); }
  // "127.0.0.1:<port>", the value for eventMesh.storage.store.address.
  std::string address() const;
  // Adds the keys of a runtime on this store ("store" connector, this address, test timings:
  // fetchWaitMs 100, commitIntervalMs 50, heartbeatIntervalMs 100, sessionTimeoutMs 5000,
  // reconnectMaxBackoffMs 200); keys already in `properties` are kept.
  void AddRuntimeProperties(std::map<std::string, std::string>* properties) const;

  // Stops the server (an outage); the engine stays open. Idempotent.
  void StopServer();
  // Starts the server again on the port it had. Errors: those of StoreServer::Start.
  absl::Status RestartServer();

 private:
  TestStoreService() = default;

  std::unique_ptr<store::RocksDbEventStore> engine_;
  std::unique_ptr<store::service::StoreServer> server_;
  uint16_t port_ = 0;
};

}  // namespace eventmesh::runtime::testing

#endif  // EVENTMESH_RUNTIME_TESTING_TEST_SERVER_H_
