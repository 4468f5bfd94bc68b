#include "eventmesh/connectors/testing/connector_conformance.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"

namespace eventmesh::connectors::testing {

std::string ConformanceTestName(const ::testing::TestParamInfo<ConformanceFactory>& info) {
  return info.param.name;
}

namespace {

using protocol::tcp::Command;
using protocol::tcp::Package;
using protocol::tcp::SubscriptionMode;
using runtime::testing::TestClient;

// Upper bound of every wait for something that should happen (never reached when it works).
constexpr absl::Duration kWait = absl::Seconds(30);
// How long the suite watches for something that must not happen.
constexpr absl::Duration kQuiet = absl::Milliseconds(500);

cloudevents::CloudEvent MakeEvent(const std::string& topic, const std::string& id) {
  cloudevents::CloudEvent event;
  event.set_id(id);
  event.set_source("/conformance");
  event.set_type("conformance");
  event.set_subject(topic);
  event.set_data("data-" + id, cloudevents::DataEncoding::kText);
  return event;
}

// Publishes and waits (bounded) for the callback; a callback that never runs is
// DeadlineExceeded "no publish callback" (a hang, which the suite reports as a failure).
absl::StatusOr<PublishResult> PublishSync(Connector* connector, cloudevents::CloudEvent event,
                                          absl::Duration timeout = kWait) {
  struct State {
    absl::Mutex mu;
    std::optional<absl::StatusOr<PublishResult>> result;
  };
  auto state = std::make_shared<State>();
  connector->Publish(std::move(event), [state](absl::StatusOr<PublishResult> r) {
    absl::MutexLock lock(&state->mu);
    state->result = std::move(r);
  });
  absl::MutexLock lock(&state->mu);
  auto done = [&] { return state->result.has_value(); };
  state->mu.AwaitWithTimeout(absl::Condition(&done), timeout);
  if (!state->result.has_value()) {
    return absl::DeadlineExceededError("no publish callback within the bound: publish hung");
  }
  return *state->result;
}

// Receives events of one subscription. With auto-ack, its own thread acknowledges every
// delivered event (not from inside the handler); otherwise the test acknowledges with AckTaken.
// Thread-safe.
class Collector {
 public:
  explicit Collector(bool auto_ack) : auto_ack_(auto_ack) {}
  ~Collector() { StopAcking(); }

  DeliveryHandler Handler() {
    return [this](std::vector<DeliveredEvent>* events) {
      absl::MutexLock lock(&mu_);
      for (auto& e : *events) {
        ids_.push_back(e.event->id());
        received_.push_back(e);
        unacked_.push_back(e.position);
      }
    };
  }

  // Starts the acknowledging thread (auto-ack) for `subscription`.
  void Attach(Subscription* subscription) {
    subscription_ = subscription;
    if (!auto_ack_) return;
    acker_ = std::thread([this] {
      absl::MutexLock lock(&mu_);
      for (;;) {
        auto ready = [this] { return stop_ || !unacked_.empty(); };
        mu_.Await(absl::Condition(&ready));
        if (stop_) return;
        std::vector<Position> positions = std::move(unacked_);
        unacked_.clear();
        mu_.Unlock();
        subscription_->AckAll(positions);
        mu_.Lock();
      }
    });
  }

  // Stops the acknowledging thread (before the subscription is closed). Idempotent.
  void StopAcking() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    if (acker_.joinable()) acker_.join();
  }

  // Acknowledges everything delivered and not acknowledged yet (manual mode).
  size_t AckTaken() {
    std::vector<Position> positions;
    {
      absl::MutexLock lock(&mu_);
      positions = std::move(unacked_);
      unacked_.clear();
    }
    subscription_->AckAll(positions);
    return positions.size();
  }

  // Waits (bounded) until at least `n` events arrived; returns how many did.
  size_t WaitFor(size_t n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return ids_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return ids_.size();
  }

  // Waits (bounded) until every id of `expected` arrived; returns the missing ones.
  std::set<std::string> WaitForIds(const std::set<std::string>& expected,
                                   absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto missing = [&] {
      std::set<std::string> seen(ids_.begin(), ids_.end());
      std::set<std::string> out;
      for (const auto& id : expected) {
        if (seen.count(id) == 0) out.insert(id);
      }
      return out;
    };
    auto all_there = [&] { return missing().empty(); };
    mu_.AwaitWithTimeout(absl::Condition(&all_there), timeout);
    return missing();
  }

  std::vector<std::string> ids() {
    absl::MutexLock lock(&mu_);
    return ids_;
  }
  std::vector<DeliveredEvent> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return ids_.size();
  }

