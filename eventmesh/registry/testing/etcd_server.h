#ifndef EVENTMESH_REGISTRY_TESTING_ETCD_SERVER_H_
#define EVENTMESH_REGISTRY_TESTING_ETCD_SERVER_H_

// A real etcd (Debian's etcd-server) for tests: one member on free loopback ports, its data under
// a given directory, ready (a range answers) when Start returns; killed when destroyed.
// Test-only. Not thread-safe.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/testing/child_process.h"

namespace eventmesh::registry::testing {

class EtcdServer {
 public:
  // Errors: NotFound (no etcd program), Unavailable (did not answer within 10 s, with the tail
  // of its log).
  static absl::StatusOr<std::unique_ptr<EtcdServer>> Start(const std::string& dir);

  // "127.0.0.1:<client port>": an EtcdRegistry endpoint / eventMesh.registry.plugin.server-addr.
  std::string address() const;
  std::string LogTail() const { return process_->LogTail(); }

 private:
  EtcdServer(std::unique_ptr<eventmesh::testing::ChildProcess> process, int client_port)
      : process_(std::move(process)), client_port_(client_port) {}
  std::unique_ptr<eventmesh::testing::ChildProcess> process_;
  int client_port_;
};

}  // namespace eventmesh::registry::testing

#endif  // EVENTMESH_REGISTRY_TESTING_ETCD_SERVER_H_
