#include "eventmesh/store/engine/group_coordinator.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "eventmesh/store/engine/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::store {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  GroupCoordinatorTest()
      : coordinator_(
            &clock_, GroupOptions{},
            [this](const std::string& topic) -> absl::StatusOr<int32_t> {
              auto it = partitions_.find(topic);
              if (it == partitions_.end()) return absl::NotFoundError(topic);
              return it->second;
            },
            [this](const std::string& group, int64_t generation) {
              generations_.push_back({group, generation});
            }) {}

  JoinGroupRequest Join(std::string member, std::vector<std::string> topics,
                        int64_t timeout_ms = 10'000) {
    JoinGroupRequest req;
    req.group = "g";
    req.member_id = std::move(member);
    req.topics = std::move(topics);
    req.session_timeout_ms = timeout_ms;
    return req;
  }

  // Every partition of every subscribed topic is owned by exactly one member subscribed to it.
  void ExpectExactlyOneOwner() {
    auto d = coordinator_.Describe({"g"});
    ASSERT_TRUE(d.ok());
    std::set<std::string> subscribed;
    std::map<TopicPartition, int> owners;
    for (const auto& m : d->members) {
      subscribed.insert(m.topics.begin(), m.topics.end());
      for (const auto& tp : m.partitions) {
        owners[tp]++;
        EXPECT_TRUE(std::count(m.topics.begin(), m.topics.end(), tp.topic))
            << m.member_id << " owns " << tp.topic << " without subscribing";
      }
    }
    size_t expected = 0;
    for (const auto& t : subscribed) {
      auto it = partitions_.find(t);
      if (it != partitions_.end()) expected += static_cast<size_t>(it->second);
    }
    EXPECT_EQ(owners.size(), expected);
    for (const auto& [tp, n] : owners) EXPECT_EQ(n, 1) << tp.topic << "/" << tp.partition;
  }

  ManualClock clock_;
  std::map<std::string, int32_t> partitions_ = {{"a", 5}, {"b", 3}, {"c", 1}};
  std::vector<std::pair<std::string, int64_t>> generations_;
  GroupCoordinator coordinator_;
};

TEST_F(GroupCoordinatorTest, JoinRebalancesAndAssignsRoundRobinByMemberId) {
  auto m1 = coordinator_.Join(Join("m1", {"a"}));
  ASSERT_TRUE(m1.ok()) << m1.status();
  EXPECT_EQ(m1->generation, 1);
  EXPECT_THAT(m1->partitions, SizeIs(5));
  auto m2 = coordinator_.Join(Join("m2", {"a"}));
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->generation, 2);
  EXPECT_THAT(m2->partitions, ElementsAre(TopicPartition{"a", 1}, TopicPartition{"a", 3}));
  auto hb = coordinator_.Heartbeat({"g", "m1"});
  ASSERT_TRUE(hb.ok());
  EXPECT_EQ(hb->generation, 2);
  EXPECT_THAT(hb->partitions,
              ElementsAre(TopicPartition{"a", 0}, TopicPartition{"a", 2}, TopicPartition{"a", 4}));
  // Re-joining with the same subscription is not a rebalance.
  auto again = coordinator_.Join(Join("m1", {"a"}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->generation, 2);
  EXPECT_THAT(generations_, ElementsAre(std::pair<std::string, int64_t>{"g", 1},
                                        std::pair<std::string, int64_t>{"g", 2}));
  ExpectExactlyOneOwner();
}

TEST_F(GroupCoordinatorTest, DifferentSubscriptionsOnlyGetTheirTopics) {
  ASSERT_TRUE(coordinator_.Join(Join("m1", {"a"})).ok());
  auto m2 = coordinator_.Join(Join("m2", {"a", "b", "b"}));
  ASSERT_TRUE(m2.ok());
  auto d = coordinator_.Describe({"g"});
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->members[1].topics, ElementsAre("a", "b"));
  int b_owned = 0;
  for (const auto& tp : m2->partitions) b_owned += tp.topic == "b";
  EXPECT_EQ(b_owned, 3);
  ExpectExactlyOneOwner();
}

