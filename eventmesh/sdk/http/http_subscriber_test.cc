// HttpSubscriber and its webhook server tested over real sockets: pushes are POSTed to the
// subscriber's URL with the shared HTTP client; the subscription calls go to a scripted
// runtime (FakeRuntime) that records them.

#include "eventmesh/sdk/http/http_subscriber.h"

#include <future>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/response.h"
#include "eventmesh/sdk/http/testing/fake_runtime.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

namespace ph = protocol::http;
using testing::FakeRuntime;

constexpr absl::Duration kWait = absl::Seconds(30);

// Records pushes; answers with a result the test sets.
class Recorder {
 public:
  HandlerResult Handle(const ReceivedEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
    return result_;
  }
  void set_result(HandlerResult r) {
    absl::MutexLock lock(&mu_);
    result_ = r;
  }
  std::vector<ReceivedEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<ReceivedEvent> events_ ABSL_GUARDED_BY(mu_);
  HandlerResult result_ ABSL_GUARDED_BY(mu_) = HandlerResult::kSuccess;
};

class HttpSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(runtime_.ok());
    auto http = net::HttpClient::Create(net::HttpClientOptions());
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = *std::move(http);
  }

  HttpSubscriberOptions Options() {
    HttpSubscriberOptions o;
    o.client.urls = {runtime_.Url()};
    o.client.consumer_group = "cg";
    SubscriptionItem item;
    item.topic = "orders";
    o.topics = {item};
    return o;
  }

  void StartSubscriber(HttpSubscriberOptions o) {
    auto s = HttpSubscriber::Start(std::move(o),
                                   [this](const ReceivedEvent& e) { return recorder_.Handle(e); });
    ASSERT_TRUE(s.ok()) << s.status();
    subscriber_ = *std::move(s);
  }

  net::HttpResponse Send(net::HttpRequest request) {
    std::promise<absl::StatusOr<net::HttpResponse>> p;
    http_->Send(std::move(request), kWait,
                [&p](absl::StatusOr<net::HttpResponse> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : net::HttpResponse();
  }

  net::HttpResponse PostForm(const std::string& code, const ph::FormFields& form) {
    net::HttpRequest request;
    request.url = subscriber_->url();
    request.headers = {{"code", code},
                       {"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"},
                       {"eventmeshcluster", "c1"}};
    request.body = ph::EncodeForm(form);
    return Send(std::move(request));
  }

  net::HttpResponse PostCloudEvent(const cloudevents::HttpMessage& message) {
    net::HttpRequest request;
    request.url = subscriber_->url();
    request.headers = message.headers;
    request.body = message.body;
    return Send(std::move(request));
  }

  static ph::PushMessageForm Push(const std::string& content) {
    ph::PushMessageForm form;
    form.content = content;
    form.topic = "orders";
    form.biz_seq_no = "biz-1";
    form.unique_id = "uniq-1";
    form.random_no = "42";
    form.ext_fields = {{"protocoltype", "eventmeshmessage"}, {"keys", "k1"}};
    return form;
  }

  static CloudEvent Event(const std::string& id) {
    CloudEvent e;
    e.set_id(id);
    e.set_source("/src");
    e.set_type("demo.v1");
    e.set_subject("orders");
    e.set_data_content_type("application/json");
    e.set_data("{\"n\":7}", cloudevents::DataEncoding::kJson);
    e.SetExtension("traceid", "t-1");
    return e;
  }

  FakeRuntime runtime_;
  std::unique_ptr<net::HttpClient> http_;
  Recorder recorder_;
  std::unique_ptr<HttpSubscriber> subscriber_;
};

TEST_F(HttpSubscriberTest, StartSubscribesTheWebhookUrlAndStopUnsubscribes) {
  StartSubscriber(Options());
  EXPECT_TRUE(absl::StartsWith(subscriber_->url(), "http://127.0.0.1:"));
  EXPECT_TRUE(absl::EndsWith(subscriber_->url(), "/eventmesh/webhook"));
  EXPECT_GT(subscriber_->port(), 0);

  auto subs = runtime_.RequestsWithCode("206");
  ASSERT_EQ(subs.size(), 1u);
  auto fields = ph::BodyFields::FromForm(subs[0].body);
  ASSERT_TRUE(fields.ok());
  auto body = ph::SubscribeRequestBody::Parse(*fields);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->url, subscriber_->url());
  EXPECT_EQ(body->consumer_group, "cg");
  ASSERT_EQ(body->topics.size(), 1u);
  EXPECT_EQ(body->topics[0].topic, "orders");

  EXPECT_TRUE(subscriber_->Stop().ok());
  auto unsubs = runtime_.RequestsWithCode("207");
  ASSERT_EQ(unsubs.size(), 1u);
  auto ufields = ph::BodyFields::FromForm(unsubs[0].body);
  ASSERT_TRUE(ufields.ok());
  auto ubody = ph::UnsubscribeRequestBody::Parse(*ufields);
  ASSERT_TRUE(ubody.ok()) << ubody.status();
  EXPECT_EQ(ubody->url, subscriber_->url());
  EXPECT_EQ(ubody->topics, std::vector<std::string>{"orders"});
  EXPECT_TRUE(subscriber_->Stop().ok());  // idempotent
  EXPECT_EQ(runtime_.RequestsWithCode("207").size(), 1u);
}

