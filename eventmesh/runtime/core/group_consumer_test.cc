#include "eventmesh/runtime/core/group_consumer.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

class FakeSubscription : public connectors::Subscription {
 public:
  explicit FakeSubscription(std::vector<connectors::Position>* acks) : acks_(acks) {}
  void Ack(const connectors::Position& position) override { acks_->push_back(position); }
  void Close() override {}

 private:
  std::vector<connectors::Position>* acks_;
};

class FakeConnector : public connectors::Connector {
 public:
  absl::string_view name() const override { return "fake"; }
  connectors::Capabilities capabilities() const override { return {}; }
  void Publish(cloudevents::CloudEvent, connectors::PublishCallback done) override {
    done(absl::UnimplementedError("fake"));
  }
  absl::StatusOr<std::unique_ptr<connectors::Subscription>> Subscribe(
      const connectors::SubscribeOptions& options, connectors::DeliveryHandler handler) override {
    accepts_stored_bytes = options.accepts_stored_bytes;
    handler_ = std::move(handler);
    return std::unique_ptr<connectors::Subscription>(new FakeSubscription(&acks));
  }
  absl::Status CreateTopic(const std::string&, int32_t) override { return absl::OkStatus(); }
  absl::StatusOr<bool> TopicExists(const std::string&) override { return true; }
  absl::Status DeleteTopic(const std::string&) override { return absl::OkStatus(); }
  void Shutdown() override {}

  void Deliver(int from, int to) {
    std::vector<connectors::DeliveredEvent> events;
    for (int i = from; i < to; ++i) {
      connectors::DeliveredEvent e;
      cloudevents::CloudEvent event;
      event.set_id("e" + std::to_string(i));
      event.set_subject("t");
      e.event = connectors::ShareEvent(std::move(event));
      e.position = {"t", 0, i};
      events.push_back(std::move(e));
    }
    handler_(&events);
  }

  // Delivers events as stored bytes (what a connector does for a subscription that accepts
  // them); `garbage` bytes for the ids in `undecodable`.
  void DeliverStored(int from, int to, const std::vector<int>& undecodable = {}) {
    std::vector<connectors::DeliveredEvent> events;
    for (int i = from; i < to; ++i) {
      connectors::DeliveredEvent e;
      cloudevents::CloudEvent event;
      event.set_id("e" + std::to_string(i));
      event.set_source("/s");
      event.set_type("t");
      event.set_subject("t");
      const bool bad = std::find(undecodable.begin(), undecodable.end(), i) != undecodable.end();
      e.stored = std::make_shared<const std::string>(bad ? std::string("\xff\xff garbage")
                                                         : *cloudevents::SerializeProto(event));
      e.position = {"t", 0, i};
      events.push_back(std::move(e));
    }
    handler_(&events);
  }

  std::vector<connectors::Position> acks;
  bool accepts_stored_bytes = false;

 private:
  connectors::DeliveryHandler handler_;
};

class FakeTarget : public DeliveryTarget {
 public:
  FakeTarget(uint64_t id, int window) : id_(id), window_(window) {}
  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override {
    if (in_use_ >= window_) return false;
    ++in_use_;
    return true;
  }
  void ReleaseSlot() override { --in_use_; }
  void ReleaseSlots(int64_t n) override {
    in_use_ -= static_cast<int>(n);
    released_at_once.push_back(n);
  }
  PushResult Push(const cloudevents::CloudEvent& event, PushKind kind, const std::string& seq,
                  const std::shared_ptr<GroupConsumer>&) override {
    if (event.id() == cannot_carry) return PushResult::Undeliverable("no encoding for it");
    pushes.push_back({event.id(), std::stoull(seq)});
    last_kind = kind;
    return PushResult::Queued();
  }
  void Forget(const std::string& seq) override { forgotten.push_back(std::stoull(seq)); }
  bool TakesStoredBytes() const override { return takes_stored_bytes; }
  PushResult PushStored(const std::shared_ptr<const std::string>& stored, bool /*validated*/,
                        const cloudevents::StoredEventHints& /*hints*/, PushKind kind,
                        const std::string& seq, const std::shared_ptr<GroupConsumer>&) override {
    absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(*stored);
    if (!event.ok()) return PushResult::Undeliverable("stored event does not decode");
    if (closed_after >= 0 && static_cast<int>(stored_pushes.size()) >= closed_after) {
      return PushResult::Closed();
    }
    stored_pushes.push_back({event->id(), std::stoull(seq)});
    last_kind = kind;
    return PushResult::Queued();
  }