 private:
  const bool auto_ack_;
  Subscription* subscription_ = nullptr;
  std::thread acker_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<DeliveredEvent> received_ ABSL_GUARDED_BY(mu_);
  std::vector<Position> unacked_ ABSL_GUARDED_BY(mu_);
};

// A subscription with its collector; Close stops acknowledging, then closes the subscription.
struct Member {
  std::unique_ptr<Collector> collector;
  std::unique_ptr<Subscription> subscription;

  void Close() {
    if (collector) collector->StopAcking();
    if (subscription) subscription->Close();
    subscription.reset();
  }
  ~Member() { Close(); }
};

SubscribeOptions Options(const std::string& group, const std::string& topic,
                         ConsumeMode mode = ConsumeMode::kClustering,
                         StartPosition start = StartPosition::kEarliest,
                         int32_t max_unacked = 1000) {
  SubscribeOptions options;
  options.group = group;
  options.topic = topic;
  options.mode = mode;
  options.start = start;
  options.max_unacked = max_unacked;
  return options;
}

absl::StatusOr<std::unique_ptr<Member>> Join(Connector* connector, const SubscribeOptions& options,
                                             bool auto_ack) {
  auto member = std::make_unique<Member>();
  member->collector = std::make_unique<Collector>(auto_ack);
  auto subscription = connector->Subscribe(options, member->collector->Handler());
  if (!subscription.ok()) return subscription.status();
  member->subscription = std::move(*subscription);
  member->collector->Attach(member->subscription.get());
  return member;
}

std::string BodyOf(const Package& push) {
  auto message = protocol::tcp::EventMeshMessage::FromJson(push.body);
  return message.ok() ? message->body : "<undecodable: " + push.body + ">";
}

}  // namespace

void ConnectorConformanceTest::SetUp() {
  env_ = GetParam().make();
  ASSERT_NE(env_, nullptr);
  absl::Status started = env_->SetUp();
  ASSERT_TRUE(started.ok()) << started;
}

void ConnectorConformanceTest::TearDown() {
  for (auto& connector : connectors_) {
    if (connector) connector->Shutdown();
  }
  connectors_.clear();
  env_.reset();
}

Connector* ConnectorConformanceTest::OpenConnector() {
  auto connector = env_->Open();
  EXPECT_TRUE(connector.ok()) << connector.status();
  if (!connector.ok()) return nullptr;
  EXPECT_EQ((*connector)->name(), env_->name());
  connectors_.push_back(std::move(*connector));
  return connectors_.back().get();
}

void ConnectorConformanceTest::CloseConnector(Connector* connector) {
  for (auto& owned : connectors_) {
    if (owned.get() == connector) {
      owned->Shutdown();
      owned.reset();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Through the Connector interface.

TEST_P(ConnectorConformanceTest, TopicAdministration) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  auto exists = connector->TopicExists("conformance-admin");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
  ASSERT_TRUE(connector->CreateTopic("conformance-admin", 2).ok());
  EXPECT_EQ(connector->CreateTopic("conformance-admin", 2).code(),
            absl::StatusCode::kAlreadyExists);
  exists = connector->TopicExists("conformance-admin");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_TRUE(*exists);
  ASSERT_TRUE(connector->DeleteTopic("conformance-admin").ok());
  exists = connector->TopicExists("conformance-admin");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
}

// MQTT topic levels: "/"-separated names work like any other topic (publish, consume, list,
// delete) and keep their name in positions and events.
TEST_P(ConnectorConformanceTest, TopicsWithLevelsWork) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  const std::string topic = "home/kitchen_1/temp";
  ASSERT_TRUE(connector->CreateTopic(topic, 2).ok());
  auto exists = connector->TopicExists(topic);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_TRUE(*exists);
  // Names that differ only where an encoding could collide stay distinct.
  for (const std::string other : {"home.kitchen_1.temp", "home_skitchen__1_stemp"}) {
    auto other_exists = connector->TopicExists(other);
    ASSERT_TRUE(other_exists.ok()) << other_exists.status();
    EXPECT_FALSE(*other_exists) << other;
  }
  auto member = Join(connector, Options("levels", topic), /*auto_ack=*/true);
  ASSERT_TRUE(member.ok()) << member.status();
  auto published = PublishSync(connector, MakeEvent(topic, "lv-1"));
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->position.topic, topic);
  ASSERT_EQ((*member)->collector->WaitFor(1), 1u);
  const DeliveredEvent delivered = (*member)->collector->received()[0];
  EXPECT_EQ(delivered.event->id(), "lv-1");
  EXPECT_EQ(delivered.event->subject(), topic);
  EXPECT_EQ(delivered.position.topic, topic);
  (*member)->Close();
  auto listed = connector->ListTopics();
  if (listed.status().code() != absl::StatusCode::kUnimplemented) {
    ASSERT_TRUE(listed.ok()) << listed.status();
    EXPECT_NE(std::find(listed->begin(), listed->end(), topic), listed->end());
  }
  ASSERT_TRUE(connector->DeleteTopic(topic).ok());
  exists = connector->TopicExists(topic);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
}