TEST_F(HttpSubscriberTest, FormPushReachesTheHandlerAndIsAcknowledged) {
  StartSubscriber(Options());
  net::HttpResponse r = PostForm("105", Push("hello & bye").ToForm());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ph::ParseSubscriberReply(r.body), ph::ClientRetCode::kRemoteOk);
  EXPECT_EQ(r.body, "{\"retCode\":0}");

  auto events = recorder_.events();
  ASSERT_EQ(events.size(), 1u);
  const ReceivedEvent& e = events[0];
  EXPECT_EQ(e.transport, Transport::kHttpForm);
  EXPECT_EQ(e.kind, EventKind::kAsync);
  EXPECT_EQ(e.topic(), "orders");
  EXPECT_EQ(e.data(), "hello & bye");
  EXPECT_EQ(e.message()->biz_seq_no, "biz-1");
  EXPECT_EQ(e.message()->unique_id, "uniq-1");
  EXPECT_EQ(e.random_no, "42");
  EXPECT_EQ(*e.property("keys"), "k1");
  EXPECT_EQ(e.cloud_event(), nullptr);
  EXPECT_EQ(subscriber_->stats().pushes, 1u);

  recorder_.set_result(HandlerResult::kRetry);
  r = PostForm("106", Push("again").ToForm());
  EXPECT_EQ(ph::ParseSubscriberReply(r.body), ph::ClientRetCode::kRetry);
  EXPECT_EQ(recorder_.events().back().kind, EventKind::kRequest);

  recorder_.set_result(HandlerResult::kFail);
  r = PostForm("105", Push("bad").ToForm());
  EXPECT_EQ(ph::ParseSubscriberReply(r.body), ph::ClientRetCode::kFail);
}

TEST_F(HttpSubscriberTest, FormPushCarryingACloudEventIsParsed) {
  StartSubscriber(Options());
  ph::PushMessageForm form = Push(cloudevents::SerializeJsonEvent(Event("ce-9")));
  form.ext_fields["protocoltype"] = "cloudevents";
  net::HttpResponse r = PostForm("105", form.ToForm());
  EXPECT_EQ(r.body, "{\"retCode\":0}");
  auto events = recorder_.events();
  ASSERT_EQ(events.size(), 1u);
  ASSERT_NE(events[0].cloud_event(), nullptr);
  EXPECT_EQ(*events[0].cloud_event(), Event("ce-9"));
}

TEST_F(HttpSubscriberTest, MalformedFormPushIsAnsweredFailWithoutCallingTheHandler) {
  StartSubscriber(Options());
  net::HttpResponse r = PostForm("105", {{"content", "x"}});  // no topic
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"retCode\":3,\"retMsg\":\"malformed push: missing body field 'topic'\"}");
  EXPECT_TRUE(recorder_.events().empty());
}

