#ifndef EVENTMESH_SDK_INTERNAL_RUNTIME_DISCOVERY_H_
#define EVENTMESH_SDK_INTERNAL_RUNTIME_DISCOVERY_H_

// RuntimeDiscovery: the runtimes a client may connect to, asked of the mesh registry. Find()
// lists the runtimes of the configured mesh (Registry::List) and returns the addresses of their
// endpoints for one protocol in the order a client should try them (registry::OrderForClient:
// the client's IDC first, then fewest clients, then by id).
//
// With StartWatching() it also keeps a live view of the mesh (RegistryView: a long poll on the
// registry's change index, on a thread of its own), which FindInView() answers from without
// blocking and whose changes reach the caller's callback.
//
// Threading: Find() blocks on the registry (up to RegistryOptions::timeout per registry
// server tried); never call it on a client's io thread. FindInView() never blocks. Shutdown()
// stops the view and ends registry calls in flight promptly. Thread-safe.
// Errors of Find(): Unavailable "no runtime of mesh \"m\" with a tcp endpoint is registered",
// and the registry client's errors with "registry lookup for mesh \"m\": " in front
// (Unavailable, DeadlineExceeded, PermissionDenied, ...).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/registry/model.h"
#include "eventmesh/registry/registry.h"
#include "eventmesh/sdk/internal/registry_options.h"
#include "eventmesh/sdk/internal/registry_view.h"

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
  // For tests: a given registry client; `make_registry` makes the view's own one (without it,
  // StartWatching does nothing).
  RuntimeDiscovery(
      const RegistryOptions& options, std::unique_ptr<registry::Registry> registry,
      std::function<absl::StatusOr<std::unique_ptr<registry::Registry>>()> make_registry = {});

  ~RuntimeDiscovery();

  // Blocks. Never empty on success.
  absl::StatusOr<std::vector<RuntimeAddress>> Find(absl::string_view protocol,
                                                   absl::string_view avoid = "");

  // Starts the live view (once; later calls do nothing). `on_change` runs on the view's thread
  // with each new snapshot of the mesh (see RegistryView). `options.mesh` is set to the mesh.
  void StartWatching(RegistryViewOptions options, RegistryView::OnChange on_change);
  // Like Find, from the live view, without blocking: nullopt when there is no view, it is not
  // fresh (its last registry call failed), or it holds no runtime with a `protocol` endpoint.
  std::optional<std::vector<RuntimeAddress>> FindInView(absl::string_view protocol,
                                                        absl::string_view avoid = "") const;
  // The view's counters (all zero without a view).
  RegistryView::Stats view_stats() const;
  // Stops the view, ends registry calls in flight (they fail) and refuses later ones.
  // Idempotent.
  void Shutdown();

  const std::string& mesh() const { return mesh_; }
  const std::string& idc() const { return idc_; }

 private:
  const std::string mesh_;
  const std::string idc_;
  const std::unique_ptr<registry::Registry> registry_;
  // Its own registry client: shutting the view down must not end Find calls of a client that
  // goes on, and a long poll must not hold up a lookup.
  std::function<absl::StatusOr<std::unique_ptr<registry::Registry>>()> make_registry_;
  // Set once by StartWatching (any thread), read by the others.
  mutable absl::Mutex mu_;
  std::shared_ptr<registry::Registry> watch_registry_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<RegistryView> view_ ABSL_GUARDED_BY(mu_);
  // The view in use; nullptr without one.
  std::shared_ptr<RegistryView> view() const;
};

}  // namespace eventmesh::sdk::internal

#endif  // EVENTMESH_SDK_INTERNAL_RUNTIME_DISCOVERY_H_
