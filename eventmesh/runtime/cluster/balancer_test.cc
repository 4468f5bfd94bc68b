#include "eventmesh/runtime/cluster/balancer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::cluster {
namespace {

constexpr int64_t kOld = 60'000;

BalancePolicy Policy() {
  BalancePolicy policy;
  policy.min_session_age_ms = 30'000;
  return policy;
}

// `count` old, idle sessions of (group, purpose) with ids first, first+1, ...
std::vector<LocalSession> Sessions(const std::string& group, const std::string& purpose, int count,
                                   uint64_t first = 1) {
  std::vector<LocalSession> sessions;
  for (int i = 0; i < count; ++i) {
    LocalSession s;
    s.id = first + static_cast<uint64_t>(i);
    s.group = group;
    s.purpose = purpose;
    s.age_ms = kOld;
    sessions.push_back(s);
  }
  return sessions;
}

std::vector<LocalSession> Concat(std::vector<LocalSession> a, const std::vector<LocalSession>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

RuntimeLoad Peer(const std::string& id, std::map<PoolKey, int64_t> sessions = {}) {
  RuntimeLoad load;
  load.runtime_id = id;
  load.ip = "10.0.0." + id;
  load.port = 10000;
  load.sessions = std::move(sessions);
  return load;
}

const PoolKey kSubG{"g", kPurposeSub};
const PoolKey kPubG{"g", kPurposePub};

TEST(BalancerTest, NoPeersNoMoves) {
  EXPECT_TRUE(PlanRebalance("a", Sessions("g", kPurposeSub, 9), {}, Policy()).empty());
  EXPECT_TRUE(PlanDrain(Sessions("g", kPurposeSub, 3), {}).empty());
}

TEST(BalancerTest, MostLoadedMovesOneSessionPerRoundToTheLeastLoaded) {
  // 9 sessions: 10% of 9 rounds down, at least 1 move.
  auto moves = PlanRebalance("a", Sessions("g", kPurposeSub, 9), {Peer("b"), Peer("c")}, Policy());
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].session_id, 1u);
  EXPECT_EQ(moves[0].runtime_id, "b");  // tie between b and c: smaller id
  EXPECT_EQ(moves[0].ip, "10.0.0.b");
  EXPECT_EQ(moves[0].port, 10000);
  EXPECT_EQ(moves[0].pool, kSubG);
}

TEST(BalancerTest, PlannedCountsSpreadSeveralMovesOfOneRound) {
  // 40 sessions: up to 4 moves per round; they alternate between the two empty peers.
  BalancePolicy policy = Policy();
  auto moves = PlanRebalance("a", Sessions("g", kPurposeSub, 40), {Peer("b"), Peer("c")}, policy);
  ASSERT_EQ(moves.size(), 4u);
  EXPECT_EQ(moves[0].runtime_id, "b");
  EXPECT_EQ(moves[1].runtime_id, "c");
  EXPECT_EQ(moves[2].runtime_id, "b");
  EXPECT_EQ(moves[3].runtime_id, "c");
}

TEST(BalancerTest, StopsWhenTheGapToTheLeastLoadedIsBelowTwo) {
  BalancePolicy policy = Policy();
  policy.max_moves_percent = 100;
  // 5 here, 3 and 3 there: one move (5 -> 4, 3 -> 4), then 4 vs 3 stops.
  auto moves = PlanRebalance("a", Sessions("g", kPurposeSub, 5),
                             {Peer("b", {{kSubG, 3}}), Peer("c", {{kSubG, 3}})}, policy);
  ASSERT_EQ(moves.size(), 1u);
  // Balanced within one: nothing.
  EXPECT_TRUE(PlanRebalance("a", Sessions("g", kPurposeSub, 4),
                            {Peer("b", {{kSubG, 3}}), Peer("c", {{kSubG, 3}})}, policy)
                  .empty());
  // 4/4/2 is above the spread of one: the smallest id of the most loaded moves one to c.
  auto more = PlanRebalance("a", Sessions("g", kPurposeSub, 4),
                            {Peer("b", {{kSubG, 4}}), Peer("c", {{kSubG, 2}})}, policy);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].runtime_id, "c");
}