TEST_F(HttpSubscriberTest, CloudEventsPushesBinaryStructuredAndBatch) {
  StartSubscriber(Options());
  net::HttpResponse r = PostCloudEvent(cloudevents::ToBinaryHttp(Event("b-1")));
  EXPECT_EQ(r.status, 200);
  r = PostCloudEvent(cloudevents::ToStructuredHttp(Event("s-1")));
  EXPECT_EQ(r.status, 200);
  r = PostCloudEvent(cloudevents::ToBatchHttp({Event("x-1"), Event("x-2")}));
  EXPECT_EQ(r.status, 200);

  auto events = recorder_.events();
  ASSERT_EQ(events.size(), 4u);
  std::vector<std::string> ids;
  for (const auto& e : events) {
    EXPECT_EQ(e.transport, Transport::kHttpCloudEvents);
    EXPECT_EQ(e.topic(), "orders");
    EXPECT_EQ(e.data(), "{\"n\":7}");
    EXPECT_EQ(*e.property("traceid"), "t-1");
    ASSERT_NE(e.cloud_event(), nullptr);
    ids.push_back(e.cloud_event()->id());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"b-1", "s-1", "x-1", "x-2"}));
  EXPECT_EQ(*events[0].cloud_event(), Event("b-1"));

  recorder_.set_result(HandlerResult::kRetry);
  EXPECT_EQ(PostCloudEvent(cloudevents::ToBinaryHttp(Event("r-1"))).status, 503);
  recorder_.set_result(HandlerResult::kFail);
  EXPECT_EQ(PostCloudEvent(cloudevents::ToStructuredHttp(Event("f-1"))).status, 410);
}

TEST_F(HttpSubscriberTest, MalformedCloudEventIs400) {
  StartSubscriber(Options());
  cloudevents::HttpMessage bad;
  bad.headers = {{"Content-Type", "application/cloudevents+json"}};
  bad.body = "{\"specversion\":\"1.0\",\"id\":\"\"}";
  net::HttpResponse r = PostCloudEvent(bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StartsWith(r.body, "malformed CloudEvent: invalid CloudEvent: ")) << r.body;
  EXPECT_TRUE(recorder_.events().empty());
}

TEST_F(HttpSubscriberTest, AnswersTheCloudEventsValidationHandshake) {
  HttpSubscriberOptions o = Options();
  o.allowed_origins = {"eventmesh.example.com"};
  StartSubscriber(o);
  net::HttpRequest ok;
  ok.method = "OPTIONS";
  ok.url = subscriber_->url();
  ok.headers = {{"WebHook-Request-Origin", "eventmesh.example.com"},
                {"WebHook-Request-Rate", "120"}};
  net::HttpResponse r = Send(ok);
  EXPECT_EQ(r.status, 200);
  ASSERT_NE(r.header("WebHook-Allowed-Origin"), nullptr);
  EXPECT_EQ(*r.header("WebHook-Allowed-Origin"), "eventmesh.example.com");
  ASSERT_NE(r.header("WebHook-Allowed-Rate"), nullptr);
  EXPECT_EQ(*r.header("WebHook-Allowed-Rate"), "*");

  net::HttpRequest other = ok;
  other.headers = {{"WebHook-Request-Origin", "evil.example.com"}};
  r = Send(other);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.header("WebHook-Allowed-Origin"), nullptr);
  EXPECT_EQ(r.body, "origin 'evil.example.com' is not allowed");
}

TEST_F(HttpSubscriberTest, OtherRequestsAreRejected) {
  StartSubscriber(Options());
  net::HttpRequest get;
  get.method = "GET";
  get.url = subscriber_->url();
  EXPECT_EQ(Send(get).status, 405);
  net::HttpRequest plain;
  plain.url = subscriber_->url();
  plain.headers = {{"Content-Type", "text/plain"}};
  plain.body = "hi";
  net::HttpResponse r = Send(plain);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(absl::StartsWith(r.body, "not a webhook push")) << r.body;
  EXPECT_TRUE(recorder_.events().empty());
}

TEST_F(HttpSubscriberTest, OversizedBodyIs413) {
  HttpSubscriberOptions o = Options();
  o.server.max_body_bytes = 1024;
  StartSubscriber(o);
  net::HttpResponse r = PostForm("105", Push(std::string(4096, 'x')).ToForm());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "request body exceeds 1024 bytes");
  EXPECT_TRUE(recorder_.events().empty());
}

TEST_F(HttpSubscriberTest, PushesShareAKeepAliveConnection) {
  StartSubscriber(Options());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(PostForm("105", Push(std::to_string(i)).ToForm()).body, "{\"retCode\":0}");
  }
  EXPECT_EQ(http_->connections_opened(), 1);
  EXPECT_EQ(recorder_.events().size(), 5u);
}

