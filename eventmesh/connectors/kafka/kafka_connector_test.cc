// The "kafka" connector against librdkafka's in-process mock cluster (3 brokers).
// Every wait is bounded and waits for a condition; nothing sleeps to synchronise.

#include "eventmesh/connectors/kafka/kafka_connector.h"

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/connectors/kafka/testing/mock_cluster.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors::kafka {
namespace {

constexpr absl::Duration kWait = absl::Seconds(60);

cloudevents::CloudEvent MakeEvent(const std::string& topic, int i, const std::string& key = "") {
  cloudevents::CloudEvent event;
  event.set_id(absl::StrCat("id-", i));
  event.set_source("/test");
  event.set_type("test");
  event.set_subject(topic);
  event.set_data(absl::StrCat("payload-", i), cloudevents::DataEncoding::kText);
  if (!key.empty()) event.SetExtension("partitionkey", key);
  return event;
}

// Collects deliveries; with auto-ack it acknowledges each batch from the handler (positions that
// arrive before the subscription is known are acknowledged when it is set). Checks that no more
// than `max_unacked` events are ever outstanding.
class Collector {
 public:
  explicit Collector(bool auto_ack = true, int64_t max_unacked = 1 << 30)
      : auto_ack_(auto_ack), max_unacked_(max_unacked) {}

  DeliveryHandler Handler() {
    return [this](std::vector<DeliveredEvent>* events) {
      std::vector<Position> positions;
      Subscription* target = nullptr;
      {
        absl::MutexLock lock(&mu_);
        for (auto& e : *events) {
          positions.push_back(e.position);
          events_.push_back(std::move(e));
        }
        if (static_cast<int64_t>(events_.size()) - acked_ > max_unacked_) over_limit_ = true;
        if (!auto_ack_) return;
        acked_ += static_cast<int64_t>(positions.size());
        target = subscription_;
        if (target == nullptr) {
          early_.insert(early_.end(), positions.begin(), positions.end());
          return;
        }
      }
      target->AckAll(positions);
    };
  }

  void SetSubscription(Subscription* subscription) {
    std::vector<Position> early;
    {
      absl::MutexLock lock(&mu_);
      subscription_ = subscription;
      early.swap(early_);
    }
    if (!early.empty()) subscription->AckAll(early);
  }

  // Acknowledges `positions` (for tests that acknowledge by hand).
  void Ack(Subscription* subscription, const std::vector<Position>& positions) {
    {
      absl::MutexLock lock(&mu_);
      acked_ += static_cast<int64_t>(positions.size());
    }
    subscription->AckAll(positions);
  }

  size_t WaitFor(size_t n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return events_.size();
  }

  std::vector<DeliveredEvent> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  size_t size() {
    absl::MutexLock lock(&mu_);
    return events_.size();
  }
  bool over_limit() {
    absl::MutexLock lock(&mu_);
    return over_limit_;
  }

 private:
  const bool auto_ack_;
  const int64_t max_unacked_;
  absl::Mutex mu_;
  std::vector<DeliveredEvent> events_ ABSL_GUARDED_BY(mu_);
  int64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  bool over_limit_ ABSL_GUARDED_BY(mu_) = false;
  Subscription* subscription_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<Position> early_ ABSL_GUARDED_BY(mu_);
};

std::set<std::string> Ids(const std::vector<DeliveredEvent>& events) {
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(e.event->id());
  return ids;
}

class KafkaConnectorTest : public ::testing::Test {
 protected:
  KafkaOptions Options() {
    KafkaOptions options;
    options.bootstrap_servers = cluster_.bootstrap_servers();
    options.commit_interval_ms = 100;
    options.session_timeout_ms = 6000;
    options.connect_timeout_ms = 10'000;
    options.publish_timeout_ms = 10'000;
    return options;
  }

  std::unique_ptr<Connector> Open(const KafkaOptions& options) {
    auto connector = OpenKafkaConnector(options, cluster_.topic_admin());
    EXPECT_TRUE(connector.ok()) << connector.status();
    return connector.ok() ? std::move(*connector) : nullptr;
  }

  void SetUp() override {
    connector_ = Open(Options());
    ASSERT_NE(connector_, nullptr);
  }

  void TearDown() override { connector_.reset(); }

  static absl::StatusOr<PublishResult> PublishSync(Connector* connector,
                                                   cloudevents::CloudEvent event) {
    absl::Mutex mu;
    std::optional<absl::StatusOr<PublishResult>> result;
    connector->Publish(std::move(event), [&](absl::StatusOr<PublishResult> r) {
      absl::MutexLock lock(&mu);
      result = std::move(r);
    });
    absl::MutexLock lock(&mu);
    auto done = [&] { return result.has_value(); };
    mu.AwaitWithTimeout(absl::Condition(&done), kWait);
    if (!result.has_value()) return absl::DeadlineExceededError("no publish callback");
    return *result;
  }

  // Publishes events [from, to) as one batch; returns their results in order.
  static std::vector<absl::StatusOr<PublishResult>> PublishAll(Connector* connector,
                                                               const std::string& topic, int from,
                                                               int to, int keys = 0) {
    absl::Mutex mu;
    std::vector<std::optional<absl::StatusOr<PublishResult>>> results(to - from);
    std::vector<Connector::PendingPublish> batch;
    for (int i = from; i < to; ++i) {
      batch.push_back({MakeEvent(topic, i, keys > 0 ? absl::StrCat("key-", i % keys) : ""),
                       [&mu, &results, slot = i - from](absl::StatusOr<PublishResult> r) {
                         absl::MutexLock lock(&mu);
                         results[slot] = std::move(r);
                       }});
    }
    connector->PublishBatch(&batch);
    absl::MutexLock lock(&mu);
    auto done = [&] {
      for (const auto& r : results) {
        if (!r.has_value()) return false;
      }
      return true;
    };
    mu.AwaitWithTimeout(absl::Condition(&done), kWait);
    std::vector<absl::StatusOr<PublishResult>> out;
    for (auto& r : results) {
      out.push_back(r.has_value() ? *r : absl::DeadlineExceededError("no publish callback"));
    }
    return out;
  }

  std::unique_ptr<Subscription> Subscribe(Connector* connector, Collector* collector,
                                          const std::string& topic, const std::string& group,
                                          ConsumeMode mode = ConsumeMode::kClustering,
                                          StartPosition start = StartPosition::kLatest,
                                          int32_t max_unacked = 1000) {
    SubscribeOptions options;
    options.topic = topic;
    options.group = group;
    options.mode = mode;
    options.start = start;
    options.max_unacked = max_unacked;
    auto subscription = connector->Subscribe(options, collector->Handler());
    EXPECT_TRUE(subscription.ok()) << subscription.status();
    if (!subscription.ok()) return nullptr;
    collector->SetSubscription(subscription->get());
    return std::move(*subscription);
  }

  testing::MockKafkaCluster cluster_{3};
  std::unique_ptr<Connector> connector_;
};

TEST_F(KafkaConnectorTest, CapabilitiesAndTopicAdmin) {
  const Capabilities capabilities = connector_->capabilities();
  EXPECT_TRUE(capabilities.durable);
  EXPECT_TRUE(capabilities.supports_consumer_groups);
  EXPECT_TRUE(capabilities.supports_broadcasting);
  EXPECT_TRUE(capabilities.shared_store);
  EXPECT_FALSE(capabilities.supports_request_reply);
  EXPECT_EQ(connector_->name(), "kafka");

  EXPECT_EQ(*connector_->TopicExists("admin-topic"), false);
  ASSERT_TRUE(connector_->CreateTopic("admin-topic", 2).ok());
  EXPECT_EQ(*connector_->TopicExists("admin-topic"), true);
  EXPECT_EQ(connector_->CreateTopic("admin-topic", 2).code(), absl::StatusCode::kAlreadyExists);
  // The runtime's reply topics (RequestTracker) and load topic must be valid Kafka topics.
  EXPECT_TRUE(connector_->CreateTopic("eventmesh-reply-0123456789abcdef", 1).ok());
  EXPECT_TRUE(connector_->CreateTopic("eventmesh-runtimes", 1).ok());
  ASSERT_TRUE(connector_->DeleteTopic("admin-topic").ok());
  EXPECT_EQ(*connector_->TopicExists("admin-topic"), false);
  EXPECT_EQ(connector_->CreateTopic("bad name", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(connector_->CreateTopic("__em.taken", 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KafkaTopicName("home/kitchen_1/temp"), "__em.home_skitchen__1_stemp");
  EXPECT_EQ(MeshTopicName("__em.home_skitchen__1_stemp"), "home/kitchen_1/temp");
  EXPECT_EQ(KafkaTopicName("plain_name"), "plain_name");
  EXPECT_EQ(MeshTopicName("plain_name"), "plain_name");
  EXPECT_EQ(connector_->TopicExists("").status().code(), absl::StatusCode::kInvalidArgument);

  SubscribeOptions missing;
  missing.topic = "no-such-topic";
  missing.group = "g";
  auto subscription = connector_->Subscribe(missing, [](std::vector<DeliveredEvent>*) {});
  EXPECT_EQ(subscription.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KafkaConnectorTest, AdminApiErrorsAreBoundedAndNameTheTopic) {
  // librdkafka's mock has no CreateTopics: the Admin API path must still answer in bounded time.
  KafkaOptions options = Options();
  options.request_timeout_ms = 1000;
  auto connector = OpenKafkaConnector(options);
  ASSERT_TRUE(connector.ok()) << connector.status();
  const absl::Status created = (*connector)->CreateTopic("via-admin-api", 1);
  EXPECT_FALSE(created.ok());
  EXPECT_TRUE(absl::StrContains(created.message(), "via-admin-api")) << created;
}

TEST_F(KafkaConnectorTest, PublishesAndConsumesInOrderPerPartition) {
  ASSERT_TRUE(connector_->CreateTopic("orders", 3).ok());
  Collector collector;
  auto subscription = Subscribe(connector_.get(), &collector, "orders", "g1");
  ASSERT_NE(subscription, nullptr);
  const auto results = PublishAll(connector_.get(), "orders", 0, 30);
  std::map<std::string, Position> published;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    EXPECT_EQ(results[i]->position.topic, "orders");
    published[absl::StrCat("id-", i)] = results[i]->position;
  }
  ASSERT_EQ(collector.WaitFor(30), 30u);
  const auto events = collector.Events();
  std::map<int32_t, int64_t> last;
  for (const auto& e : events) {
    const Position& expected = published[e.event->id()];
    EXPECT_EQ(e.position.partition, expected.partition);
    EXPECT_EQ(e.position.offset, expected.offset);
    auto it = last.find(e.position.partition);
    if (it != last.end()) {
      EXPECT_GT(e.position.offset, it->second);
    }
    last[e.position.partition] = e.position.offset;
    EXPECT_EQ(*e.event, MakeEvent("orders", std::stoi(e.event->id().substr(3))));
  }
  EXPECT_EQ(Ids(events).size(), 30u);
  subscription->Close();
}

TEST_F(KafkaConnectorTest, KeyedEventsKeepTheirOrder) {
  ASSERT_TRUE(connector_->CreateTopic("keyed", 4).ok());
  Collector collector;
  auto subscription = Subscribe(connector_.get(), &collector, "keyed", "g1");
  ASSERT_NE(subscription, nullptr);
  const auto results = PublishAll(connector_.get(), "keyed", 0, 40, /*keys=*/4);
  std::map<std::string, int32_t> partition_of_key;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    const std::string key = absl::StrCat("key-", i % 4);
    auto [it, inserted] = partition_of_key.emplace(key, results[i]->position.partition);
    EXPECT_EQ(it->second, results[i]->position.partition) << "key " << key << " moved";
  }
  ASSERT_EQ(collector.WaitFor(40), 40u);
  std::map<std::string, int> last_seq;
  for (const auto& e : collector.Events()) {
    const std::string* key = e.event->FindExtension("partitionkey");
    ASSERT_NE(key, nullptr);
    const int seq = std::stoi(e.event->id().substr(3));
    auto it = last_seq.find(*key);
    if (it != last_seq.end()) {
      EXPECT_GT(seq, it->second) << "key " << *key;
    }
    last_seq[*key] = seq;
  }
  subscription->Close();
}

// Three members on two connectors share every event. While the group settles (members joining,
// partitions moving), an event acknowledged just before its partition moved may come again when
// the group refuses the commit on revocation (REBALANCE_IN_PROGRESS): at-least-once, nothing
// lost. Once every member holds partitions, each event is delivered exactly once.
TEST_F(KafkaConnectorTest, GroupMembersShareEveryEventExactlyOnceOnceSettled) {
  ASSERT_TRUE(connector_->CreateTopic("shared", 3).ok());
  auto second = Open(Options());  // a second "runtime" on the same cluster
  ASSERT_NE(second, nullptr);
  Collector a, b, c;
  auto sa = Subscribe(connector_.get(), &a, "shared", "workers");
  auto sb = Subscribe(second.get(), &b, "shared", "workers");
  auto sc = Subscribe(second.get(), &c, "shared", "workers");
  ASSERT_TRUE(sa && sb && sc);
  const auto distinct = [&] {
    std::set<std::string> ids;
    for (Collector* collector : {&a, &b, &c}) {
      for (const auto& e : collector->Events()) ids.insert(e.event->id());
    }
    return ids.size();
  };
  // Publish rounds until every member received something (the group settles meanwhile).
  int published = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while ((a.size() == 0 || b.size() == 0 || c.size() == 0) && absl::Now() < deadline) {
    const auto results =
        PublishAll(connector_.get(), "shared", published, published + 12, /*keys=*/1000);
    for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status();
    published += 12;
    for (int i = 0; i < 100 && distinct() < static_cast<size_t>(published); ++i) {
      a.WaitFor(a.size() + 1, absl::Milliseconds(100));
    }
  }
  EXPECT_GT(a.size(), 0u);
  EXPECT_GT(b.size(), 0u);
  EXPECT_GT(c.size(), 0u);
  // The group has settled: the last member to join holds partitions.
  const int settled_from = published;
  const auto results =
      PublishAll(connector_.get(), "shared", published, published + 30, /*keys=*/1000);
  for (const auto& r : results) ASSERT_TRUE(r.ok()) << r.status();
  published += 30;
  for (int i = 0; i < 600 && distinct() < static_cast<size_t>(published); ++i) {
    a.WaitFor(a.size() + 1, absl::Milliseconds(100));
  }
  sa->Close();
  sb->Close();
  sc->Close();
  std::multiset<std::string> ids;
  for (Collector* collector : {&a, &b, &c}) {
    for (const auto& e : collector->Events()) ids.insert(e.event->id());
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), static_cast<size_t>(published))
      << "losses";
  for (int i = settled_from; i < published; ++i) {
    EXPECT_EQ(ids.count(absl::StrCat("id-", i)), 1u) << "event " << i << " after the group settled";
  }
}

TEST_F(KafkaConnectorTest, UnacknowledgedEventsComeAgainToTheNextMember) {
  ASSERT_TRUE(connector_->CreateTopic("redeliver", 1).ok());
  Collector first(/*auto_ack=*/false);
  auto subscription = Subscribe(connector_.get(), &first, "redeliver", "g");
  ASSERT_NE(subscription, nullptr);
  for (const auto& r : PublishAll(connector_.get(), "redeliver", 0, 10)) ASSERT_TRUE(r.ok());
  ASSERT_EQ(first.WaitFor(10), 10u);
  const auto events = first.Events();
  // Acknowledge 0..4 and 6: the watermark stops at 5.
  std::vector<Position> acked;
  for (int i : {0, 1, 2, 3, 4, 6}) acked.push_back(events[i].position);
  first.Ack(subscription.get(), acked);
  subscription->Close();

  Collector second;
  auto next = Subscribe(connector_.get(), &second, "redeliver", "g");
  ASSERT_NE(next, nullptr);
  ASSERT_EQ(second.WaitFor(5), 5u);
  const auto again = second.Events();
  ASSERT_GE(again.size(), 5u);
  EXPECT_EQ(again[0].position.offset, events[5].position.offset);
  std::vector<std::string> ids;
  for (const auto& e : again) ids.push_back(e.event->id());
  EXPECT_EQ(ids, (std::vector<std::string>{"id-5", "id-6", "id-7", "id-8", "id-9"}));
  next->Close();
}

TEST_F(KafkaConnectorTest, CommittedPositionsSurviveReopeningTheConnector) {
  ASSERT_TRUE(connector_->CreateTopic("durable", 2).ok());
  {
    Collector collector;
    auto subscription = Subscribe(connector_.get(), &collector, "durable", "keep",
                                  ConsumeMode::kClustering, StartPosition::kEarliest);
    ASSERT_NE(subscription, nullptr);
    for (const auto& r : PublishAll(connector_.get(), "durable", 0, 10)) ASSERT_TRUE(r.ok());
    ASSERT_EQ(collector.WaitFor(10), 10u);
    subscription->Close();
  }
  connector_.reset();
  connector_ = Open(Options());
  ASSERT_NE(connector_, nullptr);
  for (const auto& r : PublishAll(connector_.get(), "durable", 10, 15)) ASSERT_TRUE(r.ok());
  Collector collector;
  // kEarliest would start at the beginning: only the committed positions keep 0..9 away.
  auto subscription = Subscribe(connector_.get(), &collector, "durable", "keep",
                                ConsumeMode::kClustering, StartPosition::kEarliest);
  ASSERT_NE(subscription, nullptr);
  ASSERT_EQ(collector.WaitFor(5), 5u);
  EXPECT_EQ(Ids(collector.Events()),
            (std::set<std::string>{"id-10", "id-11", "id-12", "id-13", "id-14"}));
  subscription->Close();
}

TEST_F(KafkaConnectorTest, AcknowledgingAfterCloseIsHarmless) {
  ASSERT_TRUE(connector_->CreateTopic("late-acks", 1).ok());
  Collector collector(/*auto_ack=*/false, /*max_unacked=*/2);
  auto subscription = Subscribe(connector_.get(), &collector, "late-acks", "g",
                                ConsumeMode::kClustering, StartPosition::kLatest, 2);
  ASSERT_NE(subscription, nullptr);
  for (const auto& r : PublishAll(connector_.get(), "late-acks", 0, 4)) ASSERT_TRUE(r.ok());
  ASSERT_EQ(collector.WaitFor(2), 2u);  // the window is full: the consumer waits for acks
  subscription->Close();
  std::vector<Position> positions;
  for (const auto& e : collector.Events()) positions.push_back(e.position);
  subscription->AckAll(positions);
  subscription->Ack(positions[0]);
  subscription->Close();
}

TEST_F(KafkaConnectorTest, BroadcastReachesEverySubscription) {
  ASSERT_TRUE(connector_->CreateTopic("news", 2).ok());
  // Published before the subscriptions opened: not delivered to them.
  for (const auto& r : PublishAll(connector_.get(), "news", 100, 103)) ASSERT_TRUE(r.ok());
  Collector a, b;
  auto sa = Subscribe(connector_.get(), &a, "news", "a", ConsumeMode::kBroadcasting);
  auto sb = Subscribe(connector_.get(), &b, "news", "b", ConsumeMode::kBroadcasting);
  ASSERT_TRUE(sa && sb);
  for (const auto& r : PublishAll(connector_.get(), "news", 0, 20)) ASSERT_TRUE(r.ok());
  ASSERT_EQ(a.WaitFor(20), 20u);
  ASSERT_EQ(b.WaitFor(20), 20u);
  EXPECT_EQ(Ids(a.Events()), Ids(b.Events()));
  EXPECT_EQ(Ids(a.Events()).count("id-100"), 0u);
  sa->Close();
  sb->Close();
}

TEST_F(KafkaConnectorTest, MaxUnackedIsHonoured) {
  ASSERT_TRUE(connector_->CreateTopic("limited", 2).ok());
  Collector collector(/*auto_ack=*/false, /*max_unacked=*/5);
  auto subscription = Subscribe(connector_.get(), &collector, "limited", "g",
                                ConsumeMode::kClustering, StartPosition::kLatest, 5);
  ASSERT_NE(subscription, nullptr);
  for (const auto& r : PublishAll(connector_.get(), "limited", 0, 40)) ASSERT_TRUE(r.ok());
  size_t acked = 0;
  while (acked < 40) {
    const size_t seen = collector.WaitFor(std::min<size_t>(acked + 5, 40));
    ASSERT_GT(seen, acked) << "delivery stopped at " << seen;
    const auto events = collector.Events();
    std::vector<Position> positions;
    for (size_t i = acked; i < events.size(); ++i) positions.push_back(events[i].position);
    collector.Ack(subscription.get(), positions);
    acked = events.size();
  }
  EXPECT_FALSE(collector.over_limit()) << "more than 5 events were outstanding";
  EXPECT_EQ(Ids(collector.Events()).size(), 40u);
  subscription->Close();
}

TEST_F(KafkaConnectorTest, BrokersGoingAwayFailPublishesAndTheConnectorRecovers) {
  KafkaOptions options = Options();
  options.publish_timeout_ms = 2000;
  auto connector = Open(options);
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("outage", 2).ok());
  Collector collector;
  auto subscription = Subscribe(connector.get(), &collector, "outage", "g");
  ASSERT_NE(subscription, nullptr);
  std::set<std::string> acknowledged;
  for (int i = 0; i < 10; ++i) {
    auto result = PublishSync(connector.get(), MakeEvent("outage", i));
    ASSERT_TRUE(result.ok()) << result.status();
    acknowledged.insert(absl::StrCat("id-", i));
  }

  cluster_.SetAllBrokersDown();
  auto failed = PublishSync(connector.get(), MakeEvent("outage", 1000));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "topic outage")) << failed.status();
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "publishTimeoutMs")) << failed.status();

  cluster_.SetAllBrokersUp();
  // Publishing goes on (the first attempts may still meet the reconnecting producer).
  for (int i = 10; i < 20; ++i) {
    absl::StatusOr<PublishResult> result = absl::UnknownError("not tried");
    for (int attempt = 0; attempt < 10 && !result.ok(); ++attempt) {
      result = PublishSync(connector.get(), MakeEvent("outage", i));
    }
    ASSERT_TRUE(result.ok()) << result.status();
    acknowledged.insert(absl::StrCat("id-", i));
  }
  // Every acknowledged event is delivered.
  const auto all_delivered = [&] {
    const auto ids = Ids(collector.Events());
    for (const auto& id : acknowledged) {
      if (ids.count(id) == 0) return false;
    }
    return true;
  };
  for (int i = 0; i < 600 && !all_delivered(); ++i) {
    collector.WaitFor(collector.size() + 1, absl::Milliseconds(100));
  }
  EXPECT_TRUE(all_delivered());
  subscription->Close();
}

