#include "eventmesh/store/engine/group_coordinator.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace eventmesh::store {

absl::Status ValidateGroupName(absl::string_view group) {
  if (group.empty()) return absl::InvalidArgumentError("group name must not be empty");
  if (group.size() > 249) {
    return absl::InvalidArgumentError(
        absl::StrCat("group name is ", group.size(), " characters long, the maximum is 249"));
  }
  if (group.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("group name must not contain NUL characters");
  }
  return absl::OkStatus();
}

namespace {
absl::Status UnknownMember(const std::string& group, const std::string& member_id) {
  return absl::FailedPreconditionError(absl::StrCat("member \"", member_id, "\" is not in group \"",
                                                    group,
                                                    "\" (never joined, left or expired); rejoin"));
}
}  // namespace

GroupCoordinator::GroupCoordinator(const Clock* clock, GroupOptions options,
                                   PartitionCounter partition_counter,
                                   GenerationListener generation_listener,
                                   GenerationLoader generation_loader)
    : clock_(clock),
      options_(options),
      partition_counter_(std::move(partition_counter)),
      generation_listener_(std::move(generation_listener)),
      generation_loader_(std::move(generation_loader)),
      instance_nonce_(absl::Uniform<uint64_t>(absl::BitGen())) {}

void GroupCoordinator::RestoreGeneration(const std::string& group, int64_t generation) {
  absl::MutexLock lock(&mu_);
  Group& g = groups_[group];
  g.generation = std::max(g.generation, generation);
}

std::string GroupCoordinator::NewMemberIdLocked(const std::string& group) {
  return absl::StrFormat("%s-%d-%016x", group, ++member_seq_, instance_nonce_);
}

int GroupCoordinator::ExpireLocked(const std::string& name, Group& group) {
  const int64_t now = clock_->NowMs();
  int expired = 0;
  for (auto it = group.members.begin(); it != group.members.end();) {
    if (now - it->second.last_heartbeat_ms > it->second.session_timeout_ms) {
      it = group.members.erase(it);
      ++expired;
    } else {
      ++it;
    }
  }
  if (expired > 0) RebalanceLocked(name, group);
  return expired;
}

void GroupCoordinator::RebalanceLocked(const std::string& name, Group& group) {
  ++group.generation;
  std::set<std::string> topics;
  for (auto& [id, member] : group.members) {
    member.assignment.clear();
    topics.insert(member.topics.begin(), member.topics.end());
  }
  size_t rotation = 0;
  for (const std::string& topic : topics) {
    absl::StatusOr<int32_t> partitions = partition_counter_(topic);
    if (!partitions.ok()) continue;  // unknown topic: nothing to assign
    std::vector<Member*> eligible;
    for (auto& [id, member] : group.members) {
      if (std::binary_search(member.topics.begin(), member.topics.end(), topic)) {
        eligible.push_back(&member);
      }
    }
    if (eligible.empty()) continue;
    for (int32_t p = 0; p < *partitions; ++p) {
      eligible[(rotation + static_cast<size_t>(p)) % eligible.size()]->assignment.push_back(
          TopicPartition{topic, p});
    }
    rotation += static_cast<size_t>(*partitions);
  }
  if (generation_listener_) pending_generations_.emplace_back(name, group.generation);
}

void GroupCoordinator::ReleaseAndPersist(absl::ReleasableMutexLock& lock) {
  std::vector<std::pair<std::string, int64_t>> pending;
  pending.swap(pending_generations_);
  if (pending.empty()) {
    lock.Release();
    return;
  }
  // Tickets keep a group's generations reaching the listener in increasing order.
  const uint64_t ticket = next_persist_ticket_++;
  lock.Release();
  struct Turn {
    const uint64_t* turn;
    uint64_t ticket;
    static bool Reached(Turn* t) { return *t->turn == t->ticket; }
  };
  persist_mu_.Lock();
  Turn turn{&persist_turn_, ticket};
  persist_mu_.Await(absl::Condition(&Turn::Reached, &turn));
  persist_mu_.Unlock();
  for (const auto& [group, generation] : pending) generation_listener_(group, generation);
  persist_mu_.Lock();
  ++persist_turn_;
  persist_mu_.Unlock();
}

size_t GroupCoordinator::group_count() {
  absl::MutexLock lock(&mu_);
  return groups_.size();
}

MemberAssignment GroupCoordinator::AssignmentLocked(const std::string& name, const Group& group,
                                                    const std::string& member_id) const {
  MemberAssignment result;
  result.group = name;
  result.member_id = member_id;
  result.generation = group.generation;
  auto it = group.members.find(member_id);
  if (it != group.members.end()) {
    result.partitions = it->second.assignment;
    std::sort(result.partitions.begin(), result.partitions.end());
  }
  return result;
}