  void PushStoredRun(PushKind kind, const std::shared_ptr<GroupConsumer>& consumer,
                     StoredPush* pushes, size_t count) override {
    run_sizes.push_back(count);
    DeliveryTarget::PushStoredRun(kind, consumer, pushes, count);
  }

  struct Pushed {
    std::string id;
    uint64_t seq;
  };
  std::vector<Pushed> pushes;
  std::vector<Pushed> stored_pushes;  // through PushStored
  bool takes_stored_bytes = false;
  std::vector<uint64_t> forgotten;
  std::optional<PushKind> last_kind;
  std::string cannot_carry;               // Push answers kUndeliverable for this event id
  std::vector<int64_t> released_at_once;  // the counts of ReleaseSlots calls
  std::vector<size_t> run_sizes;          // the counts of PushStoredRun calls
  int closed_after = -1;  // >= 0: PushStored answers kClosed after that many stored pushes
  int in_use() const { return in_use_; }

 private:
  const uint64_t id_;
  const int window_;
  int in_use_ = 0;
};

class GroupConsumerTest : public ::testing::Test {
 protected:
  std::shared_ptr<GroupConsumer> Make(DeliverySettings settings) {
    auto consumer = std::make_shared<GroupConsumer>(
        "g", "t", connectors::ConsumeMode::kClustering, settings,
        [this] { return ++seq_block_ * kSeqBlock; },
        [this](cloudevents::CloudEvent event, std::function<void(absl::Status)> done) {
          dead_letters.push_back(event.id());
          dead_letter_events.push_back(event);
          done(dead_letter_status);
        });
    EXPECT_TRUE(consumer->Open(&connector, 100).ok());
    return consumer;
  }

  FakeConnector connector;
  std::vector<std::string> dead_letters;
  std::vector<cloudevents::CloudEvent> dead_letter_events;
  absl::Status dead_letter_status;
  uint64_t seq_block_ = 0;
};

TEST_F(GroupConsumerTest, RoundRobinWithinWindowsAndAckFreesASlot) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 2);
  auto b = std::make_shared<FakeTarget>(2, 2);
  consumer->AddTarget(a, PushKind::kUnicast);
  consumer->AddTarget(b, PushKind::kUnicast);
  connector.Deliver(0, 5);
  EXPECT_EQ(a->pushes.size(), 2u);
  EXPECT_EQ(b->pushes.size(), 2u);
  EXPECT_EQ(consumer->stats().pending, 1);
  EXPECT_EQ(a->last_kind, PushKind::kUnicast);
  // Order is kept: a got e0, e2; b got e1, e3.
  EXPECT_EQ(a->pushes[0].id, "e0");
  EXPECT_EQ(b->pushes[0].id, "e1");
  consumer->OnAck(a->pushes[0].seq);
  ASSERT_EQ(connector.acks.size(), 1u);
  EXPECT_EQ(connector.acks[0].offset, 0);
  ASSERT_EQ(a->pushes.size(), 3u);
  EXPECT_EQ(a->pushes[2].id, "e4");
  EXPECT_EQ(consumer->stats().pending, 0);
  // A second ack of the same seq is ignored.
  consumer->OnAck(a->pushes[0].seq);
  EXPECT_EQ(connector.acks.size(), 1u);
}

