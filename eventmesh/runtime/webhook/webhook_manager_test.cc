#include "eventmesh/runtime/webhook/webhook_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "boost/asio.hpp"
#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "eventmesh/net/testing/test_http_server.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::webhook {
namespace {

using net::testing::TestHttpServer;
using net::testing::TestRequest;
using net::testing::TestResponse;
using net::testing::TestTls;
using ::testing::HasSubstr;

// Polls `done` every 10 ms for at most 30 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TestResponse RetCode(int code) {
  TestResponse response;
  response.headers = {{"Content-Type", "application/json"}};
  response.body = absl::StrCat("{\"retCode\":", code, "}");
  return response;
}

// A webhook endpoint that records every POST; `respond` decides the answer (index = number of
// POSTs before this one). OPTIONS requests are answered by `handshake`.
class Endpoint {
 public:
  using Responder = std::function<TestResponse(const TestRequest&, int index)>;
  explicit Endpoint(
      Responder respond = [](const TestRequest&, int) { return RetCode(0); },
      const TestTls* tls = nullptr) {
    auto server = TestHttpServer::Start(
        [this, respond](const TestRequest& request) {
          if (request.method == "OPTIONS") {
            absl::MutexLock lock(&mu_);
            options_.push_back(request);
            return handshake_;
          }
          int index;
          {
            absl::MutexLock lock(&mu_);
            index = static_cast<int>(posts_.size());
            posts_.push_back(request);
            times_.push_back(std::chrono::steady_clock::now());
          }
          return respond(request, index);
        },
        tls);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::string url() const { return server_->Url("/hook"); }
  void set_handshake(TestResponse response) {
    absl::MutexLock lock(&mu_);
    handshake_ = std::move(response);
  }
  std::vector<TestRequest> posts() {
    absl::MutexLock lock(&mu_);
    return posts_;
  }
  std::vector<TestRequest> options() {
    absl::MutexLock lock(&mu_);
    return options_;
  }
  std::vector<std::chrono::steady_clock::time_point> times() {
    absl::MutexLock lock(&mu_);
    return times_;
  }
  // Waits (at most 30 s) until `pred(posts)` holds.
  bool WaitUntil(const std::function<bool(const std::vector<TestRequest>&)>& pred) {
    struct Arg {
      Endpoint* self;
      const std::function<bool(const std::vector<TestRequest>&)>* pred;
    } arg{this, &pred};
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](Arg* a) ABSL_NO_THREAD_SAFETY_ANALYSIS { return (*a->pred)(a->self->posts_); },
            &arg),
        absl::Seconds(30));
  }
  bool WaitForPosts(size_t n) {
    return WaitUntil([n](const std::vector<TestRequest>& posts) { return posts.size() >= n; });
  }
  // Event ids (EventMesh form: uniqueId; CloudEvents: ce-id or the JSON id) of the POSTs.
  static std::string EventId(const TestRequest& request) {
    if (!request.header("ce-id").empty()) return request.header("ce-id");
    if (absl::StartsWith(request.header("content-type"), "application/cloudevents+json")) {
      auto event = cloudevents::ParseJsonEvent(request.body);
      return event.ok() ? event->id() : "";
    }
    auto form = protocol::http::Form::Parse(request.body);
    if (!form.ok() || !form->Get("uniqueId")) return "";
    return std::string(*form->Get("uniqueId"));
  }
  // Every event id of a POST: the ids of a cloudevents-batch POST in order, else EventId.
  static std::vector<std::string> EventIds(const TestRequest& request) {
    if (!absl::StartsWith(request.header("content-type"), "application/cloudevents-batch+json")) {
      return {EventId(request)};
    }
    std::vector<std::string> out;
    auto events = cloudevents::FromHttp(request.headers, request.body);
    if (events.ok()) {
      for (const auto& event : *events) out.push_back(event.id());
    }
    return out;
  }
  std::vector<std::string> ids(absl::string_view prefix = "ev-") {
    std::vector<std::string> out;
    for (const auto& post : posts()) {
      for (std::string& id : EventIds(post)) {
        if (absl::StartsWith(id, prefix)) out.push_back(std::move(id));
      }
    }
    return out;
  }
  bool WaitForIds(size_t n, absl::string_view prefix = "ev-") {
    std::string p(prefix);
    return WaitUntil([n, p](const std::vector<TestRequest>& posts) {
      size_t count = 0;
      for (const auto& post : posts) {
        for (const std::string& id : EventIds(post)) count += absl::StartsWith(id, p) ? 1 : 0;
      }
      return count >= n;
    });
  }
  TestHttpServer& server() { return *server_; }

 private:
  absl::Mutex mu_;
  std::vector<TestRequest> posts_ ABSL_GUARDED_BY(mu_);
  std::vector<TestRequest> options_ ABSL_GUARDED_BY(mu_);
  std::vector<std::chrono::steady_clock::time_point> times_ ABSL_GUARDED_BY(mu_);
  TestResponse handshake_ ABSL_GUARDED_BY(mu_) = [] {
    TestResponse r;
    r.headers = {{"WebHook-Allowed-Origin", "*"}};
    return r;
  }();
  std::unique_ptr<TestHttpServer> server_;
};

class WebhookManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/webhook_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    OpenRuntime();
  }
  void TearDown() override { CloseRuntime(); }

  void OpenRuntime() {
    connectors::EmbeddedOptions options;
    options.store.path = dir_ + "/store";
    options.store.sync_mode = store::SyncMode::kNone;
    options.fetch_wait_ms = 50;
    options.commit_interval_ms = 20;
    options.heartbeat_interval_ms = 50;
    auto connector = connectors::OpenEmbeddedConnector(options);
    ASSERT_TRUE(connector.ok()) << connector.status();
    connector_ = std::move(*connector);
    topics_ = std::make_unique<core::TopicRegistry>(connector_.get(), true, 1);
    core::ConsumerManagerOptions cm;
    cm.tick_ms = 10;
    cm.delivery.ack_timeout_ms = ack_timeout_ms_;  // short: webhook targets are not affected
    consumers_ = std::make_unique<core::ConsumerManager>(connector_.get(), topics_.get(), cm);
  }
  void CloseRuntime() {
    for (auto& sub : readers_) sub->Close();
    readers_.clear();
    manager_.reset();
    if (consumers_) consumers_->Shutdown();
    consumers_.reset();
    topics_.reset();
    if (connector_) connector_->Shutdown();
    connector_.reset();
  }

  WebhookOptions Options() {
    WebhookOptions options;
    options.initial_backoff_ms = 10;
    options.max_backoff_ms = 40;
    options.push_timeout_ms = 2'000;
    options.persistence_path = dir_ + "/webhooks.json";
    options.allow_private_networks = true;  // the test endpoints listen on loopback
    return options;
  }
  void StartManager(WebhookOptions options) {
    auto manager = WebhookManager::Create(consumers_.get(), topics_.get(), std::move(options));
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = std::move(*manager);
    ASSERT_TRUE(manager_->Start().ok());
  }

  static cloudevents::CloudEvent Event(const std::string& topic, const std::string& id) {
    cloudevents::CloudEvent event;
    event.set_id(id);
    event.set_source("/");
    event.set_type("eventmeshmessage");
    event.set_subject(topic);
    event.set_data("data of " + id, cloudevents::DataEncoding::kText);
    event.SetExtension("protocoltype", "eventmeshmessage");
    return event;
  }
  void Publish(const cloudevents::CloudEvent& event) {
    std::promise<absl::Status> done;
    connector_->Publish(event, [&done](absl::StatusOr<connectors::PublishResult> r) {
      done.set_value(r.status());
    });
    ASSERT_TRUE(done.get_future().get().ok());
  }
  // Publishes "warm-<n>" events until every endpoint received one (a new group reads from the
  // end once the store assigned its partitions).
  void WarmUp(const std::string& topic, std::vector<Endpoint*> endpoints) {
    for (int i = 0; i < 300; ++i) {
      bool all = true;
      for (Endpoint* e : endpoints) all &= !e->ids("warm-").empty();
      if (all) return;
      Publish(Event(topic, absl::StrCat("warm-", i)));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "endpoints never received a warm-up event";
  }

  WebhookSubscribeRequest Request(
      const std::string& group, const std::string& url, const std::string& topic,
      connectors::ConsumeMode mode = connectors::ConsumeMode::kClustering,
      PushFormat format = PushFormat::kEventMeshForm) {
    WebhookSubscribeRequest request;
    request.consumer_group = group;
    request.url = url;
    request.topics = {WebhookTopic{topic, mode, false}};
    request.format = format;
    request.client.idc = "IDC1";
    return request;
  }

  // The cloudevents-batch tests hold the POST carrying `id` (ev-0) until `release` (at most
  // 60 s), so the events published meanwhile wait for the URL together.
  static void HoldIfCarrying(const std::vector<std::string>& ids, const std::string& id,
                             absl::Notification* release) {
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      release->WaitForNotificationWithTimeout(absl::Seconds(60));
    }
  }
  // Subscribes group "g" at `endpoint` to topic "batch" with the cloudevents-batch format and
  // warms it up.
  void SubscribeBatch(Endpoint& endpoint) {
    ASSERT_TRUE(
        manager_
            ->Subscribe(Request("g", endpoint.url(), "batch", connectors::ConsumeMode::kClustering,
                                PushFormat::kCloudEventsBatch))
            .ok());
    WarmUp("batch", {&endpoint});
  }

  // The target's accepted count once it has not changed for 300 ms (warm-up pushes settled).
  int64_t SettledAccepted(const std::string& group, const std::string& url) {
    int64_t last = -1;
    for (int i = 0; i < 100; ++i) {
      const int64_t now = manager_->Stats(group, url)->accepted;
      if (now == last) return now;
      last = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return last;
  }

  // A reader of the dead-letter topic of `group` (warmed up so it sees what comes next).
  struct Collected {
    absl::Mutex mu;
    std::vector<cloudevents::CloudEvent> events;
  };
  void ReadTopic(const std::string& topic, Collected* out) {
    ASSERT_TRUE(topics_->EnsureTopic(topic).ok());
    connectors::SubscribeOptions options;
    options.group = "reader-" + topic;
    options.topic = topic;
    auto sub =
        connector_->Subscribe(options, [this, out](std::vector<connectors::DeliveredEvent>* e) {
          absl::MutexLock lock(&out->mu);
          for (auto& d : *e) {
            out->events.push_back(*d.event);
            std::lock_guard<std::mutex> l(reader_mu_);
            reader_subs_acks_.push_back(d.position);
          }
        });
    ASSERT_TRUE(sub.ok());
    readers_.push_back(std::move(*sub));
    for (int i = 0; i < 300; ++i) {
      {
        absl::MutexLock lock(&out->mu);
        if (!out->events.empty()) return;
      }
      Publish(Event(topic, absl::StrCat("warm-", i)));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "reader of " << topic << " never started";
  }

  int64_t ack_timeout_ms_ = 200;
  std::string dir_;
  std::unique_ptr<connectors::EventStoreConnector> connector_;
  std::unique_ptr<core::TopicRegistry> topics_;
  std::unique_ptr<core::ConsumerManager> consumers_;
  std::unique_ptr<WebhookManager> manager_;
  std::vector<std::unique_ptr<connectors::Subscription>> readers_;
  std::mutex reader_mu_;
  std::vector<connectors::Position> reader_subs_acks_;
};

TEST_F(WebhookManagerTest, ClusteringGroupDeliversEachEventToExactlyOneUrl) {
  StartManager(Options());
  Endpoint a, b;
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  ASSERT_TRUE(manager_->Subscribe(Request("g", b.url(), "orders")).ok());
  WarmUp("orders", {&a});
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
  ASSERT_TRUE(Eventually([&] { return a.ids().size() + b.ids().size() >= kEvents; }));
  // Settle: nothing more arrives after everything was acknowledged (bounded extra wait).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::multiset<std::string> all;
  for (const auto& id : a.ids()) all.insert(id);
  for (const auto& id : b.ids()) all.insert(id);
  EXPECT_EQ(all.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(all.count(absl::StrCat("ev-", i)), 1u) << i;
  EXPECT_FALSE(a.ids().empty());
  EXPECT_FALSE(b.ids().empty());
  auto list = manager_->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].consumer_group, "g");
  EXPECT_EQ(list[0].topic.topic, "orders");
  EXPECT_EQ(list[0].client.idc, "IDC1");
}