TEST_P(ConnectorConformanceTest, PublishToAMissingTopicIsNotFound) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  auto published = PublishSync(connector, MakeEvent("conformance-missing", "m-1"));
  EXPECT_EQ(published.status().code(), absl::StatusCode::kNotFound) << published.status();
}

TEST_P(ConnectorConformanceTest, SubscribeToAMissingTopicIsNotFound) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  Collector collector(/*auto_ack=*/false);
  auto clustering =
      connector->Subscribe(Options("nobody", "conformance-absent"), collector.Handler());
  EXPECT_EQ(clustering.status().code(), absl::StatusCode::kNotFound) << clustering.status();
  if (connector->capabilities().supports_broadcasting) {
    auto broadcasting = connector->Subscribe(
        Options("nobody", "conformance-absent", ConsumeMode::kBroadcasting), collector.Handler());
    EXPECT_EQ(broadcasting.status().code(), absl::StatusCode::kNotFound) << broadcasting.status();
  }
  // The refusal leaves nothing behind: the topic, once created, is consumed normally.
  ASSERT_TRUE(connector->CreateTopic("conformance-absent", 1).ok());
  auto member = Join(connector, Options("nobody", "conformance-absent"), /*auto_ack=*/true);
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_TRUE(PublishSync(connector, MakeEvent("conformance-absent", "late-1")).ok());
  EXPECT_TRUE((*member)->collector->WaitForIds({"late-1"}).empty());
}

TEST_P(ConnectorConformanceTest, PublishedEventsAreConsumedInOrderPerPartition) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("ordered", 3).ok());
  auto member = Join(connector, Options("readers", "ordered"), /*auto_ack=*/true);
  ASSERT_TRUE(member.ok()) << member.status();

  // All publishes outstanding at once, issued in order from one thread.
  constexpr int kEvents = 60;
  absl::Mutex mu;
  std::map<std::string, absl::StatusOr<PublishResult>> results;
  for (int i = 0; i < kEvents; ++i) {
    const std::string id = absl::StrCat("o-", i);
    connector->Publish(MakeEvent("ordered", id), [&, id](absl::StatusOr<PublishResult> r) {
      absl::MutexLock lock(&mu);
      results.emplace(id, std::move(r));
    });
  }
  {
    absl::MutexLock lock(&mu);
    auto all = [&] { return results.size() == kEvents; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), kWait)) << "publish callbacks missing";
  }
  std::map<std::string, int> index;  // id -> publish order
  for (int i = 0; i < kEvents; ++i) index[absl::StrCat("o-", i)] = i;
  for (const auto& [id, result] : results) {
    ASSERT_TRUE(result.ok()) << id << ": " << result.status();
    EXPECT_EQ(result->position.topic, "ordered");
  }

  ASSERT_EQ((*member)->collector->WaitFor(kEvents), static_cast<size_t>(kEvents));
  std::map<int32_t, std::pair<int64_t, int>> last;  // partition -> (offset, publish index)
  std::set<std::string> seen;
  for (const DeliveredEvent& e : (*member)->collector->received()) {
    EXPECT_TRUE(seen.insert(e.event->id()).second) << "delivered twice: " << e.event->id();
    const auto& published = results.at(e.event->id());
    EXPECT_EQ(e.position.topic, "ordered");
    EXPECT_EQ(e.position.partition, published->position.partition) << e.event->id();
    EXPECT_EQ(e.position.offset, published->position.offset) << e.event->id();
    EXPECT_EQ(e.event->data(), "data-" + e.event->id());
    auto previous = last.find(e.position.partition);
    if (previous != last.end()) {
      EXPECT_GT(e.position.offset, previous->second.first) << e.event->id();
      EXPECT_GT(index[e.event->id()], previous->second.second)
          << e.event->id() << " delivered after a later publish of partition "
          << e.position.partition;
    }
    last[e.position.partition] = {e.position.offset, index[e.event->id()]};
  }
}

