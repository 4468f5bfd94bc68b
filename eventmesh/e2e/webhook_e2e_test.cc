// End to end: webhook subscriptions made over the runtime's HTTP port are delivered by the
// built-in webhook delivery to a real local endpoint, for events published over TCP and HTTP,
// and survive a runtime restart.

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/testing/test_http_server.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::http {
namespace {

using net::testing::TestHttpServer;
using net::testing::TestRequest;
using net::testing::TestResponse;
using testing::CodeHeaders;
using testing::Headers;
using testing::HttpCall;
using testing::HttpReply;

const Headers kFormType = {{"Content-Type", "application/x-www-form-urlencoded"}};

// A subscriber endpoint that records what was pushed to it.
class Endpoint {
 public:
  Endpoint() {
    auto server =
        TestHttpServer::Start([this](const TestRequest& request) { return Handle(request); });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::string url() const { return server_->Url("/hook"); }

  // Waits (bounded) until `count` pushes arrived; returns the contents received so far.
  std::vector<std::string> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return contents_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
    return contents_;
  }
  // Waits (bounded) until `content` was pushed; returns whether it was.
  bool WaitForContent(const std::string& content) {
    absl::MutexLock lock(&mu_);
    auto seen = [&] {
      return std::find(contents_.begin(), contents_.end(), content) != contents_.end();
    };
    mu_.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(30));
    return seen();
  }
  bool Received(const std::string& content) {
    absl::MutexLock lock(&mu_);
    return std::find(contents_.begin(), contents_.end(), content) != contents_.end();
  }
  std::vector<TestRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  TestResponse Handle(const TestRequest& request) {
    TestResponse response;
    absl::MutexLock lock(&mu_);
    if (request.method == "OPTIONS") {  // CloudEvents webhook validation
      response.headers.push_back(
          {"WebHook-Allowed-Origin", request.header("WebHook-Request-Origin")});
      return response;
    }
    requests_.push_back(request);
    if (request.header("code") == "105" || request.header("code") == "106") {
      auto form = protocol::http::ParseForm(request.body);
      std::string content;
      if (form.ok()) {
        for (const auto& [key, value] : *form) {
          if (key == "content") content = value;
        }
      }
      contents_.push_back(content);
      response.body = R"({"retCode":0})";
    } else {
      auto event = cloudevents::ParseJsonEvent(request.body);
      contents_.push_back(event.ok() ? event->data() : "?");
    }
    return response;
  }

  absl::Mutex mu_;
  std::vector<std::string> contents_;
  std::vector<TestRequest> requests_;
  std::unique_ptr<TestHttpServer> server_;
};

class WebhookE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = runtime::testing::TestDataDir();
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void StartServer() {
    auto server = runtime::testing::StartTestServer(
        {{"eventMesh.storage.embedded.syncMode", "batch"},
         // The test's webhook endpoints listen on loopback.
         {"eventMesh.server.http.webhook.allowPrivateNetworks", "true"}},
        data_dir_, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  void RestartServer() {
    server_->Shutdown();
    server_.reset();
    StartServer();
  }

  HttpReply Post(const Headers& headers, const std::string& body, const std::string& target = "/") {
    auto reply = HttpCall(server_->http_port(), "POST", target, headers, body);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }

  HttpReply PublishOverHttp(const std::string& topic, const std::string& content) {
    return Post(CodeHeaders(104, kFormType),
                protocol::http::EncodeForm({{"topic", topic},
                                            {"content", content},
                                            {"bizseqno", "biz-" + content},
                                            {"uniqueid", "u-" + content},
                                            {"producergroup", "producers"}}));
  }

  void PublishOverTcp(const std::string& topic, const std::string& content) {
    auto client = runtime::testing::TestClient::Connect(server_->tcp_port());
    ASSERT_TRUE(client.ok()) << client.status();
    auto hello = (*client)->Hello("pub", "producers");
    ASSERT_TRUE(hello.ok() && hello->header.code == 0);
    auto reply = (*client)->Publish(topic, content);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->header.code, 0) << reply->header.desc;
  }

  connectors::ConnectorRegistry registry_;
  std::string data_dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(WebhookE2eTest, CodeBasedSubscriptionReceivesTcpAndHttpEventsAndSurvivesRestart) {
  Endpoint endpoint;
  StartServer();
  HttpReply reply =
      Post(CodeHeaders(206, kFormType),
           protocol::http::EncodeForm(
               {{"topic", R"([{"topic":"orders","mode":"CLUSTERING","type":"ASYNC"}])"},
                {"url", endpoint.url()},
                {"consumerGroup", "billing"}}));
  ASSERT_EQ(reply.ret_code, 0) << reply.body;

  PublishOverTcp("orders", "from-tcp");
  reply = PublishOverHttp("orders", "from-http");
  ASSERT_EQ(reply.ret_code, 0) << reply.body;
  std::vector<std::string> got = endpoint.WaitFor(2);
  EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()),
            (std::multiset<std::string>{"from-tcp", "from-http"}));
  const TestRequest first = endpoint.requests().front();
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.target, "/hook");
  EXPECT_EQ(first.header("code"), "105");

  // The registration is persisted: after a restart the group still receives, and the
  // subscription query lists it. (Delivery is at least once: an event whose acknowledgement was
  // still in flight at the restart may come again.)
  RestartServer();
  PublishOverTcp("orders", "after-restart");
  EXPECT_TRUE(endpoint.WaitForContent("after-restart"));
  auto query = HttpCall(server_->http_port(), "GET", "/eventmesh/subscription/query");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->ret_code, 0) << query->body;
  EXPECT_NE(query->ret_msg.find(endpoint.url()), std::string::npos) << query->ret_msg;
  EXPECT_NE(query->ret_msg.find("billing"), std::string::npos) << query->ret_msg;

  // Unsubscribing stops delivery: an event published after it never arrives, while another
  // subscription's later event does.
  reply = Post(
      CodeHeaders(207, kFormType),
      protocol::http::EncodeForm(
          {{"topic", R"(["orders"])"}, {"url", endpoint.url()}, {"consumerGroup", "billing"}}));
  ASSERT_EQ(reply.ret_code, 0) << reply.body;
  PublishOverTcp("orders", "nobody-listens");
  reply = Post(CodeHeaders(206, kFormType),
               protocol::http::EncodeForm({{"topic", R"([{"topic":"audit"}])"},
                                           {"url", endpoint.url()},
                                           {"consumerGroup", "auditors"}}));
  ASSERT_EQ(reply.ret_code, 0) << reply.body;
  PublishOverTcp("audit", "audit-1");
  EXPECT_TRUE(endpoint.WaitForContent("audit-1"));
  EXPECT_FALSE(endpoint.Received("nobody-listens"));
}