TEST_F(GroupCoordinatorTest, LeaveAndExpiryRebalance) {
  ASSERT_TRUE(coordinator_.Join(Join("m1", {"a", "b"}, 1000)).ok());
  ASSERT_TRUE(coordinator_.Join(Join("m2", {"a", "b"}, 5000)).ok());
  ASSERT_TRUE(coordinator_.Join(Join("m3", {"a", "b"}, 5000)).ok());
  ExpectExactlyOneOwner();
  auto left = coordinator_.Leave({"g", "m3"});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->generation, 4);
  EXPECT_EQ(coordinator_.Leave({"g", "m3"}).status(),
            absl::FailedPreconditionError(
                "member \"m3\" is not in group \"g\" (never joined, left or expired); rejoin"));
  ExpectExactlyOneOwner();

  clock_.AdvanceMs(1001);  // m1's session (1 s) ran out, m2's (5 s) did not
  EXPECT_EQ(coordinator_.ExpireMembers(), 1);
  auto m2 = coordinator_.Heartbeat({"g", "m2"});
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(m2->generation, 5);
  EXPECT_THAT(m2->partitions, SizeIs(8));
  EXPECT_EQ(coordinator_.Heartbeat({"g", "m1"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Expiry is also noticed lazily, without ExpireMembers().
  clock_.AdvanceMs(5001);
  auto d = coordinator_.Describe({"g"});
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->members, SizeIs(0));
  EXPECT_EQ(d->generation, 6);
}

TEST_F(GroupCoordinatorTest, CommitValidation) {
  // No group yet: a stand-alone commit is fine, a member commit is not.
  EXPECT_TRUE(coordinator_.ValidateCommit("g", "", -1).ok());
  EXPECT_EQ(coordinator_.ValidateCommit("g", "m1", 1).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(coordinator_.Join(Join("m1", {"a"})).ok());
  EXPECT_TRUE(coordinator_.ValidateCommit("g", "m1", 1).ok());
  EXPECT_EQ(coordinator_.ValidateCommit("g", "", -1),
            absl::FailedPreconditionError(
                "group \"g\" has 1 live member(s); a commit must carry a member id and the "
                "current generation 1"));
  ASSERT_TRUE(coordinator_.Join(Join("m2", {"a"})).ok());
  EXPECT_EQ(coordinator_.ValidateCommit("g", "m1", 1),
            absl::FailedPreconditionError("stale generation 1 for group \"g\": the current "
                                          "generation is 2; rejoin to get the new assignment"));
  EXPECT_EQ(coordinator_.ValidateCommit("g", "nobody", 2),
            absl::FailedPreconditionError(
                "member \"nobody\" is not in group \"g\" (never joined, left or expired); "
                "rejoin"));
  EXPECT_TRUE(coordinator_.ValidateCommit("g", "m2", 2).ok());
}

TEST_F(GroupCoordinatorTest, JoinValidation) {
  EXPECT_EQ(coordinator_.Join(Join("m", {})).status(),
            absl::InvalidArgumentError("JoinGroup needs at least one subscribed topic"));
  EXPECT_EQ(coordinator_.Join(Join("m", {"a"}, 31 * 60'000)).status(),
            absl::InvalidArgumentError(
                "session timeout 1860000 ms is outside the allowed range [1, 1800000] ms"));
  EXPECT_EQ(coordinator_.Join(Join("m", {"bad topic"})).status().code(),
            absl::StatusCode::kInvalidArgument);
  JoinGroupRequest no_group = Join("m", {"a"});
  no_group.group = "";
  EXPECT_EQ(coordinator_.Join(no_group).status(),
            absl::InvalidArgumentError("group name must not be empty"));
  EXPECT_EQ(coordinator_.Describe({"unknown"}).status(),
            absl::NotFoundError("group \"unknown\" is not known"));
  // Generated member ids are unique.
  auto x = coordinator_.Join(Join("", {"a"}));
  auto y = coordinator_.Join(Join("", {"a"}));
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_NE(x->member_id, y->member_id);
}

TEST_F(GroupCoordinatorTest, RestoredGenerationContinues) {
  coordinator_.RestoreGeneration("g", 41);
  auto m = coordinator_.Join(Join("m", {"a"}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->generation, 42);
}

TEST_F(GroupCoordinatorTest, TopicCreatedAfterJoinGetsAssigned) {
  auto m = coordinator_.Join(Join("m", {"later"}));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->partitions.empty());
  partitions_["later"] = 2;
  coordinator_.TopicChanged("later");
  auto hb = coordinator_.Heartbeat({"g", "m"});
  ASSERT_TRUE(hb.ok());
  EXPECT_THAT(hb->partitions, SizeIs(2));
  EXPECT_EQ(hb->generation, m->generation + 1);
}

// Seeded random joins, leaves, heartbeats and expiries; the invariant holds after every step.
TEST_F(GroupCoordinatorTest, ExactlyOneOwnerUnderRandomMembershipChanges) {
  std::mt19937 rng(7);
  const std::vector<std::vector<std::string>> subscriptions = {
      {"a"}, {"b"}, {"a", "b"}, {"a", "b", "c"}, {"c", "missing"}};
  std::set<std::string> members;
  int64_t last_generation = 0;
  for (int step = 0; step < 300; ++step) {
    const int op = std::uniform_int_distribution<int>(0, 3)(rng);
    const std::string id = "m" + std::to_string(std::uniform_int_distribution<int>(0, 9)(rng));
    if (op == 0) {
      const auto& topics = subscriptions[rng() % subscriptions.size()];
      const int64_t timeout = std::uniform_int_distribution<int64_t>(100, 2000)(rng);
      ASSERT_TRUE(coordinator_.Join(Join(id, topics, timeout)).ok());
    } else if (op == 1) {
      coordinator_.Leave({"g", id}).IgnoreError();
    } else if (op == 2) {
      coordinator_.Heartbeat({"g", id}).IgnoreError();
    } else {
      clock_.AdvanceMs(std::uniform_int_distribution<int64_t>(0, 700)(rng));
      coordinator_.ExpireMembers();
    }
    auto d = coordinator_.Describe({"g"});
    ASSERT_TRUE(d.ok());
    EXPECT_GE(d->generation, last_generation);
    last_generation = d->generation;
    ExpectExactlyOneOwner();
    if (HasFailure()) break;
  }
  EXPECT_GT(last_generation, 50);
}

}  // namespace
}  // namespace eventmesh::store

namespace eventmesh::store {
namespace {

TEST(GroupCoordinatorPruneTest, EmptyGroupsAreForgottenAndContinueFromThePersistedGeneration) {
  ManualClock clock(1'000'000);
  absl::Mutex mu;
  std::map<std::string, int64_t> persisted;
  GroupCoordinator* self = nullptr;
  int described_from_listener = 0;
  GroupCoordinator coordinator(
      &clock, GroupOptions{}, [](const std::string&) -> absl::StatusOr<int32_t> { return 2; },
      [&](const std::string& group, int64_t generation) {
        // Runs without the coordinator's mutex: calling back in does not deadlock.
        if (self->Describe({group}).ok()) ++described_from_listener;
        absl::MutexLock lock(&mu);
        persisted[group] = generation;
      },
      [&](const std::string& group) -> int64_t {
        absl::MutexLock lock(&mu);
        auto it = persisted.find(group);
        return it == persisted.end() ? 0 : it->second;
      });
  self = &coordinator;
  JoinGroupRequest join;
  join.group = "g";
  join.topics = {"t"};
  auto joined = coordinator.Join(join);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->generation, 1);
  EXPECT_GE(described_from_listener, 1);
  auto left = coordinator.Leave({"g", joined->member_id});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->generation, 2);
  EXPECT_EQ(coordinator.group_count(), 1u);
  EXPECT_EQ(coordinator.ExpireMembers(), 0);
  EXPECT_EQ(coordinator.group_count(), 0u);  // empty: forgotten
  EXPECT_EQ(coordinator.Describe({"g"}).status().code(), absl::StatusCode::kNotFound);
  auto again = coordinator.Join(join);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->generation, 3);  // continues, never repeats
  absl::MutexLock lock(&mu);
  EXPECT_EQ(persisted["g"], 3);
}

}  // namespace
}  // namespace eventmesh::store