// PendingPublish::stored: a connector that takes the bytes as they are and one that decodes them
// first both store what the bytes encode, in order with the events of the same batch.
TEST_P(ConnectorConformanceTest, PublishBatchTakesEventsAndTheirStoredBytesAlike) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("stored-batch", 1).ok());
  auto member = Join(connector, Options("readers", "stored-batch"), /*auto_ack=*/true);
  ASSERT_TRUE(member.ok()) << member.status();

  constexpr int kEvents = 6;
  std::vector<cloudevents::CloudEvent> events;
  std::vector<Connector::PendingPublish> batch(kEvents);
  absl::Mutex mu;
  std::map<std::string, absl::Status> results;
  for (int i = 0; i < kEvents; ++i) {
    const std::string id = absl::StrCat("s-", i);
    cloudevents::CloudEvent event = MakeEvent("stored-batch", id);
    event.mutable_extensions()->insert_or_assign(
        "form", cloudevents::AttributeValue::String(i % 2 == 0 ? "stored" : "event"));
    events.push_back(event);
    if (i % 2 == 0) {
      absl::StatusOr<std::string> bytes = cloudevents::SerializeProto(event);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      batch[i].stored = *std::move(bytes);
      batch[i].stored_topic = "stored-batch";
    } else {
      batch[i].event = std::move(event);
    }
    batch[i].done = [&, id](absl::StatusOr<PublishResult> r) {
      absl::MutexLock lock(&mu);
      results.emplace(id, r.status());
    };
  }
  connector->PublishBatch(&batch);
  EXPECT_TRUE(batch.empty());
  {
    absl::MutexLock lock(&mu);
    auto all = [&] { return results.size() == kEvents; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), kWait)) << "publish callbacks missing";
    for (const auto& [id, status] : results) EXPECT_TRUE(status.ok()) << id << ": " << status;
  }
  ASSERT_EQ((*member)->collector->WaitFor(kEvents), static_cast<size_t>(kEvents));
  const std::vector<DeliveredEvent> received = (*member)->collector->received();
  ASSERT_EQ(received.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {  // one partition: publish order
    const cloudevents::CloudEvent& got = *received[i].event;
    EXPECT_EQ(got.id(), events[i].id());
    EXPECT_EQ(got.source(), events[i].source());
    EXPECT_EQ(got.type(), events[i].type());
    EXPECT_EQ(got.subject(), events[i].subject());
    EXPECT_EQ(got.data(), events[i].data());
    const std::string* form = got.FindExtension("form");
    ASSERT_NE(form, nullptr) << got.id();
    EXPECT_EQ(*form, i % 2 == 0 ? "stored" : "event");
  }
}

TEST_P(ConnectorConformanceTest, GroupMembersShareEveryEventExactlyOnce) {
  Connector* first = OpenConnector();
  ASSERT_NE(first, nullptr);
  Connector* second = env_->SeveralConnectorsAtOnce() ? OpenConnector() : first;
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->CreateTopic("shared", 4).ok());
  constexpr int kMembers = 3;
  std::vector<std::unique_ptr<Member>> members;
  for (int i = 0; i < kMembers; ++i) {
    auto member = Join(i % 2 ? second : first, Options("workers", "shared"), /*auto_ack=*/true);
    ASSERT_TRUE(member.ok()) << member.status();
    members.push_back(std::move(*member));
  }
  auto count_of = [&](const std::string& prefix) {
    std::map<std::string, int> counts;
    for (auto& member : members) {
      for (const auto& id : member->collector->ids()) {
        if (id.rfind(prefix, 0) == 0) ++counts[id];
      }
    }
    return counts;
  };
  auto wait_round = [&](const std::string& prefix, int n) {
    const absl::Time deadline = absl::Now() + kWait;
    for (;;) {
      auto counts = count_of(prefix);
      if (static_cast<int>(counts.size()) >= n || absl::Now() >= deadline) return counts;
      absl::SleepFor(absl::Milliseconds(10));
    }
  };
  // The group settles (every member joined, partitions assigned) while warm-up rounds run:
  // settled = every member received something and two rounds in a row went to exactly one
  // member each.
  constexpr int kRound = 8;
  int clean_rounds = 0;
  const absl::Time settle_deadline = absl::Now() + kWait;
  for (int round = 0; clean_rounds < 2; ++round) {
    ASSERT_LT(absl::Now(), settle_deadline) << "the group never settled";
    const std::string prefix = absl::StrCat("warm-", round, "-");
    for (int i = 0; i < kRound; ++i) {
      auto published = PublishSync(first, MakeEvent("shared", absl::StrCat(prefix, i)));
      ASSERT_TRUE(published.ok()) << published.status();
    }
    auto counts = wait_round(prefix, kRound);
    ASSERT_EQ(counts.size(), static_cast<size_t>(kRound)) << "warm-up round " << round;
    bool clean = true;
    for (const auto& [id, n] : counts) clean = clean && n == 1;
    bool everyone = true;
    for (auto& member : members) everyone = everyone && member->collector->count() > 0;
    clean_rounds = clean && everyone ? clean_rounds + 1 : 0;
  }

  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) {
    auto published =
        PublishSync(i % 2 ? second : first, MakeEvent("shared", absl::StrCat("job-", i)));
    ASSERT_TRUE(published.ok()) << published.status();
  }
  auto counts = wait_round("job-", kEvents);
  ASSERT_EQ(counts.size(), static_cast<size_t>(kEvents));
  // A fence: once this arrives, a late duplicate of a job would have arrived too.
  ASSERT_TRUE(PublishSync(first, MakeEvent("shared", "fence")).ok());
  ASSERT_EQ(wait_round("fence", 1).size(), 1u);
  counts = count_of("job-");
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id << " delivered " << n << " times";
  int members_used = 0;
  for (auto& member : members) {
    for (const auto& id : member->collector->ids()) {
      if (id.rfind("job-", 0) == 0) {
        ++members_used;
        break;
      }
    }
  }
  EXPECT_GE(members_used, 2) << "one member took every event";
}

