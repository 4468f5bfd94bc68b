#ifndef EVENTMESH_STORE_ENGINE_GROUP_COORDINATOR_H_
#define EVENTMESH_STORE_ENGINE_GROUP_COORDINATOR_H_

// Consumer-group membership and partition assignment (in memory).
//
// Members join with a subscription (topics) and keep themselves alive with heartbeats; a member
// whose last heartbeat is older than its session timeout is expired. Every change of membership
// or subscription (join, leave, expiry, TopicsChanged) is a rebalance: the generation increases
// by one and every partition of the subscribed topics is assigned to exactly one live member
// subscribed to that topic (members sorted by id, partitions dealt round-robin, the starting
// member rotating from topic to topic). Members learn their new assignment from Heartbeat.
// Expiry is checked lazily on every call for the group concerned and for all groups by
// ExpireMembers() (the store's maintenance thread calls it), against the injected Clock.
//
// Committed offsets are not kept here; the store validates a commit with ValidateCommit and
// persists it. Generations survive restarts through RestoreGeneration / the listener.
//
// With a GenerationLoader, groups without members are forgotten by ExpireMembers() (memory stays
// bounded by the live groups); a group joined again continues from the generation the
// GenerationLoader reports (the one last given to the listener), so generations never repeat.
//
// Thread-safe (one internal mutex). The PartitionCounter runs while that mutex is held and must
// not call back into the coordinator. The GenerationListener runs after it is released, holding
// no coordinator lock (calls are made one at a time, in generation order; a listener may read
// the coordinator but must not cause a rebalance), and the GenerationLoader before it is taken;
// both may block on I/O without stalling calls for other groups.
// Errors: InvalidArgument (bad group/member name, no topics), FailedPrecondition (unknown member,
// stale generation), NotFound (DescribeGroup of an unknown group).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/store/engine/clock.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::store {

struct GroupOptions {
  int64_t default_session_timeout_ms = 30'000;  // when JoinGroupRequest leaves it 0
  int64_t min_session_timeout_ms = 1;
  int64_t max_session_timeout_ms = 30 * 60'000;  // 30 minutes
};

// 1..249 characters, no NUL.
absl::Status ValidateGroupName(absl::string_view group);

class GroupCoordinator {
 public:
  // Partition count of a topic; NotFound for unknown topics (they are assigned nothing).
  using PartitionCounter = std::function<absl::StatusOr<int32_t>(const std::string& topic)>;
  // Called with every new generation of a group (to persist it).
  using GenerationListener = std::function<void(const std::string& group, int64_t generation)>;
  // The last persisted generation of a group (0 if none); called by Join.
  using GenerationLoader = std::function<int64_t(const std::string& group)>;

  // `clock` must outlive the coordinator.
  GroupCoordinator(const Clock* clock, GroupOptions options, PartitionCounter partition_counter,
                   GenerationListener generation_listener,
                   GenerationLoader generation_loader = nullptr);

  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Sets the generation a group continues from (at startup, before any Join).
  void RestoreGeneration(const std::string& group, int64_t generation);

  absl::StatusOr<MemberAssignment> Join(const JoinGroupRequest& request);
  absl::StatusOr<MemberAssignment> Heartbeat(const HeartbeatRequest& request);
  absl::StatusOr<LeaveGroupResult> Leave(const LeaveGroupRequest& request);
  absl::StatusOr<GroupDescription> Describe(const DescribeGroupRequest& request);

  // OK if a commit by (member_id, generation) is acceptable now; see CommitOffsetsRequest.
  absl::Status ValidateCommit(const std::string& group, const std::string& member_id,
                              int64_t generation);

  // Expires members of every group whose session ran out; returns how many were removed. Then
  // forgets groups left without members.
  int ExpireMembers();

  // Groups currently held in memory (monitoring / tests).
  size_t group_count();

  // Recomputes the assignment of every group subscribed to `topic` (created or deleted).
  void TopicChanged(const std::string& topic);

 private:
  struct Member {
    std::vector<std::string> topics;  // sorted, unique
    int64_t session_timeout_ms = 0;
    int64_t last_heartbeat_ms = 0;
    std::vector<TopicPartition> assignment;
  };
  struct Group {
    int64_t generation = 0;
    std::map<std::string, Member> members;  // sorted by member id
  };

  int ExpireLocked(const std::string& name, Group& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RebalanceLocked(const std::string& name, Group& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  MemberAssignment AssignmentLocked(const std::string& name, const Group& group,
                                    const std::string& member_id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::string NewMemberIdLocked(const std::string& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands the generations produced under `lock` to the listener after releasing it.
  void ReleaseAndPersist(absl::ReleasableMutexLock& lock);
  // Holds mu_ for a public call; on destruction (after the return value is built) releases it
  // and persists the generations the call produced.
  class PersistingLock {
   public:
    explicit PersistingLock(GroupCoordinator* c) : c_(c), lock_(&c->mu_) {}
    ~PersistingLock() { c_->ReleaseAndPersist(lock_); }
    PersistingLock(const PersistingLock&) = delete;
    PersistingLock& operator=(const PersistingLock&) = delete;

   private:
    GroupCoordinator* const c_;
    absl::ReleasableMutexLock lock_;
  };

  const Clock* const clock_;
  const GroupOptions options_;
  const PartitionCounter partition_counter_;
  const GenerationListener generation_listener_;
  const GenerationLoader generation_loader_;

  absl::Mutex mu_;
  std::vector<std::pair<std::string, int64_t>> pending_generations_ ABSL_GUARDED_BY(mu_);
  // Persisting calls take a ticket under mu_ and call the listener in ticket order, holding
  // neither mutex while it runs.
  uint64_t next_persist_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Mutex persist_mu_;
  uint64_t persist_turn_ ABSL_GUARDED_BY(persist_mu_) = 0;
  std::map<std::string, Group> groups_ ABSL_GUARDED_BY(mu_);
  uint64_t member_seq_ ABSL_GUARDED_BY(mu_) = 0;
  const uint64_t instance_nonce_;
};

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_GROUP_COORDINATOR_H_
