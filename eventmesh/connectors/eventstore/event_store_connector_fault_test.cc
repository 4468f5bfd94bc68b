// Faults in the store path must not lose acknowledged events: a failed offset lookup while a
// partition is assigned, a crash before a new group's first commit, and a log that became
// shorter than the group's position (topic re-created). Real RocksDB engine behind a wrapper
// that fails chosen calls.

#include <stdlib.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/eventstore/event_store_connector.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

// Forwards to a real store; FetchOffsets / GetOffsets / CommitOffsets fail while their
// counters are positive (each failure decrements).
class FaultyStore final : public store::EventStore {
 public:
  explicit FaultyStore(std::unique_ptr<store::EventStore> inner) : inner_(std::move(inner)) {}

  std::atomic<int> fail_fetch_offsets{0};
  std::atomic<int> fail_get_offsets{0};
  std::atomic<int> fail_commits{0};
  // While set, a commit waits for `commits_release` before it reaches the store (a commit in
  // flight); commits_held counts the commits that waited.
  std::atomic<bool> hold_commits{false};
  std::atomic<int> commits_held{0};
  absl::Notification commits_release;
  absl::Notification release;
  std::atomic<int> heartbeats_hanging{0};
  // Heartbeats seen per group.
  absl::Mutex heartbeats_mu;
  // Heartbeats of this group block until `release` is notified (a store call that hangs). Set
  // by the test while the connector's workers run, hence under the lock.
  std::string hang_heartbeats_of ABSL_GUARDED_BY(heartbeats_mu);
  std::map<std::string, int> heartbeats ABSL_GUARDED_BY(heartbeats_mu);
  int HeartbeatsOf(const std::string& group) {
    absl::MutexLock lock(&heartbeats_mu);
    return heartbeats[group];
  }