// The acks of one call give each run of one target's slots back in one step, and every slot
// comes back however the acks interleave.
TEST_F(GroupConsumerTest, AcksGiveSlotsBackPerRunOfOneTarget) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 3);
  auto b = std::make_shared<FakeTarget>(2, 3);
  consumer->AddTarget(a, PushKind::kUnicast);
  consumer->AddTarget(b, PushKind::kUnicast);
  connector.Deliver(0, 6);
  ASSERT_EQ(a->pushes.size(), 3u);
  ASSERT_EQ(b->pushes.size(), 3u);
  // a's three, then b's first and a late (unknown) seq, then b's other two interleaved with a
  // repeated ack of a's first.
  std::vector<uint64_t> seqs = {
      a->pushes[0].seq, a->pushes[1].seq, a->pushes[2].seq, b->pushes[0].seq, 999,
      b->pushes[1].seq, a->pushes[0].seq, b->pushes[2].seq};
  consumer->OnAcks(seqs.data(), seqs.size());
  EXPECT_EQ(connector.acks.size(), 6u);
  EXPECT_EQ(a->in_use(), 0);
  EXPECT_EQ(b->in_use(), 0);
  EXPECT_EQ(a->released_at_once, (std::vector<int64_t>{3}));
  EXPECT_EQ(b->released_at_once, (std::vector<int64_t>{3}));
}

// The consumer accepts stored bytes: a target that writes from them gets them, another the event
// decoded (once per event: a redelivery to a bytes target then passes the decoded event).
TEST_F(GroupConsumerTest, StoredEventsGoAsBytesToTargetsThatTakeThemAndDecodedToOthers) {
  auto consumer = Make({});
  EXPECT_TRUE(connector.accepts_stored_bytes);
  auto bytes = std::make_shared<FakeTarget>(1, 2);
  bytes->takes_stored_bytes = true;
  auto objects = std::make_shared<FakeTarget>(2, 2);
  consumer->AddTarget(bytes, PushKind::kUnicast);
  consumer->AddTarget(objects, PushKind::kUnicast);
  connector.DeliverStored(0, 4);
  ASSERT_EQ(bytes->stored_pushes.size(), 2u);
  EXPECT_TRUE(bytes->pushes.empty());
  EXPECT_EQ(bytes->stored_pushes[0].id, "e0");
  EXPECT_EQ(bytes->stored_pushes[1].id, "e2");
  ASSERT_EQ(objects->pushes.size(), 2u);
  EXPECT_EQ(objects->pushes[0].id, "e1");
  EXPECT_EQ(objects->pushes[1].id, "e3");
  for (const auto& pushed : {bytes->stored_pushes[0], objects->pushes[0]}) {
    consumer->OnAck(pushed.seq);
  }
  EXPECT_EQ(connector.acks.size(), 2u);
  // Removing `objects` sends its unacknowledged e3, already decoded, to `bytes` as an event.
  consumer->RemoveTarget(objects->target_id());
  ASSERT_EQ(bytes->pushes.size(), 1u);
  EXPECT_EQ(bytes->pushes[0].id, "e3");
}

// Stored bytes that do not decode: a target that needs the event never sees it, and the event is
// dropped with its position acknowledged (there is nothing to dead-letter).
TEST_F(GroupConsumerTest, UndecodableStoredEventIsDroppedAndAcknowledged) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 5);
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.DeliverStored(0, 3, /*undecodable=*/{1});
  ASSERT_EQ(a->pushes.size(), 2u);
  EXPECT_EQ(a->pushes[0].id, "e0");
  EXPECT_EQ(a->pushes[1].id, "e2");
  EXPECT_TRUE(dead_letters.empty());
  ASSERT_EQ(connector.acks.size(), 1u);
  EXPECT_EQ(connector.acks[0].offset, 1);
  // The same for a target that takes bytes: it refuses them, and the event is dropped.
  auto b = std::make_shared<FakeTarget>(2, 5);
  b->takes_stored_bytes = true;
  consumer->RemoveTarget(a->target_id());
  consumer->AddTarget(b, PushKind::kUnicast);
  connector.DeliverStored(3, 5, /*undecodable=*/{4});
  EXPECT_TRUE(dead_letters.empty());
  ASSERT_EQ(connector.acks.size(), 2u);
  EXPECT_EQ(connector.acks[1].offset, 4);
}

