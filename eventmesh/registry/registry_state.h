#ifndef EVENTMESH_REGISTRY_REGISTRY_STATE_H_
#define EVENTMESH_REGISTRY_REGISTRY_STATE_H_

// RegistryState: the registry server's state — instances with leases, the change index, the
// watchers waiting for a change — kept in memory and persisted to one file on local disk.
//
// Promises:
//   * Every change (a new or different record, a removal, a lease running out) advances the
//     index by one and wakes every watcher whose index it passes.
//   * A Put that repeats the same report only renews the lease (no index change, no write).
//   * After each change the state is written to `state_file` (write to a temporary file, fsync,
//     rename), so a restarted registry has every instance and a larger index than any watcher
//     saw. Leases are not trusted across a restart: each loaded instance gets a fresh lease of
//     its own length from the moment of loading, and disappears unless renewed within it.
//   * Bounded: at most max_instances records (ResourceExhausted beyond) and max_watchers
//     waiting watchers.
// Thread-safe. Time comes from the caller (`now`), so tests control leases.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/registry/model.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::registry {

struct RegistryStateOptions {
  std::string state_file;  // "" = memory only
  absl::Duration default_ttl = absl::Seconds(30);
  absl::Duration min_ttl = absl::Milliseconds(500);
  absl::Duration max_ttl = absl::Minutes(5);
  size_t max_instances = 10'000;
  size_t max_watchers = 10'000;
};

class RegistryState {
 public:
  // Loads state_file when it exists. Errors: InvalidArgument (bad options, unreadable or
  // corrupt state file, naming it).
  static absl::StatusOr<std::unique_ptr<RegistryState>> Open(RegistryStateOptions options,
                                                             absl::Time now);

  // Validates and stores `instance` with a lease of `ttl` (0 = default; clamped to
  // [min_ttl, max_ttl]). Returns the stored record (lease_ttl_ms, modify_index set).
  absl::StatusOr<Instance> Put(Instance instance, absl::Duration ttl, absl::Time now);
  absl::Status Renew(absl::string_view mesh, absl::string_view id, absl::Time now);
  absl::Status Remove(absl::string_view mesh, absl::string_view id);
  // Removes instances whose lease ran out; returns how many.
  int Expire(absl::Time now);

  Snapshot List(absl::string_view mesh) const;
  uint64_t index() const;
  // Names of the meshes with at least one instance, with their instance counts.
  std::vector<std::pair<std::string, size_t>> Meshes() const;

  // Runs `notify` once (outside the state's lock) when the index passes `after`. Returns a
  // handle for CancelWatch; 0 when the index has already passed `after` (then `notify` is not
  // run: the caller answers at once, and no lock of the caller's is taken from here);
  // ResourceExhausted when max_watchers are waiting.
  using Notify = std::function<void()>;
  absl::StatusOr<uint64_t> AddWatch(uint64_t after, Notify notify);
  // Forgets a watch that has not fired; false when it already fired or never existed.
  bool CancelWatch(uint64_t handle);
  size_t watchers() const;

 private:
  struct Entry {
    Instance instance;
    absl::Time expires;
  };
  struct Watch {
    uint64_t after;
    Notify notify;
  };
  explicit RegistryState(RegistryStateOptions options) : options_(std::move(options)) {}
  absl::Status Load(absl::Time now);
  // Advances the index, persists, and returns the watches to run (outside the lock).
  std::vector<Notify> Changed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Persist() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string Key(absl::string_view mesh, absl::string_view id);

  const RegistryStateOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // key: mesh + '\0' + id
  uint64_t index_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_watch_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_REGISTRY_STATE_H_
