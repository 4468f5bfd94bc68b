// EventMeshHttpClient against a scripted runtime (FakeRuntime over real sockets): what goes on
// the wire, how answers map to statuses, TLS verification. The end-to-end tests against the
// real runtime are in http_e2e_test.cc.

#include "eventmesh/sdk/http/http_client.h"

#include <cstdlib>
#include <future>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/response.h"
#include "eventmesh/sdk/http/testing/fake_runtime.h"
#include "eventmesh/testing/tls_certs.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

namespace ph = protocol::http;
using testing::FakeRuntime;

std::unique_ptr<EventMeshHttpClient> NewClient(const std::vector<std::string>& urls,
                                               const std::string& ca_file = "") {
  HttpClientOptions o;
  o.urls = urls;
  o.ca_file = ca_file;
  o.producer_group = "pg";
  o.consumer_group = "cg";
  o.pid = 99;
  o.request_timeout = absl::Seconds(20);
  auto client = EventMeshHttpClient::Create(o);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

ph::BodyFields Fields(const std::string& body) {
  auto f = ph::BodyFields::FromForm(body);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : ph::BodyFields();
}

Message Msg(const std::string& topic, const std::string& content) {
  Message m;
  m.topic = topic;
  m.content = content;
  return m;
}

TEST(EventMeshHttpClientTest, PublishSyncAndAsyncReachTheRuntime) {
  FakeRuntime runtime;
  ASSERT_TRUE(runtime.ok());
  auto client = NewClient({runtime.Url()});
  ASSERT_NE(client, nullptr);

  EXPECT_TRUE(client->Publish(Msg("orders", "one")).ok());
  std::future<absl::Status> f = client->PublishAsync(Msg("orders", "two"));
  std::promise<absl::Status> p;
  client->PublishAsync(Msg("orders", "three"), [&p](absl::Status s) { p.set_value(s); });
  EXPECT_TRUE(f.get().ok());
  EXPECT_TRUE(p.get_future().get().ok());

  auto requests = runtime.RequestsWithCode("104");
  ASSERT_EQ(requests.size(), 3u);
  std::set<std::string> contents;
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/");
    EXPECT_EQ(r.header("pid"), "99");
    EXPECT_EQ(r.header("protocoltype"), "eventmeshmessage");
    auto body = ph::SendMessageRequestBody::Parse(Fields(r.body), ph::RequestCode::kMsgSendAsync);
    ASSERT_TRUE(body.ok()) << body.status();
    contents.insert(body->content);
  }
  EXPECT_EQ(contents, (std::set<std::string>{"one", "two", "three"}));
  EXPECT_EQ(client->stats().requests_sent, 3u);
  EXPECT_EQ(client->stats().requests_failed, 0u);
}

TEST(EventMeshHttpClientTest, RetCodesBecomeStatusesWithTheRetMsg) {
  FakeRuntime runtime;
  ASSERT_TRUE(runtime.ok());
  auto client = NewClient({runtime.Url()});
  runtime.SetAnswer("104", 200, ph::MakeResponseJson(22, "eventMesh acl err, no permission", 1));
  absl::Status s = client->Publish(Msg("orders", "x"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "eventMesh acl err, no permission");
  EXPECT_EQ(RetCodeOf(s), 22);

  runtime.SetAnswer("104", 200, ph::MakeResponseJson(23, "over limit", 1));
  EXPECT_EQ(client->Publish(Msg("orders", "x")).code(), absl::StatusCode::kResourceExhausted);

  runtime.SetAnswer("206", 200, ph::MakeResponseJson(19, "url refused", 1));
  SubscriptionItem item;
  item.topic = "orders";
  absl::Status sub = client->Subscribe("http://10.0.0.1:1/x", {item});
  EXPECT_EQ(sub.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sub.message(), "url refused");

  runtime.SetAnswer("102", 400, ph::MakeResponseJson(2, "bad code", 1));
  absl::Status batch = client->PublishBatch({Msg("a", "1")});
  EXPECT_EQ(batch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.message(), "bad code");
  EXPECT_EQ(client->stats().requests_failed, 4u);
}

TEST(EventMeshHttpClientTest, InvalidInputFailsBeforeSending) {
  FakeRuntime runtime;
  auto client = NewClient({runtime.Url()});
  absl::Status s = client->Publish(Msg("", "x"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "message topic is required");
  EXPECT_TRUE(runtime.requests().empty());
  auto reply = client->Request(Msg("rr", "x"), absl::ZeroDuration());
  EXPECT_EQ(reply.status().message(), "request timeout must be positive");
}

TEST(EventMeshHttpClientTest, RequestReturnsTheReplyOrDeadlineExceeded) {
  FakeRuntime runtime;
  auto client = NewClient({runtime.Url()});
  runtime.SetAnswer(
      "101", 200,
      ph::MakeResponseJson(0, R"({"topic":"rr","body":"pong","properties":{"k":"v"}})", 1));
  auto reply = client->Request(Msg("rr", "ping"), absl::Milliseconds(1500));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->content, "pong");
  EXPECT_EQ(reply->properties.at("k"), "v");
  auto sent = runtime.RequestsWithCode("101");
  ASSERT_EQ(sent.size(), 1u);
  auto body =
      ph::SendMessageRequestBody::Parse(Fields(sent[0].body), ph::RequestCode::kMsgSendSync);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->ttl_ms, 1500);

  runtime.SetAnswer("101", 200, ph::MakeResponseJson(4, "wait reply timeout", 1));
  auto timed_out = client->Request(Msg("rr", "ping"), absl::Seconds(1));
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(timed_out.status().message(), "wait reply timeout");
}