// The only target takes stored bytes: the queue goes out in runs (PushStoredRun), in order with
// rising seqs, as far as the window allows; a push it refuses leaves the run going, and a target
// found closed mid-run gets the run's remaining slots back and leaves the rest queued in order.
TEST_F(GroupConsumerTest, StoredBytesGoToASingleTargetInRuns) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 4);
  a->takes_stored_bytes = true;
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.DeliverStored(0, 6, /*undecodable=*/{2});
  ASSERT_EQ(a->stored_pushes.size(), 4u);
  const std::vector<std::string> ids = {"e0", "e1", "e3", "e4"};
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(a->stored_pushes[i].id, ids[i]);
    if (i > 0) {
      EXPECT_GT(a->stored_pushes[i].seq, a->stored_pushes[i - 1].seq);
    }
  }
  EXPECT_EQ(a->in_use(), 4);  // e2's slot came back: e4 took it
  EXPECT_EQ(consumer->stats().pending, 1);
  ASSERT_EQ(connector.acks.size(), 1u);  // e2, dropped (nothing to dead-letter)
  EXPECT_EQ(connector.acks[0].offset, 2);

  auto other = Make({});
  auto b = std::make_shared<FakeTarget>(2, 8);
  b->takes_stored_bytes = true;
  b->closed_after = 2;
  other->AddTarget(b, PushKind::kUnicast);
  connector.DeliverStored(10, 15);
  ASSERT_EQ(b->stored_pushes.size(), 2u);
  EXPECT_EQ(b->stored_pushes[1].id, "e11");
  EXPECT_EQ(b->in_use(), 2);  // the three refused pushes' slots came back
  EXPECT_EQ(other->stats().pending, 3);
  // A new target gets the rest, in order.
  auto c = std::make_shared<FakeTarget>(3, 8);
  c->takes_stored_bytes = true;
  other->AddTarget(c, PushKind::kUnicast);
  ASSERT_EQ(c->stored_pushes.size(), 3u);
  EXPECT_EQ(c->stored_pushes[0].id, "e12");
  EXPECT_EQ(c->stored_pushes[2].id, "e14");
}

// Several targets, all taking stored bytes: each event goes where round robin puts it, and each
// target's share of the queue goes out in one run. A target found closed gets its share's slots
// back; those events stay queued in order and go to the others.
TEST_F(GroupConsumerTest, StoredBytesGoToSeveralTargetsInOneRunEach) {
  auto consumer = Make({});
  std::vector<std::shared_ptr<FakeTarget>> targets;
  for (uint64_t id = 1; id <= 3; ++id) {
    targets.push_back(std::make_shared<FakeTarget>(id, 3));
    targets.back()->takes_stored_bytes = true;
    consumer->AddTarget(targets.back(), PushKind::kUnicast);
  }
  connector.DeliverStored(0, 8);
  const std::vector<std::vector<std::string>> shares = {
      {"e0", "e3", "e6"}, {"e1", "e4", "e7"}, {"e2", "e5"}};
  for (size_t t = 0; t < targets.size(); ++t) {
    const FakeTarget& target = *targets[t];
    EXPECT_EQ(target.run_sizes, std::vector<size_t>{shares[t].size()}) << "target " << t;
    ASSERT_EQ(target.stored_pushes.size(), shares[t].size()) << "target " << t;
    for (size_t i = 0; i < shares[t].size(); ++i) {
      EXPECT_EQ(target.stored_pushes[i].id, shares[t][i]);
      if (i > 0) {
        EXPECT_GT(target.stored_pushes[i].seq, target.stored_pushes[i - 1].seq);
      }
    }
  }
  EXPECT_EQ(consumer->stats().pending, 0);
  EXPECT_EQ(consumer->stats().in_flight, 8);

  auto other = Make({});
  auto b = std::make_shared<FakeTarget>(4, 4);
  b->takes_stored_bytes = true;
  b->closed_after = 1;
  auto c = std::make_shared<FakeTarget>(5, 4);
  c->takes_stored_bytes = true;
  other->AddTarget(b, PushKind::kUnicast);
  other->AddTarget(c, PushKind::kUnicast);
  connector.DeliverStored(10, 16);  // b: e10 (queued), e12 and e14 (closed); c: e11 e13 e15
  ASSERT_EQ(b->stored_pushes.size(), 1u);
  EXPECT_EQ(b->stored_pushes[0].id, "e10");
  EXPECT_EQ(b->in_use(), 1);
  EXPECT_EQ(b->released_at_once, std::vector<int64_t>{2});
  EXPECT_EQ(other->target_count(), 1u);
  // c had one slot left: e12 takes it, e14 waits for an ack.
  ASSERT_EQ(c->stored_pushes.size(), 4u);
  EXPECT_EQ(c->stored_pushes[3].id, "e12");
  EXPECT_EQ(other->stats().pending, 1);
  other->OnAck(c->stored_pushes[0].seq);
  ASSERT_EQ(c->stored_pushes.size(), 5u);
  EXPECT_EQ(c->stored_pushes[4].id, "e14");
  EXPECT_EQ(other->stats().pending, 0);
}