  absl::StatusOr<store::TopicDescription> CreateTopic(const store::CreateTopicRequest& r) override {
    return inner_->CreateTopic(r);
  }
  absl::StatusOr<store::TopicDescription> DescribeTopic(
      const store::DescribeTopicRequest& r) override {
    return inner_->DescribeTopic(r);
  }
  absl::StatusOr<store::ListTopicsResult> ListTopics(const store::ListTopicsRequest& r) override {
    return inner_->ListTopics(r);
  }
  absl::StatusOr<store::DeleteTopicResult> DeleteTopic(
      const store::DeleteTopicRequest& r) override {
    return inner_->DeleteTopic(r);
  }
  absl::StatusOr<store::AppendResult> Append(const store::AppendRequest& r) override {
    return inner_->Append(r);
  }
  void AppendAsync(const store::AppendRequest& r, AppendCallback done) override {
    inner_->AppendAsync(r, std::move(done));
  }
  absl::StatusOr<store::ReadResult> Read(const store::ReadRequest& r) override {
    return inner_->Read(r);
  }
  absl::StatusOr<store::ReadResult> Fetch(const store::FetchRequest& r) override {
    return inner_->Fetch(r);
  }
  void FetchAsync(const store::FetchRequest& r, FetchCallback done) override {
    inner_->FetchAsync(r, std::move(done));
  }
  absl::StatusOr<store::OffsetsResult> GetOffsets(const store::OffsetsRequest& r) override {
    if (Take(&fail_get_offsets)) return absl::UnavailableError("injected: GetOffsets");
    return inner_->GetOffsets(r);
  }
  absl::StatusOr<store::SeekTimeResult> SeekTime(const store::SeekTimeRequest& r) override {
    return inner_->SeekTime(r);
  }
  absl::StatusOr<store::MemberAssignment> JoinGroup(const store::JoinGroupRequest& r) override {
    return inner_->JoinGroup(r);
  }
  absl::StatusOr<store::MemberAssignment> Heartbeat(const store::HeartbeatRequest& r) override {
    bool hang = false;
    {
      absl::MutexLock lock(&heartbeats_mu);
      ++heartbeats[r.group];
      hang = !hang_heartbeats_of.empty() && r.group == hang_heartbeats_of;
    }
    if (hang) {
      ++heartbeats_hanging;
      release.WaitForNotificationWithTimeout(absl::Seconds(60));
    }
    return inner_->Heartbeat(r);
  }
  absl::StatusOr<store::LeaveGroupResult> LeaveGroup(const store::LeaveGroupRequest& r) override {
    return inner_->LeaveGroup(r);
  }
  absl::StatusOr<store::GroupDescription> DescribeGroup(
      const store::DescribeGroupRequest& r) override {
    return inner_->DescribeGroup(r);
  }
  absl::StatusOr<store::CommitOffsetsResult> CommitOffsets(
      const store::CommitOffsetsRequest& r) override {
    if (Take(&fail_commits)) return absl::UnavailableError("injected: CommitOffsets");
    if (hold_commits.load()) {
      commits_held.fetch_add(1);
      commits_release.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    return inner_->CommitOffsets(r);
  }
  absl::StatusOr<store::FetchOffsetsResult> FetchOffsets(
      const store::FetchOffsetsRequest& r) override {
    if (Take(&fail_fetch_offsets)) return absl::UnavailableError("injected: FetchOffsets");
    return inner_->FetchOffsets(r);
  }
  absl::StatusOr<store::RetentionPassResult> RunRetentionOnce() override {
    return inner_->RunRetentionOnce();
  }

 private:
  static bool Take(std::atomic<int>* counter) {
    int n = counter->load();
    while (n > 0) {
      if (counter->compare_exchange_weak(n, n - 1)) return true;
    }
    return false;
  }
  std::unique_ptr<store::EventStore> inner_;
};

cloudevents::CloudEvent MakeEvent(int i) {
  cloudevents::CloudEvent event;
  event.set_id(absl::StrCat("id-", i));
  event.set_source("/test");
  event.set_type("t");
  event.set_subject("topic");
  event.set_data(absl::StrCat("payload ", i), cloudevents::DataEncoding::kText);
  return event;
}

// Collects deliveries; acknowledges on request.
class Member {
 public:
  absl::Status Join(Connector* connector, const std::string& group = "g") {
    SubscribeOptions options;
    options.group = group;
    options.topic = "topic";
    auto sub = connector->Subscribe(options, [this](std::vector<DeliveredEvent>* events) {
      absl::MutexLock lock(&mu_);
      for (auto& e : *events) {
        ids_.insert(e.event->id());
        positions_.push_back(e.position);
      }
    });
    if (!sub.ok()) return sub.status();
    sub_ = std::move(*sub);
    return absl::OkStatus();
  }
  // Waits (bounded) until `count` distinct events arrived.
  bool WaitFor(size_t count, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    want_ = count;
    return mu_.AwaitWithTimeout(absl::Condition(this, &Member::Enough), timeout);
  }
  void AckAll() {
    std::vector<Position> positions;
    {
      absl::MutexLock lock(&mu_);
      positions.swap(positions_);
    }
    if (!positions.empty()) sub_->AckAll(positions);
  }
  std::set<std::string> ids() {
    absl::MutexLock lock(&mu_);
    return ids_;
  }
  void Leave() {
    if (sub_) sub_->Close();
    sub_.reset();
  }

 private:
  bool Enough() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ids_.size() >= want_; }