TEST(EventMeshHttpClientTest, CloudEventsGoToThePublishPath) {
  FakeRuntime runtime;
  auto client = NewClient({runtime.Url()});
  CloudEvent e;
  e.set_id("ce-1");
  e.set_source("/src");
  e.set_type("t.v1");
  e.set_subject("orders");
  e.set_data("hello", cloudevents::DataEncoding::kText);
  e.set_data_content_type("text/plain");
  ASSERT_TRUE(client->PublishCloudEvent(e, CloudEventMode::kBinary).ok());
  ASSERT_TRUE(client->PublishCloudEvent(e, CloudEventMode::kStructured, "other").ok());
  ASSERT_TRUE(client->PublishCloudEventBatch({e, e}).ok());
  ASSERT_TRUE(client->Publish(e).ok());  // code 104, protocoltype cloudevents
  std::promise<absl::Status> batch_done;
  client->PublishCloudEventBatchAsync({e}, "async-batch",
                                      [&](absl::Status s) { batch_done.set_value(s); });
  ASSERT_TRUE(batch_done.get_future().get().ok());
  auto requests = runtime.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[4].target, "/eventmesh/publish/async-batch");
  EXPECT_EQ(requests[0].target, "/eventmesh/publish/orders");
  EXPECT_EQ(requests[0].header("ce-id"), "ce-1");
  EXPECT_EQ(requests[0].body, "hello");
  EXPECT_EQ(requests[1].target, "/eventmesh/publish/other");
  EXPECT_TRUE(absl::StartsWith(requests[1].header("Content-Type"), "application/cloudevents+json"));
  EXPECT_TRUE(
      absl::StartsWith(requests[2].header("Content-Type"), "application/cloudevents-batch+json"));
  EXPECT_EQ(requests[3].header("code"), "104");
  EXPECT_EQ(requests[3].header("protocoltype"), "cloudevents");
}

TEST(EventMeshHttpClientTest, UrlsAreUsedRoundRobin) {
  FakeRuntime a;
  FakeRuntime b;
  auto client = NewClient({a.Url(), b.Url()});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->PublishBatchV2(Msg("t", "m")).ok());
  EXPECT_EQ(a.RequestsWithCode("107").size(), 2u);
  EXPECT_EQ(b.RequestsWithCode("107").size(), 2u);
}

TEST(EventMeshHttpClientTest, UnreachableRuntimeAndClosedClient) {
  std::string url;
  {
    FakeRuntime gone;
    url = gone.Url();
  }
  auto client = NewClient({url});
  absl::Status s = client->Publish(Msg("t", "m"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  client->Close();
  absl::Status closed = client->Publish(Msg("t", "m"));
  EXPECT_EQ(closed.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(closed.message(), "client closed");
}

TEST(EventMeshHttpClientTest, HttpsVerifiesTheRuntimeCertificate) {
  auto certs = eventmesh::testing::GenerateTestCertificates(
      std::string(std::getenv("TEST_TMPDIR")) + "/certs");
  ASSERT_TRUE(certs.ok()) << certs.status();
  net::testing::TestTls tls{certs->server_cert, certs->server_key};
  FakeRuntime runtime(&tls);
  ASSERT_TRUE(runtime.ok());
  ASSERT_TRUE(absl::StartsWith(runtime.Url(), "https://"));

  auto trusting = NewClient({runtime.Url()}, certs->ca_cert);
  EXPECT_TRUE(trusting->Publish(Msg("t", "over tls")).ok());
  ASSERT_EQ(runtime.RequestsWithCode("104").size(), 1u);

  auto other = NewClient({runtime.Url()}, certs->other_ca_cert);
  absl::Status s = other->Publish(Msg("t", "rejected"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(runtime.RequestsWithCode("104").size(), 1u);
}

TEST(EventMeshHttpClientTest, CreateRejectsBadOptions) {
  HttpClientOptions o;
  o.urls = {"nope"};
  auto client = EventMeshHttpClient::Create(o);
  EXPECT_EQ(client.status().message(), "runtime URL 'nope': scheme must be http:// or https://");
}

}  // namespace
}  // namespace eventmesh::sdk::http
