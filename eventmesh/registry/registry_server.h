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
// X-Eventmesh-Index). Thread-safe; Stop() (or the destructor) ends the server.

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
  // Idempotent.
  void Stop();

 private:
  class Api;
  RegistryServer() = default;

  std::unique_ptr<RegistryState> state_;
  std::shared_ptr<Api> api_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_REGISTRY_SERVER_H_
