// End-to-end webhook delivery: HttpSubscriber against a real in-process runtime::Server. The
// runtime POSTs events to the subscriber's webhook server (EventMesh form push or CloudEvents
// binary), the handler's answer settles them, request-reply is answered with code 301.

#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/sdk/http/http_client.h"
#include "eventmesh/sdk/http/http_subscriber.h"
#include "eventmesh/sdk/tcp_client.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);

class Pushes {
 public:
  // Answers kRetry for the first push of every content in `retry_once`.
  explicit Pushes(std::set<std::string> retry_once = {}) : retry_once_(std::move(retry_once)) {}
  HandlerResult Handle(const ReceivedEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
    if (retry_once_.erase(e.data()) > 0) return HandlerResult::kRetry;
    return HandlerResult::kSuccess;
  }
  size_t WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
    return events_.size();
  }
  std::vector<ReceivedEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<ReceivedEvent> events_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> retry_once_ ABSL_GUARDED_BY(mu_);
};

class HttpWebhookE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    // The subscriber's webhook endpoint listens on loopback.
    auto server =
        runtime::testing::StartTestServer({{"eventMesh.server.http.webhook.allow", "127.0.0.1"}},
                                          runtime::testing::TestDataDir(), registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    HttpClientOptions o = ClientOptions();
    auto client = EventMeshHttpClient::Create(o);
    ASSERT_TRUE(client.ok()) << client.status();
    publisher_ = *std::move(client);
  }

  void TearDown() override {
    publisher_.reset();
    if (server_ != nullptr) server_->Shutdown();
  }

  HttpClientOptions ClientOptions() {
    HttpClientOptions o;
    o.urls = {absl::StrCat("http://127.0.0.1:", server_->http_port())};
    o.producer_group = "webhook-e2e-producers";
    o.consumer_group = "webhook-e2e-consumers";
    return o;
  }

  std::unique_ptr<HttpSubscriber> Subscribe(const std::string& topic, Pushes* pushes,
                                            PushFormat format = PushFormat::kEventMeshForm,
                                            SubscriptionType type = SubscriptionType::kAsync) {
    HttpSubscriberOptions o;
    o.client = ClientOptions();
    o.push_format = format;
    SubscriptionItem item;
    item.topic = topic;
    item.type = type;
    o.topics = {item};
    auto s =
        HttpSubscriber::Start(o, [pushes](const ReceivedEvent& e) { return pushes->Handle(e); });
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  static Message Msg(const std::string& topic, const std::string& content) {
    Message m;
    m.topic = topic;
    m.content = content;
    return m;
  }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<runtime::Server> server_;
  std::unique_ptr<EventMeshHttpClient> publisher_;
};

TEST_F(HttpWebhookE2eTest, FormPushesFromHttpAndTcpPublishers) {
  Pushes pushes;
  auto subscriber = Subscribe("wh-orders", &pushes);
  ASSERT_NE(subscriber, nullptr);
  ASSERT_TRUE(publisher_->Publish(Msg("wh-orders", "http-1")).ok());
  ASSERT_TRUE(
      publisher_->PublishBatch({Msg("wh-orders", "http-2"), Msg("wh-orders", "http-3")}).ok());
  TcpClientOptions tcp;
  tcp.port = server_->tcp_port();
  tcp.group = "wh-tcp-producers";
  auto tcp_publisher = EventMeshTcpClient::Connect(tcp);
  ASSERT_TRUE(tcp_publisher.ok()) << tcp_publisher.status();
  Message m;
  m.topic = "wh-orders";
  m.content = "tcp-1";
  ASSERT_TRUE((*tcp_publisher)->Publish(m).get().ok());

  ASSERT_EQ(pushes.WaitFor(4), 4u);
  std::multiset<std::string> contents;
  for (const auto& e : pushes.events()) {
    EXPECT_EQ(e.transport, Transport::kHttpForm);
    EXPECT_EQ(e.kind, EventKind::kAsync);
    EXPECT_EQ(e.topic(), "wh-orders");
    EXPECT_FALSE(e.message()->biz_seq_no.empty());
    contents.insert(e.data());
  }
  EXPECT_EQ(contents, (std::multiset<std::string>{"http-1", "http-2", "http-3", "tcp-1"}));
  EXPECT_TRUE(subscriber->Stop().ok());
}