TEST_F(WebhookE2eTest, UriSubscriptionWithCloudEventsStructuredPush) {
  Endpoint endpoint;
  StartServer();
  HttpReply reply =
      Post({{"Content-Type", "application/json"}},
           absl::StrCat(R"({"url":")", endpoint.url(),
                        R"(","consumerGroup":"ce-readers","topic":[{"topic":"ce-topic",)"
                        R"("mode":"CLUSTERING","type":"ASYNC"}],)"
                        R"("pushformat":"cloudevents-structured"})"),
           "/eventmesh/subscribe/local");
  ASSERT_EQ(reply.status, 200) << reply.body;
  ASSERT_EQ(reply.ret_code, 0) << reply.body;
  // A CloudEvent published in binary mode over HTTP.
  reply = Post({{"ce-specversion", "1.0"},
                {"ce-id", "ce-1"},
                {"ce-source", "/e2e"},
                {"ce-type", "com.example.test"},
                {"Content-Type", "text/plain"}},
               "hello webhook", "/eventmesh/publish/ce-topic");
  ASSERT_EQ(reply.status, 200) << reply.body;
  std::vector<std::string> got = endpoint.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "hello webhook");
  const TestRequest push = endpoint.requests().front();
  EXPECT_EQ(push.header("Content-Type").rfind("application/cloudevents+json", 0), 0u)
      << push.header("Content-Type");
}

}  // namespace
}  // namespace eventmesh::runtime::http
