#include "eventmesh/connectors/eventstore/event_store_connector.h"

#include <pthread.h>
#include <stdlib.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

cloudevents::CloudEvent MakeEvent(int i) {
  cloudevents::CloudEvent event;
  event.set_id(absl::StrCat("id-", i));
  event.set_source("/test");
  event.set_type("t");
  event.set_subject("topic");
  if (i % 2 == 0) event.set_data_content_type("application/json");
  event.set_data(i % 3 == 0 ? absl::StrCat("{\"n\":", i, "}") : std::string(40 + i, 'x'),
                 i % 3 == 0 ? cloudevents::DataEncoding::kJson : cloudevents::DataEncoding::kText);
  event.SetExtension("seq", absl::StrCat(i));
  event.SetExtension("protocoltype", "eventmeshmessage");
  return event;
}

// A RocksDB store in $TEST_TMPDIR/<name> (no retention thread), or a test failure and null.
std::unique_ptr<store::RocksDbEventStore> OpenStore(const std::string& name, store::SyncMode sync,
                                                    int64_t tail_cache_bytes = 256 << 10) {
  store::StoreOptions store_options;
  store_options.path = absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
  store_options.sync_mode = sync;
  store_options.retention_interval_ms = 0;
  store_options.tail_cache_bytes = tail_cache_bytes;
  auto store = store::RocksDbEventStore::Open(store_options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Collects deliveries and acknowledges them at once. With `stored_bytes` it accepts events as
// their stored bytes, and checks that they come that way (and decode).
class Member {
 public:
  absl::Status Join(EventStoreConnector* connector, bool stored_bytes = false) {
    SubscribeOptions options;
    options.group = "g";
    options.topic = "topic";
    options.accepts_stored_bytes = stored_bytes;
    auto sub =
        connector->Subscribe(options, [this, stored_bytes](std::vector<DeliveredEvent>* events) {
          absl::MutexLock lock(&mu_);
          for (auto& e : *events) {
            positions_.push_back(e.position);
            EXPECT_EQ(e.event == nullptr, stored_bytes);
            EXPECT_EQ(e.stored != nullptr, stored_bytes);
            absl::Status decoded = e.Materialize();
            ASSERT_TRUE(decoded.ok()) << decoded;
            events_.push_back(*e.event);
          }
        });
    if (!sub.ok()) return sub.status();
    sub_ = std::move(*sub);
    return absl::OkStatus();
  }
  // Acknowledges everything delivered so far and moves the events to *out.
  void AckInto(std::vector<cloudevents::CloudEvent>* out) {
    std::vector<Position> positions;
    {
      absl::MutexLock lock(&mu_);
      positions.swap(positions_);
      for (auto& e : events_) out->push_back(std::move(e));
      events_.clear();
    }
    if (!positions.empty()) sub_->AckAll(positions);
  }
  void Leave() { sub_.reset(); }

 private:
  absl::Mutex mu_;
  std::vector<Position> positions_;
  std::vector<cloudevents::CloudEvent> events_;
  std::unique_ptr<Subscription> sub_;
};

// (tail cache bytes, the members accept stored bytes)
class TailCacheDeliveryTest : public ::testing::TestWithParam<std::tuple<int64_t, bool>> {};

// Delivered events are equal to the published ones whether they come from the store's tail
// cache (the stored bytes kept with the record) or from RocksDB, as events or as stored bytes,
// also across a member leaving the group (the remaining member resumes the partitions from the
// committed offsets).
TEST_P(TailCacheDeliveryTest, DeliversEveryPublishedEventUnchangedAcrossARebalance) {
  const auto [cache_bytes, stored_bytes] = GetParam();
  std::unique_ptr<store::RocksDbEventStore> store = OpenStore(
      absl::StrCat("tail_", cache_bytes, "_", stored_bytes), store::SyncMode::kNone, cache_bytes);
  ASSERT_NE(store, nullptr);
  EventStoreConnectorOptions options;
  options.append_on_caller_thread = true;
  options.commit_interval_ms = 20;
  options.heartbeat_interval_ms = 20;
  auto connector = EventStoreConnector::Create(std::move(store), options);
  EXPECT_EQ(connector->store()->KeepsAttachments(), cache_bytes > 0);
  ASSERT_TRUE(connector->CreateTopic("topic", 2).ok());

  Member a, b;
  ASSERT_TRUE(a.Join(connector.get(), stored_bytes).ok());
  ASSERT_TRUE(b.Join(connector.get(), stored_bytes).ok());
  std::map<std::string, cloudevents::CloudEvent> published;
  std::vector<cloudevents::CloudEvent> delivered;
  auto publish = [&](int from, int to) {
    std::vector<Connector::PendingPublish> batch;
    for (int i = from; i < to; ++i) {
      published.emplace(absl::StrCat("id-", i), MakeEvent(i));
      batch.push_back({MakeEvent(i),
                       [](absl::StatusOr<PublishResult> r) { ASSERT_TRUE(r.ok()) << r.status(); }});
    }
    connector->PublishBatch(&batch);
  };
  auto drain = [&](size_t want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (delivered.size() < want && absl::Now() < deadline) {
      a.AckInto(&delivered);
      b.AckInto(&delivered);
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  publish(0, 40);
  drain(40);
  b.Leave();  // its partitions move to `a` from the committed offsets
  publish(40, 80);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::map<std::string, int> seen;
  while (absl::Now() < deadline) {
    a.AckInto(&delivered);
    seen.clear();
    for (const auto& e : delivered) ++seen[e.id()];
    if (seen.size() == published.size()) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(seen.size(), published.size());  // none missing (at-least-once: repeats allowed)
  for (const auto& event : delivered) {
    auto it = published.find(event.id());
    ASSERT_NE(it, published.end()) << event.id();
    EXPECT_TRUE(event == it->second) << event.id();
  }
  a.Leave();
  connector->Shutdown();
}

INSTANTIATE_TEST_SUITE_P(CacheOffAndOn, TailCacheDeliveryTest,
                         ::testing::Combine(::testing::Values(int64_t{0}, int64_t{256} << 10),
                                            ::testing::Bool()));

// append_on_caller_thread (embedded, syncMode none): a publisher's append completes the fetch
// parked at the partition's end. A large completion is delivered by the connector's delivery
// thread, in order; a small one at once on the publisher's thread (before PublishBatch returns).
TEST(EventStoreConnectorDeliveryTest, LargeCompletionsMoveToTheDeliveryThreadSmallOnesStay) {
  std::unique_ptr<store::RocksDbEventStore> store = OpenStore("handoff", store::SyncMode::kNone);
  ASSERT_NE(store, nullptr);
  store::RocksDbEventStore* engine = store.get();
  EventStoreConnectorOptions options;
  options.append_on_caller_thread = true;
  options.fetch_wait_ms = 600'000;  // a parked fetch stays parked for the whole test
  auto connector = EventStoreConnector::Create(std::move(store), options);
  ASSERT_TRUE(connector->CreateTopic("topic", 1).ok());

  struct Delivery {
    int64_t offset;
    std::thread::id thread;
    std::string thread_name;
  };
  absl::Mutex mu;
  std::vector<Delivery> deliveries;
  std::vector<Position> positions;
  SubscribeOptions sub_options;
  sub_options.group = "g";
  sub_options.topic = "topic";
  auto sub = connector->Subscribe(sub_options, [&](std::vector<DeliveredEvent>* events) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    absl::MutexLock lock(&mu);
    for (const auto& e : *events) {
      deliveries.push_back({e.position.offset, std::this_thread::get_id(), name});
      positions.push_back(e.position);
    }
  });
  ASSERT_TRUE(sub.ok()) << sub.status();
  const auto wait_until = [](const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!done() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
    return done();
  };
  const auto parked = [&] { return engine->GetStats().parked_async_fetches == 1; };
  const auto publish = [&](int from, int to) {
    std::vector<Connector::PendingPublish> batch;
    for (int i = from; i < to; ++i) {
      batch.push_back({MakeEvent(i),
                       [](absl::StatusOr<PublishResult> r) { ASSERT_TRUE(r.ok()) << r.status(); }});
    }
    connector->PublishBatch(&batch);
  };

  ASSERT_TRUE(wait_until(parked)) << "the subscription's fetch never parked";
  publish(0, 100);
  ASSERT_TRUE(wait_until([&] {
    absl::MutexLock lock(&mu);
    return deliveries.size() >= 100;
  }));
  {
    absl::MutexLock lock(&mu);
    ASSERT_EQ(deliveries.size(), 100u);
    for (int64_t i = 0; i < 100; ++i) EXPECT_EQ(deliveries[i].offset, i);
    EXPECT_NE(deliveries.front().thread, std::this_thread::get_id());
    EXPECT_EQ(deliveries.front().thread_name, "em-deliver");
  }
  (*sub)->AckAll([&] {
    absl::MutexLock lock(&mu);
    return std::move(positions);
  }());

  ASSERT_TRUE(wait_until(parked)) << "the fetch did not park again at the end";
  publish(100, 103);
  {
    absl::MutexLock lock(&mu);  // delivered before PublishBatch returned, on this thread
    ASSERT_EQ(deliveries.size(), 103u);
    for (int64_t i = 100; i < 103; ++i) {
      EXPECT_EQ(deliveries[i].offset, i);
      EXPECT_EQ(deliveries[i].thread, std::this_thread::get_id());
    }
  }
  sub->reset();
  connector->Shutdown();
}

// append_async (embedded, syncMode batch): appends issued from the publisher's thread are
// acknowledged once durable, in publish order per topic (also when one batch mixes topics), and
// Shutdown returns only after every outstanding append has answered; later publishes are refused.
TEST(EventStoreConnectorAsyncAppendTest, AcknowledgesInPublishOrderAndShutdownWaitsForAll) {
  std::unique_ptr<store::RocksDbEventStore> store = OpenStore("async", store::SyncMode::kBatch);
  ASSERT_NE(store, nullptr);
  EventStoreConnectorOptions options;
  options.append_async = true;
  auto connector = EventStoreConnector::Create(std::move(store), options);
  ASSERT_TRUE(connector->CreateTopic("topic", 1).ok());
  ASSERT_TRUE(connector->CreateTopic("other", 1).ok());

  absl::Mutex mu;
  std::map<std::string, std::vector<std::pair<int, int64_t>>> acked;  // topic -> (i, offset)
  int failed = 0;
  constexpr int kBatches = 40, kPerBatch = 50;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<Connector::PendingPublish> batch;
    for (int k = 0; k < kPerBatch; ++k) {
      const int i = b * kPerBatch + k;
      cloudevents::CloudEvent event = MakeEvent(i);
      if (i % 7 == 0) event.set_subject("other");
      batch.push_back({std::move(event), [&, i](absl::StatusOr<PublishResult> r) {
                         absl::MutexLock lock(&mu);
                         if (!r.ok()) {
                           ++failed;
                           return;
                         }
                         acked[r->position.topic].emplace_back(i, r->position.offset);
                       }});
    }
    connector->PublishBatch(&batch);
  }
  connector->Shutdown();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(acked["topic"].size() + acked["other"].size(), size_t{kBatches * kPerBatch});
  for (auto& [topic, events] : acked) {
    std::sort(events.begin(), events.end());  // by publish index
    for (size_t n = 0; n < events.size(); ++n) {
      EXPECT_EQ(events[n].second, static_cast<int64_t>(n)) << topic << " event " << events[n].first;
    }
  }
  std::vector<Connector::PendingPublish> late;
  absl::Status refused;
  late.push_back({MakeEvent(0), [&](absl::StatusOr<PublishResult> r) { refused = r.status(); }});
  connector->PublishBatch(&late);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
}

// Publishes in their stored form (the TCP path's) appended on the publisher's thread: a batch of
// one topic goes straight into one append request; batches that are not (two topics, an event
// without a topic, one over the size limit) take the general path, with its answers. Every event
// is stored as it came, in order, with and without the tail cache's attachments.
class StoredBatchTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(StoredBatchTest, StoredPublishesAreAppendedInOrderAndReadBack) {
  std::unique_ptr<store::RocksDbEventStore> store =
      OpenStore(absl::StrCat("stored_batch_", GetParam()), store::SyncMode::kNone, GetParam());
  ASSERT_NE(store, nullptr);
  EventStoreConnectorOptions options;
  options.append_on_caller_thread = true;
  options.limits.max_event_bytes = 300;
  auto connector = EventStoreConnector::Create(std::move(store), options);
  ASSERT_TRUE(connector->CreateTopic("topic", 1).ok());
  ASSERT_TRUE(connector->CreateTopic("other", 1).ok());
  const TopicName topic("topic");
  const TopicName other("other");
  // Results in the order the callbacks ran: (event number, offset or -1, error text).
  // (Callbacks of the general path may run on an appender thread.)
  absl::Mutex mu;
  std::vector<std::tuple<int, int64_t, std::string>> results;
  const auto taken = [&] {
    absl::MutexLock lock(&mu);
    return results;
  };
  const auto wait_for = [&](size_t n) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (taken().size() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    absl::MutexLock lock(&mu);
    std::vector<std::tuple<int, int64_t, std::string>> out;
    out.swap(results);
    return out;
  };
  const auto pending = [&](int i, const TopicName& to, std::string bytes) {
    Connector::PendingPublish p;
    p.stored = std::move(bytes);
    p.stored_topic = to;
    p.stored_hints.data_size = 7;
    p.done = [&mu, &results, i](const absl::StatusOr<PublishResult>& r) {
      absl::MutexLock lock(&mu);
      results.emplace_back(i, r.ok() ? r->position.offset : -1,
                           r.ok() ? "" : std::string(r.status().message()));
    };
    return p;
  };
  const auto stored = [](int i) {
    absl::StatusOr<std::string> bytes = cloudevents::SerializeProto(MakeEvent(i));
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : std::string();
  };
  // One topic: straight into one request; the callbacks run before PublishBatch returns.
  std::vector<Connector::PendingPublish> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(pending(i, topic, stored(i)));
  connector->PublishBatch(&batch);
  EXPECT_TRUE(batch.empty());
  const auto first = wait_for(0);  // already answered
  ASSERT_EQ(first.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(first[i], std::make_tuple(i, int64_t{i}, std::string())) << i;
  }
  // Two topics, an event without a topic, and one over the limit: the general path.
  batch.push_back(pending(5, topic, stored(5)));
  batch.push_back(pending(6, other, stored(6)));
  batch.push_back(pending(7, TopicName(), stored(7)));
  batch.push_back(pending(8, topic, std::string(301, 'x')));
  batch.push_back(pending(9, topic, stored(9)));
  connector->PublishBatch(&batch);
  EXPECT_TRUE(batch.empty());
  std::map<int, std::pair<int64_t, std::string>> by_event;
  for (const auto& [i, offset, error] : wait_for(5)) by_event[i] = {offset, error};
  ASSERT_EQ(by_event.size(), 5u);
  EXPECT_EQ(by_event[5], std::make_pair(int64_t{5}, std::string()));
  EXPECT_EQ(by_event[6], std::make_pair(int64_t{0}, std::string()));
  EXPECT_EQ(by_event[7].second, "event has no subject (topic)");
  EXPECT_EQ(by_event[8].second, "event of 301 bytes exceeds the 300-byte limit");
  EXPECT_EQ(by_event[9], std::make_pair(int64_t{6}, std::string()));
  // A batch whose only oversize event makes it leave the fast path: answered the same way.
  batch.push_back(pending(10, topic, std::string(400, 'y')));
  connector->PublishBatch(&batch);
  const auto last = wait_for(1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(std::get<2>(last[0]), "event of 400 bytes exceeds the 300-byte limit");
  // Everything stored reads back as published, in order.
  auto read = connector->ReadEvents("topic", 0, 0, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  const int expected[] = {0, 1, 2, 3, 4, 5, 9};
  ASSERT_EQ(read->size(), 7u);
  for (size_t k = 0; k < read->size(); ++k) {
    EXPECT_EQ((*read)[k].offset, static_cast<int64_t>(k));
    EXPECT_EQ((*read)[k].event, MakeEvent(expected[k])) << k;
  }
  auto read_other = connector->ReadEvents("other", 0, 0, 100);
  ASSERT_TRUE(read_other.ok()) << read_other.status();
  ASSERT_EQ(read_other->size(), 1u);
  EXPECT_EQ((*read_other)[0].event, MakeEvent(6));
}

INSTANTIATE_TEST_SUITE_P(TailCache, StoredBatchTest, ::testing::Values(int64_t{0}, 256 << 10));

// The admin operations: topics listed, end and committed offsets per partition, and a group's
// position reset only while it has no live member.
TEST(EventStoreConnectorAdminTest, ListsTopicsReportsOffsetsAndResetsGroups) {
  std::unique_ptr<store::RocksDbEventStore> store = OpenStore("admin", store::SyncMode::kNone);
  ASSERT_NE(store, nullptr);
  EventStoreConnectorOptions options;
  options.commit_interval_ms = 20;
  options.heartbeat_interval_ms = 20;
  auto connector = EventStoreConnector::Create(std::move(store), options);
  ASSERT_TRUE(connector->CreateTopic("topic", 2).ok());
  ASSERT_TRUE(connector->CreateTopic("another", 1).ok());
  auto topics = connector->ListTopics();
  ASSERT_TRUE(topics.ok()) << topics.status();
  EXPECT_THAT(*topics, ::testing::ElementsAre("another", "topic"));
  EXPECT_EQ(connector->Offsets("missing", "").status().code(), absl::StatusCode::kNotFound);

  Member member;
  ASSERT_TRUE(member.Join(connector.get()).ok());
  // The group's start (the partitions' end, 0) is committed when it joins.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  auto committed_sum = [&] {
    auto offsets = connector->Offsets("topic", "g");
    int64_t sum = 0;
    for (const auto& p : *offsets) sum += p.committed;
    return sum;
  };
  while (committed_sum() != 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(committed_sum(), 0);
  std::vector<Connector::PendingPublish> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(
        {MakeEvent(i), [](absl::StatusOr<PublishResult> r) { ASSERT_TRUE(r.ok()) << r.status(); }});
  }
  connector->PublishBatch(&batch);
  auto offsets = connector->Offsets("topic", "g");
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  ASSERT_EQ(offsets->size(), 2u);
  while (absl::Now() < deadline) {
    offsets = connector->Offsets("topic", "g");
    if ((*offsets)[0].end + (*offsets)[1].end == 10) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ((*offsets)[0].end + (*offsets)[1].end, 10);
  EXPECT_EQ((*offsets)[0].partition, 0);
  EXPECT_EQ((*offsets)[1].partition, 1);
  // Acknowledged events are committed.
  std::vector<cloudevents::CloudEvent> delivered;
  while (committed_sum() != 10 && absl::Now() < deadline) {
    member.AckInto(&delivered);
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(committed_sum(), 10);
  // A live member blocks a reset.
  absl::Status refused = connector->ResetGroupOffsets("g", "topic", {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  member.Leave();
  ASSERT_TRUE(connector->ResetGroupOffsets("g", "topic", {OffsetReset::Kind::kEarliest, 0}).ok());
  EXPECT_EQ(committed_sum(), 0);
  ASSERT_TRUE(connector->ResetGroupOffsets("g", "topic", {OffsetReset::Kind::kOffset, 3}).ok());
  offsets = connector->Offsets("topic", "g");
  for (const auto& p : *offsets) EXPECT_EQ(p.committed, std::min<int64_t>(3, p.end));
  ASSERT_TRUE(connector->ResetGroupOffsets("g", "topic", {OffsetReset::Kind::kLatest, 0}).ok());
  EXPECT_EQ(committed_sum(), 10);
  // By time: before every event -> the earliest; after every event -> the end.
  OffsetReset by_time{OffsetReset::Kind::kTimestamp, 0, 0};
  ASSERT_TRUE(connector->ResetGroupOffsets("g", "topic", by_time).ok());
  EXPECT_EQ(committed_sum(), 0);
  by_time.timestamp_ms = absl::ToUnixMillis(absl::Now()) + 3'600'000;
  ASSERT_TRUE(connector->ResetGroupOffsets("g", "topic", by_time).ok());
  EXPECT_EQ(committed_sum(), 10);

  // Reading events back without a group, in offset order, from a clamped offset.
  std::vector<std::string> read_ids;
  for (int32_t partition = 0; partition < 2; ++partition) {
    auto events = connector->ReadEvents("topic", partition, -5, 100);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_EQ(static_cast<int64_t>(events->size()), (*offsets)[partition].end);
    for (size_t k = 0; k < events->size(); ++k) {
      EXPECT_EQ((*events)[k].offset, static_cast<int64_t>(k));
      EXPECT_EQ((*events)[k].partition, partition);
      EXPECT_GT((*events)[k].stored_ms, 0);
      read_ids.push_back((*events)[k].event.id());
    }
  }
  EXPECT_EQ(read_ids.size(), 10u);
  auto two = connector->ReadEvents("topic", 0, 1, 2);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), std::min<size_t>(2, static_cast<size_t>((*offsets)[0].end - 1)));
  if (!two->empty()) {
    EXPECT_EQ((*two)[0].offset, 1);
  }
  auto past_end = connector->ReadEvents("topic", 0, 1000, 10);
  ASSERT_TRUE(past_end.ok()) << past_end.status();
  EXPECT_TRUE(past_end->empty());
  EXPECT_EQ(connector->ReadEvents("topic", 2, 0, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(connector->ReadEvents("missing", 0, 0, 1).status().code(), absl::StatusCode::kNotFound);
  connector->Shutdown();
}

}  // namespace
}  // namespace eventmesh::connectors