TEST_F(GroupConsumerTest, TimedOutPushGoesToAnotherTargetAndLateAckIsIgnored) {
  DeliverySettings settings;
  settings.ack_timeout_ms = 10;
  auto consumer = Make(settings);
  auto a = std::make_shared<FakeTarget>(1, 5);
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.Deliver(0, 1);
  ASSERT_EQ(a->pushes.size(), 1u);
  auto b = std::make_shared<FakeTarget>(2, 5);
  consumer->AddTarget(b, PushKind::kUnicast);
  consumer->Tick(SteadyNowMs() + 1000);
  EXPECT_EQ(a->forgotten, std::vector<uint64_t>{a->pushes[0].seq});
  EXPECT_EQ(a->in_use(), 0);
  ASSERT_EQ(b->pushes.size(), 1u);
  EXPECT_EQ(b->pushes[0].id, "e0");
  consumer->OnAck(a->pushes[0].seq);  // late
  EXPECT_TRUE(connector.acks.empty());
  consumer->OnAck(b->pushes[0].seq);
  EXPECT_EQ(connector.acks.size(), 1u);
  EXPECT_EQ(consumer->stats().redelivered, 1);
}

// A consumer takes its seqs kSeqBlock at a time: pushes across several blocks are tracked and
// settled however their acks come, and those left unacknowledged time out and go again in their
// original order.
TEST_F(GroupConsumerTest, PushesAcrossSeqBlocksAreSettledByAckOrTimeout) {
  DeliverySettings settings;
  settings.ack_timeout_ms = 10;
  auto consumer = Make(settings);
  auto a = std::make_shared<FakeTarget>(1, 1000);
  a->takes_stored_bytes = true;
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.DeliverStored(0, 100);
  connector.Deliver(100, 200);
  ASSERT_EQ(a->stored_pushes.size(), 100u);
  ASSERT_EQ(a->pushes.size(), 100u);
  std::vector<FakeTarget::Pushed> all = a->stored_pushes;
  all.insert(all.end(), a->pushes.begin(), a->pushes.end());
  std::set<uint64_t> seqs;
  for (const auto& push : all) seqs.insert(push.seq);
  EXPECT_EQ(seqs.size(), 200u);
  EXPECT_GE(*seqs.begin(), kSeqBlock);  // seq 0 is never used
  // Every event but each seventh acknowledged, last first.
  for (int i = 199; i >= 0; --i) {
    if (i % 7 != 0) consumer->OnAck(all[static_cast<size_t>(i)].seq);
  }
  EXPECT_EQ(connector.acks.size(), 200u - 29u);
  EXPECT_EQ(consumer->stats().in_flight, 29);
  EXPECT_EQ(a->in_use(), 29);
  auto b = std::make_shared<FakeTarget>(2, 1000);
  consumer->AddTarget(b, PushKind::kUnicast);
  consumer->Tick(SteadyNowMs() + 1000);
  EXPECT_EQ(a->forgotten.size(), 29u);
  EXPECT_EQ(a->in_use(), 0);
  // A redelivery avoids the target that let it time out: all go to b, in their order.
  ASSERT_EQ(b->pushes.size(), 29u);
  for (size_t k = 0; k < 29; ++k) EXPECT_EQ(b->pushes[k].id, "e" + std::to_string(7 * k));
  for (const auto& push : b->pushes) consumer->OnAck(push.seq);
  EXPECT_EQ(connector.acks.size(), 200u);
  EXPECT_EQ(consumer->stats().in_flight, 0);
  EXPECT_EQ(consumer->stats().redelivered, 29);
}