TEST_P(ConnectorConformanceTest, BroadcastReachesEverySubscription) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("news", 2).ok());
  SubscribeOptions options = Options("listeners", "news", ConsumeMode::kBroadcasting);
  if (!connector->capabilities().supports_broadcasting) {
    auto refused = connector->Subscribe(options, [](std::vector<DeliveredEvent>*) {});
    EXPECT_FALSE(refused.ok()) << "broadcasting is not a capability but Subscribe accepted it";
    return;
  }
  auto a = Join(connector, options, /*auto_ack=*/true);
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Join(connector, options, /*auto_ack=*/true);
  ASSERT_TRUE(b.ok()) << b.status();
  std::set<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    const std::string id = absl::StrCat("n-", i);
    auto published = PublishSync(connector, MakeEvent("news", id));
    ASSERT_TRUE(published.ok()) << published.status();
    expected.insert(id);
  }
  for (auto* member : {a->get(), b->get()}) {
    EXPECT_TRUE(member->collector->WaitForIds(expected).empty());
    EXPECT_EQ(member->collector->count(), expected.size());
  }
}

TEST_P(ConnectorConformanceTest, UnacknowledgedEventsGoToTheNextMember) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("tasks", 1).ok());
  auto first = Join(connector, Options("crew", "tasks"), /*auto_ack=*/false);
  ASSERT_TRUE(first.ok()) << first.status();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(PublishSync(connector, MakeEvent("tasks", absl::StrCat("t-", i))).ok());
  }
  ASSERT_EQ((*first)->collector->WaitFor(3), 3u);
  std::vector<DeliveredEvent> got = (*first)->collector->received();
  ASSERT_EQ(got[0].event->id(), "t-0");
  (*first)->subscription->Ack(got[0].position);  // t-1 and t-2 stay unacknowledged
  (*first)->Close();

  auto second = Join(connector, Options("crew", "tasks"), /*auto_ack=*/true);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)->collector->WaitForIds({"t-1", "t-2"}).empty());
  ASSERT_TRUE(PublishSync(connector, MakeEvent("tasks", "fence")).ok());
  EXPECT_TRUE((*second)->collector->WaitForIds({"fence"}).empty());
  std::multiset<std::string> ids;
  for (const auto& id : (*second)->collector->ids()) ids.insert(id);
  EXPECT_EQ(ids.count("t-0"), 0u) << "an acknowledged event came again";
  EXPECT_EQ(ids.count("t-1"), 1u);
  EXPECT_EQ(ids.count("t-2"), 1u);
}

TEST_P(ConnectorConformanceTest, CommittedPositionsSurviveReopeningTheConnector) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("ledger", 2).ok());
  {
    auto member = Join(connector, Options("bookkeepers", "ledger"), /*auto_ack=*/false);
    ASSERT_TRUE(member.ok()) << member.status();
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(PublishSync(connector, MakeEvent("ledger", absl::StrCat("before-", i))).ok());
    }
    ASSERT_EQ((*member)->collector->WaitFor(6), 6u);
    EXPECT_EQ((*member)->collector->AckTaken(), 6u);
    (*member)->Close();
  }
  CloseConnector(connector);  // the runtime restarts

  connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  for (int i = 0; i < 4; ++i) {  // published while the group has no member
    ASSERT_TRUE(PublishSync(connector, MakeEvent("ledger", absl::StrCat("after-", i))).ok());
  }
  // kLatest applies only to a group without committed positions: this one resumes.
  auto member = Join(
      connector, Options("bookkeepers", "ledger", ConsumeMode::kClustering, StartPosition::kLatest),
      /*auto_ack=*/true);
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_TRUE(
      (*member)->collector->WaitForIds({"after-0", "after-1", "after-2", "after-3"}).empty());
  ASSERT_TRUE(PublishSync(connector, MakeEvent("ledger", "fence")).ok());
  EXPECT_TRUE((*member)->collector->WaitForIds({"fence"}).empty());
  for (const auto& id : (*member)->collector->ids()) {
    EXPECT_EQ(id.rfind("before-", 0), std::string::npos) << "acknowledged " << id << " came again";
  }
  EXPECT_EQ((*member)->collector->count(), 5u);
}

