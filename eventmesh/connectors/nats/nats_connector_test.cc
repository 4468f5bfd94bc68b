// The "nats" connector against a real nats-server (JetStream, file storage) on a free loopback
// port per test. The behaviour every connector shares is in nats_conformance_test.

#include "eventmesh/connectors/nats/nats_connector.h"

#include <nats/nats.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/connectors/nats/nats_test_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

using ::testing::HasSubstr;
using testing::NatsTestServer;

cloudevents::CloudEvent MakeEvent(const std::string& topic, const std::string& id) {
  cloudevents::CloudEvent event;
  event.set_id(id);
  event.set_source("/test");
  event.set_type("test");
  event.set_subject(topic);
  event.set_data("payload-" + id, cloudevents::DataEncoding::kText);
  return event;
}

absl::StatusOr<PublishResult> PublishSync(Connector* connector, cloudevents::CloudEvent event) {
  auto mu = std::make_shared<absl::Mutex>();
  auto result = std::make_shared<std::optional<absl::StatusOr<PublishResult>>>();
  connector->Publish(std::move(event), [mu, result](absl::StatusOr<PublishResult> r) {
    absl::MutexLock lock(mu.get());
    *result = std::move(r);
  });
  absl::MutexLock lock(mu.get());
  auto done = [&] { return result->has_value(); };
  mu->AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
  if (!result->has_value()) return absl::DeadlineExceededError("no publish callback");
  return **result;
}

class NatsConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto server = NatsTestServer::Start(dir_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<Connector> Open(ConnectorConfig extra = {}) {
    ConnectorConfig config{{"servers", server_->url()},
                           {"fetchWaitMs", "100"},
                           {"publishTimeoutMs", "1000"},
                           {"reconnectWaitMs", "50"},
                           {"requestTimeoutMs", "1000"}};
    for (auto& [key, value] : extra) config[key] = value;
    auto options = ParseNatsConfig(config);
    EXPECT_TRUE(options.ok()) << options.status();
    if (!options.ok()) return nullptr;
    auto connector = OpenNatsConnector(*options);
    EXPECT_TRUE(connector.ok()) << connector.status();
    return connector.ok() ? std::move(*connector) : nullptr;
  }

  std::string dir_;
  std::unique_ptr<NatsTestServer> server_;
};

TEST(NatsMappingTest, TopicsBecomeStreamsAndSubjects) {
  EXPECT_EQ(NatsStreamName("orders"), "EM_orders");
  EXPECT_EQ(NatsStreamName("fragile.DLQ"), "EM_fragile_2EDLQ");
  EXPECT_EQ(NatsStreamName("a_b"), "EM_a_5Fb");  // '_' is escaped too: no two topics collide
  EXPECT_EQ(NatsSubject("eventmesh", "fragile.DLQ", 3), "eventmesh.fragile_2EDLQ.3");
  EXPECT_EQ(NatsSubject("em", "a b*>", 0), "em.a_20b_2A_3E.0");
}