TEST_F(GroupConsumerTest, RemovedTargetsEventsGoToTheOthers) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 5);
  auto b = std::make_shared<FakeTarget>(2, 5);
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.Deliver(0, 3);
  consumer->AddTarget(b, PushKind::kUnicast);
  EXPECT_EQ(consumer->RemoveTarget(1), 1u);
  ASSERT_EQ(b->pushes.size(), 3u);
  EXPECT_EQ(b->pushes[0].id, "e0");  // original order kept
  EXPECT_EQ(b->pushes[2].id, "e2");
}

TEST_F(GroupConsumerTest, DeadLetterAfterMaxDeliveriesAndRetryWhenTheSinkFails) {
  DeliverySettings settings;
  settings.ack_timeout_ms = 1;
  settings.max_delivery_count = 2;
  auto consumer = Make(settings);
  auto a = std::make_shared<FakeTarget>(1, 5);
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.Deliver(0, 1);
  consumer->Tick(SteadyNowMs() + 1000);  // second delivery
  EXPECT_EQ(a->pushes.size(), 2u);
  dead_letter_status = absl::UnavailableError("store down");
  consumer->Tick(SteadyNowMs() + 2000);  // max reached: dead letter fails, event stays
  EXPECT_EQ(dead_letters, std::vector<std::string>{"e0"});
  EXPECT_TRUE(connector.acks.empty());
  EXPECT_EQ(a->pushes.size(), 3u);  // pushed again after the failed dead-letter write
  dead_letter_status = absl::OkStatus();
  consumer->Tick(SteadyNowMs() + 3000);
  EXPECT_EQ(dead_letters.size(), 2u);
  ASSERT_EQ(connector.acks.size(), 1u);  // acknowledged once stored in the dead-letter topic
  EXPECT_EQ(consumer->stats().dead_lettered, 2);
}

TEST_F(GroupConsumerTest, EntriesOfAcknowledgedEventsServeTheNextOnesFromScratch) {
  // An acknowledged event's entry is reused: what the earlier event went through (its last
  // target, its deliveries, its position) must not carry over to the next one.
  DeliverySettings settings;
  settings.ack_timeout_ms = 1;
  settings.max_delivery_count = 2;
  auto consumer = Make(settings);
  auto a = std::make_shared<FakeTarget>(1, 5);
  auto b = std::make_shared<FakeTarget>(2, 5);
  consumer->AddTarget(a, PushKind::kUnicast);
  consumer->AddTarget(b, PushKind::kUnicast);
  connector.Deliver(0, 2);
  ASSERT_EQ(a->pushes.size(), 1u);
  ASSERT_EQ(b->pushes.size(), 1u);
  consumer->OnAck(a->pushes[0].seq);
  // e2 takes e0's entry. Its first delivery follows the round robin (to a, whose turn it is),
  // not a redelivery's "avoid the last target" (which would send it to b).
  connector.Deliver(2, 3);
  ASSERT_EQ(a->pushes.size(), 2u);
  EXPECT_EQ(a->pushes[1].id, "e2");
  // One timeout each: e1 and e2 are redelivered (their second delivery), none dead-lettered.
  consumer->Tick(SteadyNowMs() + 1000);
  EXPECT_TRUE(dead_letters.empty());
  EXPECT_EQ(consumer->stats().redelivered, 2);
  EXPECT_EQ(a->pushes.size() + b->pushes.size(), 5u);
  consumer->OnAck(a->pushes.back().seq);
  consumer->OnAck(b->pushes.back().seq);
  ASSERT_EQ(connector.acks.size(), 3u);
  std::vector<int64_t> offsets;
  for (const connectors::Position& ack : connector.acks) {
    EXPECT_EQ(ack.topic, "t");
    offsets.push_back(ack.offset);
  }
  std::sort(offsets.begin(), offsets.end());
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2}));
}