TEST_F(WebhookManagerTest, PipelinedPostsAllGoOnOneConnection) {
  WebhookOptions options = Options();
  options.max_concurrent_pushes_per_target = 8;
  options.pipeline_depth = 8;  // one connection carries all eight
  StartManager(options);
  Endpoint a;
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  constexpr int kEvents = 200;
  for (int i = 0; i < kEvents; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
  ASSERT_TRUE(a.WaitForIds(kEvents));
  // Each exactly once (the topic's partitions are delivered side by side, so the order across
  // them is not the publish order).
  std::multiset<std::string> seen;
  for (const auto& id : a.ids()) seen.insert(id);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(seen.count(absl::StrCat("ev-", i)), 1u) << i;
  EXPECT_EQ(a.server().connections_accepted(), 1);
  EXPECT_EQ(manager_->Stats("g", a.url())->retried, 0);
}

TEST_F(WebhookManagerTest, PipelinedPostsBehindAConnectionCloseAreSentAgainUncounted) {
  WebhookOptions options = Options();
  options.max_concurrent_pushes_per_target = 8;
  options.pipeline_depth = 8;
  StartManager(options);
  // Every fifth POST is answered with "Connection: close": the POSTs written behind it were
  // not processed and go again on a new connection, without a retry counted.
  Endpoint a([](const TestRequest&, int index) {
    TestResponse response = RetCode(0);
    response.close = index % 5 == 4;
    return response;
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  constexpr int kEvents = 100;
  for (int i = 0; i < kEvents; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
  ASSERT_TRUE(a.WaitForIds(kEvents));
  std::set<std::string> seen;
  for (const auto& id : a.ids()) seen.insert(id);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
  EXPECT_GE(a.server().connections_accepted(), kEvents / 5);
  auto stats = manager_->Stats("g", a.url());
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->retried, 0);
  EXPECT_EQ(stats->dead_lettered, 0);
}

TEST_F(WebhookManagerTest, PipelinedPostAfterTheEndpointDroppedTheIdleConnectionIsSentAgain) {
  WebhookOptions options = Options();
  options.pipeline_depth = 4;
  StartManager(options);
  // Every answer is followed by the server closing the connection without saying so.
  Endpoint a([](const TestRequest&, int) {
    TestResponse response = RetCode(0);
    response.drop_after = true;
    return response;
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the connection falls idle
    Publish(Event("orders", absl::StrCat("ev-", i)));
    ASSERT_TRUE(a.WaitForIds(i + 1)) << i;
  }
  EXPECT_EQ(a.ids(), (std::vector<std::string>{"ev-0", "ev-1", "ev-2"}));
  auto stats = manager_->Stats("g", a.url());
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->retried, 0);
  EXPECT_EQ(stats->dead_lettered, 0);
}

TEST_F(WebhookManagerTest, PipelineDepthBelowOneIsRefused) {
  WebhookOptions options = Options();
  options.pipeline_depth = 0;
  auto manager = WebhookManager::Create(consumers_.get(), topics_.get(), options);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(manager.status().message()), ::testing::HasSubstr("pipeline_depth"));
}

// Stands in for a TCP session: records pushes; the test acknowledges them.
class FakeSession : public core::DeliveryTarget {
 public:
  uint64_t target_id() const override { return 7; }
  bool TryAcquireSlot() override { return true; }
  void ReleaseSlot() override {}
  core::PushResult Push(const cloudevents::CloudEvent& event, core::PushKind,
                        const std::string& seq,
                        const std::shared_ptr<core::GroupConsumer>& consumer) override {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.push_back(event.id());
    unacked_.emplace_back(std::stoull(seq), consumer);
    return core::PushResult::Queued();
  }
  void Forget(const std::string&) override {}
  void AckAll() {
    std::vector<std::pair<uint64_t, std::shared_ptr<core::GroupConsumer>>> acks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      acks.swap(unacked_);
    }
    for (auto& [seq, consumer] : acks) consumer->OnAck(seq);
  }
  std::vector<std::string> ids(absl::string_view prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& id : ids_) {
      if (absl::StartsWith(id, prefix)) out.push_back(id);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> ids_;
  std::vector<std::pair<uint64_t, std::shared_ptr<core::GroupConsumer>>> unacked_;
};

TEST_F(WebhookManagerTest, SessionAndWebhookShareOneClusteringGroup) {
  CloseRuntime();
  ack_timeout_ms_ = 30'000;
  OpenRuntime();
  StartManager(Options());
  Endpoint hook;
  auto session = std::make_shared<FakeSession>();
  ASSERT_TRUE(topics_->EnsureTopic("orders").ok());  // as every frontend does first
  ASSERT_TRUE(consumers_
                  ->Subscribe(session, "g", "orders", connectors::ConsumeMode::kClustering,
                              core::PushKind::kUnicast)
                  .ok());
  ASSERT_TRUE(manager_->Subscribe(Request("g", hook.url(), "orders")).ok());
  WarmUp("orders", {&hook});
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
  ASSERT_TRUE(Eventually([&] {
    session->AckAll();
    return hook.ids().size() + session->ids("ev-").size() >= kEvents;
  }));
  session->AckAll();
  std::multiset<std::string> all;
  for (const auto& id : hook.ids()) all.insert(id);
  for (const auto& id : session->ids("ev-")) all.insert(id);
  EXPECT_EQ(all.size(), static_cast<size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(all.count(absl::StrCat("ev-", i)), 1u) << i;
  EXPECT_FALSE(hook.ids().empty());
  EXPECT_FALSE(session->ids("ev-").empty());
  consumers_->RemoveTarget(session->target_id());
}

TEST_F(WebhookManagerTest, UnsubscribedUrlGetsNoMoreEvents) {
  StartManager(Options());
  Endpoint a, b;
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  ASSERT_TRUE(manager_->Subscribe(Request("g", b.url(), "orders")).ok());
  WarmUp("orders", {&a});
  ASSERT_TRUE(manager_->Unsubscribe("g", a.url(), {"orders"}).ok());
  ASSERT_EQ(manager_->List().size(), 1u);
  const size_t before = a.posts().size();
  for (int i = 0; i < 10; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
  ASSERT_TRUE(b.WaitForIds(10));
  EXPECT_EQ(a.posts().size(), before);
}

TEST_F(WebhookManagerTest, BroadcastingReachesEveryUrl) {
  StartManager(Options());
  Endpoint a, b;
  ASSERT_TRUE(
      manager_->Subscribe(Request("g", a.url(), "news", connectors::ConsumeMode::kBroadcasting))
          .ok());
  ASSERT_TRUE(
      manager_->Subscribe(Request("g", b.url(), "news", connectors::ConsumeMode::kBroadcasting))
          .ok());
  WarmUp("news", {&a, &b});
  for (int i = 0; i < 10; ++i) Publish(Event("news", absl::StrCat("ev-", i)));
  ASSERT_TRUE(a.WaitForIds(10));
  ASSERT_TRUE(b.WaitForIds(10));
  EXPECT_EQ(a.ids().size(), 10u);
  EXPECT_EQ(b.ids().size(), 10u);
}

TEST_F(WebhookManagerTest, RegistrationsBeyondTheQuotaAreRefused) {
  WebhookOptions options = Options();
  options.max_registrations = 2;
  StartManager(options);
  ASSERT_TRUE(manager_->Subscribe(Request("g", "http://127.0.0.1:9/a", "orders")).ok());
  ASSERT_TRUE(manager_->Subscribe(Request("g", "http://127.0.0.1:9/b", "orders")).ok());
  // Refreshing a known registration is not a new one.
  EXPECT_TRUE(manager_->Subscribe(Request("g", "http://127.0.0.1:9/a", "orders")).ok());
  absl::Status refused = manager_->Subscribe(Request("g", "http://127.0.0.1:9/c", "orders"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "webhook http://127.0.0.1:9/c of group g not registered: the runtime holds 2 "
            "registrations (eventMesh.server.http.webhook.maxRegistrations)");
  ASSERT_TRUE(manager_->Unsubscribe("g", "http://127.0.0.1:9/b", {}).ok());
  EXPECT_TRUE(manager_->Subscribe(Request("g", "http://127.0.0.1:9/c", "orders")).ok());
}

TEST_F(WebhookManagerTest, EventMeshPushCarriesTheReferenceHeadersAndFields) {
  WebhookOptions options = Options();
  options.identity.cluster = "C1";
  options.identity.ip = "10.1.1.1";
  options.identity.env = "DEV";
  options.identity.idc = "IDC9";
  StartManager(options);
  Endpoint a;
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  cloudevents::CloudEvent event = Event("orders", "ev-1");
  event.SetExtension("bizseqno", "00000000000000000042");
  event.SetExtension("uniqueid", "ev-1");
  event.SetExtension("color", "red");
  Publish(event);
  ASSERT_TRUE(a.WaitForIds(1));
  TestRequest post;
  for (const auto& p : a.posts()) {
    if (Endpoint::EventId(p) == "ev-1") post = p;
  }
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.target, "/hook");
  EXPECT_EQ(post.header("code"), "105");
  EXPECT_EQ(post.header("language"), "JAVA");
  EXPECT_EQ(post.header("version"), "1.0");
  EXPECT_EQ(post.header("eventmeshcluster"), "C1");
  EXPECT_EQ(post.header("eventmeship"), "10.1.1.1");
  EXPECT_EQ(post.header("eventmeshenv"), "DEV");
  EXPECT_EQ(post.header("eventmeshidc"), "IDC9");
  EXPECT_EQ(post.header("content-type"), "application/x-www-form-urlencoded;charset=UTF-8");
  auto form = protocol::http::Form::Parse(post.body);
  ASSERT_TRUE(form.ok());
  auto push = protocol::http::PushMessageForm::Parse(protocol::http::BodyFields(form->fields()));
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->content, "data of ev-1");
  EXPECT_EQ(push->biz_seq_no, "00000000000000000042");
  EXPECT_EQ(push->unique_id, "ev-1");
  EXPECT_EQ(push->topic, "orders");
  EXPECT_FALSE(push->random_no.empty());
  EXPECT_EQ(push->ext_fields.at("color"), "red");
  EXPECT_TRUE(form->Get("uniqueId").has_value());  // camelCase on the wire
}

TEST_F(WebhookManagerTest, SyncSubscriptionPushesCode106) {
  StartManager(Options());
  Endpoint a;
  WebhookSubscribeRequest request = Request("g", a.url(), "orders");
  request.topics[0].sync = true;
  ASSERT_TRUE(manager_->Subscribe(request).ok());
  WarmUp("orders", {&a});
  EXPECT_EQ(a.posts().back().header("code"), "106");
}

TEST_F(WebhookManagerTest, RetCodeRetryThenSuccessIsDeliveredAfterARetry) {
  StartManager(Options());
  std::atomic<int> ev_posts{0};
  Endpoint a([&](const TestRequest& r, int) {
    if (Endpoint::EventId(r) == "ev-1" && ev_posts.fetch_add(1) == 0) return RetCode(2);
    return RetCode(0);
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  Publish(Event("orders", "ev-1"));
  ASSERT_TRUE(a.WaitForIds(2));
  EXPECT_EQ(a.ids(), (std::vector<std::string>{"ev-1", "ev-1"}));
  auto stats = manager_->Stats("g", a.url());
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->retried, 1);
  for (int i = 0; i < 100 && manager_->Stats("g", a.url())->accepted < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(manager_->Stats("g", a.url())->accepted, 2);  // warm-up + ev-1
  EXPECT_EQ(manager_->Stats("g", a.url())->dead_lettered, 0);
}

TEST_F(WebhookManagerTest, TooManyRequestsHonoursRetryAfter) {
  StartManager(Options());
  std::atomic<int> ev_posts{0};
  Endpoint a([&](const TestRequest& r, int) {
    if (Endpoint::EventId(r) == "ev-1" && ev_posts.fetch_add(1) == 0) {
      TestResponse limited;
      limited.status = 429;
      limited.headers = {{"Retry-After", "1"}};
      return limited;
    }
    return RetCode(0);
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  Publish(Event("orders", "ev-1"));
  ASSERT_TRUE(a.WaitForIds(2));
  std::vector<std::chrono::steady_clock::time_point> at;
  auto posts = a.posts();
  auto times = a.times();
  for (size_t i = 0; i < posts.size(); ++i) {
    if (Endpoint::EventId(posts[i]) == "ev-1") at.push_back(times[i]);
  }
  ASSERT_EQ(at.size(), 2u);
  // Backoff alone would retry after 10-40 ms; Retry-After: 1 means one second.
  EXPECT_GE(at[1] - at[0], std::chrono::milliseconds(950));
}

TEST_F(WebhookManagerTest, FailingEndpointDeadLettersAfterMaxAttemptsAndCommits) {
  WebhookOptions options = Options();
  options.max_attempts = 3;
  StartManager(options);
  Collected dlq;
  ReadTopic(core::DeadLetterTopic("g"), &dlq);
  std::atomic<bool> fail{false};
  Endpoint a([&](const TestRequest& r, int) {
    if (absl::StartsWith(Endpoint::EventId(r), "ev-")) {
      TestResponse error;
      error.status = 500;
      return error;
    }
    return RetCode(0);
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  Publish(Event("orders", "ev-dead"));
  ASSERT_TRUE(a.WaitForIds(3));
  cloudevents::CloudEvent dead;
  {
    absl::MutexLock lock(&dlq.mu);
    ASSERT_TRUE(dlq.mu.AwaitWithTimeout(absl::Condition(
                                            +[](std::vector<cloudevents::CloudEvent>* events) {
                                              for (const auto& e : *events) {
                                                if (e.id() == "ev-dead") return true;
                                              }
                                              return false;
                                            },
                                            &dlq.events),
                                        absl::Seconds(30)));
    for (const auto& e : dlq.events) {
      if (e.id() == "ev-dead") dead = e;
    }
  }
  EXPECT_EQ(dead.subject(), core::DeadLetterTopic("g"));
  ASSERT_NE(dead.FindExtension("dlqtopic"), nullptr);
  EXPECT_EQ(*dead.FindExtension("dlqtopic"), "orders");
  EXPECT_EQ(*dead.FindExtension("dlqdeliveries"), "3");
  EXPECT_EQ(*dead.FindExtension("dlqreason"),
            "gave up after 3 attempts: endpoint answered HTTP 500");
  EXPECT_EQ(a.ids().size(), 3u);  // exactly max_attempts POSTs
  EXPECT_EQ(manager_->Stats("g", a.url())->dead_lettered, 1);

  // The position was committed: a new member of the group starts after ev-dead. The
  // acknowledgement follows the dead-letter write's completion callback, which may run just
  // after the reader saw the event; give it a moment before closing the group (closing earlier
  // would leave ev-dead unacknowledged and it would be delivered again: at-least-once).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  manager_->Shutdown();
  consumers_->Shutdown();
  absl::Mutex mu;
  std::vector<std::string> seen;
  connectors::SubscribeOptions sub_options;
  sub_options.group = "g";
  sub_options.topic = "orders";
  auto sub = connector_->Subscribe(sub_options, [&](std::vector<connectors::DeliveredEvent>* e) {
    absl::MutexLock lock(&mu);
    for (auto& d : *e) seen.push_back(d.event->id());
  });
  ASSERT_TRUE(sub.ok());
  Publish(Event("orders", "marker"));
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(
                                +[](std::vector<std::string>* s) { return !s->empty(); }, &seen),
                            absl::Seconds(30)));
    EXPECT_EQ(seen.front(), "marker");
  }
  (*sub)->Close();
}

TEST_F(WebhookManagerTest, GoneEndpointIsDeadLetteredWithoutRetry) {
  StartManager(Options());
  Collected dlq;
  ReadTopic(core::DeadLetterTopic("g"), &dlq);
  Endpoint a([&](const TestRequest& r, int) {
    if (absl::StartsWith(Endpoint::EventId(r), "ev-")) {
      TestResponse gone;
      gone.status = 410;
      return gone;
    }
    return RetCode(0);
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  Publish(Event("orders", "ev-gone"));
  absl::MutexLock lock(&dlq.mu);
  ASSERT_TRUE(dlq.mu.AwaitWithTimeout(absl::Condition(
                                          +[](std::vector<cloudevents::CloudEvent>* events) {
                                            for (const auto& e : *events) {
                                              if (e.id() == "ev-gone") return true;
                                            }
                                            return false;
                                          },
                                          &dlq.events),
                                      absl::Seconds(30)));
  for (const auto& e : dlq.events) {
    if (e.id() == "ev-gone") {
      EXPECT_EQ(*e.FindExtension("dlqreason"), "endpoint answered HTTP 410 (no retry)");
      EXPECT_EQ(*e.FindExtension("dlqdeliveries"), "1");
    }
  }
  EXPECT_EQ(a.ids().size(), 1u);
}

// A 2xx answer that is not a success (retCode FAIL, an unknown retCode, a body that is not
// JSON) is not retried, as Apache does, but the event goes to the dead-letter topic with the
// reason instead of being committed as delivered.
TEST_F(WebhookManagerTest, FailedOrUnreadableAnswersAreDeadLetteredNotCommitted) {
  StartManager(Options());
  Collected dlq;
  ReadTopic(core::DeadLetterTopic("g"), &dlq);
  Endpoint a([&](const TestRequest& r, int) {
    const std::string id = Endpoint::EventId(r);
    if (id == "ev-fail") return RetCode(3);  // FAIL
    if (id == "ev-odd") return RetCode(77);  // unknown
    if (id == "ev-html") {
      TestResponse html;
      html.status = 200;
      html.body = "<html>ok?</html>";
      return html;
    }
    return RetCode(0);
  });
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  WarmUp("orders", {&a});
  for (const char* id : {"ev-fail", "ev-odd", "ev-html"}) Publish(Event("orders", id));
  absl::MutexLock lock(&dlq.mu);
  ASSERT_TRUE(dlq.mu.AwaitWithTimeout(absl::Condition(
                                          +[](std::vector<cloudevents::CloudEvent>* events) {
                                            int found = 0;
                                            for (const auto& e : *events) {
                                              found += absl::StartsWith(e.id(), "ev-") ? 1 : 0;
                                            }
                                            return found >= 3;
                                          },
                                          &dlq.events),
                                      absl::Seconds(30)));
  std::map<std::string, std::string> reasons;
  for (const auto& e : dlq.events) {
    if (const std::string* reason = e.FindExtension("dlqreason")) reasons[e.id()] = *reason;
  }
  EXPECT_EQ(reasons["ev-fail"], "endpoint answered retCode 3 (FAIL)");
  EXPECT_EQ(reasons["ev-odd"], "unknown retCode 77 (treated as FAIL)");
  EXPECT_EQ(reasons["ev-html"], "the push response has no retCode (treated as FAIL)");
}

TEST_F(WebhookManagerTest, HangingEndpointDoesNotDelayOtherSubscriptions) {
  StartManager(Options());
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  Endpoint slow([&](const TestRequest& r, int) {
    if (absl::StartsWith(Endpoint::EventId(r), "ev-")) {
      std::unique_lock<std::mutex> lock(gate_mu);
      gate_cv.wait_for(lock, std::chrono::seconds(30), [&] { return open; });
    }
    return RetCode(0);
  });
  Endpoint fast;
  ASSERT_TRUE(manager_->Subscribe(Request("slow-group", slow.url(), "orders")).ok());
  ASSERT_TRUE(manager_->Subscribe(Request("fast-group", fast.url(), "orders")).ok());
  WarmUp("orders", {&slow, &fast});
  constexpr int kEvents = 30;
  for (int i = 0; i < kEvents; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
  // Every event reaches the fast endpoint while the slow one still holds its first pushes.
  ASSERT_TRUE(fast.WaitForIds(kEvents));
  EXPECT_EQ(fast.ids().size(), static_cast<size_t>(kEvents));
  EXPECT_LE(slow.ids().size(), 8u);  // max_concurrent_pushes_per_target
  {
    std::lock_guard<std::mutex> lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  EXPECT_TRUE(Eventually([&] {
    auto ids = slow.ids();
    return std::set<std::string>(ids.begin(), ids.end()).size() >= static_cast<size_t>(kEvents);
  }));
}

TEST_F(WebhookManagerTest, SubscriptionsSurviveARestart) {
  Endpoint a;
  {
    StartManager(Options());
    WebhookSubscribeRequest request = Request("g", a.url(), "orders");
    request.client.sys = "sys1";
    ASSERT_TRUE(manager_->Subscribe(request).ok());
    WarmUp("orders", {&a});
    manager_.reset();  // destroys the manager; the registration stays on disk
  }
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/webhooks.json"));
  // Events published while no manager runs are delivered after the restart.
  Publish(Event("orders", "ev-while-down"));
  StartManager(Options());
  auto list = manager_->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].url, a.url());
  EXPECT_EQ(list[0].client.sys, "sys1");
  Publish(Event("orders", "ev-after"));
  ASSERT_TRUE(a.WaitForIds(2));
  const auto received = a.ids();
  std::set<std::string> ids(received.begin(), received.end());
  EXPECT_EQ(ids, (std::set<std::string>{"ev-while-down", "ev-after"}));

  // Unsubscribe removes it from the file too.
  ASSERT_TRUE(manager_->Unsubscribe("g", a.url(), {}).ok());
  manager_.reset();
  StartManager(Options());
  EXPECT_TRUE(manager_->List().empty());
}

TEST_F(WebhookManagerTest, CloudEventsBinaryAndStructuredPushesParseBack) {
  StartManager(Options());
  Endpoint binary, structured;
  ASSERT_TRUE(
      manager_
          ->Subscribe(Request("g1", binary.url(), "ce", connectors::ConsumeMode::kClustering,
                              PushFormat::kCloudEventsBinary))
          .ok());
  ASSERT_TRUE(
      manager_
          ->Subscribe(Request("g2", structured.url(), "ce", connectors::ConsumeMode::kClustering,
                              PushFormat::kCloudEventsStructured))
          .ok());
  // The handshake came first.
  ASSERT_EQ(binary.options().size(), 1u);
  EXPECT_EQ(binary.options()[0].header("WebHook-Request-Origin"), "eventmesh");
  WarmUp("ce", {&binary, &structured});
  cloudevents::CloudEvent event = Event("ce", "ev-ce");
  event.set_data(R"({"a":1})", cloudevents::DataEncoding::kJson);
  event.set_data_content_type("application/json");
  event.SetExtension("traceparent", "00-abc");
  Publish(event);
  ASSERT_TRUE(binary.WaitForIds(1));
  ASSERT_TRUE(structured.WaitForIds(1));
  for (Endpoint* e : {&binary, &structured}) {
    for (const auto& post : e->posts()) {
      if (Endpoint::EventId(post) != "ev-ce") continue;
      auto events = cloudevents::FromHttp(post.headers, post.body);
      ASSERT_TRUE(events.ok()) << events.status();
      ASSERT_EQ(events->size(), 1u);
      EXPECT_EQ((*events)[0], event);
    }
  }
  EXPECT_FALSE(binary.posts().back().header("ce-id").empty());
  EXPECT_EQ(structured.posts().back().header("content-type"), "application/cloudevents+json");
}

// Plain events are written from their stored bytes, others (here: time and an Integer extension)
// decoded; both reach batch, structured and binary endpoints as the events that were published,
// and a plain event's structured body is byte for byte its CloudEvents JSON.
TEST_F(WebhookManagerTest, StoredPlainAndDecodedEventsArriveAsPublishedInEveryFormat) {
  StartManager(Options());
  Endpoint batch, structured, binary;
  const std::pair<Endpoint*, PushFormat> subscriptions[] = {
      {&batch, PushFormat::kCloudEventsBatch},
      {&structured, PushFormat::kCloudEventsStructured},
      {&binary, PushFormat::kCloudEventsBinary}};
  int group = 0;
  for (const auto& [endpoint, format] : subscriptions) {
    ASSERT_TRUE(manager_
                    ->Subscribe(Request(absl::StrCat("g", group++), endpoint->url(), "mixed",
                                        connectors::ConsumeMode::kClustering, format))
                    .ok());
  }
  WarmUp("mixed", {&batch, &structured, &binary});
  cloudevents::CloudEvent plain = Event("mixed", "ev-plain");
  plain.set_data_content_type("application/json");
  plain.set_data(R"({"quote":"\"","n":[1,2]})", cloudevents::DataEncoding::kJson);
  plain.SetExtension("traceparent", "00-abc");
  cloudevents::CloudEvent typed = Event("mixed", "ev-typed");
  typed.set_time("2026-12-05T20:00:00Z");
  typed.SetExtension("count", cloudevents::AttributeValue::Integer(3));
  typed.set_data(std::string("\x00\xff", 2), cloudevents::DataEncoding::kBinary);
  // Each kind twice, alternating: a target's parse memos (PushStored's, the POST writers')
  // meet attributes they remember and attributes they do not.
  cloudevents::CloudEvent plain2 = plain;
  plain2.set_id("ev-plain2");
  cloudevents::CloudEvent typed2 = typed;
  typed2.set_id("ev-typed2");
  Publish(plain);
  Publish(typed);
  Publish(plain2);
  Publish(typed2);
  for (const auto& [endpoint, format] : subscriptions) {
    SCOPED_TRACE(PushFormatName(format));
    ASSERT_TRUE(Eventually([&, endpoint = endpoint] {
      std::vector<std::string> ids = endpoint->ids("ev-");
      return ids.size() >= 4;
    }));
    std::map<std::string, cloudevents::CloudEvent> received;
    for (const auto& post : endpoint->posts()) {
      auto events = cloudevents::FromHttp(post.headers, post.body);
      ASSERT_TRUE(events.ok()) << events.status();
      for (auto& event : *events) {
        if (event.id() == "ev-plain" && format == PushFormat::kCloudEventsStructured) {
          EXPECT_EQ(post.body, cloudevents::SerializeJsonEvent(plain));
        }
        received[event.id()] = std::move(event);
      }
    }
    ASSERT_EQ(received.count("ev-plain"), 1u);
    ASSERT_EQ(received.count("ev-typed"), 1u);
    ASSERT_EQ(received.count("ev-plain2"), 1u);
    ASSERT_EQ(received.count("ev-typed2"), 1u);
    EXPECT_EQ(received["ev-plain"], plain);
    EXPECT_EQ(received["ev-plain2"], plain2);
    cloudevents::CloudEvent expected_typed = typed;
    cloudevents::CloudEvent expected_typed2 = typed2;
    if (format == PushFormat::kCloudEventsBinary) {
      // Binary mode carries extensions as header text: the Integer reads back as a String.
      expected_typed.SetExtension("count", "3");
      expected_typed2.SetExtension("count", "3");
    }
    EXPECT_EQ(received["ev-typed"], expected_typed);
    EXPECT_EQ(received["ev-typed2"], expected_typed2);
  }
}

// cloudevents-batch: events that wait while a POST is in flight go out together, in order, at
// most max_batch_events per POST, and one 2xx settles them all.
TEST_F(WebhookManagerTest, CloudEventsBatchPushesCarryTheWaitingEventsInOrder) {
  WebhookOptions options = Options();
  options.max_concurrent_pushes_per_target = 1;
  options.max_batch_events = 20;
  options.push_timeout_ms = 60'000;  // the held POST must not time out
  StartManager(options);
  absl::Notification release;
  Endpoint a([&](const TestRequest& r, int) {
    const std::vector<std::string> ids = Endpoint::EventIds(r);
    HoldIfCarrying(ids, "ev-0", &release);
    return RetCode(0);
  });
  ASSERT_NO_FATAL_FAILURE(SubscribeBatch(a));
  const int64_t base = SettledAccepted("g", a.url());
  constexpr int kEvents = 60;
  std::vector<std::string> expected;
  for (int i = 0; i < kEvents; ++i) {
    expected.push_back(absl::StrCat("ev-", i));
    Publish(Event("batch", expected.back()));
  }
  release.Notify();
  ASSERT_TRUE(a.WaitForIds(kEvents));
  EXPECT_EQ(a.ids(), expected);
  size_t largest = 0;
  for (const auto& post : a.posts()) {
    EXPECT_EQ(post.header("content-type"), "application/cloudevents-batch+json");
    largest = std::max(largest, Endpoint::EventIds(post).size());
  }
  EXPECT_GT(largest, 1u) << "no POST carried more than one event";
  EXPECT_LE(largest, 20u);
  // Every event was settled by its POST's answer: accepted and committed.
  ASSERT_TRUE(
      Eventually([&] { return manager_->Stats("g", a.url())->accepted >= base + kEvents; }));
  EXPECT_EQ(manager_->Stats("g", a.url())->retried, 0);
  // The parsed events are the published ones.
  for (const auto& post : a.posts()) {
    auto events = cloudevents::FromHttp(post.headers, post.body);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const auto& event : *events) {
      if (!absl::StartsWith(event.id(), "ev-")) continue;
      EXPECT_EQ(event.subject(), "batch");
      EXPECT_THAT(event.data(), HasSubstr("data of " + event.id()));
    }
  }
}

// After a retryable answer to a multi-event POST each of its events is retried alone (one event
// the endpoint keeps refusing cannot use up its neighbours' attempts); a 410 dead-letters every
// event of the POST.
TEST_F(WebhookManagerTest, CloudEventsBatchVerdictAppliesToEveryEventOfThePost) {
  WebhookOptions options = Options();
  options.max_concurrent_pushes_per_target = 1;
  options.push_timeout_ms = 60'000;  // the held POST must not time out
  StartManager(options);
  Collected dlq;
  ReadTopic(core::DeadLetterTopic("g"), &dlq);
  absl::Notification release;
  absl::Mutex mu;
  std::vector<std::string> refused;  // the ids of the POST answered 503
  Endpoint a([&](const TestRequest& r, int) {
    const std::vector<std::string> ids = Endpoint::EventIds(r);
    HoldIfCarrying(ids, "ev-0", &release);
    TestResponse response;
    if (!ids.empty() && absl::StartsWith(ids.front(), "gone-")) {
      response.status = 410;
      return response;
    }
    absl::MutexLock lock(&mu);
    if (refused.empty() && ids.size() > 1 && absl::StartsWith(ids.front(), "ev-")) {
      refused = ids;  // the first multi-event POST of test events
      response.status = 503;
    }
    return response;
  });
  ASSERT_NO_FATAL_FAILURE(SubscribeBatch(a));
  const int64_t base = SettledAccepted("g", a.url());
  for (int i = 0; i < 10; ++i) Publish(Event("batch", absl::StrCat("ev-", i)));
  release.Notify();
  // The events published while ev-0's POST was held went out together and were refused; each
  // was then sent again alone and accepted.
  ASSERT_TRUE(Eventually([&] { return manager_->Stats("g", a.url())->accepted >= base + 10; }));
  std::vector<std::string> refused_ids;
  {
    absl::MutexLock lock(&mu);
    refused_ids = refused;
  }
  ASSERT_GE(refused_ids.size(), 2u);
  EXPECT_EQ(manager_->Stats("g", a.url())->retried, static_cast<int64_t>(refused_ids.size()));
  const std::set<std::string> refused_set(refused_ids.begin(), refused_ids.end());
  int retries_seen = 0;
  bool seen_refused_post = false;
  for (const auto& post : a.posts()) {
    const std::vector<std::string> ids = Endpoint::EventIds(post);
    if (ids == refused_ids && !seen_refused_post) {
      seen_refused_post = true;
      continue;
    }
    for (const std::string& id : ids) {
      if (refused_set.count(id) == 0) continue;
      ++retries_seen;
      EXPECT_EQ(ids.size(), 1u) << "a retried event was batched again with " << ids.size() - 1
                                << " other(s)";
    }
  }
  EXPECT_EQ(retries_seen, static_cast<int>(refused_ids.size()));
  // 410: every event of the POST is dead-lettered, none retried.
  for (int i = 0; i < 3; ++i) Publish(Event("batch", absl::StrCat("gone-", i)));
  auto dead_letters = [&] {
    absl::MutexLock lock(&dlq.mu);
    std::set<std::string> ids;
    for (const auto& e : dlq.events) {
      if (absl::StartsWith(e.id(), "gone-")) ids.insert(e.id());
    }
    return ids;
  };
  ASSERT_TRUE(Eventually([&] { return dead_letters().size() >= 3; }));
  EXPECT_EQ(dead_letters(), (std::set<std::string>{"gone-0", "gone-1", "gone-2"}));
  EXPECT_EQ(a.ids("gone-").size(), 3u) << "a 410 batch was retried";
}

// max_batch_bytes bounds every POST body (exactly, not by estimate) unless one event alone is
// larger.
TEST_F(WebhookManagerTest, CloudEventsBatchBodiesStayUnderMaxBatchBytes) {
  WebhookOptions options = Options();
  options.max_concurrent_pushes_per_target = 1;
  options.max_batch_bytes = 4'096;
  options.push_timeout_ms = 60'000;
  StartManager(options);
  absl::Notification release;
  Endpoint a([&](const TestRequest& r, int) {
    const std::vector<std::string> ids = Endpoint::EventIds(r);
    HoldIfCarrying(ids, "ev-0", &release);
    return RetCode(0);
  });
  ASSERT_NO_FATAL_FAILURE(SubscribeBatch(a));
  // Data full of characters JSON escapes (a quote becomes \", a control character \u0001):
  // the encoded event is much larger than the event.
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    cloudevents::CloudEvent event = Event("batch", absl::StrCat("ev-", i));
    event.set_data(std::string(150, '\x01') + std::string(50, '"'),
                   cloudevents::DataEncoding::kText);
    expected.push_back(event.id());
    Publish(event);
  }
  cloudevents::CloudEvent big = Event("batch", "ev-big");
  big.set_data(std::string(10'000, 'b'), cloudevents::DataEncoding::kText);
  expected.push_back(big.id());
  Publish(big);
  release.Notify();
  ASSERT_TRUE(a.WaitForIds(expected.size()));
  EXPECT_EQ(a.ids(), expected);
  size_t largest = 0;
  for (const auto& post : a.posts()) {
    const std::vector<std::string> ids = Endpoint::EventIds(post);
    largest = std::max(largest, ids.size());
    if (ids.size() > 1) {
      EXPECT_LE(post.body.size(), 4'096u) << ids.size() << " events";
    }
    if (std::find(ids.begin(), ids.end(), "ev-big") != ids.end()) {
      EXPECT_EQ(ids.size(), 1u) << "the event larger than the cap went with others";
    }
  }
  EXPECT_GT(largest, 1u);
}

TEST_F(WebhookManagerTest, ValidationHandshakeRefusedMeansPermissionDeniedAndNoDelivery) {
  StartManager(Options());
  Endpoint forbidden, wrong_origin, allowed;
  TestResponse no;
  no.status = 403;
  forbidden.set_handshake(no);
  TestResponse other;
  other.headers = {{"WebHook-Allowed-Origin", "someone-else"}};
  wrong_origin.set_handshake(other);
  TestResponse named;
  named.status = 204;
  named.headers = {{"WebHook-Allowed-Origin", "eventmesh"}, {"WebHook-Allowed-Rate", "120"}};
  allowed.set_handshake(named);

  absl::Status status =
      manager_->Subscribe(Request("g", forbidden.url(), "ce", connectors::ConsumeMode::kClustering,
                                  PushFormat::kCloudEventsBinary));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), absl::StrCat("webhook URL '", forbidden.url(),
                                           "' refused the validation handshake: OPTIONS answered "
                                           "HTTP 403"));
  status = manager_->Subscribe(Request("g", wrong_origin.url(), "ce",
                                       connectors::ConsumeMode::kClustering,
                                       PushFormat::kCloudEventsStructured));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(),
              HasSubstr("WebHook-Allowed-Origin 'someone-else' does not allow origin 'eventmesh'"));
  EXPECT_TRUE(manager_->List().empty());
  ASSERT_TRUE(
      manager_
          ->Subscribe(Request("g", allowed.url(), "ce", connectors::ConsumeMode::kClustering,
                              PushFormat::kCloudEventsBinary))
          .ok());
  WarmUp("ce", {&allowed});
  EXPECT_TRUE(forbidden.posts().empty());
  EXPECT_TRUE(wrong_origin.posts().empty());
}

// The handshake for EventMesh-form subscribers is opt-in (Apache's subscribers do not answer
// OPTIONS); when on, an endpoint that does not consent is refused like a CloudEvents one.
TEST_F(WebhookManagerTest, EventMeshFormValidationIsOptIn) {
  WebhookOptions options = Options();
  options.validate_eventmesh_form_endpoints = true;
  StartManager(std::move(options));
  Endpoint forbidden;
  TestResponse no;
  no.status = 403;
  forbidden.set_handshake(no);
  absl::Status status = manager_->Subscribe(Request("g", forbidden.url(), "em"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(forbidden.options().size(), 1u);
  EXPECT_TRUE(manager_->List().empty());
}

// SubscribeAsync returns at once while the handshake waits on a silent endpoint; the answer
// comes when the endpoint goes away.
TEST_F(WebhookManagerTest, SubscribeAsyncDoesNotWaitForTheHandshake) {
  WebhookOptions options = Options();
  options.validation_timeout_ms = 60'000;
  StartManager(std::move(options));
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  const int port = acceptor.local_endpoint().port();
  absl::Notification accepted, release;
  std::thread silent([&] {
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    accepted.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(60));
    socket.close(ec);
  });
  absl::Notification done;
  absl::Status result;
  manager_->SubscribeAsync(
      Request("g", absl::StrCat("http://127.0.0.1:", port, "/hook"), "ce",
              connectors::ConsumeMode::kClustering, PushFormat::kCloudEventsBinary),
      [&](absl::Status status) {
        result = status;
        done.Notify();
      });
  ASSERT_TRUE(accepted.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_FALSE(done.HasBeenNotified()) << "the handshake cannot have finished yet";
  release.Notify();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(result.code(), absl::StatusCode::kPermissionDenied) << result;
  silent.join();
}

TEST_F(WebhookManagerTest, AllowDenyAndArgumentErrors) {
  WebhookOptions options = Options();
  options.deny.push_back("*.blocked.test");
  StartManager(options);
  absl::Status status = manager_->Subscribe(Request("g", "http://169.254.169.254/x", "orders"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(),
            "webhook URL 'http://169.254.169.254/x' is refused by deny rule '169.254.0.0/16'");
  status = manager_->Subscribe(Request("g", "http://a.blocked.test/", "orders"));
  EXPECT_EQ(status.message(),
            "webhook URL 'http://a.blocked.test/' is refused by deny rule '*.blocked.test'");
  status = manager_->Subscribe(Request("g", "ftp://x/", "orders"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  status = manager_->Subscribe(Request("", "http://127.0.0.1:1/", "orders"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "webhook subscription without a consumer group");
  WebhookSubscribeRequest no_topics = Request("g", "http://127.0.0.1:1/", "orders");
  no_topics.topics.clear();
  EXPECT_EQ(manager_->Subscribe(no_topics).message(), "webhook subscription without topics");
  status = manager_->Unsubscribe("g", "http://127.0.0.1:1/", {});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no webhook subscription of group 'g' for URL 'http://127.0.0.1:1/'");
  EXPECT_EQ(manager_->Heartbeat("g", "http://127.0.0.1:1/", {"orders"}).code(),
            absl::StatusCode::kNotFound);
  // Loopback subscribers are allowed by default.
  Endpoint local;
  ASSERT_TRUE(manager_->Subscribe(Request("g", local.url(), "orders")).ok());
  EXPECT_TRUE(manager_->Heartbeat("g", local.url(), {"orders"}).ok());
  status = manager_->Heartbeat("g", local.url(), {"other"});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), absl::StrCat("webhook URL '", local.url(),
                                           "' of group 'g' is not subscribed to topic(s) other"));
  manager_->Shutdown();
  EXPECT_EQ(manager_->Subscribe(Request("g", local.url(), "orders")).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(WebhookManagerTest, MissingTopicWithoutAutoCreateIsNotFound) {
  core::TopicRegistry strict(connector_.get(), /*auto_create=*/false, 1);
  auto manager = WebhookManager::Create(consumers_.get(), &strict, Options());
  ASSERT_TRUE(manager.ok());
  Endpoint a;
  absl::Status status = (*manager)->Subscribe(Request("g", a.url(), "no-such-topic"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("no-such-topic"));
}

TEST_F(WebhookManagerTest, RegistrationsWithoutHeartbeatExpire) {
  WebhookOptions options = Options();
  options.registration_expiry_ms = 200;
  StartManager(options);
  Endpoint a;
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  ASSERT_EQ(manager_->List().size(), 1u);
  for (int i = 0; i < 300 && !manager_->List().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(manager_->List().empty());
}

TEST_F(WebhookManagerTest, HeartbeatsKeepARegistrationAlive) {
  WebhookOptions options = Options();
  options.registration_expiry_ms = 1'000;
  StartManager(options);
  Endpoint a;
  ASSERT_TRUE(manager_->Subscribe(Request("g", a.url(), "orders")).ok());
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2'000);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(manager_->Heartbeat("g", a.url(), {"orders"}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(manager_->List().size(), 1u);  // older than the expiry, but refreshed
  EXPECT_GT(manager_->List()[0].last_heartbeat_ms, 0);
  EXPECT_TRUE(Eventually([&] { return manager_->List().empty(); }));  // no more heartbeats
}

TEST_F(WebhookManagerTest, CorruptRegistrationsFileIsDataLoss) {
  {
    std::ofstream out(dir_ + "/webhooks.json");
    out << "{\"subscriptions\": [ {\"url\": 5";
  }
  auto manager = WebhookManager::Create(consumers_.get(), topics_.get(), Options());
  ASSERT_TRUE(manager.ok());
  absl::Status started = (*manager)->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(started.message(), HasSubstr("webhook registrations file"));
  {
    std::ofstream out(dir_ + "/webhooks.json");
    out << R"({"version":1,"subscriptions":[{"consumerGroup":"g","url":"http://h/"}]})";
  }
  auto second = WebhookManager::Create(consumers_.get(), topics_.get(), Options());
  ASSERT_TRUE(second.ok());
  started = (*second)->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(started.message(), HasSubstr("topics missing"));
}

TEST_F(WebhookManagerTest, BadOptionsAreInvalidArgument) {
  WebhookOptions bad_rule = Options();
  bad_rule.deny = {"10.0.0.0/99"};
  auto manager = WebhookManager::Create(consumers_.get(), topics_.get(), bad_rule);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager.status().message(),
            "bad webhook URL rule '10.0.0.0/99': prefix length above 32");
  WebhookOptions bad_ca = Options();
  bad_ca.ca_file = dir_ + "/missing-ca.pem";
  manager = WebhookManager::Create(consumers_.get(), topics_.get(), bad_ca);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(manager.status().message(), HasSubstr("cannot load CA file"));
  WebhookOptions no_attempts = Options();
  no_attempts.max_attempts = 0;
  manager = WebhookManager::Create(consumers_.get(), topics_.get(), no_attempts);
  ASSERT_FALSE(manager.ok());
  EXPECT_EQ(manager.status().message(), "max_attempts must be >= 1");
}

class WebhookHttpsTest : public WebhookManagerTest {
 protected:
  void SetUp() override {
    WebhookManagerTest::SetUp();
    auto certs = eventmesh::testing::GenerateTestCertificates(dir_ + "/certs");
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
  }
  eventmesh::testing::TestCertificates certs_;
};

TEST_F(WebhookHttpsTest, DeliversOverVerifiedTlsAndRejectsAnUntrustedCertificate) {
  TestTls tls{certs_.server_cert, certs_.server_key};
  Endpoint secure([](const TestRequest&, int) { return RetCode(0); }, &tls);
  ASSERT_TRUE(absl::StartsWith(secure.url(), "https://"));
  {
    WebhookOptions options = Options();
    options.ca_file = certs_.ca_cert;
    StartManager(options);
    ASSERT_TRUE(manager_->Subscribe(Request("g", secure.url(), "orders")).ok());
    WarmUp("orders", {&secure});
    Publish(Event("orders", "ev-tls"));
    ASSERT_TRUE(secure.WaitForIds(1));
    manager_.reset();
  }
  std::filesystem::remove(dir_ + "/webhooks.json");
  WebhookOptions untrusted = Options();
  untrusted.ca_file = certs_.other_ca_cert;
  StartManager(untrusted);
  absl::Status status = manager_->Subscribe(Request("g2", secure.url(), "orders",
                                                    connectors::ConsumeMode::kClustering,
                                                    PushFormat::kCloudEventsStructured));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("refused the validation handshake"));
  EXPECT_THAT(status.message(), HasSubstr("certificate verification failed"));
}

TEST_F(WebhookHttpsTest, PipelinedPostsAreVerifiedLikePooledOnes) {
  TestTls tls{certs_.server_cert, certs_.server_key};
  Endpoint secure([](const TestRequest&, int) { return RetCode(0); }, &tls);
  {
    WebhookOptions options = Options();
    options.ca_file = certs_.ca_cert;
    options.pipeline_depth = 4;  // 8 in flight: two pipelined connections
    StartManager(options);
    ASSERT_TRUE(manager_->Subscribe(Request("g", secure.url(), "orders")).ok());
    WarmUp("orders", {&secure});
    constexpr int kEvents = 40;
    for (int i = 0; i < kEvents; ++i) Publish(Event("orders", absl::StrCat("ev-", i)));
    ASSERT_TRUE(secure.WaitForIds(kEvents));
    std::set<std::string> seen;
    for (const auto& id : secure.ids()) seen.insert(id);
    EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
    EXPECT_LE(secure.server().connections_accepted(), 2);
    manager_.reset();
  }
  // Another CA: the EventMesh form has no handshake, so the subscription stands, but no POST is
  // ever sent over the unverified connection; the events are retried.
  std::filesystem::remove(dir_ + "/webhooks.json");
  WebhookOptions untrusted = Options();
  untrusted.ca_file = certs_.other_ca_cert;
  untrusted.pipeline_depth = 4;
  StartManager(untrusted);
  const size_t posts_before = secure.posts().size();
  ASSERT_TRUE(manager_->Subscribe(Request("g3", secure.url(), "orders")).ok());
  for (int i = 0; i < 100 && manager_->Stats("g3", secure.url())->retried == 0; ++i) {
    Publish(Event("orders", absl::StrCat("untrusted-", i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto stats = manager_->Stats("g3", secure.url());
  ASSERT_TRUE(stats.ok());
  EXPECT_GT(stats->retried, 0);
  EXPECT_EQ(stats->accepted, 0);
  EXPECT_EQ(secure.posts().size(), posts_before);
}

}  // namespace
}  // namespace eventmesh::runtime::webhook