// A failed delivery noted with NoteDeliveries travels with the group's committed position: the
// next holder of the partition (here: the runtime after a restart) gets the count with the
// event. Connectors without the capability report 0 and take the notes harmlessly.
TEST_P(ConnectorConformanceTest, DeliveryCountsSurviveReopeningTheConnector) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  const bool durable_counts = connector->capabilities().durable_delivery_counts;
  ASSERT_TRUE(connector->CreateTopic("fragile", 1).ok());
  {
    auto member = Join(connector, Options("careful", "fragile"), /*auto_ack=*/false);
    ASSERT_TRUE(member.ok()) << member.status();
    for (const char* id : {"ok-0", "poison", "ok-1"}) {
      ASSERT_TRUE(PublishSync(connector, MakeEvent("fragile", id)).ok());
    }
    ASSERT_EQ((*member)->collector->WaitFor(3), 3u);
    std::vector<DeliveredEvent> got = (*member)->collector->received();
    ASSERT_EQ(got[1].event->id(), "poison");
    for (const auto& e : got) EXPECT_EQ(e.previous_deliveries, 0) << e.event->id();
    (*member)->subscription->Ack(got[0].position);
    (*member)->subscription->NoteDeliveries(got[1].position, 2);
    (*member)->subscription->NoteDeliveries(got[1].position, 3);
    (*member)->subscription->NoteDeliveries(got[1].position, 1);  // never lowers the count
    (*member)->Close();
  }
  CloseConnector(connector);  // the runtime restarts

  connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  auto member = Join(connector, Options("careful", "fragile"), /*auto_ack=*/false);
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_TRUE((*member)->collector->WaitForIds({"poison", "ok-1"}).empty());
  std::map<std::string, int32_t> previous;
  for (const auto& e : (*member)->collector->received())
    previous[e.event->id()] = e.previous_deliveries;
  EXPECT_EQ(previous.count("ok-0"), 0u) << "an acknowledged event came again";
  EXPECT_EQ(previous["poison"], durable_counts ? 3 : 0);
  EXPECT_EQ(previous["ok-1"], 0);
  // Acknowledged, the count is gone with it.
  EXPECT_EQ((*member)->collector->AckTaken(), 2u);
  (*member)->Close();
  CloseConnector(connector);
  connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  auto again = Join(connector, Options("careful", "fragile"), /*auto_ack=*/true);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(PublishSync(connector, MakeEvent("fragile", "fence")).ok());
  EXPECT_TRUE((*again)->collector->WaitForIds({"fence"}).empty());
  for (const auto& e : (*again)->collector->received()) {
    EXPECT_EQ(e.event->id(), "fence") << "acknowledged " << e.event->id() << " came again";
    EXPECT_EQ(e.previous_deliveries, 0);
  }
}

TEST_P(ConnectorConformanceTest, MaxUnackedIsHonoured) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("window", 2).ok());
  auto member = Join(connector,
                     Options("slow", "window", ConsumeMode::kClustering, StartPosition::kEarliest,
                             /*max_unacked=*/3),
                     /*auto_ack=*/false);
  ASSERT_TRUE(member.ok()) << member.status();
  constexpr int kEvents = 10;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(PublishSync(connector, MakeEvent("window", absl::StrCat("w-", i))).ok());
  }
  Collector* collector = (*member)->collector.get();
  ASSERT_EQ(collector->WaitFor(3), 3u);
  EXPECT_EQ(collector->WaitFor(4, kQuiet), 3u) << "more than max_unacked outstanding";
  // Each round of acks refills the window completely (no partition is left without a fetch).
  for (size_t expected : {6u, 9u}) {
    EXPECT_EQ(collector->AckTaken(), 3u);
    ASSERT_EQ(collector->WaitFor(expected), expected) << "the window was not refilled";
    EXPECT_EQ(collector->WaitFor(expected + 1, kQuiet), expected)
        << "more than max_unacked outstanding";
  }
  collector->AckTaken();
  EXPECT_EQ(collector->WaitFor(kEvents), static_cast<size_t>(kEvents));
}