TEST_F(HttpSubscriberTest, HeartbeatsKeepTheSubscriptionAlive) {
  HttpSubscriberOptions o = Options();
  o.heartbeat_interval = absl::Milliseconds(50);
  StartSubscriber(o);
  ASSERT_GE(runtime_.WaitForCode("203", 2, kWait), 2u);
  auto beats = runtime_.RequestsWithCode("203");
  auto fields = ph::BodyFields::FromForm(beats[0].body);
  ASSERT_TRUE(fields.ok());
  auto body = ph::HeartbeatRequestBody::Parse(*fields);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->consumer_group, "cg");
  ASSERT_EQ(body->entities.size(), 1u);
  EXPECT_EQ(body->entities[0].topic, "orders");
  EXPECT_EQ(body->entities[0].url, subscriber_->url());
  ASSERT_TRUE(subscriber_->Stop().ok());
  EXPECT_GE(subscriber_->stats().heartbeats_sent, 2u);
}

TEST_F(HttpSubscriberTest, FailedHeartbeatsAreCounted) {
  runtime_.SetAnswer("203", 200, ph::MakeResponseJson(21, "unknown subscription", 1));
  StartSubscriber(Options());
  absl::Status s = subscriber_->HeartbeatNow();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "unknown subscription");
  EXPECT_EQ(subscriber_->stats().heartbeat_failures, 1u);
}

TEST_F(HttpSubscriberTest, UnknownSubscriptionIsSubscribedAgain) {
  HttpSubscriberOptions o = Options();
  o.heartbeat_interval = absl::Milliseconds(50);
  o.push_format = PushFormat::kCloudEventsStructured;
  StartSubscriber(o);
  ASSERT_EQ(runtime_.RequestsWithCode("206").size(), 1u);
  runtime_.SetAnswer("203", 200, ph::MakeResponseJson(21, "unknown subscription", 1));
  ASSERT_GE(runtime_.WaitForCode("206", 2, kWait), 2u);
  auto subs = runtime_.RequestsWithCode("206");
  auto fields = ph::BodyFields::FromForm(subs[1].body);
  ASSERT_TRUE(fields.ok());
  auto body = ph::SubscribeRequestBody::Parse(*fields);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->url, subscriber_->url());
  EXPECT_EQ(body->topics[0].topic, "orders");
  EXPECT_EQ(fields->Get("pushformat"), "cloudevents-structured");
  ASSERT_TRUE(subscriber_->Stop().ok());
  EXPECT_GE(subscriber_->stats().resubscribes, 1u);
}

TEST_F(HttpSubscriberTest, RefusedSubscriptionFailsStart) {
  runtime_.SetAnswer("206", 200, ph::MakeResponseJson(19, "url is not allowed", 1));
  auto s = HttpSubscriber::Start(Options(),
                                 [](const ReceivedEvent&) { return HandlerResult::kSuccess; });
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.status().message(), "url is not allowed");
}

TEST_F(HttpSubscriberTest, AddAndRemoveTopics) {
  HttpSubscriberOptions o = Options();
  o.topics.clear();
  StartSubscriber(o);
  EXPECT_TRUE(runtime_.RequestsWithCode("206").empty());
  SubscriptionItem item;
  item.topic = "late";
  item.type = SubscriptionType::kSync;
  ASSERT_TRUE(subscriber_->Subscribe({item}).ok());
  ASSERT_TRUE(subscriber_->HeartbeatNow().ok());
  ASSERT_TRUE(subscriber_->Unsubscribe({"late"}).ok());
  EXPECT_EQ(runtime_.RequestsWithCode("206").size(), 1u);
  EXPECT_EQ(runtime_.RequestsWithCode("203").size(), 1u);
  EXPECT_EQ(runtime_.RequestsWithCode("207").size(), 1u);
  ASSERT_TRUE(subscriber_->Stop().ok());
  EXPECT_EQ(runtime_.RequestsWithCode("207").size(), 1u);  // nothing left to unsubscribe
}

TEST(HttpSubscriberOptionsTest, BadOptions) {
  HttpSubscriberOptions o;
  auto handler = [](const ReceivedEvent&) { return HandlerResult::kSuccess; };
  o.heartbeat_interval = absl::ZeroDuration();
  EXPECT_EQ(HttpSubscriber::Start(o, handler).status().message(),
            "heartbeat_interval must be positive");
  o = HttpSubscriberOptions();
  o.path = "hook";
  EXPECT_EQ(HttpSubscriber::Start(o, handler).status().message(),
            "path must start with '/', got 'hook'");
  o = HttpSubscriberOptions();
  o.server.address = "not-an-ip";
  EXPECT_EQ(HttpSubscriber::Start(o, handler).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpSubscriber::Start(HttpSubscriberOptions(), nullptr).status().message(),
            "a push handler is required");
}

}  // namespace
}  // namespace eventmesh::sdk::http
