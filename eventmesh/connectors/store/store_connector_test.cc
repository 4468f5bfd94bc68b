// The "store" connector against a real StoreServer (RocksDB engine) on 127.0.0.1 port 0.

#include "eventmesh/connectors/store/store_connector.h"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/asio.hpp"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/store/client/remote_event_store.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

using ::testing::HasSubstr;

cloudevents::CloudEvent MakeEvent(const std::string& topic, int i) {
  cloudevents::CloudEvent event;
  event.set_id("id-" + std::to_string(i));
  event.set_source("/test");
  event.set_type("test");
  event.set_subject(topic);
  event.set_data("payload-" + std::to_string(i), cloudevents::DataEncoding::kText);
  return event;
}

// Collects delivered events; acknowledges them when `ack` is set.
class Collector {
 public:
  DeliveryHandler Handler() {
    return [this](std::vector<DeliveredEvent>* events) {
      absl::MutexLock lock(&mu_);
      for (auto& e : *events) {
        ids_.push_back(e.event->id());
        positions_.push_back(e.position);
      }
    };
  }
  size_t WaitFor(size_t n, absl::Duration timeout = absl::Seconds(15)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return ids_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return ids_.size();
  }
  std::vector<std::string> ids() {
    absl::MutexLock lock(&mu_);
    return ids_;
  }
  std::vector<Position> TakePositions() {
    absl::MutexLock lock(&mu_);
    return std::move(positions_);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> ids_;
  std::vector<Position> positions_;
};

absl::StatusOr<PublishResult> PublishSync(Connector* connector, cloudevents::CloudEvent event) {
  absl::Mutex mu;
  std::optional<absl::StatusOr<PublishResult>> result;
  connector->Publish(std::move(event), [&](absl::StatusOr<PublishResult> r) {
    absl::MutexLock lock(&mu);
    result = std::move(r);
  });
  absl::MutexLock lock(&mu);
  auto done = [&] { return result.has_value(); };
  mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
  if (!result.has_value()) return absl::DeadlineExceededError("no publish callback");
  return *result;
}

class StoreConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options.sync_mode = store::SyncMode::kNone;
    auto engine = store::RocksDbEventStore::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    StartServer(0);
  }

  void TearDown() override {
    connectors_.clear();
    if (server_) server_->Stop();
    server_.reset();
    engine_.reset();
  }

  void StartServer(uint16_t port) {
    store::service::StoreServerOptions options;
    options.port = port;
    options.io_threads = 1;
    options.executor_threads = 4;
    auto server = store::service::StoreServer::Start(engine_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->port();
  }

  // A connector (like one runtime) on the shared store.
  EventStoreConnector* NewConnector() {
    auto options = ParseStoreConfig({{"address", absl::StrCat("127.0.0.1:", port_)},
                                     {"fetchWaitMs", "100"},
                                     {"heartbeatIntervalMs", "50"},
                                     {"commitIntervalMs", "20"},
                                     {"sessionTimeoutMs", "3000"},
                                     {"callTimeoutMs", "3000"},
                                     {"reconnectMaxBackoffMs", "100"},
                                     {"retryMaxBackoffMs", "200"}});
    EXPECT_TRUE(options.ok()) << options.status();
    auto connector = OpenStoreConnector(*options);
    EXPECT_TRUE(connector.ok()) << connector.status();
    connectors_.push_back(std::move(*connector));
    return connectors_.back().get();
  }

  std::unique_ptr<store::RocksDbEventStore> engine_;
  std::unique_ptr<store::service::StoreServer> server_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<EventStoreConnector>> connectors_;
};