// The read-ahead bound in bytes: large events stop the reading long before max_unacked.
TEST_P(ConnectorConformanceTest, MaxUnackedBytesIsHonoured) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("bulky", 1).ok());
  constexpr int kEvents = 12;
  const std::string body(4000, 'b');
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(PublishSync(connector, MakeEvent("bulky", absl::StrCat(i, body))).ok());
  }
  SubscribeOptions options =
      Options("heavy", "bulky", ConsumeMode::kClustering, StartPosition::kEarliest);
  options.max_unacked_bytes = 3 * 4000;  // about three events
  auto member = Join(connector, options, /*auto_ack=*/false);
  ASSERT_TRUE(member.ok()) << member.status();
  Collector* collector = (*member)->collector.get();
  const size_t first = collector->WaitFor(1);
  ASSERT_GE(first, 1u);
  const size_t held = collector->WaitFor(kEvents, kQuiet);
  EXPECT_LE(held, 4u) << "the byte bound let " << held << " events of 4 KB through";
  // Acknowledging lets the rest through, all of it, in order of the partition.
  size_t seen = held;
  for (int round = 0; round < kEvents && seen < static_cast<size_t>(kEvents); ++round) {
    collector->AckTaken();
    seen = collector->WaitFor(std::min<size_t>(seen + 1, kEvents));
  }
  collector->AckTaken();
  EXPECT_EQ(collector->WaitFor(kEvents), static_cast<size_t>(kEvents));
}

TEST_P(ConnectorConformanceTest, EngineOutageLosesNoAcknowledgedEvent) {
  Connector* connector = OpenConnector();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("durable", 2).ok());
  auto member = Join(connector, Options("keepers", "durable"), /*auto_ack=*/true);
  ASSERT_TRUE(member.ok()) << member.status();
  std::set<std::string> acknowledged;
  int next = 0;
  auto publish = [&](absl::Duration timeout) {
    const std::string id = absl::StrCat("d-", next++);
    auto published = PublishSync(connector, MakeEvent("durable", id), timeout);
    if (published.ok()) acknowledged.insert(id);
    return published.status();
  };
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(publish(kWait).ok());
  ASSERT_TRUE((*member)->collector->WaitForIds(acknowledged).empty());

  absl::Status stopped = env_->StopEngine();
  if (absl::IsUnimplemented(stopped)) GTEST_SKIP() << "the engine cannot be stopped: " << stopped;
  ASSERT_TRUE(stopped.ok()) << stopped;
  // During the outage a publish fails with a clear error (or succeeds); it never hangs.
  for (int i = 0; i < 3; ++i) {
    absl::Status status = publish(kWait);
    EXPECT_NE(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
    if (!status.ok()) {
      EXPECT_FALSE(status.message().empty());
    }
  }
  absl::Status restarted = env_->StartEngine();
  ASSERT_TRUE(restarted.ok()) << restarted;

  // Publishing works again (the connector recovers by itself), then goes on.
  const absl::Time deadline = absl::Now() + kWait;
  absl::Status status;
  while (!(status = publish(kWait)).ok()) {
    ASSERT_LT(absl::Now(), deadline) << "publishing never recovered: " << status;
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (int i = 0; i < 10; ++i) {
    status = publish(kWait);
    EXPECT_TRUE(status.ok()) << status;
  }
  // Every acknowledged publish is consumed.
  std::set<std::string> missing = (*member)->collector->WaitForIds(acknowledged);
  EXPECT_TRUE(missing.empty()) << missing.size() << " acknowledged events never delivered, e.g. "
                               << (missing.empty() ? "" : *missing.begin());
}

// ---------------------------------------------------------------------------------------------
// Through an in-process runtime configured with the connector.

class RuntimeOnConnector {
 public:
  // Starts a runtime with the environment's properties plus `extra`.
  static absl::StatusOr<std::unique_ptr<RuntimeOnConnector>> Start(
      ConformanceEnvironment* env, std::map<std::string, std::string> extra) {
    auto runtime = std::unique_ptr<RuntimeOnConnector>(new RuntimeOnConnector());
    if (auto status = env->RegisterConnectors(&runtime->registry_); !status.ok()) return status;
    const std::string data_dir = ConformanceDataDir("runtime");
    std::map<std::string, std::string> properties = env->RuntimeProperties(data_dir);
    for (auto& [key, value] : extra) properties[key] = value;
    auto server = runtime::testing::StartTestServer(properties, data_dir, runtime->registry_);
    if (!server.ok()) return server.status();
    runtime->server_ = std::move(*server);
    return runtime;
  }
  ~RuntimeOnConnector() {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<TestClient> Client(const std::string& purpose, const std::string& group) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, group);
    EXPECT_TRUE(hello.ok() && hello->header.code == 0)
        << (hello.ok() ? hello->header.desc : hello.status().ToString());
    return std::move(*client);
  }

  std::unique_ptr<TestClient> Subscriber(
      const std::string& group, const std::string& topic,
      protocol::tcp::SubscriptionType type = protocol::tcp::SubscriptionType::kAsync) {
    auto client = Client("sub", group);
    if (client == nullptr) return nullptr;
    auto subscribed = client->Subscribe(topic, SubscriptionMode::kClustering, type);
    EXPECT_TRUE(subscribed.ok() && subscribed->header.code == 0)
        << (subscribed.ok() ? subscribed->header.desc : subscribed.status().ToString());
    auto listened = client->Listen();
    EXPECT_TRUE(listened.ok() && listened->header.code == 0);
    return client;
  }

 private:
  RuntimeOnConnector() = default;
  ConnectorRegistry registry_;
  std::unique_ptr<runtime::Server> server_;
};

