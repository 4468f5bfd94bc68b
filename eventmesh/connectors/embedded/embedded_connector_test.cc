#include "eventmesh/connectors/embedded/embedded_connector.h"

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

cloudevents::CloudEvent MakeEvent(const std::string& topic, int i) {
  cloudevents::CloudEvent event;
  event.set_id("id-" + std::to_string(i));
  event.set_source("/test");
  event.set_type("test");
  event.set_subject(topic);
  event.set_data("payload-" + std::to_string(i), cloudevents::DataEncoding::kText);
  return event;
}

class Collector {
 public:
  DeliveryHandler Handler() {
    return [this](std::vector<DeliveredEvent>* events) {
      absl::MutexLock lock(&mu_);
      for (auto& e : *events) events_.push_back(std::move(e));
    };
  }
  // Waits (bounded) until at least n events arrived; returns how many did.
  size_t WaitFor(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return events_.size();
  }
  std::vector<DeliveredEvent> Take() {
    absl::MutexLock lock(&mu_);
    return std::move(events_);
  }

 private:
  absl::Mutex mu_;
  std::vector<DeliveredEvent> events_;
};

class EmbeddedConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    EmbeddedOptions options;
    options.store.path = dir_;
    options.store.sync_mode = store::SyncMode::kNone;
    options.commit_interval_ms = 20;
    options.heartbeat_interval_ms = 50;
    auto connector = OpenEmbeddedConnector(options);
    ASSERT_TRUE(connector.ok()) << connector.status();
    connector_ = std::move(*connector);
    ASSERT_TRUE(connector_->CreateTopic("t", 2).ok());
  }

  absl::StatusOr<PublishResult> PublishSync(cloudevents::CloudEvent event) {
    absl::Mutex mu;
    std::optional<absl::StatusOr<PublishResult>> result;
    connector_->Publish(std::move(event), [&](absl::StatusOr<PublishResult> r) {
      absl::MutexLock lock(&mu);
      result = std::move(r);
    });
    absl::MutexLock lock(&mu);
    auto done = [&] { return result.has_value(); };
    mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
    if (!result.has_value()) return absl::DeadlineExceededError("no publish callback");
    return *result;
  }

  std::string dir_;
  std::unique_ptr<EventStoreConnector> connector_;
};

TEST_F(EmbeddedConnectorTest, PublishBatchRunsEveryCallbackOnceInOrder) {
  std::vector<Connector::PendingPublish> batch;
  absl::Mutex mu;
  std::vector<absl::StatusOr<PublishResult>> results(4, absl::UnknownError("not called"));
  int calls = 0;
  for (int i = 0; i < 4; ++i) {
    cloudevents::CloudEvent event = MakeEvent("t", i);
    if (i == 2) event.set_subject("");  // no topic: answered at once
    batch.push_back(
        Connector::PendingPublish{std::move(event), [&, i](absl::StatusOr<PublishResult> r) {
                                    absl::MutexLock lock(&mu);
                                    results[i] = std::move(r);
                                    ++calls;
                                  }});
  }
  connector_->PublishBatch(&batch);
  EXPECT_TRUE(batch.empty());
  absl::MutexLock lock(&mu);
  auto done = [&] { return calls == 4; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10)));
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(results[2].status().message(), "event has no subject (topic)");
  for (int i : {0, 1, 3}) ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
  // One append: same partition, consecutive offsets in publish order.
  EXPECT_EQ(results[1]->position.partition, results[0]->position.partition);
  EXPECT_EQ(results[3]->position.partition, results[0]->position.partition);
  EXPECT_EQ(results[1]->position.offset, results[0]->position.offset + 1);
  EXPECT_EQ(results[3]->position.offset, results[0]->position.offset + 2);
}

TEST_F(EmbeddedConnectorTest, PublishIsReadableFromTheStore) {
  auto published = PublishSync(MakeEvent("t", 1));
  ASSERT_TRUE(published.ok()) << published.status();
  store::ReadRequest read;
  read.topic = "t";
  read.partition = published->position.partition;
  read.offset = published->position.offset;
  auto records = connector_->store()->Read(read);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->records.size(), 1u);
}

