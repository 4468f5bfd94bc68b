#ifndef EVENTMESH_RUNTIME_CLUSTER_BALANCER_H_
#define EVENTMESH_RUNTIME_CLUSTER_BALANCER_H_

// The client-balancing decisions of runtimes that share one store, as pure functions of a load
// view (no I/O, no clock): which sessions this runtime asks to reconnect elsewhere in one round
// (PlanRebalance), where its sessions go when it shuts down (PlanDrain), which runtime a new
// client should use (Recommend), and whether a peer's last report still counts (IsLive).
//
// Sessions are balanced per pool = (client group, purpose): the publishers of a group and its
// subscribers are balanced separately. With N sessions of a pool over R live runtimes, repeated
// rounds end with every runtime at ⌈N/R⌉ or ⌊N/R⌋ (a spread of at most one session between the
// most and the least loaded runtime); each move narrows the spread, so none is undone later.
// Anti ping-pong rules:
//   - only the most-loaded runtime of a pool acts in a round (ties: the smallest runtime id);
//   - it moves a session only while it is at least `min_gap` (2) sessions above the target
//     runtime, which is the least-loaded live runtime of the pool (ties: smaller total load,
//     then the smaller runtime id), so every move strictly narrows the spread;
//   - at most max(1, `max_moves_percent` % of this runtime's sessions) moves per round, publisher
//     pools first, then subscriber pools (groups in name order);
//   - never a session younger than `min_session_age_ms` (a client that just arrived, possibly
//     redirected here, stays at least that long), never one already asked to move, never a
//     subscriber holding unacknowledged pushes and never a publisher with publishes in flight
//     (so moving it neither redelivers events nor fails a publish).
// Planned counts are updated move by move, so one round never overshoots.
// All functions are thread-safe (no shared state) and deterministic.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eventmesh::runtime::cluster {

inline constexpr char kPurposePub[] = "pub";
inline constexpr char kPurposeSub[] = "sub";

// A pool of sessions: one client group and purpose ("pub" or "sub").
struct PoolKey {
  std::string group;
  std::string purpose;

  bool operator<(const PoolKey& o) const {
    return group != o.group ? group < o.group : purpose < o.purpose;
  }
  bool operator==(const PoolKey& o) const { return group == o.group && purpose == o.purpose; }
};

// One session of this runtime (after HELLO).
struct LocalSession {
  uint64_t id = 0;
  std::string group;
  std::string purpose;
  int64_t age_ms = 0;               // since the connection was accepted
  int64_t unacked_pushes = 0;       // pushed events the client has not acknowledged
  int64_t publishes_in_flight = 0;  // publishes not yet acknowledged by the store
  bool redirected = false;          // already sent REDIRECT_TO_CLIENT

  PoolKey pool() const { return PoolKey{group, purpose}; }
};

// The sessions a runtime serves, as counted for balancing.
struct RuntimeLoad {
  std::string runtime_id;
  std::string ip;  // where clients reach it (advertised address)
  int port = 0;
  std::map<PoolKey, int64_t> sessions;  // pools with at least one session

  int64_t Count(const PoolKey& pool) const {
    auto it = sessions.find(pool);
    return it == sessions.end() ? 0 : it->second;
  }
  int64_t Total() const {
    int64_t total = 0;
    for (const auto& [pool, count] : sessions) total += count;
    return total;
  }
};

struct BalancePolicy {
  int64_t min_session_age_ms = 30'000;  // usually the rebalance interval
  int64_t min_gap = 2;                  // sessions above the target runtime before a move
  int64_t max_moves_percent = 10;       // of this runtime's sessions per round (at least 1)
};

// Ask session `session_id` to reconnect to runtime `runtime_id` at ip:port.
struct Move {
  uint64_t session_id = 0;
  PoolKey pool;
  std::string runtime_id;
  std::string ip;
  int port = 0;
};

// This runtime's load from its session list. Sessions already asked to move are not counted
// (they are leaving; the mover counts them at their target until it reports again).
RuntimeLoad CountSessions(const std::string& runtime_id, const std::string& ip, int port,
                          const std::vector<LocalSession>& sessions);

// The moves of one rebalancing round of runtime `self` (its load counted from `local`), given
// the loads of the live peers (not including self). Empty when there is no live peer.
std::vector<Move> PlanRebalance(const std::string& self_id, const std::vector<LocalSession>& local,
                                const std::vector<RuntimeLoad>& live_peers,
                                const BalancePolicy& policy);

// Where every session of `local` goes when this runtime shuts down: each to the least-loaded
// live peer of its pool at that point (planned counts updated as it goes; ties: smaller total
// load, then smaller runtime id). No age, ack or in-flight condition applies. Empty without
// peers.
std::vector<Move> PlanDrain(const std::vector<LocalSession>& local,
                            const std::vector<RuntimeLoad>& live_peers);

// The runtime a new client of `pool` should connect to (the answer to RECOMMEND_REQUEST):
// the least-loaded of `self` and the live peers for that pool (ties: smaller total load, then
// smaller runtime id).
const RuntimeLoad& Recommend(const RuntimeLoad& self, const std::vector<RuntimeLoad>& live_peers,
                             const PoolKey& pool);

// A peer counts while its last report was received less than three report intervals ago
// (`interval_ms` = the larger of the peer's and our own interval) and it did not announce
// that it is leaving.
bool IsLive(int64_t received_ms, int64_t interval_ms, bool leaving, int64_t now_ms);

}  // namespace eventmesh::runtime::cluster

#endif  // EVENTMESH_RUNTIME_CLUSTER_BALANCER_H_