TEST(BalancerTest, OnlyTheMostLoadedActsTiesBySmallestRuntimeId) {
  BalancePolicy policy = Policy();
  // b has more: a must not act even though c is empty.
  EXPECT_TRUE(PlanRebalance("a", Sessions("g", kPurposeSub, 6),
                            {Peer("b", {{kSubG, 7}}), Peer("c")}, policy)
                  .empty());
  // a and b tie at 6: a (smaller id) acts, b does not.
  EXPECT_EQ(PlanRebalance("a", Sessions("g", kPurposeSub, 6), {Peer("b", {{kSubG, 6}}), Peer("c")},
                          policy)
                .size(),
            1u);
  EXPECT_TRUE(PlanRebalance("b", Sessions("g", kPurposeSub, 6),
                            {Peer("a", {{kSubG, 6}}), Peer("c")}, policy)
                  .empty());
}

TEST(BalancerTest, RepeatedRoundsConvergeWithoutPingPong) {
  // Simulates three runtimes with perfect views: 9 sessions on a settle at 3/3/3 and then
  // nothing moves any more.
  std::map<std::string, int64_t> counts = {{"a", 9}, {"b", 0}, {"c", 0}};
  BalancePolicy policy = Policy();
  int rounds = 0;
  int moves_total = 0;
  for (; rounds < 50; ++rounds) {
    int moved = 0;
    for (const std::string self : {"a", "b", "c"}) {
      std::vector<RuntimeLoad> peers;
      for (const auto& [id, count] : counts) {
        if (id != self)
          peers.push_back(Peer(id, count > 0 ? std::map<PoolKey, int64_t>{{kSubG, count}}
                                             : std::map<PoolKey, int64_t>{}));
      }
      auto moves = PlanRebalance(self, Sessions("g", kPurposeSub, static_cast<int>(counts[self])),
                                 peers, policy);
      for (const Move& move : moves) {
        --counts[self];
        ++counts[move.runtime_id];
        ++moved;
      }
    }
    moves_total += moved;
    if (moved == 0) break;
  }
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"a", 3}, {"b", 3}, {"c", 3}}));
  EXPECT_EQ(moves_total, 6);  // every move was needed: none went back
  EXPECT_LE(rounds, 7);
}

TEST(BalancerTest, YoungRedirectedBusySessionsAreNotMoved) {
  BalancePolicy policy = Policy();
  policy.max_moves_percent = 100;
  auto sessions = Sessions("g", kPurposeSub, 6);
  sessions[0].age_ms = 10;         // younger than one interval
  sessions[1].redirected = true;   // already asked
  sessions[2].unacked_pushes = 3;  // would redeliver
  // A publisher with a publish in flight in another pool.
  auto pubs = Sessions("p", kPurposePub, 4, 100);
  pubs[0].publishes_in_flight = 1;
  auto moves = PlanRebalance("a", Concat(sessions, pubs), {Peer("b")}, policy);
  std::vector<uint64_t> ids;
  for (const Move& move : moves) ids.push_back(move.session_id);
  // pub pool first: 4 vs 0 -> 101 (100 is busy), 3 vs 1 -> 102, then 2 vs 2 stops.
  // sub pool: the redirected session no longer counts (5 here); 4, 5, 6 are eligible:
  // 5 vs 0 -> 4, 4 vs 1 -> 5, then 3 vs 2 stops.
  EXPECT_THAT(ids, ::testing::ElementsAre(101u, 102u, 4u, 5u));
}

TEST(BalancerTest, PublishersFirstWithinTheRoundBudget) {
  // 20 sessions -> budget 2; the publisher pool is served first.
  auto local =
      Concat(Sessions("a-group", kPurposeSub, 10), Sessions("z-group", kPurposePub, 10, 100));
  auto moves = PlanRebalance("a", local, {Peer("b")}, Policy());
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].pool.purpose, kPurposePub);
  EXPECT_EQ(moves[1].pool.purpose, kPurposePub);
}

TEST(BalancerTest, PoolsAreBalancedSeparately) {
  // a has many subscribers of g, b many publishers of g: only a's subscribers move.
  BalancePolicy policy = Policy();
  policy.max_moves_percent = 100;
  auto moves =
      PlanRebalance("a", Sessions("g", kPurposeSub, 4), {Peer("b", {{kPubG, 10}})}, policy);
  ASSERT_EQ(moves.size(), 2u);
  for (const Move& move : moves) EXPECT_EQ(move.pool, kSubG);
}

