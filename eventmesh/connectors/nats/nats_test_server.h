#ifndef EVENTMESH_CONNECTORS_NATS_NATS_TEST_SERVER_H_
#define EVENTMESH_CONNECTORS_NATS_NATS_TEST_SERVER_H_

// A real nats-server with JetStream for tests: `nats-server -js -a 127.0.0.1 -p <free port>
// -sd <dir>` as a child process, waited for until its log says it is ready. Stop() kills it
// (SIGKILL, an outage); Start() again runs it on the same port over the same store directory.
// The destructor kills it. Test-only; not thread-safe.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/testing/child_process.h"

namespace eventmesh::connectors::testing {

class NatsTestServer {
 public:
  // Starts a server storing under `dir` (created by nats-server). Errors: NotFound (no
  // nats-server installed), DeadlineExceeded (not ready within 20 s; the message has its log).
  static absl::StatusOr<std::unique_ptr<NatsTestServer>> Start(const std::string& dir);

  // nats://127.0.0.1:<port>
  std::string url() const;
  int port() const { return port_; }
  // Kills the server (SIGKILL) and reaps it. Idempotent.
  void Stop();
  // Starts it again on the same port and directory and waits until it is ready.
  absl::Status Start();

 private:
  NatsTestServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}

  std::string dir_;
  int port_;
  int starts_ = 0;
  std::unique_ptr<eventmesh::testing::ChildProcess> process_;
};

}  // namespace eventmesh::connectors::testing

#endif  // EVENTMESH_CONNECTORS_NATS_NATS_TEST_SERVER_H_
