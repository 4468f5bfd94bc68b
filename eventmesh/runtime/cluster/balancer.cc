#include "eventmesh/runtime/cluster/balancer.h"

#include <algorithm>
#include <tuple>

namespace eventmesh::runtime::cluster {
namespace {

// Orders candidate runtimes of a pool: fewer sessions of the pool, then fewer sessions in
// total, then the smaller runtime id.
bool LessLoaded(const RuntimeLoad& a, const RuntimeLoad& b, const PoolKey& pool) {
  return std::make_tuple(a.Count(pool), a.Total(), a.runtime_id) <
         std::make_tuple(b.Count(pool), b.Total(), b.runtime_id);
}

RuntimeLoad* LeastLoaded(std::vector<RuntimeLoad>* runtimes, const PoolKey& pool) {
  RuntimeLoad* best = nullptr;
  for (RuntimeLoad& runtime : *runtimes) {
    if (best == nullptr || LessLoaded(runtime, *best, pool)) best = &runtime;
  }
  return best;
}

bool Eligible(const LocalSession& session, const BalancePolicy& policy) {
  if (session.redirected || session.age_ms < policy.min_session_age_ms) return false;
  if (session.purpose == kPurposeSub) return session.unacked_pushes == 0;
  return session.publishes_in_flight == 0;
}

Move MoveTo(const LocalSession& session, const RuntimeLoad& target) {
  Move move;
  move.session_id = session.id;
  move.pool = session.pool();
  move.runtime_id = target.runtime_id;
  move.ip = target.ip;
  move.port = target.port;
  return move;
}

}  // namespace

RuntimeLoad CountSessions(const std::string& runtime_id, const std::string& ip, int port,
                          const std::vector<LocalSession>& sessions) {
  RuntimeLoad load;
  load.runtime_id = runtime_id;
  load.ip = ip;
  load.port = port;
  for (const LocalSession& session : sessions) {
    if (!session.redirected) ++load.sessions[session.pool()];
  }
  return load;
}

std::vector<Move> PlanRebalance(const std::string& self_id, const std::vector<LocalSession>& local,
                                const std::vector<RuntimeLoad>& live_peers,
                                const BalancePolicy& policy) {
  std::vector<Move> moves;
  if (live_peers.empty() || local.empty()) return moves;
  std::vector<RuntimeLoad> peers = live_peers;  // planned counts
  const RuntimeLoad self = CountSessions(self_id, "", 0, local);
  int64_t budget = std::max<int64_t>(1, self.Total() * policy.max_moves_percent / 100);

  std::map<PoolKey, std::vector<const LocalSession*>> candidates;
  for (const LocalSession& session : local) {
    if (Eligible(session, policy)) candidates[session.pool()].push_back(&session);
  }
  std::vector<PoolKey> pools;
  for (const auto& [pool, count] : self.sessions) pools.push_back(pool);
  std::stable_sort(pools.begin(), pools.end(), [](const PoolKey& a, const PoolKey& b) {
    return (a.purpose == kPurposePub) > (b.purpose == kPurposePub);
  });

  for (const PoolKey& pool : pools) {
    if (budget == 0) break;
    int64_t self_count = self.Count(pool);
    bool most_loaded = true;
    for (const RuntimeLoad& peer : peers) {
      const int64_t count = peer.Count(pool);
      if (count > self_count || (count == self_count && peer.runtime_id < self_id)) {
        most_loaded = false;
      }
    }
    if (!most_loaded) continue;
    std::vector<const LocalSession*>& eligible = candidates[pool];
    std::sort(eligible.begin(), eligible.end(),
              [](const LocalSession* a, const LocalSession* b) { return a->id < b->id; });
    for (const LocalSession* session : eligible) {
      if (budget == 0) break;
      RuntimeLoad* target = LeastLoaded(&peers, pool);
      if (self_count - target->Count(pool) < policy.min_gap) break;
      moves.push_back(MoveTo(*session, *target));
      ++target->sessions[pool];
      --self_count;
      --budget;
    }
  }
  return moves;
}

std::vector<Move> PlanDrain(const std::vector<LocalSession>& local,
                            const std::vector<RuntimeLoad>& live_peers) {
  std::vector<Move> moves;
  if (live_peers.empty()) return moves;
  std::vector<RuntimeLoad> peers = live_peers;
  std::vector<const LocalSession*> sessions;
  for (const LocalSession& session : local) sessions.push_back(&session);
  std::sort(sessions.begin(), sessions.end(),
            [](const LocalSession* a, const LocalSession* b) { return a->id < b->id; });
  for (const LocalSession* session : sessions) {
    RuntimeLoad* target = LeastLoaded(&peers, session->pool());
    moves.push_back(MoveTo(*session, *target));
    ++target->sessions[session->pool()];
  }
  return moves;
}

const RuntimeLoad& Recommend(const RuntimeLoad& self, const std::vector<RuntimeLoad>& live_peers,
                             const PoolKey& pool) {
  const RuntimeLoad* best = &self;
  for (const RuntimeLoad& peer : live_peers) {
    if (LessLoaded(peer, *best, pool)) best = &peer;
  }
  return *best;
}

bool IsLive(int64_t received_ms, int64_t interval_ms, bool leaving, int64_t now_ms) {
  return !leaving && now_ms - received_ms < 3 * interval_ms;
}

}  // namespace eventmesh::runtime::cluster