TEST(NatsConfigTest, BadKeysAndValuesNameTheKey) {
  auto unknown = ParseNatsConfig({{"server", "nats://x:1"}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("eventMesh.storage.nats.server"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("eventMesh.storage.nats.servers"));
  auto storage = ParseNatsConfig({{"storage", "disk"}});
  EXPECT_THAT(storage.status().message(), HasSubstr("eventMesh.storage.nats.storage"));
  auto tls = ParseNatsConfig({{"tlsCertFile", "/c.pem"}});
  EXPECT_THAT(tls.status().message(), HasSubstr("tlsKeyFile"));
  auto ok = ParseNatsConfig({{"storage", "memory"}, {"replicas", "3"}, {"maxAgeMs", "60000"}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->memory_storage);
  EXPECT_EQ(ok->replicas, 3);
  EXPECT_EQ(ok->max_age_ms, 60000);
}

TEST(NatsStartTest, UnreachableServerFailsNamingTheKeyAndTheAddress) {
  const std::string url = absl::StrCat("nats://127.0.0.1:", eventmesh::testing::FreeLoopbackPort());
  ConnectorRegistry registry;
  ASSERT_TRUE(RegisterBuiltinConnectors(&registry).ok());
  ASSERT_TRUE(registry.Contains("nats"));
  auto connector = registry.Create("nats", {{"servers", url}, {"connectTimeoutMs", "500"}});
  ASSERT_FALSE(connector.ok());
  EXPECT_EQ(connector.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(connector.status().message(), HasSubstr("eventMesh.storage.nats.servers"));
  EXPECT_THAT(connector.status().message(), HasSubstr(url));
}

TEST_F(NatsConnectorTest, RegistryBuildsItAndPartitionsAreSubjects) {
  ConnectorRegistry registry;
  ASSERT_TRUE(RegisterBuiltinConnectors(&registry).ok());
  auto connector = registry.Create("nats", {{"servers", server_->url()}});
  ASSERT_TRUE(connector.ok()) << connector.status();
  EXPECT_EQ((*connector)->name(), "nats");
  EXPECT_TRUE((*connector)->capabilities().durable);
  EXPECT_TRUE((*connector)->capabilities().supports_broadcasting);
  ASSERT_TRUE((*connector)->CreateTopic("fragile.DLQ", 3).ok());
  std::set<int32_t> partitions;
  for (int i = 0; i < 6; ++i) {
    auto published = PublishSync(connector->get(), MakeEvent("fragile.DLQ", absl::StrCat(i)));
    ASSERT_TRUE(published.ok()) << published.status();
    EXPECT_EQ(published->position.offset, i + 1);  // the stream sequence
    partitions.insert(published->position.partition);
  }
  EXPECT_EQ(partitions, (std::set<int32_t>{0, 1, 2}));
  (*connector)->Shutdown();
  auto after = PublishSync(connector->get(), MakeEvent("fragile.DLQ", "late"));
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(NatsConnectorTest, PublishesFailWithinTheTimeoutWhileTheServerIsAwayThenRecover) {
  auto connector = Open();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("jobs", 1).ok());
  ASSERT_TRUE(PublishSync(connector.get(), MakeEvent("jobs", "before")).ok());
  server_->Stop();
  auto failed = PublishSync(connector.get(), MakeEvent("jobs", "during"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr("eventMesh.storage.nats.publishTimeoutMs"));
  // A backlog shares the timeout instead of waiting one timeout per event in turn (100 x 1 s
  // would exceed the bounded wait below).
  absl::Mutex mu;
  int answered = 0, unavailable = 0;
  for (int i = 0; i < 100; ++i) {
    connector->Publish(MakeEvent("jobs", absl::StrCat("backlog-", i)),
                       [&](absl::StatusOr<PublishResult> r) {
                         absl::MutexLock lock(&mu);
                         ++answered;
                         if (absl::IsUnavailable(r.status())) ++unavailable;
                       });
  }
  {
    absl::MutexLock lock(&mu);
    auto all = [&] { return answered == 100; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(30)));
    EXPECT_EQ(unavailable, 100);
  }
  ASSERT_TRUE(server_->Start().ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<PublishResult> again;
  while (!(again = PublishSync(connector.get(), MakeEvent("jobs", "after"))).ok()) {
    ASSERT_LT(absl::Now(), deadline) << again.status();
    absl::SleepFor(absl::Milliseconds(50));
  }
  connector->Shutdown();
}

// Collects delivered ids; acknowledges every event at once from its own thread.
class AckingCollector {
 public:
  DeliveryHandler Handler() {
    return [this](std::vector<DeliveredEvent>* events) {
      absl::MutexLock lock(&mu_);
      for (auto& e : *events) {
        ids_.insert(e.event->id());
        positions_.push_back(e.position);
      }
    };
  }
  // Waits (bounded) for `id`, acknowledging what arrives.
  bool WaitFor(Subscription* subscription, const std::string& id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    for (;;) {
      std::vector<Position> positions;
      bool found;
      {
        absl::MutexLock lock(&mu_);
        auto arrived = [&] { return ids_.count(id) > 0 || !positions_.empty(); };
        mu_.AwaitWithDeadline(absl::Condition(&arrived), deadline);
        found = ids_.count(id) > 0;
        positions.swap(positions_);
      }
      subscription->AckAll(positions);
      if (found) return true;
      if (absl::Now() >= deadline) return false;
    }
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> ids_;
  std::vector<Position> positions_;
};

TEST_F(NatsConnectorTest, SubscriptionsResumeAfterTheServerRestarted) {
  auto connector = Open();
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("feed", 2).ok());
  AckingCollector group, broadcast;
  SubscribeOptions options;
  options.group = "readers";
  options.topic = "feed";
  options.start = StartPosition::kEarliest;
  auto member = connector->Subscribe(options, group.Handler());
  ASSERT_TRUE(member.ok()) << member.status();
  options.mode = ConsumeMode::kBroadcasting;
  auto listener = connector->Subscribe(options, broadcast.Handler());
  ASSERT_TRUE(listener.ok()) << listener.status();
  ASSERT_TRUE(PublishSync(connector.get(), MakeEvent("feed", "before")).ok());
  EXPECT_TRUE(group.WaitFor(member->get(), "before"));
  EXPECT_TRUE(broadcast.WaitFor(listener->get(), "before"));

  server_->Stop();
  ASSERT_TRUE(server_->Start().ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<PublishResult> published;
  while (!(published = PublishSync(connector.get(), MakeEvent("feed", "after"))).ok()) {
    ASSERT_LT(absl::Now(), deadline) << published.status();
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(group.WaitFor(member->get(), "after"));
  EXPECT_TRUE(broadcast.WaitFor(listener->get(), "after"));
  (*member)->Close();
  (*listener)->Close();
  connector->Shutdown();
}

TEST_F(NatsConnectorTest, AConsumerDeletedOnTheServerIsRecreated) {
  // Memory storage: nats-server 2.9 sometimes fails to delete a file-backed consumer's
  // directory it is still writing ("unlinkat ... directory not empty").
  auto connector = Open({{"storage", "memory"}});
  ASSERT_NE(connector, nullptr);
  ASSERT_TRUE(connector->CreateTopic("work", 1).ok());
  AckingCollector group;
  SubscribeOptions options;
  options.group = "crew";
  options.topic = "work";
  options.start = StartPosition::kEarliest;
  auto member = connector->Subscribe(options, group.Handler());
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_TRUE(PublishSync(connector.get(), MakeEvent("work", "first")).ok());
  EXPECT_TRUE(group.WaitFor(member->get(), "first"));

  // An operator deletes the consumer behind the connector's back.
  natsConnection* admin = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&admin, server_->url().c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, admin, nullptr), NATS_OK);
  natsStatus deleted =
      js_DeleteConsumer(js, NatsStreamName("work").c_str(), "crew", nullptr, nullptr);
  EXPECT_EQ(deleted, NATS_OK) << nats_GetLastError(nullptr);
  jsCtx_Destroy(js);
  natsConnection_Destroy(admin);

  ASSERT_TRUE(PublishSync(connector.get(), MakeEvent("work", "second")).ok());
  EXPECT_TRUE(group.WaitFor(member->get(), "second"));
  (*member)->Close();
  connector->Shutdown();
}

TEST_F(NatsConnectorTest, MemoryStorageIsNotDurable) {
  auto connector = Open({{"storage", "memory"}});
  ASSERT_NE(connector, nullptr);
  EXPECT_FALSE(connector->capabilities().durable);
  ASSERT_TRUE(connector->CreateTopic("volatile", 1).ok());
  EXPECT_TRUE(PublishSync(connector.get(), MakeEvent("volatile", "x")).ok());
  connector->Shutdown();
}

}  // namespace
}  // namespace eventmesh::connectors