TEST_F(EmbeddedConnectorTest, TheTailCacheGaugeChargesTheMemoryOfTheKeptBytes) {
  const auto gauge = [&] {
    const std::vector<ConnectorGauge> gauges = connector_->Gauges();
    // The tail cache's gauge, then RocksDB's write stalls: three counters, two gauges.
    EXPECT_EQ(gauges.size(), 6u);
    EXPECT_EQ(gauges.at(0).name, "eventmesh_store_tail_cache_bytes");
    EXPECT_FALSE(gauges.at(0).counter);
    for (size_t i = 1; i < gauges.size(); ++i) {
      EXPECT_EQ(gauges.at(i).counter, i <= 3) << gauges.at(i).name;
      EXPECT_EQ(gauges.at(i).value, 0) << gauges.at(i).name;  // nothing here stalls the writes
    }
    return gauges.at(0).value;
  };
  EXPECT_EQ(gauge(), 0);
  // Each event holds 10 KB of data and 20 extensions with long values: the cache keeps each
  // event's stored bytes and is charged their memory (the block and its share of bookkeeping),
  // not a fixed amount per record.
  size_t stored_size = 0;
  for (int i = 0; i < 10; ++i) {
    cloudevents::CloudEvent event = MakeEvent("t", i);
    event.set_data(std::string(10'000, 'd'), cloudevents::DataEncoding::kText);
    for (int k = 0; k < 20; ++k) {
      event.SetExtension("ext" + std::to_string(k), std::string(100, 'v'));
    }
    stored_size = cloudevents::SerializeProto(event)->size();
    ASSERT_TRUE(PublishSync(std::move(event)).ok());
  }
  const double per_event = gauge() / 10;
  EXPECT_GT(stored_size, 10'000 + 20 * 100);
  EXPECT_GE(per_event, stored_size);
  // Bookkeeping, and the little room a kept buffer may have beyond its bytes.
  EXPECT_LT(per_event, stored_size + 256 + 64 + stored_size / 64);
  ASSERT_TRUE(connector_->DeleteTopic("t").ok());
  EXPECT_EQ(gauge(), 0);
}

TEST_F(EmbeddedConnectorTest, PublishToMissingTopicFailsWithNotFound) {
  auto published = PublishSync(MakeEvent("missing", 1));
  EXPECT_EQ(published.status().code(), absl::StatusCode::kNotFound);
  cloudevents::CloudEvent no_subject = MakeEvent("t", 1);
  no_subject.clear_subject();
  EXPECT_EQ(PublishSync(no_subject).status().message(), "event has no subject (topic)");
}

TEST_F(EmbeddedConnectorTest, ClusteringDeliversAndCommitsContiguousWatermark) {
  Collector collector;
  SubscribeOptions options;
  options.group = "g";
  options.topic = "t";
  auto sub = connector_->Subscribe(options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(PublishSync(MakeEvent("t", i)).ok());
  ASSERT_EQ(collector.WaitFor(10), 10u);
  auto events = collector.Take();
  // Ack everything except the second event of partition 0: partition 0 commits only the offsets
  // below it, partition 1 commits all.
  std::map<int32_t, std::vector<int64_t>> by_partition;
  for (auto& e : events) by_partition[e.position.partition].push_back(e.position.offset);
  ASSERT_EQ(by_partition.size(), 2u);
  ASSERT_GE(by_partition[0].size(), 2u);
  int64_t held = by_partition[0][1];
  for (auto& e : events) {
    if (e.position.partition == 0 && e.position.offset == held) continue;
    (*sub)->Ack(e.position);
  }
  (*sub)->Close();
  auto offsets = connector_->store()->FetchOffsets({"g", "t", {}});
  ASSERT_TRUE(offsets.ok());
  ASSERT_EQ(offsets->offsets.size(), 2u);
  EXPECT_EQ(offsets->offsets[0].offset, held);
  EXPECT_EQ(offsets->offsets[1].offset, by_partition[1].back() + 1);

  // A new member of the group resumes at the unacked event.
  Collector again;
  auto sub2 = connector_->Subscribe(options, again.Handler());
  ASSERT_TRUE(sub2.ok());
  ASSERT_GE(again.WaitFor(by_partition[0].size() - 1), by_partition[0].size() - 1);
  auto redelivered = again.Take();
  EXPECT_EQ(redelivered[0].position.offset, held);
  EXPECT_EQ(redelivered[0].position.partition, 0);
}

TEST_F(EmbeddedConnectorTest, BroadcastingSubscriptionsEachSeeEveryEvent) {
  Collector a, b;
  SubscribeOptions options;
  options.group = "g";
  options.topic = "t";
  options.mode = ConsumeMode::kBroadcasting;
  auto sa = connector_->Subscribe(options, a.Handler());
  auto sb = connector_->Subscribe(options, b.Handler());
  ASSERT_TRUE(sa.ok() && sb.ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(PublishSync(MakeEvent("t", i)).ok());
  EXPECT_EQ(a.WaitFor(6), 6u);
  EXPECT_EQ(b.WaitFor(6), 6u);
}

TEST_F(EmbeddedConnectorTest, MaxUnackedStopsDeliveryUntilAcked) {
  Collector collector;
  SubscribeOptions options;
  options.group = "g";
  options.topic = "t";
  options.max_unacked = 4;
  auto sub = connector_->Subscribe(options, collector.Handler());
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(PublishSync(MakeEvent("t", i)).ok());
  ASSERT_EQ(collector.WaitFor(4), 4u);
  // Several maintenance ticks pass; no more than the window arrives.
  EXPECT_EQ(collector.WaitFor(5, absl::Milliseconds(300)), 4u);
  size_t total = 0;
  while (total < 20) {
    auto batch = collector.Take();
    ASSERT_FALSE(batch.empty()) << "delivery stalled after " << total;
    total += batch.size();
    for (auto& e : batch) (*sub)->Ack(e.position);
    if (total < 20) collector.WaitFor(1);
  }
  EXPECT_EQ(total, 20u);
}

TEST_F(EmbeddedConnectorTest, TwoMembersOfOneGroupSplitThePartitions) {
  Collector a, b;
  SubscribeOptions options;
  options.group = "shared";
  options.topic = "t";
  auto sa = connector_->Subscribe(options, a.Handler());
  auto sb = connector_->Subscribe(options, b.Handler());
  ASSERT_TRUE(sa.ok() && sb.ok());
  std::set<std::string> published, seen;
  std::set<int32_t> partitions_a, partitions_b;
  int i = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  // Publish until both members received something (the first member learns about the
  // rebalance from its next heartbeat).
  while ((partitions_a.empty() || partitions_b.empty()) && absl::Now() < deadline) {
    for (int k = 0; k < 4; ++k, ++i) {
      ASSERT_TRUE(PublishSync(MakeEvent("t", i)).ok());
      published.insert("id-" + std::to_string(i));
    }
    a.WaitFor(1, absl::Milliseconds(50));
    for (auto& e : a.Take()) {
      seen.insert(e.event->id());
      partitions_a.insert(e.position.partition);
      (*sa)->Ack(e.position);
    }
    for (auto& e : b.Take()) {
      seen.insert(e.event->id());
      partitions_b.insert(e.position.partition);
      (*sb)->Ack(e.position);
    }
  }
  ASSERT_FALSE(partitions_a.empty());
  ASSERT_FALSE(partitions_b.empty());
  // Drain: every published event reached one of the members.
  const absl::Time drain = absl::Now() + absl::Seconds(10);
  while (seen.size() < published.size() && absl::Now() < drain) {
    a.WaitFor(1, absl::Milliseconds(50));
    for (auto& e : a.Take()) {
      seen.insert(e.event->id());
      (*sa)->Ack(e.position);
    }
    for (auto& e : b.Take()) {
      seen.insert(e.event->id());
      (*sb)->Ack(e.position);
    }
  }
  EXPECT_EQ(seen, published);
  auto group = connector_->store()->DescribeGroup({"shared"});
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->members.size(), 2u);
  for (const auto& member : group->members) EXPECT_EQ(member.partitions.size(), 1u);
}

TEST(EmbeddedConfigTest, UnknownAndInvalidKeysAreNamed) {
  // Keys are named as users write them, with their section.
  EXPECT_EQ(ParseEmbeddedConfig({{"path", "/x"}, {"bogus", "1"}}).status().message(),
            "unknown configuration key eventMesh.storage.embedded.bogus");
  EXPECT_EQ(ParseEmbeddedConfig({{"path", "/x"}, {"syncmode", "none"}}).status().message(),
            "unknown configuration key eventMesh.storage.embedded.syncmode (did you mean "
            "eventMesh.storage.embedded.syncMode?)");
  EXPECT_EQ(ParseEmbeddedConfig({{"path", "/x"}, {"fetchWaitMs", "soon"}}).status().message(),
            "invalid value \"soon\" for key eventMesh.storage.embedded.fetchWaitMs: expected an "
            "integer >= 1");
  EXPECT_EQ(ParseEmbeddedConfig({{"path", "/x"}, {"syncMode", "sometimes"}}).status().message(),
            "invalid value \"sometimes\" for key eventMesh.storage.embedded.syncMode: expected "
            "none, batch or always");
  EXPECT_EQ(ParseEmbeddedConfig({{"path", "/x"}, {"retentionIntervalMs", "-1"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEmbeddedConfig({}).status().message(),
            "embedded connector: key path (store directory) is required");
  // Through the registry under the alias, the alias's section is named.
  ConnectorRegistry registry;
  ASSERT_TRUE(RegisterEmbeddedConnector(&registry).ok());
  EXPECT_EQ(registry.Create("standalone", {{"path", "/x"}, {"fetchWait", "1"}}).status().message(),
            "unknown configuration key eventMesh.storage.standalone.fetchWait (did you mean "
            "eventMesh.storage.standalone.fetchWaitMs?)");
}

TEST(EmbeddedConfigTest, TheTableAppliesValuesAndCapsThreadCounts) {
  auto options = ParseEmbeddedConfig({{"path", "/x"},
                                      {"syncMode", "always"},
                                      {"appenderThreads", "1000"},
                                      {"fetchMaxEvents", "20000"},
                                      {"commitIntervalMs", "7"},
                                      {"retentionIntervalMs", "0"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->store.sync_mode, store::SyncMode::kAlways);
  EXPECT_EQ(options->appender_threads, 64);
  EXPECT_EQ(options->fetch_max_events, 10000);
  EXPECT_EQ(options->commit_interval_ms, 7);
  EXPECT_EQ(options->store.retention_interval_ms, 0);
  EXPECT_EQ(options->fetch_wait_ms, 500);  // default
}

TEST(EmbeddedConfigTest, TheRuntimeContextGivesTheDefaultPathAndTheEventSize) {
  ConnectorContext context;
  context.data_dir = "/var/lib/eventmesh";
  context.max_event_bytes = 8 << 20;
  auto options = ParseEmbeddedConfig({}, context);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->store.path, "/var/lib/eventmesh/store");
  EXPECT_GE(options->store.limits.max_event_bytes, 8 << 20);
  EXPECT_GE(options->store.limits.max_batch_bytes, options->store.limits.max_event_bytes);
  EXPECT_EQ(ParseEmbeddedConfig({{"path", "/elsewhere"}}, context)->store.path, "/elsewhere");
  // The default context keeps the engine's own 1 MiB bound.
  EXPECT_GE(ParseEmbeddedConfig({{"path", "/x"}})->store.limits.max_event_bytes, 1 << 20);
}

TEST(BuiltinConnectorsTest, EmbeddedAndStandaloneAreRegistered) {
  ConnectorRegistry registry;
  ASSERT_TRUE(RegisterBuiltinConnectors(&registry).ok());
  EXPECT_TRUE(registry.Contains("embedded"));
  EXPECT_TRUE(registry.Contains("standalone"));
  auto connector = registry.Create(
      "standalone", {{"path", std::string(std::getenv("TEST_TMPDIR")) + "/standalone"}});
  ASSERT_TRUE(connector.ok()) << connector.status();
  EXPECT_TRUE((*connector)->capabilities().durable);
  EXPECT_FALSE((*connector)->capabilities().supports_request_reply);
}

}  // namespace
}  // namespace eventmesh::connectors
