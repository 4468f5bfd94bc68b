#ifndef EVENTMESH_REGISTRY_CLIENT_HTTP_REGISTRY_H_
#define EVENTMESH_REGISTRY_CLIENT_HTTP_REGISTRY_H_

// HttpRegistry: the Registry interface over the registry server's HTTP/JSON API
// (//eventmesh/registry). Several server addresses may be given; a call that cannot reach one
// (Unavailable) tries the next, so a client outlives one registry restart.
// Thread-safe; calls block the calling thread (at most `timeout`, plus the wait of a Watch).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/registry/client/blocking_calls.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::registry {

struct HttpRegistryOptions {
  // Registry servers as "host:port" (or full http:// URLs); at least one.
  std::vector<std::string> addresses;
  // Sent as "Authorization: Bearer <token>" when not empty.
  std::string token;
  // Deadline of one request (a Watch gets its wait on top).
  absl::Duration timeout = absl::Seconds(5);
  // For https:// addresses: CAs trusted for the servers' certificates ("" = the system's), and a
  // client certificate for servers that require one.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class HttpRegistry : public Registry {
 public:
  // Errors: InvalidArgument (no address, malformed address).
  static absl::StatusOr<std::unique_ptr<HttpRegistry>> Create(HttpRegistryOptions options);
  ~HttpRegistry() override;

  absl::StatusOr<absl::Duration> Register(const Instance& instance, absl::Duration ttl) override;
  absl::Status Renew(absl::string_view mesh, absl::string_view id) override;
  absl::Status Deregister(absl::string_view mesh, absl::string_view id) override;
  absl::StatusOr<Snapshot> List(absl::string_view mesh) override;
  absl::StatusOr<Snapshot> Watch(absl::string_view mesh, uint64_t after_index,
                                 absl::Duration wait) override;
  // Aborts the requests in flight (Unavailable) and refuses later ones.
  void Shutdown() override;

 private:
  HttpRegistry(HttpRegistryOptions options, std::vector<std::string> bases,
               std::unique_ptr<net::HttpClient> http);
  // One request, trying each base URL in turn while the answer is Unavailable. A non-2xx
  // answer becomes the status its code means, with the server's "error" text.
  absl::StatusOr<net::HttpResponse> Call(const std::string& method, const std::string& path,
                                         std::string body, absl::Duration extra_wait);
  absl::StatusOr<Snapshot> ReadInstances(const std::string& path, absl::Duration wait);

  const HttpRegistryOptions options_;
  const std::vector<std::string> bases_;  // "http://host:port"
  std::unique_ptr<net::HttpClient> http_;
  BlockingCalls calls_{http_.get()};
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_CLIENT_HTTP_REGISTRY_H_