TEST_F(StoreConnectorTest, PublishIsStoredInTheServiceAndMissingTopicIsNotFound) {
  EventStoreConnector* connector = NewConnector();
  EXPECT_EQ(connector->name(), "store");
  EXPECT_TRUE(connector->capabilities().shared_store);
  EXPECT_TRUE(connector->capabilities().supports_consumer_groups);
  ASSERT_TRUE(connector->CreateTopic("orders", 2).ok());
  EXPECT_EQ(connector->CreateTopic("orders", 2).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(*connector->TopicExists("orders"));
  EXPECT_FALSE(*connector->TopicExists("nope"));

  auto published = PublishSync(connector, MakeEvent("orders", 1));
  ASSERT_TRUE(published.ok()) << published.status();
  store::ReadRequest read;
  read.topic = "orders";
  read.partition = published->position.partition;
  read.offset = published->position.offset;
  auto records = engine_->Read(read);  // straight from the engine behind the service
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->records.size(), 1u);

  auto missing = PublishSync(connector, MakeEvent("missing", 1));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  ASSERT_TRUE(connector->DeleteTopic("orders").ok());
  EXPECT_FALSE(*connector->TopicExists("orders"));
}

TEST_F(StoreConnectorTest, TwoConnectorsShareOneClusteringGroup) {
  EventStoreConnector* a = NewConnector();
  EventStoreConnector* b = NewConnector();
  ASSERT_TRUE(a->CreateTopic("jobs", 4).ok());
  Collector ca, cb;
  SubscribeOptions options;
  options.group = "workers";
  options.topic = "jobs";
  auto sa = a->Subscribe(options, ca.Handler());
  ASSERT_TRUE(sa.ok()) << sa.status();
  auto sb = b->Subscribe(options, cb.Handler());
  ASSERT_TRUE(sb.ok()) << sb.status();
  // Wait until the store split the 4 partitions between the two members.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (;;) {
    auto group = engine_->DescribeGroup({"workers"});
    ASSERT_TRUE(group.ok());
    if (group->members.size() == 2 && group->members[0].partitions.size() == 2 &&
        group->members[1].partitions.size() == 2) {
      break;
    }
    ASSERT_LT(absl::Now(), deadline) << "the group never settled";
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(200));  // both members saw the new generation (heartbeats)
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) {
    ASSERT_TRUE(PublishSync(i % 2 ? a : b, MakeEvent("jobs", i)).ok());
  }
  const absl::Time wait_until = absl::Now() + absl::Seconds(15);
  while (ca.ids().size() + cb.ids().size() < static_cast<size_t>(kEvents) &&
         absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  std::multiset<std::string> all;
  for (const auto& id : ca.ids()) all.insert(id);
  for (const auto& id : cb.ids()) all.insert(id);
  ASSERT_EQ(all.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(all.count(absl::StrCat("id-", i)), 1u) << i;
  EXPECT_GT(ca.ids().size(), 0u);
  EXPECT_GT(cb.ids().size(), 0u);
  (*sa)->AckAll(ca.TakePositions());
  (*sb)->AckAll(cb.TakePositions());
  (*sa)->Close();
  (*sb)->Close();
  // Everything acknowledged was committed: every partition's committed offset is its end.
  auto offsets = engine_->FetchOffsets({"workers", "jobs", {}});
  ASSERT_TRUE(offsets.ok());
  auto topic = engine_->DescribeTopic({"jobs"});
  ASSERT_TRUE(topic.ok());
  for (const auto& committed : offsets->offsets) {
    EXPECT_EQ(committed.offset, topic->partition_info[committed.partition].next_offset)
        << "partition " << committed.partition;
  }
}

TEST_F(StoreConnectorTest, BroadcastingReachesSubscriptionsOnEveryConnector) {
  EventStoreConnector* a = NewConnector();
  EventStoreConnector* b = NewConnector();
  ASSERT_TRUE(a->CreateTopic("alerts", 2).ok());
  Collector ca, cb;
  SubscribeOptions options;
  options.group = "screens";
  options.topic = "alerts";
  options.mode = ConsumeMode::kBroadcasting;
  auto sa = a->Subscribe(options, ca.Handler());
  ASSERT_TRUE(sa.ok());
  auto sb = b->Subscribe(options, cb.Handler());
  ASSERT_TRUE(sb.ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(PublishSync(a, MakeEvent("alerts", i)).ok());
  EXPECT_EQ(ca.WaitFor(6), 6u);
  EXPECT_EQ(cb.WaitFor(6), 6u);
  const std::vector<std::string> a_ids = ca.ids();
  const std::vector<std::string> b_ids = cb.ids();
  std::set<std::string> sa_ids(a_ids.begin(), a_ids.end());
  std::set<std::string> sb_ids(b_ids.begin(), b_ids.end());
  EXPECT_EQ(sa_ids.size(), 6u);
  EXPECT_EQ(sa_ids, sb_ids);
  (*sa)->Close();
  (*sb)->Close();
}

TEST_F(StoreConnectorTest, DeadStoreFailsPublishesAndSubscriptionsResumeWhenItReturns) {
  EventStoreConnector* connector = NewConnector();
  ASSERT_TRUE(connector->CreateTopic("feed", 1).ok());
  Collector collector;
  SubscribeOptions options;
  options.group = "readers";
  options.topic = "feed";
  auto subscription = connector->Subscribe(options, collector.Handler());
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  ASSERT_TRUE(PublishSync(connector, MakeEvent("feed", 0)).ok());
  ASSERT_EQ(collector.WaitFor(1), 1u);
  (*subscription)->AckAll(collector.TakePositions());

  server_->Stop();
  server_.reset();
  // No fake ack: every publish while the store is down fails with Unavailable.
  for (int i = 1; i <= 3; ++i) {
    auto down = PublishSync(connector, MakeEvent("feed", 100 + i));
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
    EXPECT_THAT(down.status().message(), HasSubstr(absl::StrCat("127.0.0.1:", port_)));
  }
  absl::SleepFor(absl::Milliseconds(500));  // the subscription fails and backs off meanwhile
  EXPECT_EQ(collector.ids().size(), 1u);

  StartServer(port_);
  absl::StatusOr<PublishResult> after = absl::UnknownError("not tried");
  for (int attempt = 0; attempt < 300 && !after.ok(); ++attempt) {
    after = PublishSync(connector, MakeEvent("feed", 1));
    if (!after.ok()) {
      ASSERT_EQ(after.status().code(), absl::StatusCode::kUnavailable) << after.status();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->position.offset, 1);  // none of the failed publishes was stored
  // The subscription resumed by itself.
  ASSERT_EQ(collector.WaitFor(2), 2u);
  EXPECT_EQ(collector.ids()[1], "id-1");
  (*subscription)->Close();
}

TEST_F(StoreConnectorTest, OversizeEventIsRejectedBeforeSending) {
  auto options =
      ParseStoreConfig({{"address", absl::StrCat("127.0.0.1:", port_)}, {"maxEventBytes", "200"}});
  ASSERT_TRUE(options.ok()) << options.status();
  auto connector = OpenStoreConnector(*options);
  ASSERT_TRUE(connector.ok());
  ASSERT_TRUE((*connector)->CreateTopic("big", 1).ok());
  cloudevents::CloudEvent event = MakeEvent("big", 1);
  event.set_data(std::string(500, 'x'), cloudevents::DataEncoding::kText);
  auto published = PublishSync(connector->get(), event);
  EXPECT_EQ(published.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(published.status().message(), HasSubstr("exceeds the 200-byte limit"));
  auto described = engine_->DescribeTopic({"big"});
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->partition_info[0].next_offset, 0);
}

TEST_F(StoreConnectorTest, AfterShutdownPublishAndSubscribeAreUnavailable) {
  EventStoreConnector* connector = NewConnector();
  ASSERT_TRUE(connector->CreateTopic("t", 1).ok());
  connector->Shutdown();
  auto published = PublishSync(connector, MakeEvent("t", 1));
  EXPECT_EQ(published.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(published.status().message(), "the store connector is shutting down");
  SubscribeOptions options;
  options.group = "g";
  options.topic = "t";
  auto subscription = connector->Subscribe(options, [](std::vector<DeliveredEvent>*) {});
  EXPECT_EQ(subscription.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(subscription.status().message(), "the store connector is shut down");
}

TEST(StoreConnectorSilentStoreTest, HeartbeatsHaveTheirOwnDeadlineBelowTheCallTimeout) {
  // A "store" that accepts connections and never answers. Calls wait an hour; heartbeats must
  // give up on their own deadline (without it this test would hang until Bazel's timeout).
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t port = acceptor.local_endpoint().port();
  boost::asio::ip::tcp::socket accepted(io);
  std::thread accept_thread([&] {
    boost::system::error_code ec;
    acceptor.accept(accepted, ec);
  });
  store::client::StoreClientOptions options;
  options.port = port;
  options.call_timeout = absl::Hours(1);
  auto remote = store::client::RemoteEventStore::Connect(options);
  ASSERT_TRUE(remote.ok()) << remote.status();
  (*remote)->set_heartbeat_timeout(absl::Milliseconds(200));
  auto beat = (*remote)->Heartbeat({"g", "member-1"});
  ASSERT_FALSE(beat.ok());
  EXPECT_EQ(beat.status().code(), absl::StatusCode::kDeadlineExceeded) << beat.status();
  remote->reset();
  boost::system::error_code ignored;
  acceptor.close(ignored);
  accept_thread.join();
}

TEST(StoreConnectorSilentStoreTest, UnansweredAppendIsUnavailableNotAcknowledged) {
  // A "store" that accepts connections and never answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t port = acceptor.local_endpoint().port();
  boost::asio::ip::tcp::socket accepted(io);
  std::thread accept_thread([&] {
    boost::system::error_code ec;
    acceptor.accept(accepted, ec);
  });
  auto options =
      ParseStoreConfig({{"address", absl::StrCat("127.0.0.1:", port)}, {"callTimeoutMs", "300"}});
  ASSERT_TRUE(options.ok()) << options.status();
  auto connector = OpenStoreConnector(*options);
  ASSERT_TRUE(connector.ok()) << connector.status();
  auto published = PublishSync(connector->get(), MakeEvent("t", 1));
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.status().code(), absl::StatusCode::kUnavailable) << published.status();
  EXPECT_THAT(published.status().message(),
              HasSubstr("the store did not confirm the append in time (the events may or may not "
                        "have been stored): "));
  connector->reset();
  accept_thread.join();
}

// The connector's tokenFile and tls.* keys against a service that requires both.
TEST(StoreConnectorSecurityTest, TokenFileAndTlsKeysReachTheService) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/secure-store");
  auto certs = eventmesh::testing::GenerateTestCertificates(dir + "-certs");
  ASSERT_TRUE(certs.ok()) << certs.status();
  store::StoreOptions engine_options;
  engine_options.path = dir;
  engine_options.sync_mode = store::SyncMode::kNone;
  auto engine = store::RocksDbEventStore::Open(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  store::service::StoreServerOptions server_options;
  server_options.port = 0;
  server_options.token = "store-token";
  auto tls = net::MakeServerTlsContext({certs->server_cert, certs->server_key, ""},
                                       {"--tls_cert_file", "--tls_key_file", ""});
  ASSERT_TRUE(tls.ok()) << tls.status();
  server_options.tls = *tls;
  auto server = store::service::StoreServer::Start(engine->get(), server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string token_file = dir + "-token";
  std::ofstream(token_file) << "store-token\n";
  const std::string address = absl::StrCat("127.0.0.1:", (*server)->port());

  auto secure = ParseStoreConfig({{"address", address},
                                  {"tokenFile", token_file},
                                  {"tls.enabled", "true"},
                                  {"tls.caFile", certs->ca_cert}});
  ASSERT_TRUE(secure.ok()) << secure.status();
  auto connector = OpenStoreConnector(*secure);
  ASSERT_TRUE(connector.ok()) << connector.status();
  ASSERT_TRUE((*connector)->CreateTopic("orders", 1).ok());
  auto published = PublishSync(connector->get(), MakeEvent("orders", 1));
  EXPECT_TRUE(published.ok()) << published.status();
  (*connector)->Shutdown();

  // Without the token file: refused with the reason.
  auto tokenless = ParseStoreConfig(
      {{"address", address}, {"tls.enabled", "true"}, {"tls.caFile", certs->ca_cert}});
  ASSERT_TRUE(tokenless.ok());
  auto refused = OpenStoreConnector(*tokenless);
  ASSERT_TRUE(refused.ok()) << refused.status();
  const auto exists = (*refused)->TopicExists("orders");
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.status().code(), absl::StatusCode::kUnauthenticated) << exists.status();
  (*refused)->Shutdown();

  // A missing token file is named in the error.
  auto missing = ParseStoreConfig({{"address", address}, {"tokenFile", dir + "-none"}});
  ASSERT_TRUE(missing.ok());
  auto failed = OpenStoreConnector(*missing);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()),
              ::testing::HasSubstr("eventMesh.storage.store.tokenFile"));
  (*server)->Stop();
}

TEST(StoreConnectorConfigTest, KeysAreValidated) {
  EXPECT_EQ(ParseStoreConfig({}).status().message(),
            "store connector: key address (host:port of the store service) is required");
  EXPECT_EQ(
      ParseStoreConfig({{"address", "localhost"}}).status().message(),
      "invalid value \"localhost\" for key eventMesh.storage.store.address: expected host:port");
  EXPECT_EQ(ParseStoreConfig({{"address", "h:70000"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStoreConfig({{"address", "h:1"}, {"path", "/x"}}).status().message(),
            "unknown configuration key eventMesh.storage.store.path");
  EXPECT_EQ(ParseStoreConfig({{"address", "h:1"}, {"callTimeoutMs", "0"}}).status().message(),
            "invalid value \"0\" for key eventMesh.storage.store.callTimeoutMs: expected an "
            "integer >= 1");
  EXPECT_EQ(
      ParseStoreConfig({{"address", "h:1"}, {"fetchWaitMs", "x"}}).status().message(),
      "invalid value \"x\" for key eventMesh.storage.store.fetchWaitMs: expected an integer >= 1");
  EXPECT_EQ(ParseStoreConfig({{"address", "h:1"}, {"maxBatchBytes", "1000"}}).status().message(),
            "invalid value \"1000\" for key eventMesh.storage.store.maxBatchBytes: expected more "
            "than 65536");
  EXPECT_EQ(ParseStoreConfig({{"address", "h:1"}, {"maxBatchEvents", "0"}}).status().message(),
            "invalid value \"0\" for key eventMesh.storage.store.maxBatchEvents: expected an "
            "integer >= 1");
  EXPECT_EQ(ParseStoreConfig({{"adress", "h:1"}}).status().message(),
            "unknown configuration key eventMesh.storage.store.adress (did you mean "
            "eventMesh.storage.store.address?)");
  EXPECT_EQ(ParseStoreConfig({{"address", "h:1"}})->tuning.appender_threads, 4);
  auto ok = ParseStoreConfig({{"address", "store.local:10300"},
                              {"appenderThreads", "8"},
                              {"maxEventBytes", "2048"},
                              {"maxBatchEvents", "10"}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->host, "store.local");
  EXPECT_EQ(ok->port, 10300);
  EXPECT_EQ(ok->tuning.appender_threads, 8);
  EXPECT_EQ(ok->tuning.limits.max_event_bytes, 2048);
  EXPECT_EQ(ok->tuning.limits.max_batch_events, 10);
}

TEST(StoreConnectorConfigTest, BuiltinRegistersStore) {
  ConnectorRegistry registry;
  ASSERT_TRUE(RegisterBuiltinConnectors(&registry).ok());
  EXPECT_TRUE(registry.Contains("store"));
  // Creating does not wait for the store service (nobody listens on port 1).
  auto connector = registry.Create("store", {{"address", "127.0.0.1:1"}});
  ASSERT_TRUE(connector.ok()) << connector.status();
  EXPECT_EQ((*connector)->name(), "store");
  EXPECT_EQ(registry.Create("store", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventmesh::connectors