TEST(BalancerTest, TargetTieBrokenByTotalLoadThenId) {
  BalancePolicy policy = Policy();
  // b and c have no g subscribers; c carries less in total.
  auto moves = PlanRebalance(
      "a", Sessions("g", kPurposeSub, 9),
      {Peer("b", {{PoolKey{"x", kPurposeSub}, 5}}), Peer("c", {{PoolKey{"x", kPurposeSub}, 1}})},
      policy);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].runtime_id, "c");
}

TEST(BalancerTest, DrainSpreadsEverySessionOverThePeers) {
  auto local = Sessions("g", kPurposeSub, 5);
  local[0].age_ms = 0;           // drain ignores age,
  local[1].unacked_pushes = 10;  // acks
  local[2].redirected = true;    // and earlier redirects
  auto moves = PlanDrain(local, {Peer("b", {{kSubG, 2}}), Peer("c")});
  ASSERT_EQ(moves.size(), 5u);
  std::map<std::string, int> per_peer;
  for (const Move& move : moves) ++per_peer[move.runtime_id];
  // c: 0 -> 1 -> 2, then the tie at 2 goes by total load (equal) and id: b, c, b ...
  // c: 0 -> 1 -> 2; at 2/2 (equal totals) b by id; c again; at 3/3 b.
  EXPECT_EQ(per_peer["c"], 3);
  EXPECT_EQ(per_peer["b"], 2);
}

TEST(BalancerTest, RedirectedSessionsAreNotCounted) {
  auto sessions = Sessions("g", kPurposeSub, 4);
  sessions[0].redirected = true;
  EXPECT_EQ(CountSessions("a", "ip", 1, sessions).Count(kSubG), 3);
  // 3 counted vs 2: no move although 4 are still connected.
  EXPECT_TRUE(PlanRebalance("a", sessions, {Peer("b", {{kSubG, 2}})}, Policy()).empty());
}

TEST(BalancerTest, RecommendPicksTheLeastLoadedRuntimeForThePool) {
  RuntimeLoad self = CountSessions("a", "10.0.0.a", 10000, Sessions("g", kPurposeSub, 3));
  EXPECT_EQ(Recommend(self, {}, kSubG).runtime_id, "a");
  EXPECT_EQ(Recommend(self, {Peer("b", {{kSubG, 1}}), Peer("c", {{kSubG, 2}})}, kSubG).runtime_id,
            "b");
  // Another pool: self has none of it; tie at 0 broken by total load (b and c carry some).
  EXPECT_EQ(Recommend(self, {Peer("b", {{kSubG, 1}}), Peer("c")}, kPubG).runtime_id, "c");
  // Full tie: smallest id.
  RuntimeLoad empty = CountSessions("m", "ip", 1, {});
  EXPECT_EQ(Recommend(empty, {Peer("b"), Peer("z")}, kSubG).runtime_id, "b");
}

TEST(BalancerTest, LivenessIsThreeIntervalsAndNotLeaving) {
  EXPECT_TRUE(IsLive(/*received_ms=*/1000, /*interval_ms=*/100, false, /*now_ms=*/1299));
  EXPECT_FALSE(IsLive(1000, 100, false, 1300));
  EXPECT_FALSE(IsLive(1000, 100, /*leaving=*/true, 1001));
}

TEST(BalancerTest, DeadPeersAreNotCandidates) {
  // The caller filters dead peers with IsLive; with only live peers passed, a dead one never
  // receives a session even if it reported zero load.
  std::vector<std::pair<RuntimeLoad, int64_t>> known = {{Peer("b"), 0},
                                                        {Peer("c", {{kSubG, 2}}), 900}};
  std::vector<RuntimeLoad> live;
  for (const auto& [load, received] : known) {
    if (IsLive(received, 100, false, 1000)) live.push_back(load);
  }
  ASSERT_EQ(live.size(), 1u);
  BalancePolicy policy = Policy();
  policy.max_moves_percent = 100;
  auto moves = PlanRebalance("a", Sessions("g", kPurposeSub, 6), live, policy);
  ASSERT_EQ(moves.size(), 2u);
  for (const Move& move : moves) EXPECT_EQ(move.runtime_id, "c");
}

}  // namespace
}  // namespace eventmesh::runtime::cluster