TEST_F(KafkaConnectorTest, FullProducerQueueRefusesWithResourceExhausted) {
  KafkaOptions options = Options();
  options.max_queued_events = 1;
  options.publish_timeout_ms = 1000;
  auto connector = Open(options);
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("full", 1).ok());
  cluster_.SetAllBrokersDown();
  const auto results = PublishAll(connector.get(), "full", 0, 3);
  int exhausted = 0;
  for (const auto& r : results) {
    if (r.status().code() == absl::StatusCode::kResourceExhausted) {
      ++exhausted;
      EXPECT_TRUE(absl::StrContains(r.status().message(), "maxQueuedEvents")) << r.status();
    }
  }
  EXPECT_GE(exhausted, 1);
  cluster_.SetAllBrokersUp();
}

TEST_F(KafkaConnectorTest, AfterShutdownEverythingIsUnavailable) {
  ASSERT_TRUE(connector_->CreateTopic("late", 1).ok());
  connector_->Shutdown();
  auto result = PublishSync(connector_.get(), MakeEvent("late", 0));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(), "kafka connector is shut down");
  EXPECT_EQ(PublishSync(connector_.get(), cloudevents::CloudEvent()).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(KafkaConnectorTest, PublishToAMissingTopicIsNotFound) {
  auto result = PublishSync(connector_.get(), MakeEvent("missing", 0));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound) << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "topic missing does not exist"))
      << result.status();
  ASSERT_TRUE(connector_->CreateTopic("missing", 1).ok());
  EXPECT_TRUE(PublishSync(connector_.get(), MakeEvent("missing", 1)).ok());
  ASSERT_TRUE(connector_->DeleteTopic("missing").ok());
  EXPECT_EQ(PublishSync(connector_.get(), MakeEvent("missing", 2)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(KafkaConnectorTest, EventWithoutTopicIsInvalid) {
  auto result = PublishSync(connector_.get(), cloudevents::CloudEvent());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KafkaConnectorStartTest, UnreachableClusterFailsStartUpNamingTheKey) {
  KafkaOptions options;
  options.bootstrap_servers = "127.0.0.1:1";
  options.connect_timeout_ms = 1000;
  auto connector = OpenKafkaConnector(options);
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(connector.status().message(),
                                "eventMesh.storage.kafka.bootstrapServers=127.0.0.1:1"))
      << connector.status();
}

TEST(KafkaConnectorStartTest, RegisteredAsABuiltin) {
  testing::MockKafkaCluster cluster(1);
  ConnectorRegistry registry;
  ASSERT_TRUE(RegisterBuiltinConnectors(&registry).ok());
  ASSERT_TRUE(registry.Contains("kafka"));
  auto connector = registry.Create("kafka", {{"bootstrapServers", cluster.bootstrap_servers()}});
  ASSERT_TRUE(connector.ok()) << connector.status();
  EXPECT_EQ((*connector)->name(), "kafka");
  auto bad = registry.Create(
      "kafka", {{"bootstrapServers", cluster.bootstrap_servers()}, {"sessionTimeout", "1"}});
  EXPECT_EQ(bad.status().message(),
            "unknown configuration key eventMesh.storage.kafka.sessionTimeout (did you mean "
            "eventMesh.storage.kafka.sessionTimeoutMs?)");
}

}  // namespace
}  // namespace eventmesh::connectors::kafka
