#ifndef EVENTMESH_REGISTRY_CLIENT_REGISTRY_FACTORY_H_
#define EVENTMESH_REGISTRY_CLIENT_REGISTRY_FACTORY_H_

// The Registry a runtime or client configured: "eventmesh" = the registry server
// (HttpRegistry), "etcd" = an etcd cluster through its v3 JSON gateway (EtcdRegistry).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::registry {

struct RegistryClientConfig {
  std::string type = "eventmesh";      // "eventmesh" or "etcd"
  std::vector<std::string> addresses;  // host:port of each server / etcd member
  std::string token;                   // registry server only
  absl::Duration timeout = absl::Seconds(5);
  // Registry server over https:// addresses (see HttpRegistryOptions).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Errors: InvalidArgument (unknown type, no address, malformed address).
absl::StatusOr<std::unique_ptr<Registry>> NewRegistryClient(const RegistryClientConfig& config);

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_CLIENT_REGISTRY_FACTORY_H_
