#ifndef EVENTMESH_REGISTRY_REGISTRY_H_
#define EVENTMESH_REGISTRY_REGISTRY_H_

// Registry: what a runtime and a client need from the mesh registry, whatever serves it (the
// project's registry server through HttpRegistry, or etcd through EtcdRegistry).
//
// A runtime Registers its Instance with a lease, Renews it well within the lease, Registers
// again when its report (load, topics) changed, and Deregisters on graceful shutdown; an
// instance whose lease ran out disappears. Every change advances a registry-wide index; Watch
// blocks until the index passes the one the caller saw (or the wait ends) — a long poll, so
// watchers need no polling loop. Calls block the calling thread; implementations are
// thread-safe.
// Errors: InvalidArgument (bad instance, naming the field), NotFound (Renew/Deregister of an
// instance the registry does not hold, e.g. after its lease expired), PermissionDenied (token
// refused), Unavailable (the registry cannot be reached), DeadlineExceeded.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "eventmesh/registry/model.h"

namespace eventmesh::registry {

// A consistent view: the instances and the index it reflects.
struct Snapshot {
  uint64_t index = 0;
  std::vector<Instance> instances;
};

class Registry {
 public:
  virtual ~Registry() = default;

  // Creates or replaces the record of (instance.mesh, instance.id) and starts its lease.
  // Returns the lease length granted (ttl clamped to the registry's bounds).
  virtual absl::StatusOr<absl::Duration> Register(const Instance& instance, absl::Duration ttl) = 0;
  // Restarts the lease. NotFound when the registry no longer holds the instance.
  virtual absl::Status Renew(absl::string_view mesh, absl::string_view id) = 0;
  virtual absl::Status Deregister(absl::string_view mesh, absl::string_view id) = 0;
  // The instances of `mesh` ("" = every mesh).
  virtual absl::StatusOr<Snapshot> List(absl::string_view mesh) = 0;
  // Like List, once the index is above `after_index` or `wait` has passed (then the snapshot
  // may be unchanged).
  virtual absl::StatusOr<Snapshot> Watch(absl::string_view mesh, uint64_t after_index,
                                         absl::Duration wait) = 0;
  // Ends the calls in progress promptly (a Watch does not wait out its long poll; they return
  // an error, Unavailable or Cancelled) and makes later calls fail the same way: for a watcher
  // that must stop at once. Idempotent; any thread. The default does nothing (calls then end
  // within their own bounds).
  virtual void Shutdown() {}
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_REGISTRY_H_