  absl::Mutex mu_;
  std::set<std::string> ids_ ABSL_GUARDED_BY(mu_);
  size_t want_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Position> positions_;
  std::unique_ptr<Subscription> sub_;
};

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions store_options;
    store_options.path =
        absl::StrCat(getenv("TEST_TMPDIR"), "/",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    store_options.sync_mode = store::SyncMode::kNone;
    store_options.retention_interval_ms = 0;
    auto store = store::RocksDbEventStore::Open(store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto faulty = std::make_unique<FaultyStore>(std::move(*store));
    faulty_ = faulty.get();
    EventStoreConnectorOptions options;
    options.append_on_caller_thread = true;
    options.commit_interval_ms = commit_interval_ms_;
    options.heartbeat_interval_ms = 30;
    options.fetch_wait_ms = 50;
    connector_ = EventStoreConnector::Create(std::move(faulty), options);
    ASSERT_TRUE(connector_->CreateTopic("topic", 1).ok());
  }
  void TearDown() override { connector_->Shutdown(); }

  void Publish(int from, int to) {
    for (int i = from; i < to; ++i) {
      absl::Mutex mu;
      bool done = false;
      connector_->Publish(MakeEvent(i), [&](absl::StatusOr<PublishResult> r) {
        EXPECT_TRUE(r.ok()) << r.status();
        absl::MutexLock lock(&mu);
        done = true;
      });
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(&done));
    }
  }

  int64_t commit_interval_ms_ = 20;
  FaultyStore* faulty_ = nullptr;
  std::unique_ptr<EventStoreConnector> connector_;
};

TEST_F(FaultTest, AFailedOffsetLookupAtAssignmentDoesNotSkipTheBacklog) {
  Member first;
  ASSERT_TRUE(first.Join(connector_.get()).ok());
  Publish(0, 5);
  ASSERT_TRUE(first.WaitFor(5));
  first.AckAll();
  first.Leave();   // commits offset 5
  Publish(5, 15);  // the backlog the group has not seen

  // The next member's first lookups of the committed offset fail.
  faulty_->fail_fetch_offsets = 3;
  Member second;
  ASSERT_TRUE(second.Join(connector_.get()).ok());
  ASSERT_TRUE(second.WaitFor(10)) << second.ids().size() << " of the 10 backlog events";
  for (int i = 5; i < 15; ++i) EXPECT_EQ(second.ids().count(absl::StrCat("id-", i)), 1u) << i;
  EXPECT_EQ(second.ids().count("id-0"), 0u);  // resumed at the committed offset, not earlier
  second.Leave();
}