absl::StatusOr<MemberAssignment> GroupCoordinator::Join(const JoinGroupRequest& request) {
  if (absl::Status s = ValidateGroupName(request.group); !s.ok()) return s;
  if (request.member_id.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat("member id is ", request.member_id.size(),
                                                   " characters long, the maximum is 255"));
  }
  if (request.topics.empty()) {
    return absl::InvalidArgumentError("JoinGroup needs at least one subscribed topic");
  }
  for (const std::string& topic : request.topics) {
    if (absl::Status s = ValidateTopicName(topic); !s.ok()) return s;
  }
  int64_t timeout = request.session_timeout_ms == 0 ? options_.default_session_timeout_ms
                                                    : request.session_timeout_ms;
  if (timeout < options_.min_session_timeout_ms || timeout > options_.max_session_timeout_ms) {
    return absl::InvalidArgumentError(
        absl::StrFormat("session timeout %d ms is outside the allowed range [%d, %d] ms", timeout,
                        options_.min_session_timeout_ms, options_.max_session_timeout_ms));
  }
  std::vector<std::string> topics = request.topics;
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());

  const int64_t persisted = generation_loader_ ? generation_loader_(request.group) : 0;
  PersistingLock lock(this);
  Group& group = groups_[request.group];
  group.generation = std::max(group.generation, persisted);
  ExpireLocked(request.group, group);
  const std::string member_id =
      request.member_id.empty() ? NewMemberIdLocked(request.group) : request.member_id;
  auto [it, inserted] = group.members.try_emplace(member_id);
  Member& member = it->second;
  member.last_heartbeat_ms = clock_->NowMs();
  member.session_timeout_ms = timeout;
  if (inserted || member.topics != topics) {
    member.topics = std::move(topics);
    RebalanceLocked(request.group, group);
  }
  return AssignmentLocked(request.group, group, member_id);
}

absl::StatusOr<MemberAssignment> GroupCoordinator::Heartbeat(const HeartbeatRequest& request) {
  PersistingLock lock(this);
  auto git = groups_.find(request.group);
  if (git == groups_.end()) return UnknownMember(request.group, request.member_id);
  Group& group = git->second;
  ExpireLocked(request.group, group);
  auto it = group.members.find(request.member_id);
  if (it == group.members.end()) return UnknownMember(request.group, request.member_id);
  it->second.last_heartbeat_ms = clock_->NowMs();
  return AssignmentLocked(request.group, group, request.member_id);
}

absl::StatusOr<LeaveGroupResult> GroupCoordinator::Leave(const LeaveGroupRequest& request) {
  PersistingLock lock(this);
  auto git = groups_.find(request.group);
  if (git == groups_.end()) return UnknownMember(request.group, request.member_id);
  Group& group = git->second;
  ExpireLocked(request.group, group);
  if (group.members.erase(request.member_id) == 0) {
    return UnknownMember(request.group, request.member_id);
  }
  RebalanceLocked(request.group, group);
  return LeaveGroupResult{group.generation};
}

absl::StatusOr<GroupDescription> GroupCoordinator::Describe(const DescribeGroupRequest& request) {
  PersistingLock lock(this);
  auto git = groups_.find(request.group);
  if (git == groups_.end()) {
    return absl::NotFoundError(absl::StrCat("group \"", request.group, "\" is not known"));
  }
  Group& group = git->second;
  ExpireLocked(request.group, group);
  GroupDescription result;
  result.group = request.group;
  result.generation = group.generation;
  for (const auto& [id, member] : group.members) {
    GroupMemberInfo info;
    info.member_id = id;
    info.topics = member.topics;
    info.partitions = member.assignment;
    std::sort(info.partitions.begin(), info.partitions.end());
    info.last_heartbeat_ms = member.last_heartbeat_ms;
    info.session_timeout_ms = member.session_timeout_ms;
    result.members.push_back(std::move(info));
  }
  return result;
}

absl::Status GroupCoordinator::ValidateCommit(const std::string& group_name,
                                              const std::string& member_id, int64_t generation) {
  PersistingLock lock(this);
  auto git = groups_.find(group_name);
  if (member_id.empty() && generation < 0) {
    if (git == groups_.end()) return absl::OkStatus();
    ExpireLocked(group_name, git->second);
    if (git->second.members.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("group \"", group_name, "\" has ", git->second.members.size(),
                     " live member(s); a commit must carry a member id and the current generation ",
                     git->second.generation));
  }
  if (git == groups_.end()) return UnknownMember(group_name, member_id);
  Group& group = git->second;
  ExpireLocked(group_name, group);
  if (group.members.find(member_id) == group.members.end()) {
    return UnknownMember(group_name, member_id);
  }
  if (generation != group.generation) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stale generation ", generation, " for group \"", group_name,
        "\": the current generation is ", group.generation, "; rejoin to get the new assignment"));
  }
  return absl::OkStatus();
}

int GroupCoordinator::ExpireMembers() {
  PersistingLock lock(this);
  int expired = 0;
  for (auto it = groups_.begin(); it != groups_.end();) {
    expired += ExpireLocked(it->first, it->second);
    if (generation_loader_ && it->second.members.empty()) {
      it = groups_.erase(it);  // Join reloads its generation
    } else {
      ++it;
    }
  }
  return expired;
}

void GroupCoordinator::TopicChanged(const std::string& topic) {
  PersistingLock lock(this);
  for (auto& [name, group] : groups_) {
    bool subscribed = false;
    for (const auto& [id, member] : group.members) {
      if (std::binary_search(member.topics.begin(), member.topics.end(), topic)) {
        subscribed = true;
        break;
      }
    }
    if (subscribed) RebalanceLocked(name, group);
  }
}

}  // namespace eventmesh::store
