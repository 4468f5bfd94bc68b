#ifndef EVENTMESH_REGISTRY_REGISTRY_SERVER_H_
#define EVENTMESH_REGISTRY_REGISTRY_SERVER_H_

// RegistryServer: the registry's HTTP/JSON API (see README.md for every endpoint) over a
// RegistryState, served by net::HttpServer, with a sweeper thread that expires leases and ends
// long polls whose wait is over.
//
// Promises: bad input gets a 4xx with {"error": "<what is wrong>"} (400 malformed JSON or
// field, 401 missing/wrong token on a write when a token is configured, 404 unknown mesh or
// instance, 405 wrong method, 413 oversize body, 429 too many waiting watches); a watch
// (GET with ?index=N) is answered as soon as the index passes N, or after waitMs with the
// unchanged snapshot; the answer of every read carries the index (body "index" and header
// X-Eventmesh-Index). GET /metrics answers the server's metrics in the Prometheus text format
// (requests by method, instances per mesh, watches, the index; see README.md).
// Thread-safe; Stop() (or the destructor) ends the server.

#include <array>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/net/http_server.h"
#include "eventmesh/registry/registry_state.h"

namespace eventmesh::registry {

struct RegistryServerOptions {
  net::HttpServerOptions http;  // address, port (default 10200 in main), threads, limits
  RegistryStateOptions state;   // state file, lease bounds, capacity
  // When not empty, PUT and DELETE need "Authorization: Bearer <token>".
  std::string token;
  // Longest wait of one watch; longer waitMs values are cut to it.
  absl::Duration max_wait = absl::Minutes(5);
  // How often leases and watch deadlines are checked.
  absl::Duration sweep_interval = absl::Milliseconds(100);
};

class RegistryServer {
 public:
  // Errors: those of RegistryState::Open and net::HttpServer::Start.
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(RegistryServerOptions options);
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  int port() const;
  // "http://<address>:<port>".
  std::string url() const;
  RegistryState& state() { return *state_; }
  // The server's metrics (what GET /metrics shows).
  const metrics::Registry& metrics() const { return metrics_; }
  // Idempotent.
  void Stop();

 private:
  class Api;
  RegistryServer() = default;
  absl::Status RegisterMetrics();

  metrics::Registry metrics_;
  // Requests by method: GET, PUT, DELETE, POST, other.
  std::array<metrics::Counter*, 5> requests_{};
  std::unique_ptr<RegistryState> state_;
  std::shared_ptr<Api> api_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_REGISTRY_SERVER_H_
