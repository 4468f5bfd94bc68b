#ifndef EVENTMESH_SDK_INTERNAL_REGISTRY_VIEW_H_
#define EVENTMESH_SDK_INTERNAL_REGISTRY_VIEW_H_

// RegistryView: a live copy of the runtimes registered for one mesh, kept current by a long
// poll on the registry's change index (registry::Registry::Watch, for every backend: the
// registry server's ?index=N&waitMs=W, etcd's watch stream) on a thread of its own.
//
// Promises:
//   * The first call lists the mesh; every next one is Watch(mesh, last index, wait), so a change
//     (a runtime registering, deregistering, its lease running out, its report changing) is seen
//     as soon as the registry answers, without a polling loop.
//   * `on_change` runs on the view's thread after each answer that moved the index (and after
//     the first), with the new snapshot; it must not block for long and must not call Stop().
//   * Fresh() is the latest snapshot while the view is fresh: its last registry call succeeded.
//     After a failed call the view is stale (Fresh() is nullopt) until a call succeeds again.
//   * Errors never end the thread: a failed call is logged (WARNING, with the next delay) and
//     retried after a backoff that doubles from initial_backoff up to max_backoff (bounded; reset
//     by a success). An answer that did not move the index delays the next call by
//     initial_backoff, so a backend that answers at once cannot make the thread spin.
//   * Stop() ends the thread promptly: it shuts the registry client down (Registry::Shutdown
//     aborts the long poll in flight) and joins. The registry client is used by nobody after
//     Stop() returns, but stays shut down.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::sdk::internal {

struct RegistryViewOptions {
  std::string mesh;  // required
  // How long one long poll may wait for a change. Default 30 s.
  absl::Duration wait = absl::Seconds(30);
  // Delay after a failed call: doubles from initial up to max. Defaults 100 ms, 5 s.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
};

class RegistryView {
 public:
  using OnChange = std::function<void(const registry::Snapshot&)>;

  // Counters; all monotonic but `fresh` and `index`.
  struct Stats {
    uint64_t answers = 0;  // successful registry calls
    uint64_t changes = 0;  // answers that moved the index (on_change runs)
    uint64_t errors = 0;   // failed registry calls
    bool fresh = false;
    uint64_t index = 0;  // of the latest snapshot
  };

  // Starts the thread. `registry` must outlive the view; it is shut down by Stop().
  RegistryView(registry::Registry* registry, RegistryViewOptions options, OnChange on_change);
  ~RegistryView();
  RegistryView(const RegistryView&) = delete;
  RegistryView& operator=(const RegistryView&) = delete;

  // Idempotent: only the first call stops the thread (and touches the registry client); never
  // from on_change.
  void Stop();

  std::optional<registry::Snapshot> Fresh() const;
  Stats stats() const;

 private:
  void Run();
  // Sleeps `d` unless Stop() comes first; false when stopping.
  bool Sleep(absl::Duration d);

  registry::Registry* const registry_;
  const RegistryViewOptions options_;
  const OnChange on_change_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool have_ ABSL_GUARDED_BY(mu_) = false;
  registry::Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace eventmesh::sdk::internal

#endif  // EVENTMESH_SDK_INTERNAL_REGISTRY_VIEW_H_