TEST_P(ConnectorConformanceTest, RuntimeRedeliversAfterTheAckTimeoutThenDeadLetters) {
  auto runtime =
      RuntimeOnConnector::Start(env_.get(), {{"eventMesh.server.delivery.ackTimeoutInMills", "300"},
                                             {"eventMesh.server.delivery.maxDeliveryCount", "2"}});
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto dlq_reader = (*runtime)->Subscriber("auditors", "fragile.DLQ");
  auto consumer = (*runtime)->Subscriber("fragile", "risky");
  auto publisher = (*runtime)->Client("pub", "producers");
  ASSERT_TRUE(dlq_reader && consumer && publisher);
  auto ack = publisher->Publish("risky", "poison");
  ASSERT_TRUE(ack.ok()) << ack.status();
  ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
  for (int i = 0; i < 2; ++i) {  // delivered, not acknowledged, delivered again after 300 ms
    auto push = consumer->Next(Command::kAsyncMessageToClient, kWait);
    ASSERT_TRUE(push.ok()) << "delivery " << i << ": " << push.status();
    EXPECT_EQ(BodyOf(*push), "poison");
  }
  auto dead = dlq_reader->Next(Command::kAsyncMessageToClient, kWait);
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(BodyOf(*dead), "poison");
  ASSERT_TRUE(dlq_reader->Ack(*dead).ok());
  EXPECT_FALSE(consumer->Next(Command::kAsyncMessageToClient, absl::Milliseconds(600)).ok())
      << "a third delivery after the dead letter";
}

TEST_P(ConnectorConformanceTest, RuntimeRequestReply) {
  auto runtime = RuntimeOnConnector::Start(env_.get(), {});
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto responder =
      (*runtime)->Subscriber("responders", "rpc", protocol::tcp::SubscriptionType::kSync);
  auto requester = (*runtime)->Client("pub", "callers");
  ASSERT_TRUE(responder && requester);
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "rpc", "ping");
  request.header.seq = "900";
  ASSERT_TRUE(requester->Send(request).ok());
  auto incoming = responder->Next(Command::kRequestToClient, kWait);
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  EXPECT_EQ(BodyOf(*incoming), "ping");
  ASSERT_TRUE(responder->Ack(*incoming).ok());
  auto message = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
  ASSERT_TRUE(message.ok());
  message->body = "pong";
  Package response = TestClient::MessagePackage(Command::kResponseToServer, "rpc", "");
  response.body = message->ToJson();
  response.header.seq = incoming->header.seq;
  ASSERT_TRUE(responder->Send(response).ok());
  auto answer = requester->Next(Command::kResponseToClient, kWait);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->header.code, 0) << answer->header.desc;
  EXPECT_EQ(*answer->header.seq, "900");
  EXPECT_EQ(BodyOf(*answer), "pong");
}

TEST_P(ConnectorConformanceTest, RuntimeRefusesAnEventOverMaxEventSize) {
  auto runtime = RuntimeOnConnector::Start(env_.get(), {{"eventMesh.server.maxEventSize", "100"}});
  ASSERT_TRUE(runtime.ok()) << runtime.status();
  auto publisher = (*runtime)->Client("pub", "producers");
  ASSERT_NE(publisher, nullptr);
  auto refused = publisher->Publish("sized", std::string(200, 'x'));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->header.code, 0);
  EXPECT_NE(refused->header.desc.find("eventMesh.server.maxEventSize"), std::string::npos)
      << refused->header.desc;
  auto accepted = publisher->Publish("sized", std::string(50, 'x'));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->header.code, 0) << accepted->header.desc;
}

}  // namespace eventmesh::connectors::testing
