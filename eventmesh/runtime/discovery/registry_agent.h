#ifndef EVENTMESH_RUNTIME_DISCOVERY_REGISTRY_AGENT_H_
#define EVENTMESH_RUNTIME_DISCOVERY_REGISTRY_AGENT_H_

// RegistryAgent: keeps one runtime registered in the mesh registry while it runs.
//
// Start() registers the runtime's identity (mesh, id, IDC, endpoints) with its first report
// (load, the topics its clients publish and subscribe). A background thread then renews the
// lease every lease/3, re-registers whenever the report changed (checked every
// report_interval), registers again when the registry lost the instance (lease expired during
// a partition, registry restarted without state), and retries with backoff while the registry
// is unreachable. Stop() deregisters (a graceful shutdown is seen at once; a crash is seen
// when the lease runs out).
// Errors of Start: InvalidArgument / PermissionDenied from the registry (a configuration
// mistake: refused at once). An unreachable registry is not an error: the agent keeps trying.
// Thread-safe; `report` runs on the agent's thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::runtime::discovery {

struct RegistryAgentOptions {
  // mesh, id, idc, version, endpoints, metadata; load and topics come from the report.
  registry::Instance identity;
  absl::Duration lease = absl::Seconds(10);
  absl::Duration report_interval = absl::Seconds(5);
};

// What changes while the runtime runs.
struct RuntimeReport {
  registry::Load load;
  std::vector<registry::TopicUse> topics;
  // Added to (or replacing) the identity's metadata, e.g. the rebalancer's load report.
  std::map<std::string, std::string> metadata;
};

struct RegistryAgentStats {
  uint64_t registrations = 0;  // successful Register calls
  uint64_t renewals = 0;       // successful Renew calls
  uint64_t failures = 0;       // calls that failed
  bool registered = false;     // the last call succeeded
};

class RegistryAgent {
 public:
  // `registry` must outlive the agent.
  static absl::StatusOr<std::unique_ptr<RegistryAgent>> Start(
      registry::Registry* registry, RegistryAgentOptions options,
      std::function<RuntimeReport()> report);
  ~RegistryAgent();
  RegistryAgent(const RegistryAgent&) = delete;
  RegistryAgent& operator=(const RegistryAgent&) = delete;

  // Stops the thread and deregisters. Idempotent.
  void Stop();
  RegistryAgentStats stats() const;
  const registry::Instance& identity() const { return options_.identity; }

 private:
  RegistryAgent(registry::Registry* registry, RegistryAgentOptions options,
                std::function<RuntimeReport()> report);
  registry::Instance Current();
  absl::Status RegisterNow(const registry::Instance& instance);
  void Loop();

  registry::Registry* const registry_;
  const RegistryAgentOptions options_;
  const std::function<RuntimeReport()> report_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  RegistryAgentStats stats_ ABSL_GUARDED_BY(mu_);
  registry::Instance last_registered_;  // agent thread (and Start) only
  std::thread thread_;
};

}  // namespace eventmesh::runtime::discovery

#endif  // EVENTMESH_RUNTIME_DISCOVERY_REGISTRY_AGENT_H_