TEST_F(GroupConsumerTest, RejectDeadLettersAtOnceWithReasonAndAcknowledges) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 5);
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.Deliver(0, 2);
  ASSERT_EQ(a->pushes.size(), 2u);
  consumer->Reject(a->pushes[1].seq, "endpoint answered HTTP 410", 1);
  EXPECT_EQ(dead_letters, std::vector<std::string>{"e1"});
  ASSERT_EQ(dead_letter_events.size(), 1u);
  ASSERT_NE(dead_letter_events[0].FindExtension("dlqreason"), nullptr);
  EXPECT_EQ(*dead_letter_events[0].FindExtension("dlqreason"), "endpoint answered HTTP 410");
  EXPECT_EQ(*dead_letter_events[0].FindExtension("dlqdeliveries"), "1");
  ASSERT_EQ(connector.acks.size(), 1u);
  EXPECT_EQ(connector.acks[0].offset, 1);
  EXPECT_EQ(a->in_use(), 1);  // the rejected push's slot is free again
  EXPECT_EQ(consumer->stats().dead_lettered, 1);
  // Rejecting again, or an unknown seq, changes nothing.
  consumer->Reject(a->pushes[1].seq, "again", 2);
  consumer->Reject(12345, "unknown", 1);
  EXPECT_EQ(dead_letters.size(), 1u);
  consumer->OnAck(a->pushes[0].seq);
  EXPECT_EQ(connector.acks.size(), 2u);
}

// A push the target cannot carry (e.g. its TCP frame would exceed the frame limit) dead-letters
// that event with the reason; the healthy target stays in the group and the queue moves on.
TEST_F(GroupConsumerTest, UndeliverableEventIsDeadLetteredAndTheTargetStays) {
  auto consumer = Make({});
  auto a = std::make_shared<FakeTarget>(1, 5);
  a->cannot_carry = "e1";
  consumer->AddTarget(a, PushKind::kUnicast);
  connector.Deliver(0, 3);
  ASSERT_EQ(a->pushes.size(), 2u);
  EXPECT_EQ(a->pushes[0].id, "e0");
  EXPECT_EQ(a->pushes[1].id, "e2");
  EXPECT_EQ(dead_letters, std::vector<std::string>{"e1"});
  ASSERT_EQ(dead_letter_events.size(), 1u);
  EXPECT_EQ(*dead_letter_events[0].FindExtension("dlqreason"), "no encoding for it");
  EXPECT_EQ(a->in_use(), 2);             // only the two queued pushes hold slots
  ASSERT_EQ(connector.acks.size(), 1u);  // e1 acknowledged once dead-lettered
  EXPECT_EQ(connector.acks[0].offset, 1);
  connector.Deliver(3, 4);
  ASSERT_EQ(a->pushes.size(), 3u);  // still a member of the group
}

TEST_F(GroupConsumerTest, TargetWithoutAckTimeoutIsNotRedeliveredByTick) {
  DeliverySettings settings;
  settings.ack_timeout_ms = 1;
  auto consumer = Make(settings);
  auto hook = std::make_shared<FakeTarget>(1, 5);
  auto session = std::make_shared<FakeTarget>(2, 5);
  TargetSettings no_timeout;
  no_timeout.ack_timeout = false;
  consumer->AddTarget(hook, PushKind::kUnicast, no_timeout);
  connector.Deliver(0, 1);
  ASSERT_EQ(hook->pushes.size(), 1u);
  consumer->AddTarget(session, PushKind::kUnicast);
  consumer->Tick(SteadyNowMs() + 100'000);
  EXPECT_TRUE(hook->forgotten.empty());
  EXPECT_TRUE(session->pushes.empty());
  EXPECT_EQ(consumer->stats().in_flight, 1);
  // The session's pushes still time out.
  connector.Deliver(1, 3);
  ASSERT_GE(session->pushes.size(), 1u);
  consumer->Tick(SteadyNowMs() + 200'000);
  EXPECT_FALSE(session->forgotten.empty());
  consumer->OnAck(hook->pushes[0].seq);
  ASSERT_FALSE(connector.acks.empty());
  EXPECT_EQ(connector.acks[0].offset, 0);
}

}  // namespace
}  // namespace eventmesh::runtime::core