// Close while a maintenance worker's commit is in flight: the final commit waits for it (and
// retries what it failed to write) instead of leaving the group first, which would make the
// store refuse the worker's commit of a member that is gone and lose the acknowledged offsets.
TEST_F(FaultTest, CloseDuringACommitInFlightKeepsTheAcknowledgedOffsets) {
  Member member;
  ASSERT_TRUE(member.Join(connector_.get()).ok());
  Publish(0, 5);
  ASSERT_TRUE(member.WaitFor(5));
  faulty_->hold_commits = true;
  member.AckAll();  // the next commit tick takes offset 5 and waits inside the store call
  for (int i = 0; i < 4000 && faulty_->commits_held.load() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GT(faulty_->commits_held.load(), 0) << "no commit started";
  absl::Notification left;
  std::thread closer([&] {
    member.Leave();
    left.Notify();
  });
  // Bounded: with the commit held, Close either waits for it or (the bug) has left already.
  left.WaitForNotificationWithTimeout(absl::Milliseconds(300));
  faulty_->hold_commits = false;
  faulty_->commits_release.Notify();
  closer.join();
  store::FetchOffsetsRequest request;
  request.group = "g";
  request.topic = "topic";
  auto committed = faulty_->FetchOffsets(request);
  ASSERT_TRUE(committed.ok()) << committed.status();
  ASSERT_EQ(committed->offsets.size(), 1u);
  EXPECT_EQ(committed->offsets[0].offset, 5) << "acknowledged offsets lost at close";
}

TEST_F(FaultTest, OneHangingHeartbeatDoesNotStopTheOtherGroupsHeartbeats) {
  Member stuck, healthy;
  ASSERT_TRUE(stuck.Join(connector_.get(), "stuck").ok());
  ASSERT_TRUE(healthy.Join(connector_.get(), "healthy").ok());
  {
    absl::MutexLock lock(&faulty_->heartbeats_mu);
    faulty_->hang_heartbeats_of = "stuck";
  }
  // Wait (bounded) until a heartbeat of "stuck" hangs in the store.
  for (int i = 0; i < 2000 && faulty_->heartbeats_hanging.load() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GT(faulty_->heartbeats_hanging.load(), 0);
  // The other group keeps its heartbeats (30 ms interval) and its deliveries going.
  const int before = faulty_->HeartbeatsOf("healthy");
  bool more = false;
  for (int i = 0; i < 2000 && !more; ++i) {
    more = faulty_->HeartbeatsOf("healthy") >= before + 5;
    if (!more) absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(more) << "heartbeats of the healthy group stopped while another group's hung";
  Publish(0, 5);
  EXPECT_TRUE(healthy.WaitFor(5));
  faulty_->release.Notify();
  stuck.Leave();
  healthy.Leave();
}

TEST_F(FaultTest, AFailedEndLookupForANewGroupRetriesInsteadOfGuessing) {
  Publish(0, 5);  // history before the group exists: a new group starts after it
  faulty_->fail_get_offsets = 2;
  Member member;
  ASSERT_TRUE(member.Join(connector_.get(), "fresh").ok());
  // Wait until the partition is owned: its start is committed (below) before delivery starts.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::StatusOr<store::FetchOffsetsResult> committed;
  while (absl::Now() < deadline) {
    committed = connector_->store()->FetchOffsets({"fresh", "topic", {0}});
    if (committed.ok() && !committed->offsets.empty() && committed->offsets[0].offset >= 0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->offsets.size(), 1u);
  EXPECT_EQ(committed->offsets[0].offset, 5);  // the end, not 0 (a guessed start)
  Publish(5, 8);
  ASSERT_TRUE(member.WaitFor(3));
  EXPECT_EQ(member.ids(), (std::set<std::string>{"id-5", "id-6", "id-7"}));
  member.Leave();
}

// The start of a new group is chosen once: when committing it fails (a stale generation after
// another member joined, the store unreachable), the next attempt commits the same start rather
// than the partition's end at that later time, which would skip what was published in between.
TEST_F(FaultTest, AFailedStartCommitKeepsTheStartFirstChosen) {
  Publish(0, 5);  // history before the group exists: a new group starts after it
  faulty_->fail_commits = 3;
  Member member;
  ASSERT_TRUE(member.Join(connector_.get(), "fresh").ok());
  // The start (5) was chosen and its first commit refused; publish before it is committed.
  const absl::Time chosen = absl::Now() + absl::Seconds(20);
  while (faulty_->fail_commits.load() == 3 && absl::Now() < chosen) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_LT(faulty_->fail_commits.load(), 3) << "no start commit was attempted";
  Publish(5, 8);
  ASSERT_TRUE(member.WaitFor(3)) << "events published after the subscription were skipped";
  EXPECT_EQ(member.ids(), (std::set<std::string>{"id-5", "id-6", "id-7"}));
  auto committed = connector_->store()->FetchOffsets({"fresh", "topic", {0}});
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(committed->offsets.size(), 1u);
  EXPECT_GE(committed->offsets[0].offset, 5);
  member.Leave();
}

// A connector over a fresh RocksDB store in $TEST_TMPDIR/<dir> (sync none, no retention pass),
// with topic "topic" of `partitions` partitions.
std::unique_ptr<EventStoreConnector> OpenConnector(const std::string& dir, int partitions,
                                                   const EventStoreConnectorOptions& options) {
  store::StoreOptions store_options;
  store_options.path = absl::StrCat(getenv("TEST_TMPDIR"), "/", dir);
  store_options.sync_mode = store::SyncMode::kNone;
  store_options.retention_interval_ms = 0;
  auto store = store::RocksDbEventStore::Open(store_options);
  if (!store.ok()) return nullptr;
  auto connector = EventStoreConnector::Create(std::move(*store), options);
  if (!connector->CreateTopic("topic", partitions).ok()) return nullptr;
  return connector;
}

TEST(FaultStartTest, ANewGroupsStartIsCommittedBeforeAnythingIsDelivered) {
  // Commits by the tick would come only after an hour: the start position must not wait for it.
  EventStoreConnectorOptions options;
  options.append_on_caller_thread = true;
  options.commit_interval_ms = 3'600'000;
  auto connector = OpenConnector("new_group_start", 2, options);
  ASSERT_NE(connector, nullptr);
  Member member;
  ASSERT_TRUE(member.Join(connector.get(), "brand-new").ok());
  // Subscribe returned: the start of every assigned partition is already committed, so a crash
  // now (before any tick) resumes here and delivered-but-unacknowledged events come back.
  auto committed = connector->store()->FetchOffsets({"brand-new", "topic", {}});
  ASSERT_TRUE(committed.ok()) << committed.status();
  ASSERT_EQ(committed->offsets.size(), 2u);
  for (const auto& c : committed->offsets) EXPECT_EQ(c.offset, 0) << c.partition;
  member.Leave();
  connector->Shutdown();
}

// A group's start on a partition it never consumed is fixed for the whole group when a
// subscription is answered, not by whichever member owns the partition later: here another
// member holds one partition and never commits, events are published, that member leaves, and
// the subscriber that takes the partition over must get every event published after it
// subscribed (reading the partition's end at takeover would skip them).
TEST(FaultStartTest, APartitionTakenOverLaterStartsWhereTheGroupStarted) {
  EventStoreConnectorOptions options;
  options.append_on_caller_thread = true;
  options.heartbeat_interval_ms = 30;
  options.fetch_wait_ms = 50;
  auto connector = OpenConnector("takeover_start", 2, options);
  ASSERT_NE(connector, nullptr);
  store::JoinGroupRequest join;  // a member of another process: holds partitions, commits nothing
  join.group = "late";
  join.topics = {"topic"};
  join.session_timeout_ms = 60'000;
  auto other = connector->store()->JoinGroup(join);
  ASSERT_TRUE(other.ok()) << other.status();
  Member member;
  ASSERT_TRUE(member.Join(connector.get(), "late").ok());
  auto described = connector->store()->DescribeGroup({"late"});
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->members.size(), 2u);
  for (const auto& m : described->members) {
    EXPECT_EQ(m.partitions.size(), 1u) << m.member_id;  // the other member keeps one partition
  }
  for (int i = 0; i < 20; ++i) {
    absl::Notification published;
    connector->Publish(MakeEvent(i), [&](absl::StatusOr<PublishResult> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      published.Notify();
    });
    published.WaitForNotification();
  }
  auto ends = connector->store()->DescribeTopic({"topic"});
  ASSERT_TRUE(ends.ok());
  for (const auto& info : ends->partition_info) {
    EXPECT_GT(info.next_offset, 0) << "no event on partition " << info.partition;
  }
  ASSERT_TRUE(connector->store()->LeaveGroup({"late", other->member_id}).ok());
  EXPECT_TRUE(member.WaitFor(20)) << member.ids().size() << " of 20 events";
  for (int i = 0; i < 20; ++i) EXPECT_EQ(member.ids().count(absl::StrCat("id-", i)), 1u) << i;
  member.Leave();
  connector->Shutdown();
}

TEST_F(FaultTest, ALogShorterThanThePositionRestartsAtItsBeginningWithoutSpinning) {
  Member member;
  ASSERT_TRUE(member.Join(connector_.get()).ok());
  Publish(0, 20);
  ASSERT_TRUE(member.WaitFor(20));
  member.AckAll();
  // The topic is deleted and re-created behind the group's back; it is now shorter (3 events)
  // than the group's position (20).
  ASSERT_TRUE(connector_->DeleteTopic("topic").ok());
  ASSERT_TRUE(connector_->CreateTopic("topic", 1).ok());
  Publish(100, 103);
  ASSERT_TRUE(member.WaitFor(23)) << member.ids().size();
  for (int i = 100; i < 103; ++i) EXPECT_EQ(member.ids().count(absl::StrCat("id-", i)), 1u) << i;
  member.Leave();
}

}  // namespace
}  // namespace eventmesh::connectors
