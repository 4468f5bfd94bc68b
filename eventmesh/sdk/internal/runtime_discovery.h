#ifndef EVENTMESH_SDK_INTERNAL_RUNTIME_DISCOVERY_H_
#define EVENTMESH_SDK_INTERNAL_RUNTIME_DISCOVERY_H_

// RuntimeDiscovery: the runtimes a client may connect to, asked of the mesh registry. Find()
// lists the runtimes of the configured mesh (Registry::List) and returns the addresses of their
// endpoints for one protocol in the order a client should try them (registry::OrderForClient:
// the client's IDC first, then fewest clients, then by id).
//
// Threading: Find() blocks on the registry (up to RegistryOptions::timeout per registry
// server tried); never call it on a client's io thread. Thread-safe.
// Errors of Find(): Unavailable "no runtime of mesh \"m\" with a tcp endpoint is registered",
// and the registry client's errors with "registry lookup for mesh \"m\": " in front
// (Unavailable, DeadlineExceeded, PermissionDenied, ...).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/registry/model.h"
#include "eventmesh/registry/registry.h"
#include "eventmesh/sdk/internal/registry_options.h"

namespace eventmesh::sdk::internal {

// One endpoint of a registered runtime.
struct RuntimeAddress {
  std::string host;
  int port = 0;
  std::string instance_id;
  std::string idc;

  std::string ToString() const;  // "host:port"
  bool operator==(const RuntimeAddress& o) const {
    return host == o.host && port == o.port && instance_id == o.instance_id && idc == o.idc;
  }
};

// The `protocol` endpoints of `instances` in OrderForClient(instances, idc) order; instances
// without one are left out. The endpoint equal to `avoid` ("host:port", e.g. the runtime just
// lost) goes last when there are others. Pure.
std::vector<RuntimeAddress> OrderEndpoints(std::vector<registry::Instance> instances,
                                           absl::string_view idc, absl::string_view protocol,
                                           absl::string_view avoid = "");

class RuntimeDiscovery {
 public:
  // REQUIRES: options.Validate() is OK. Errors: those of registry::NewRegistryClient
  // (InvalidArgument for a malformed address).
  static absl::StatusOr<std::unique_ptr<RuntimeDiscovery>> Create(const RegistryOptions& options);
  // For tests: a given registry client.
  RuntimeDiscovery(const RegistryOptions& options, std::unique_ptr<registry::Registry> registry);

  // Blocks. Never empty on success.
  absl::StatusOr<std::vector<RuntimeAddress>> Find(absl::string_view protocol,
                                                   absl::string_view avoid = "");

  const std::string& mesh() const { return mesh_; }

 private:
  const std::string mesh_;
  const std::string idc_;
  const std::unique_ptr<registry::Registry> registry_;
};

}  // namespace eventmesh::sdk::internal

#endif  // EVENTMESH_SDK_INTERNAL_RUNTIME_DISCOVERY_H_
