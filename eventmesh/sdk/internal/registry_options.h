#ifndef EVENTMESH_SDK_INTERNAL_REGISTRY_OPTIONS_H_
#define EVENTMESH_SDK_INTERNAL_REGISTRY_OPTIONS_H_

// Where a client finds its runtimes when it is not given a fixed address: the mesh registry
// (the project's registry server, or etcd) that runtimes register themselves in. A value type;
// plain SDK fields (no registry or protocol types), shared by the TCP and HTTP clients.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace eventmesh::sdk {

struct RegistryOptions {
  // "eventmesh" (the registry server, //eventmesh/registry) or "etcd" (an etcd cluster through
  // its v3 JSON gateway). Default "eventmesh".
  std::string type = "eventmesh";
  // host:port of each registry server / etcd member; at least one.
  std::vector<std::string> addresses;
  // Bearer token of the registry server (reads need none; empty = none sent). Unused by etcd.
  std::string token;
  // The mesh to join: the runtimes' eventMesh.server.cluster. Required.
  std::string mesh;
  // The client's data center: runtimes in it are preferred. Empty = no preference.
  std::string idc;
  // How long one registry call may take. Default 5 s.
  absl::Duration timeout = absl::Seconds(5);
  // For https:// registry addresses: CAs trusted for the servers' certificates ("" = the
  // system's).
  std::string ca_file;

  // Keep a live view of the mesh's runtimes: a long poll on the registry's change index, on a
  // thread of the client's own (see tcp_client.h "Registry"). Default on.
  bool watch = true;
  // How long one long poll waits for a change before it is asked again. Default 30 s.
  absl::Duration watch_wait = absl::Seconds(30);
  // Delay after a failed watch: doubles from 100 ms up to this. Default 5 s.
  absl::Duration watch_max_backoff = absl::Seconds(5);

  // Errors (InvalidArgument), naming the field with `prefix` (e.g. "registry."):
  // "registry.type must be eventmesh or etcd, got 'x'", "registry.addresses is required",
  // "registry.mesh is required", "registry.timeout must be positive",
  // "registry.watch_wait must be positive", "registry.watch_max_backoff must be positive".
  absl::Status Validate(const std::string& prefix = "registry.") const;
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_INTERNAL_REGISTRY_OPTIONS_H_
