#ifndef EVENTMESH_RUNTIME_CLUSTER_REBALANCER_H_
#define EVENTMESH_RUNTIME_CLUSTER_REBALANCER_H_

// ClusterRebalancer: the I/O side of client balancing between runtimes that share one store.
//
// Start() creates topic kLoadTopic (1 partition; AlreadyExists is fine), subscribes to it in
// BROADCASTING mode (group "eventmesh-runtimes-<runtime id>", so every runtime sees every report
// published after it started) and publishes this runtime's first LoadReport. A timer thread then
// runs one round every `interval_ms`: list the local sessions, publish the report, plan with
// PlanRebalance (balancer.h) over the live peers and send REDIRECT_TO_CLIENT for each move,
// waiting `redirect_sleep_ms` between two redirects. Reports of other runtimes update the peer
// table; a peer is live per IsLive (3 intervals, not leaving). A move this runtime made counts
// for its target until the target publishes a report built more than min(interval, 2 s) after
// the move (time for the client to reconnect there), at most 3 intervals: a round never sends
// more to a peer than its planned counts allow, even before the peer reports the new clients. A
// report from a runtime not seen before makes this runtime report at once (outside the round
// schedule), so runtimes that start later learn about the earlier ones without waiting one
// interval. Drain() (shutdown) stops the rounds, publishes a report with "leaving":true (waits up
// to 2 s for the store to take it, so peers stop choosing this runtime) and redirects every local
// session per PlanDrain.
//
// With a registry (RebalancerOptions::registry), the load view comes from the mesh registry
// instead of the store: nothing is published to or read from kLoadTopic. Each runtime's
// RegistryAgent carries its CurrentReport() as metadata kLoadMetadataKey of its registry record
// (only holders of the registry's token can write records, so no client can forge another
// runtime's load); each round reads the mesh's records and replaces the peer table with them. A
// runtime leaves the view by deregistering (Server::Shutdown does that first) or when its lease
// runs out; Drain then reports nothing and only redirects.
//
// Ownership: the connector, the registry and the hooks' targets must outlive the rebalancer; Stop()
// (also the destructor) closes the subscription and must run before the connector shuts down.
// Thread-safety: all public methods may be called from any thread. The hooks are called from the
// timer thread, Drain() and Recommend() (possibly concurrently, never with a lock of the
// rebalancer held), so they must be thread-safe.
// Errors (Start): the connector's CreateTopic / Subscribe errors, prefixed with what failed.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/registry/registry.h"
#include "eventmesh/runtime/cluster/balancer.h"
#include "eventmesh/runtime/cluster/load_report.h"

namespace eventmesh::runtime::cluster {

struct RebalancerOptions {
  std::string runtime_id;  // unique per runtime (the RequestTracker's id)
  std::string ip;          // advertised address clients are redirected to
  int port = 0;
  int64_t interval_ms = 30'000;     // eventMesh.server.tcp.RebalanceIntervalInMills (> 0)
  int64_t redirect_sleep_ms = 200;  // eventMesh.server.rebalanceRedirect.sleepIntervalInMills
  BalancePolicy policy;             // min_session_age_ms is usually interval_ms
  // The mesh registry to take the peers' loads from (nullptr: the store's load topic), and this
  // runtime's mesh in it.
  registry::Registry* registry = nullptr;
  std::string mesh;
};

// The registry record metadata key holding a runtime's LoadReport JSON (registry mode).
inline constexpr char kLoadMetadataKey[] = "eventmesh.load";

// How the rebalancer sees and moves this runtime's sessions.
struct SessionHooks {
  // Every session that completed HELLO.
  std::function<std::vector<LocalSession>()> list_sessions;
  // Sends REDIRECT_TO_CLIENT; false when the session is gone.
  std::function<bool(uint64_t session_id, const std::string& ip, int port)> redirect;
};

struct RebalancerStats {
  int64_t rounds = 0;             // rebalancing rounds run
  int64_t redirects = 0;          // REDIRECT_TO_CLIENT sent by rounds
  int64_t drained = 0;            // REDIRECT_TO_CLIENT sent by Drain
  int64_t reports_published = 0;  // reports the store acknowledged
  int64_t reports_received = 0;   // peer reports applied
  int64_t invalid_reports = 0;    // events on the topic that were not valid reports
};

class ClusterRebalancer {
 public:
  static absl::StatusOr<std::unique_ptr<ClusterRebalancer>> Start(connectors::Connector* connector,
                                                                  RebalancerOptions options,
                                                                  SessionHooks hooks);
  ~ClusterRebalancer();
  ClusterRebalancer(const ClusterRebalancer&) = delete;
  ClusterRebalancer& operator=(const ClusterRebalancer&) = delete;

  // The live peers (not this runtime) with the moves still pending towards them added.
  std::vector<RuntimeLoad> LivePeers();
  // The runtime a new client of `pool` should use (this one included); see Recommend().
  RuntimeLoad Recommend(const PoolKey& pool);
  // Stops the rounds, announces leaving, redirects every session to the live peers. Returns the
  // number of sessions asked to move (0 without live peers). Call once, before Stop().
  size_t Drain();
  // Stops the timer thread and closes the subscription. Idempotent.
  void Stop();
  RebalancerStats stats();
  // This runtime's report now, as JSON (registry mode: the RegistryAgent publishes it as
  // metadata kLoadMetadataKey). Any thread.
  std::string CurrentReport();

 private:
  struct Peer {
    LoadReport report;
    int64_t received_ms = 0;  // steady clock
  };
  struct PendingMove {
    std::string runtime_id;
    PoolKey pool;
    int64_t wall_ms = 0;
    int64_t steady_ms = 0;
  };

  ClusterRebalancer(connectors::Connector* connector, RebalancerOptions options,
                    SessionHooks hooks);
  void Loop();
  void RunRound();
  // Publishes the report of `sessions`; `done` (optional) runs with the store's answer.
  void PublishReport(const std::vector<LocalSession>& sessions, bool leaving,
                     std::function<void(absl::Status)> done);
  void OnReports(std::vector<connectors::DeliveredEvent>* events);
  // Registry mode: replaces the peer table with the mesh's registry records.
  void RefreshFromRegistry();
  void StopThread();

  connectors::Connector* const connector_;
  const RebalancerOptions options_;
  const SessionHooks hooks_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                   // guarded by mu_
  bool report_now_ = false;                 // guarded by mu_: a new peer appeared
  std::map<std::string, Peer> peers_;       // guarded by mu_
  std::vector<PendingMove> pending_moves_;  // guarded by mu_
  RebalancerStats stats_;                   // guarded by mu_
  int64_t report_sequence_ = 0;             // guarded by mu_
  // Reports the store acknowledged; shared with publish callbacks that may outlive this object.
  const std::shared_ptr<std::atomic<int64_t>> published_ =
      std::make_shared<std::atomic<int64_t>>(0);

  std::mutex ack_mu_;
  connectors::Subscription* ack_target_ = nullptr;  // guarded by ack_mu_
  std::vector<connectors::Position> early_acks_;    // guarded by ack_mu_

  std::mutex lifecycle_mu_;
  std::unique_ptr<connectors::Subscription> subscription_;  // guarded by lifecycle_mu_
  std::thread thread_;
};

}  // namespace eventmesh::runtime::cluster

#endif  // EVENTMESH_RUNTIME_CLUSTER_REBALANCER_H_