class HttpWebhookCloudEventsTest : public HttpWebhookE2eTest,
                                   public ::testing::WithParamInterface<PushFormat> {};

TEST_P(HttpWebhookCloudEventsTest, CloudEventsPushesKeepTheEvent) {
  Pushes pushes;
  auto subscriber = Subscribe("wh-ce", &pushes, GetParam());
  ASSERT_NE(subscriber, nullptr);
  CloudEvent e;
  e.set_id("wh-ce-1");
  e.set_source("/webhook-e2e");
  e.set_type("wh.v1");
  e.set_subject("wh-ce");
  e.set_data_content_type("application/json");
  e.set_data("{\"k\":1}", cloudevents::DataEncoding::kJson);
  ASSERT_TRUE(publisher_->PublishCloudEvent(e, CloudEventMode::kStructured).ok());
  ASSERT_EQ(pushes.WaitFor(1), 1u);
  const ReceivedEvent got = pushes.events()[0];
  EXPECT_EQ(got.transport, Transport::kHttpCloudEvents);
  ASSERT_NE(got.cloud_event(), nullptr);
  EXPECT_EQ(got.cloud_event()->id(), "wh-ce-1");
  EXPECT_EQ(got.cloud_event()->source(), "/webhook-e2e");
  EXPECT_EQ(got.cloud_event()->type(), "wh.v1");
  EXPECT_EQ(got.data(), "{\"k\":1}");
}

INSTANTIATE_TEST_SUITE_P(Formats, HttpWebhookCloudEventsTest,
                         ::testing::Values(PushFormat::kCloudEventsBinary,
                                           PushFormat::kCloudEventsStructured,
                                           PushFormat::kCloudEventsBatch));

TEST_F(HttpWebhookE2eTest, RetryAnswerIsPushedAgain) {
  Pushes pushes({"again"});
  auto subscriber = Subscribe("wh-retry", &pushes);
  ASSERT_NE(subscriber, nullptr);
  ASSERT_TRUE(publisher_->Publish(Msg("wh-retry", "again")).ok());
  ASSERT_EQ(pushes.WaitFor(2), 2u);
  EXPECT_EQ(pushes.events()[0].data(), "again");
  EXPECT_EQ(pushes.events()[1].data(), "again");
}

TEST_F(HttpWebhookE2eTest, RequestReplyAnsweredByTheWebhook) {
  Pushes pushes;
  std::unique_ptr<HttpSubscriber> subscriber;
  HttpSubscriberOptions o;
  o.client = ClientOptions();
  SubscriptionItem item;
  item.topic = "wh-rr";
  item.type = SubscriptionType::kSync;
  o.topics = {item};
  std::promise<ReceivedEvent> request;
  auto started = HttpSubscriber::Start(o, [&request](const ReceivedEvent& e) {
    request.set_value(e);
    return HandlerResult::kSuccess;
  });
  ASSERT_TRUE(started.ok()) << started.status();
  subscriber = *std::move(started);
  auto pending = std::async(std::launch::async, [this] {
    return publisher_->Request(Msg("wh-rr", "ping"), absl::Seconds(20));
  });
  ReceivedEvent pushed = request.get_future().get();
  EXPECT_EQ(pushed.kind, EventKind::kRequest);
  Message answer;
  answer.content = "pong-from-webhook";
  EXPECT_TRUE(subscriber->Reply(pushed, answer).ok());
  auto reply = pending.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->content, "pong-from-webhook");
}

}  // namespace
}  // namespace eventmesh::sdk::http
