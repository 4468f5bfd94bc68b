// End-to-end tests of the HTTP face over real sockets: an in-process Server (embedded connector
// on a temp dir, ports 0), HTTP requests from a Beast client, TCP peers from TestClient.

#include "eventmesh/runtime/http/http_server.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/connectors/eventstore/event_store_connector.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/core/request_tracker.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::http {
namespace {

using protocol::tcp::Command;
using protocol::tcp::Package;
using runtime::testing::TestClient;
using testing::CodeHeaders;
using testing::Headers;
using testing::HttpCall;
using testing::HttpConnection;
using testing::HttpReply;

std::string Form(std::vector<std::pair<std::string, std::string>> fields) {
  return protocol::http::EncodeForm(fields);
}

const Headers kFormType = {{"Content-Type", "application/x-www-form-urlencoded"}};

// Records the WebhookService calls; fails requests for URLs starting with "http://refused".
class RecordingWebhookService : public webhook::WebhookService {
 public:
  absl::Status Subscribe(const webhook::WebhookSubscribeRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (request.url.rfind("http://refused", 0) == 0) {
      return absl::PermissionDeniedError("url http://refused is refused by the deny list");
    }
    subscribes.push_back(request);
    for (const auto& topic : request.topics) {
      webhook::WebhookSubscriptionInfo info;
      info.consumer_group = request.consumer_group;
      info.url = request.url;
      info.topic = topic;
      info.format = request.format;
      info.client = request.client;
      info.last_heartbeat_ms = 42;
      list_.push_back(info);
    }
    return absl::OkStatus();
  }
  absl::Status Unsubscribe(const std::string& group, const std::string& url,
                           const std::vector<std::string>& topics) override {
    absl::MutexLock lock(&mu_);
    if (group == "nobody") return absl::NotFoundError("no subscription of group nobody");
    unsubscribes.push_back(absl::StrCat(group, "|", url, "|", topics.size()));
    return absl::OkStatus();
  }
  absl::Status Heartbeat(const std::string& group, const std::string& url,
                         const std::vector<std::string>& topics) override {
    absl::MutexLock lock(&mu_);
    if (group == "nobody") return absl::NotFoundError("no subscription of group nobody");
    heartbeats.push_back(absl::StrCat(group, "|", url, "|", topics.size()));
    return absl::OkStatus();
  }
  std::vector<webhook::WebhookSubscriptionInfo> List() const override {
    absl::MutexLock lock(&mu_);
    return list_;
  }

  mutable absl::Mutex mu_;
  std::vector<webhook::WebhookSubscribeRequest> subscribes;
  std::vector<std::string> unsubscribes;
  std::vector<std::string> heartbeats;
  std::vector<webhook::WebhookSubscriptionInfo> list_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void StartServer(std::map<std::string, std::string> properties = {}, bool webhook = false) {
    data_dir_ = runtime::testing::TestDataDir();
    // The built-in webhook delivery has its own end-to-end test (webhook_e2e_test); here the
    // recorder (webhook) or nothing (the "not enabled" answers) stands in.
    if (!webhook) properties.emplace("eventMesh.server.http.webhook.enabled", "false");
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    ServerOptions options;
    if (webhook) {
      options.webhook_service_factory = [this](const WebhookServiceDeps& deps)
          -> absl::StatusOr<std::unique_ptr<webhook::WebhookService>> {
        EXPECT_NE(deps.connector, nullptr);
        auto service = std::make_unique<RecordingWebhookService>();
        webhook_ = service.get();
        return service;
      };
    }
    auto server = runtime::testing::StartTestServer(std::move(properties), data_dir_, registry_,
                                                    std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->http_port();
  }

  std::unique_ptr<TestClient> TcpClient(const std::string& purpose, const std::string& group) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    auto hello = (*client)->Hello(purpose, group);
    EXPECT_TRUE(hello.ok() && hello->header.code == 0);
    return std::move(*client);
  }

  std::unique_ptr<TestClient> TcpSubscriber(
      const std::string& group, const std::string& topic,
      protocol::tcp::SubscriptionType type = protocol::tcp::SubscriptionType::kAsync) {
    auto client = TcpClient("sub", group);
    auto subscribed = client->Subscribe(topic, protocol::tcp::SubscriptionMode::kClustering, type);
    EXPECT_TRUE(subscribed.ok() && subscribed->header.code == 0);
    auto listened = client->Listen();
    EXPECT_TRUE(listened.ok() && listened->header.code == 0);
    return client;
  }

  HttpReply Post(const Headers& headers, const std::string& body, const std::string& target = "/") {
    auto reply = HttpCall(port_, "POST", target, headers, body);
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }

  HttpReply SendAsync(const std::string& topic, const std::string& content, Headers extra = {}) {
    Headers headers = CodeHeaders(104, kFormType);
    for (auto& h : extra) headers.push_back(h);
    return Post(headers, Form({{"topic", topic},
                               {"content", content},
                               {"bizseqno", "biz-1"},
                               {"uniqueid", "u-1"},
                               {"producergroup", "producers"}}));
  }

  connectors::ConnectorRegistry registry_;
  std::string data_dir_;
  std::unique_ptr<Server> server_;
  RecordingWebhookService* webhook_ = nullptr;
  int port_ = 0;
};

protocol::tcp::EventMeshMessage MessageOf(const Package& push) {
  auto message = protocol::tcp::EventMeshMessage::FromJson(push.body);
  EXPECT_TRUE(message.ok()) << message.status() << " " << push.body;
  return message.ok() ? *message : protocol::tcp::EventMeshMessage{};
}

// ----- code-based protocol -------------------------------------------------------------------

TEST_F(HttpServerTest, SendAsyncIsDurableAndReachesTcpSubscriber) {
  StartServer();
  auto subscriber = TcpSubscriber("g1", "orders");
  HttpReply reply = SendAsync("orders", "hello", {{"protocoltype", "eventmeshmessage"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  EXPECT_EQ(reply.ret_msg, "success");
  EXPECT_EQ(reply.headers["content-type"], "text/plain; charset=UTF-8");
  EXPECT_EQ(reply.headers["code"], "104");
  EXPECT_EQ(reply.headers["eventmeshidc"], "FT");
  EXPECT_EQ(reply.headers["eventmeshcluster"], "LS");
  EXPECT_EQ(reply.headers["eventmeshenv"], "P");
  EXPECT_EQ(reply.headers["eventmeship"], "127.0.0.1");

  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  auto message = MessageOf(*push);
  EXPECT_EQ(message.topic, "orders");
  EXPECT_EQ(message.body, "hello");
  EXPECT_EQ(message.properties["bizseqno"], "biz-1");
  EXPECT_EQ(message.properties["uniqueid"], "u-1");
  EXPECT_EQ(message.properties["producergroup"], "producers");
  EXPECT_EQ(message.properties["protocoltype"], "eventmeshmessage");
  EXPECT_EQ(message.properties["protocoldesc"], "http");
  EXPECT_EQ(message.properties["idc"], "DC1");
  EXPECT_EQ(message.properties["ip"], "127.0.0.1");
  EXPECT_EQ(message.properties["msgtype"], "persistent");
  EXPECT_EQ(message.properties.count("passwd"), 0u);
  ASSERT_TRUE(subscriber->Ack(*push).ok());
}

TEST_F(HttpServerTest, LegacyCapitalisedNamesJsonBodyAndGet) {
  StartServer();
  auto subscriber = TcpSubscriber("g1", "legacy");
  HttpReply reply = Post({{"Code", "104"},
                          {"Idc", "DC1"},
                          {"Sys", "1"},
                          {"Pid", "7"},
                          {"Content-Type", "application/json"}},
                         R"({"topic":"legacy","content":"{\"k\":1}","bizSeqNo":"b2",)"
                         R"("uniqueId":"u2","producerGroup":"pg","extFields":{"color":"red"}})");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  auto message = MessageOf(*push);
  EXPECT_EQ(message.body, "{\"k\":1}");
  EXPECT_EQ(message.properties["bizseqno"], "b2");
  EXPECT_EQ(message.properties["color"], "red");
  ASSERT_TRUE(subscriber->Ack(*push).ok());

  auto get = HttpCall(port_, "GET",
                      "/anything?code=104&topic=legacy&content=viaget&bizseqno=b3&uniqueid=u3"
                      "&producergroup=pg",
                      {{"idc", "DC1"}, {"sys", "1"}, {"pid", "7"}});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->ret_code, 0) << get->body;
  push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(MessageOf(*push).body, "viaget");
}

TEST_F(HttpServerTest, BadInputGetsPreciseAnswers) {
  StartServer();
  // Missing required body field.
  HttpReply reply =
      Post(CodeHeaders(104, kFormType),
           Form({{"content", "x"}, {"bizseqno", "1"}, {"uniqueid", "1"}, {"producergroup", "g"}}));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg, "eventMesh protocol[body] err, missing body field 'topic'");
  reply = Post(CodeHeaders(104, kFormType),
               Form({{"topic", "t"}, {"content", "x"}, {"uniqueid", "1"}, {"producergroup", "g"}}));
  EXPECT_EQ(reply.ret_msg, "eventMesh protocol[body] err, missing body field 'bizseqno'");
  // Missing header.
  reply = Post({{"code", "104"}, {"sys", "1"}, {"pid", "1"}}, "topic=t");
  EXPECT_EQ(reply.ret_code, 6);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh protocol[header] err, missing header 'idc' (required for request code "
            "104)");
  // Bad version header: HTTP 400.
  reply = Post(CodeHeaders(104, {{"version", "3.0"}}), "topic=t");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_code, 6);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh protocol[header] err, header 'version' must be 1.0 or 2.0, got '3.0'");
  // Malformed form.
  reply = Post(CodeHeaders(104, kFormType), "topic=%ZZ");
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh protocol[body] err, invalid percent-escape '%ZZ' at position 6");
  // Malformed JSON.
  reply = Post(CodeHeaders(104, {{"Content-Type", "application/json"}}), "{\"topic\":");
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg.rfind("eventMesh protocol[body] err, malformed JSON in request body", 0),
            0u)
      << reply.ret_msg;
  // Bad extFields key.
  reply = Post(CodeHeaders(104, kFormType), Form({{"topic", "t"},
                                                  {"content", "x"},
                                                  {"bizseqno", "1"},
                                                  {"uniqueid", "1"},
                                                  {"producergroup", "g"},
                                                  {"extFields", "{\"Bad-Key\":\"v\"}"}}));
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh protocol[body] err, Abnormal propKey: Bad-Key (extFields keys must be "
            "lower-case letters a-z and digits 0-9 and not a CloudEvents attribute name)");
  // Unknown and missing codes: HTTP 400 + retCode 2.
  reply = Post({{"code", "999"}}, "");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_code, 2);
  EXPECT_EQ(reply.ret_msg,
            "requestCode can't be null, or must be number, unknown request code '999'");
  EXPECT_EQ(reply.headers["code"], "999");
  reply = Post({{"code", "105"}}, "");  // defined, but runtime -> subscriber only
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_code, 2);
  reply = Post({}, "hello");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_code, 2);
  EXPECT_EQ(reply.ret_msg,
            "requestCode can't be null, or must be number, missing request code: send header "
            "'code' (GET: query parameter 'code'), post to a /eventmesh/... endpoint, or send a "
            "CloudEvent");
  // Methods other than GET/POST.
  auto put = HttpCall(port_, "PUT", "/", CodeHeaders(104), "");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->headers["allow"], "GET, POST");
  EXPECT_EQ(put->ret_msg, "method PUT is not allowed (only GET and POST)");
}

// About 2 MB of nested brackets as a JSON body (and nested inside JSON fields) used to overflow
// the parser's stack and stop the process; now each is a precise refusal.
TEST_F(HttpServerTest, DeeplyNestedJsonBodiesAreRefusedAndTheServerKeepsServing) {
  StartServer({{"eventMesh.server.http.maxBodySize", "8388608"}});
  const std::string nested = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  HttpReply reply = Post(CodeHeaders(104, {{"Content-Type", "application/json"}}), nested);
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.ret_code, 0);
  EXPECT_NE(reply.ret_msg.find("nesting deeper than 128 levels"), std::string::npos) << reply.body;

  reply = Post(CodeHeaders(104, {{"Content-Type", "application/json"}}),
               R"({"topic":"t","content":"x","extFields":)" + nested + "}");
  EXPECT_NE(reply.ret_code, 0);
  EXPECT_NE(reply.ret_msg.find("nesting deeper than"), std::string::npos) << reply.body;

  // CloudEvents structured mode and batch.
  reply = Post({{"Content-Type", "application/cloudevents+json"}}, nested, "/eventmesh/publish/t");
  EXPECT_EQ(reply.status, 400) << reply.body;
  reply = Post({{"Content-Type", "application/cloudevents-batch+json"}}, nested,
               "/eventmesh/publish/t");
  EXPECT_EQ(reply.status, 400) << reply.body;

  reply = SendAsync("after-nesting", "still serving");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
}

// A decoded ?code= with CR/LF was reflected into the `code` response header (header
// injection); now only a short alphanumeric code is echoed.
TEST_F(HttpServerTest, UnknownCodeIsNotReflectedIntoAHeader) {
  StartServer();
  auto reply = HttpCall(port_, "GET", "/x?code=1%0d%0aX-Injected:%20yes", {});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->headers.count("x-injected"), 0u);
  EXPECT_EQ(reply->headers.count("code"), 0u);
  EXPECT_NE(reply->ret_msg.find("unknown request code '1\\r\\nX-Injected: yes'"), std::string::npos)
      << reply->ret_msg;
  reply = HttpCall(port_, "GET", "/x?code=999", {});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->headers["code"], "999");
}

TEST_F(HttpServerTest, OversizeBodyIs413WithRetCode8) {
  StartServer({{"eventMesh.server.http.maxBodySize", "1024"}});
  HttpReply reply = Post(CodeHeaders(104, kFormType), std::string(2048, 'a'));
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.ret_code, 8);
  EXPECT_EQ(reply.ret_msg,
            "event size exceeds the limit, request body exceeds 1024 bytes "
            "(eventMesh.server.http.maxBodySize)");
  EXPECT_EQ(reply.headers["connection"], "close");
  // A body at the limit is fine.
  reply = SendAsync("t", std::string(900, 'b'));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
}

TEST_F(HttpServerTest, MalformedHttpOversizeHeadersAndConnectionLimit) {
  StartServer({{"eventMesh.server.http.maxConnections", "2"}});
  auto garbage = HttpConnection::Connect(port_);
  ASSERT_TRUE(garbage.ok());
  ASSERT_TRUE((*garbage)->WriteRaw("GARBAGE\r\n\r\n").ok());
  auto reply = (*garbage)->Read();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->ret_code, 6);
  EXPECT_EQ(reply->ret_msg.rfind("eventMesh protocol[header] err, malformed HTTP request: ", 0), 0u)
      << reply->ret_msg;
  EXPECT_TRUE((*garbage)->WaitClosed(2000));

  Headers many;
  for (int i = 0; i < 80; ++i) many.emplace_back(absl::StrCat("x-big-", i), std::string(1024, 'h'));
  auto big = HttpCall(port_, "POST", "/", many, "");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->status, 431);
  EXPECT_EQ(big->ret_code, 6);
  EXPECT_EQ(big->ret_msg, "eventMesh protocol[header] err, request headers exceed 65536 bytes");

  // Two open keep-alive connections fill the limit; a third gets 503 and is closed.
  for (int i = 0; i < 500 && server_->http_server()->connection_count() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the closed ones go away
  }
  ASSERT_EQ(server_->http_server()->connection_count(), 0u);
  auto first = HttpConnection::Connect(port_);
  auto second = HttpConnection::Connect(port_);
  ASSERT_TRUE(first.ok() && second.ok());
  for (auto* connection : {first->get(), second->get()}) {
    auto answered = connection->Send("POST", "/", CodeHeaders(999));
    ASSERT_TRUE(answered.ok());
    EXPECT_EQ(answered->ret_code, 2);
  }
  auto third = HttpCall(port_, "POST", "/", CodeHeaders(999));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->status, 503);
  EXPECT_EQ(third->ret_code, 1);
  EXPECT_EQ(third->ret_msg, "too many connections (eventMesh.server.http.maxConnections)");
  auto still = (*first)->Send("POST", "/", CodeHeaders(999));
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->ret_code, 2);
}

TEST_F(HttpServerTest, SendSyncRoundTripWithTcpResponderAndTimeout) {
  StartServer();
  auto responder = TcpSubscriber("responders", "rpc", protocol::tcp::SubscriptionType::kSync);
  std::thread answer([&] {
    auto incoming = responder->Next(Command::kRequestToClient);
    ASSERT_TRUE(incoming.ok()) << incoming.status();
    ASSERT_TRUE(responder->Ack(*incoming).ok());
    auto message = MessageOf(*incoming);
    EXPECT_EQ(message.body, "ping");
    EXPECT_EQ(message.properties["ttl"], "5000");
    message.body = "pong";
    Package response = TestClient::MessagePackage(Command::kResponseToServer, "rpc", "");
    response.body = message.ToJson();
    response.header.seq = incoming->header.seq;
    ASSERT_TRUE(responder->Send(response).ok());
  });
  HttpReply reply = Post(CodeHeaders(101, kFormType), Form({{"topic", "rpc"},
                                                            {"content", "ping"},
                                                            {"bizseqno", "s1"},
                                                            {"uniqueid", "u1"},
                                                            {"producergroup", "callers"},
                                                            {"ttl", "5000"}}));
  answer.join();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto retmsg = json::ParseJson(reply.ret_msg, "retMsg");
  ASSERT_TRUE(retmsg.ok()) << reply.ret_msg;
  EXPECT_EQ(json::ToStringView((*retmsg)["topic"]), "rpc");
  EXPECT_EQ(json::ToStringView((*retmsg)["body"]), "pong");
  EXPECT_EQ(json::ToStringView((*retmsg)["properties"]["bizseqno"]), "s1");

  // Nobody answers: retCode 4 after ttl.
  reply = Post(CodeHeaders(101, kFormType), Form({{"topic", "nobody-home"},
                                                  {"content", "ping"},
                                                  {"bizseqno", "s2"},
                                                  {"uniqueid", "u2"},
                                                  {"producergroup", "callers"},
                                                  {"ttl", "200"}}));
  EXPECT_EQ(reply.ret_code, 4);
  EXPECT_EQ(reply.ret_msg, "eventMesh waiting rr msg err, no reply within 200 ms (ttl)");
  // ttl is required for 101.
  reply = Post(CodeHeaders(101, kFormType), Form({{"topic", "rpc"},
                                                  {"content", "ping"},
                                                  {"bizseqno", "s2"},
                                                  {"uniqueid", "u2"},
                                                  {"producergroup", "callers"}}));
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg, "eventMesh protocol[body] err, missing body field 'ttl'");
}

TEST_F(HttpServerTest, HttpReplyCompletesTcpRequest) {
  StartServer();
  auto responder = TcpSubscriber("responders", "rpc2", protocol::tcp::SubscriptionType::kSync);
  auto requester = TcpClient("pub", "callers");
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "rpc2", "question");
  request.header.seq = "77";
  ASSERT_TRUE(requester->Send(request).ok());
  auto incoming = responder->Next(Command::kRequestToClient);
  ASSERT_TRUE(incoming.ok());
  ASSERT_TRUE(responder->Ack(*incoming).ok());
  auto message = MessageOf(*incoming);
  ASSERT_EQ(message.properties.count(core::kCorrelationExtension), 1u);
  // The responder answers over HTTP (301) with the request's properties.
  std::string ext = "{";
  for (const auto& [k, v] : message.properties) {
    if (ext.size() > 1) ext += ",";
    ext += absl::StrCat("\"", k, "\":\"", v, "\"");
  }
  ext += "}";
  HttpReply reply = Post(CodeHeaders(301, kFormType), Form({{"origtopic", "rpc2"},
                                                            {"content", "answer"},
                                                            {"bizseqno", "r1"},
                                                            {"uniqueid", "u1"},
                                                            {"producergroup", "responders"},
                                                            {"extFields", ext}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto answer = requester->Next(Command::kResponseToClient);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer->header.seq, "77");
  EXPECT_EQ(MessageOf(*answer).body, "answer");

  // The same reply again: the request is no longer pending.
  reply = Post(CodeHeaders(301, kFormType), Form({{"origtopic", "rpc2"},
                                                  {"content", "answer"},
                                                  {"bizseqno", "r1"},
                                                  {"uniqueid", "u1"},
                                                  {"producergroup", "responders"},
                                                  {"extFields", ext}}));
  EXPECT_EQ(reply.ret_code, 16);
  EXPECT_EQ(reply.ret_msg,
            absl::StrCat("eventMesh reply msg err, no pending request for rrcorrelationid '",
                         message.properties[core::kCorrelationExtension],
                         "' (answered, timed out or from another runtime)"));
  // A reply without the correlation id.
  reply = Post(CodeHeaders(301, kFormType), Form({{"origtopic", "rpc2"},
                                                  {"content", "answer"},
                                                  {"bizseqno", "r1"},
                                                  {"uniqueid", "u1"},
                                                  {"producergroup", "responders"}}));
  EXPECT_EQ(reply.ret_code, 16);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh reply msg err, extFields has no 'rrcorrelationid' (a reply must carry the "
            "request's properties)");
}

TEST_F(HttpServerTest, HttpReplyCompletesHttpSendSync) {
  StartServer();
  // A TCP sync subscriber only observes the request (as a webhook subscriber would be pushed
  // it); the answer comes over HTTP 301 with the request's properties.
  auto observer = TcpSubscriber("responders", "rpc3", protocol::tcp::SubscriptionType::kSync);
  std::thread reply_over_http([&] {
    auto incoming = observer->Next(Command::kRequestToClient);
    ASSERT_TRUE(incoming.ok()) << incoming.status();
    ASSERT_TRUE(observer->Ack(*incoming).ok());
    auto message = MessageOf(*incoming);
    std::string ext = absl::StrCat("{\"", core::kCorrelationExtension, "\":\"",
                                   message.properties[core::kCorrelationExtension], "\"}");
    HttpReply reply = Post(CodeHeaders(301, kFormType), Form({{"origtopic", "rpc3"},
                                                              {"content", "from-http"},
                                                              {"bizseqno", "r1"},
                                                              {"uniqueid", "u1"},
                                                              {"producergroup", "responders"},
                                                              {"extFields", ext}}));
    EXPECT_EQ(reply.ret_code, 0) << reply.body;
  });
  HttpReply reply = Post(CodeHeaders(101, kFormType), Form({{"topic", "rpc3"},
                                                            {"content", "ask"},
                                                            {"bizseqno", "s1"},
                                                            {"uniqueid", "u1"},
                                                            {"producergroup", "callers"},
                                                            {"ttl", "5000"}}));
  reply_over_http.join();
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto retmsg = json::ParseJson(reply.ret_msg, "retMsg");
  ASSERT_TRUE(retmsg.ok()) << reply.ret_msg;
  EXPECT_EQ(json::ToStringView((*retmsg)["body"]), "from-http");
  EXPECT_EQ(json::ToStringView((*retmsg)["topic"]), "rpc3");
}

TEST_F(HttpServerTest, BatchSendAndBatchSendV2) {
  StartServer();
  auto subscriber = TcpSubscriber("g", "batch");
  HttpReply reply = Post(CodeHeaders(102, kFormType),
                         Form({{"batchId", "b1"},
                               {"size", "2"},
                               {"producerGroup", "pg"},
                               {"contents", R"([{"bizSeqNo":"a","topic":"batch","msg":"one"},)"
                                            R"({"topic":"batch","msg":"two","ttl":"100"}])"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  for (const char* expected : {"one", "two"}) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok());
    EXPECT_EQ(MessageOf(*push).body, expected);
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  reply =
      Post(CodeHeaders(102, kFormType), Form({{"batchId", "b1"},
                                              {"size", "3"},
                                              {"producerGroup", "pg"},
                                              {"contents", R"([{"topic":"batch","msg":"one"}])"}}));
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh protocol[body] err, body field 'size' is 3 but 'contents' has 1 entries");

  reply = Post(
      CodeHeaders(107, kFormType),
      Form({{"bizseqno", "v2"}, {"topic", "batch"}, {"msg", "three"}, {"producergroup", "pg"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(MessageOf(*push).body, "three");
  reply = Post(CodeHeaders(107, kFormType), Form({{"bizseqno", "v2"}, {"topic", "batch"}}));
  EXPECT_EQ(reply.ret_msg, "eventMesh protocol[body] err, missing body field 'msg'");
}

TEST_F(HttpServerTest, CloudEventsProtocolTypeOnCode104) {
  StartServer();
  auto subscriber = TcpSubscriber("g", "ce-topic");
  HttpReply reply =
      Post(CodeHeaders(104, {{"Content-Type", "application/x-www-form-urlencoded"},
                             {"protocoltype", "cloudevents"},
                             {"protocolversion", "1.0"}}),
           Form({{"content", R"({"specversion":"1.0","id":"e1","source":"/s","type":"t",)"
                             R"("subject":"ce-topic","datacontenttype":"text/plain","data":"x"})"},
                 {"producergroup", "pg"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  auto event = cloudevents::ParseJsonEvent(push->body);
  ASSERT_TRUE(event.ok()) << event.status() << push->body;
  EXPECT_EQ(event->id(), "e1");
  EXPECT_EQ(event->data(), "x");
}

// ----- CloudEvents binding ----------------------------------------------------------------

TEST_F(HttpServerTest, CloudEventsBinaryStructuredAndBatch) {
  StartServer();
  auto subscriber = TcpSubscriber("g", "ce");
  HttpReply reply = Post({{"ce-specversion", "1.0"},
                          {"ce-id", "b1"},
                          {"ce-source", "/src"},
                          {"ce-type", "demo"},
                          {"Content-Type", "text/plain"}},
                         "binary-data", "/eventmesh/publish/ce");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  EXPECT_EQ(reply.headers["uri"], "/eventmesh/publish/ce");
  reply = Post({{"Content-Type", "application/cloudevents+json"}},
               R"({"specversion":"1.0","id":"s1","source":"/src","type":"demo","subject":"ce",)"
               R"("data":{"n":1}})",
               "/any/path");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = Post({{"Content-Type", "application/cloudevents-batch+json"}},
               R"([{"specversion":"1.0","id":"m1","source":"/s","type":"t","subject":"ce"},)"
               R"({"specversion":"1.0","id":"m2","source":"/s","type":"t","subject":"ce"}])",
               "/eventmesh/publish/batch");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    auto event = cloudevents::ParseJsonEvent(push->body);
    ASSERT_TRUE(event.ok()) << event.status() << push->body;
    EXPECT_EQ(*event->subject(), "ce");
    EXPECT_EQ(*event->FindExtension("protocoltype"), "cloudevents");
    ids.push_back(event->id());
    if (event->id() == "b1") {
      EXPECT_EQ(event->data(), "binary-data");
    }
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"b1", "s1", "m1", "m2"}));
}

TEST_F(HttpServerTest, InvalidCloudEventsAre400WithTheRule) {
  StartServer();
  HttpReply reply = Post({{"ce-specversion", "1.0"}, {"ce-source", "/src"}, {"ce-type", "demo"}},
                         "x", "/eventmesh/publish/ce");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg, "invalid CloudEvent: 'id' is required and must be a non-empty string");
  reply = Post({{"Content-Type", "application/cloudevents+json"}},
               "{\"specversion\":", "/eventmesh/publish/ce");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_msg.rfind("malformed JSON in CloudEvent", 0), 0u) << reply.ret_msg;
  reply = Post({{"Content-Type", "application/cloudevents-batch+json"}},
               R"([{"specversion":"1.0","id":"m1","source":"/s","type":"t","subject":"ce"},)"
               R"({"specversion":"1.0","source":"/s","type":"t"}])",
               "/");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_msg,
            "event [1]: invalid CloudEvent: 'id' is required and must be a non-empty string");
  // No subject and no path topic.
  reply = Post({{"ce-specversion", "1.0"}, {"ce-id", "n1"}, {"ce-source", "/s"}, {"ce-type", "t"}},
               "", "/");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_msg,
            "CloudEvent 'n1' has no subject (the topic to publish to): set the subject or post "
            "to /eventmesh/publish/{topic}");
  // Beyond what the format reads into memory: 413, as for a batch over maxEventBatchSize.
  std::string many = "[0";
  for (size_t i = 0; i < cloudevents::kMaxJsonBatchEvents; ++i) many += ",0";
  reply = Post({{"Content-Type", "application/cloudevents-batch+json"}}, many + "]", "/");
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.ret_code, 8);
  EXPECT_EQ(reply.ret_msg, "a CloudEvents batch of more than 10000 events");
}

TEST_F(HttpServerTest, PublishEndpointWithoutCloudEventsWrapsTheRequest) {
  StartServer();
  auto subscriber = TcpSubscriber("g", "plain");
  HttpReply reply = Post({{"Content-Type", "application/json"},
                          {"bizseqno", "p1"},
                          {"passwd", "s3cret-pw"},
                          {"token", "s3cret-access-token"},
                          {"Authorization", "Bearer s3cret-token"},
                          {"Cookie", "session=s3cret-cookie"}},
                         "{\"a\":1}", "/eventmesh/publish/plain");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok());
  auto message = MessageOf(*push);
  auto data = json::ParseJson(message.body, "data");
  ASSERT_TRUE(data.ok()) << message.body;
  EXPECT_EQ(json::ToStringView((*data)["body"]), "{\"a\":1}");
  EXPECT_EQ(json::ToStringView((*data)["path"]), "/eventmesh/publish/plain");
  EXPECT_EQ(json::ToStringView((*data)["method"]), "POST");
  // Credentials never reach the stored event.
  EXPECT_EQ(push->body.find("s3cret"), std::string::npos) << push->body;
  EXPECT_TRUE((*data)["headers"].HasMember("bizseqno"));
  reply = Post({}, "x", "/eventmesh/publish/");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_msg,
            "missing topic: post to /eventmesh/publish/{topic} or set header 'subject'");
}

// An event whose protocoltype names no TCP format (an HTTP publisher set one) reaches a TCP
// subscriber as an EventMeshMessage that keeps the value among its properties.
TEST_F(HttpServerTest, EventOfAnUnknownProtocolTypeReachesATcpSubscriber) {
  StartServer();
  auto subscriber = TcpSubscriber("carriers", "odd");
  HttpReply reply = Post({{"ce-specversion", "1.0"},
                          {"ce-id", "odd-1"},
                          {"ce-source", "/test"},
                          {"ce-type", "t"},
                          {"ce-protocoltype", "carrier-pigeon"},
                          {"Content-Type", "text/plain"}},
                         "coo", "/eventmesh/publish/odd");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->header.properties.at("protocoltype"), "eventmeshmessage");
  const auto message = MessageOf(*push);
  EXPECT_EQ(message.body, "coo");
  EXPECT_EQ(message.properties.at("protocoltype"), "carrier-pigeon");
  ASSERT_TRUE(subscriber->Ack(*push).ok());
}

// An event TCP cannot carry (its push frame would exceed the TCP frame limit) is dead-lettered
// with the reason; the TCP subscriber stays in its group and keeps receiving. Before, the group
// dropped the healthy session and the event blocked the queue forever.
TEST_F(HttpServerTest, EventTcpCannotCarryIsDeadLetteredAndTheSubscriberStays) {
  StartServer({{"eventMesh.server.tcp.maxFrameSize", "1024"}});
  auto subscriber = TcpSubscriber("carriers", "odd");
  HttpReply reply = Post({{"ce-specversion", "1.0"},
                          {"ce-id", "odd-1"},
                          {"ce-source", "/test"},
                          {"ce-type", "t"},
                          {"Content-Type", "text/plain"}},
                         std::string(2000, 'x'), "/eventmesh/publish/odd");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  // The subscriber is still a member and the queue moved on: it receives the next event.
  reply = SendAsync("odd", "a normal one");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(MessageOf(*push).body, "a normal one");
  ASSERT_TRUE(subscriber->Ack(*push).ok());
  // The undeliverable event is in the group's dead-letter topic with the reason.
  auto* connector = dynamic_cast<connectors::EventStoreConnector*>(server_->connector());
  ASSERT_NE(connector, nullptr);
  std::string dead;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (dead.empty() && absl::Now() < deadline) {
    for (int32_t partition = 0; partition < 4; ++partition) {
      auto read = connector->store()->Read({"carriers.DLQ", partition, 0});
      if (read.ok() && !read->records.empty()) dead = read->records[0].payload;
    }
    if (dead.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_NE(dead.find("odd-1"), std::string::npos);
  EXPECT_NE(dead.find("cannot be sent over TCP"), std::string::npos);
  EXPECT_NE(dead.find("1024-byte limit"), std::string::npos) << dead;
}

// ----- URI endpoints and webhook mapping ------------------------------------------------------

TEST_F(HttpServerTest, WebhookCodesMapOntoTheService) {
  StartServer({}, /*webhook=*/true);
  ASSERT_NE(webhook_, nullptr);
  HttpReply reply = Post(
      CodeHeaders(206, kFormType),
      Form({{"topic", R"([{"topic":"orders","mode":"BROADCASTING","type":"SYNC"},{"topic":"x"}])"},
            {"url", "http://example.com/hook"},
            {"consumerGroup", "cg"},
            {"pushformat", "cloudevents-binary"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  {
    absl::MutexLock lock(&webhook_->mu_);
    ASSERT_EQ(webhook_->subscribes.size(), 1u);
    const auto& request = webhook_->subscribes[0];
    EXPECT_EQ(request.consumer_group, "cg");
    EXPECT_EQ(request.url, "http://example.com/hook");
    EXPECT_EQ(request.format, webhook::PushFormat::kCloudEventsBinary);
    ASSERT_EQ(request.topics.size(), 2u);
    EXPECT_EQ(request.topics[0].topic, "orders");
    EXPECT_EQ(request.topics[0].mode, connectors::ConsumeMode::kBroadcasting);
    EXPECT_TRUE(request.topics[0].sync);
    EXPECT_FALSE(request.topics[1].sync);
    EXPECT_EQ(request.client.idc, "DC1");
    EXPECT_EQ(request.client.pid, "123");
    EXPECT_EQ(request.client.ip, "127.0.0.1");
  }
  reply = Post(CodeHeaders(206, kFormType), Form({{"topic", R"([{"topic":"orders"}])"},
                                                  {"url", "http://refused/x"},
                                                  {"consumerGroup", "cg"}}));
  EXPECT_EQ(reply.ret_code, 7);  // A refused URL: EVENTMESH_PROTOCOL_BODY_ERR, as Apache.
  EXPECT_EQ(reply.ret_msg, "url http://refused is refused by the deny list");
  reply = Post(CodeHeaders(206, kFormType), Form({{"topic", R"([{"topic":"orders"}])"},
                                                  {"url", "http://e/x"},
                                                  {"consumerGroup", "cg"},
                                                  {"pushformat", "xml"}}));
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh protocol[body] err, body field 'pushformat' must be eventmesh, "
            "cloudevents-binary, cloudevents-structured or cloudevents-batch, got 'xml'");

  reply = Post(CodeHeaders(203, kFormType),
               Form({{"clientType", "SUB"},
                     {"consumerGroup", "cg"},
                     {"heartbeatEntities", R"([{"topic":"orders","url":"http://example.com/hook"},)"
                                           R"({"topic":"x","url":"http://example.com/hook"}])"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = Post(CodeHeaders(203, kFormType),
               Form({{"clientType", "SUB"},
                     {"consumerGroup", "nobody"},
                     {"heartbeatEntities", R"([{"topic":"orders","url":"http://e/h"}])"}}));
  EXPECT_EQ(reply.ret_code, 21);
  EXPECT_EQ(reply.ret_msg, "no subscription of group nobody");
  reply = Post(CodeHeaders(207, kFormType), Form({{"topic", R"(["orders"])"},
                                                  {"url", "http://example.com/hook"},
                                                  {"consumerGroup", "cg"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply =
      Post(CodeHeaders(207, kFormType),
           Form({{"topic", R"(["orders"])"}, {"url", "http://e/h"}, {"consumerGroup", "nobody"}}));
  EXPECT_EQ(reply.ret_code, 20);
  EXPECT_EQ(reply.ret_msg, "no subscription of group nobody");
  {
    absl::MutexLock lock(&webhook_->mu_);
    EXPECT_EQ(webhook_->heartbeats, std::vector<std::string>{"cg|http://example.com/hook|2"});
    EXPECT_EQ(webhook_->unsubscribes, std::vector<std::string>{"cg|http://example.com/hook|1"});
  }

  // URI endpoints: JSON bodies, both query spellings.
  reply = Post({{"Content-Type", "application/json"}},
               R"({"url":"http://example.com/h2","consumerGroup":"cg2","topic":[{"topic":"t2"}],)"
               R"("pushformat":"cloudevents-structured"})",
               "/eventmesh/subscribe/local");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  EXPECT_EQ(reply.headers["uri"], "/eventmesh/subscribe/local");
  for (const char* path : {"/eventmesh/subscrition/query", "/eventmesh/subscription/query"}) {
    auto query = HttpCall(port_, "GET", path);
    ASSERT_TRUE(query.ok());
    EXPECT_EQ(query->ret_code, 0);
    auto list = json::ParseJson(query->ret_msg, "list");
    ASSERT_TRUE(list.ok()) << query->ret_msg;
    ASSERT_TRUE(list->IsArray());
    ASSERT_EQ(list->Size(), 3u);
    EXPECT_EQ(json::ToStringView((*list)[2]["consumerGroup"]), "cg2");
    EXPECT_EQ(json::ToStringView((*list)[2]["pushFormat"]), "cloudevents-structured");
  }
  reply = Post({{"Content-Type", "application/json"}},
               R"({"url":"http://example.com/h2","consumerGroup":"cg2","topic":["t2"]})",
               "/eventmesh/unsubscribe/local");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = Post({{"Content-Type", "application/json"}}, R"({"url":"http://e/h2","topic":["t2"]})",
               "/eventmesh/unsubscribe/local");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_code, 7);
  EXPECT_EQ(reply.ret_msg, "missing body field 'consumerGroup'");
}

TEST_F(HttpServerTest, WebhookDisabledAnswers) {
  StartServer();
  HttpReply reply = Post(
      CodeHeaders(206, kFormType),
      Form({{"topic", R"([{"topic":"orders"}])"}, {"url", "http://e/h"}, {"consumerGroup", "cg"}}));
  EXPECT_EQ(reply.ret_code, 19);
  EXPECT_EQ(reply.ret_msg, "webhook subscriptions are not enabled");
  reply = Post(CodeHeaders(207, kFormType),
               Form({{"topic", R"(["orders"])"}, {"url", "http://e/h"}, {"consumerGroup", "cg"}}));
  EXPECT_EQ(reply.ret_code, 20);
  EXPECT_EQ(reply.ret_msg, "webhook subscriptions are not enabled");
  reply = Post(CodeHeaders(203, kFormType),
               Form({{"clientType", "SUB"},
                     {"consumerGroup", "cg"},
                     {"heartbeatEntities", R"([{"topic":"orders","url":"http://e/h"}])"}}));
  EXPECT_EQ(reply.ret_code, 21);
  EXPECT_EQ(reply.ret_msg, "webhook subscriptions are not enabled");
  reply = Post(CodeHeaders(203, kFormType),
               Form({{"clientType", "PUB"},
                     {"producerGroup", "pg"},
                     {"heartbeatEntities", R"([{"topic":"orders","url":"http://e/h"}])"}}));
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = Post({{"Content-Type", "application/json"}},
               R"({"url":"http://e/h","consumerGroup":"cg","topic":[{"topic":"t"}]})",
               "/eventmesh/subscribe/local");
  EXPECT_EQ(reply.ret_code, 19);
  EXPECT_EQ(reply.ret_msg, "webhook subscriptions are not enabled");
}

TEST_F(HttpServerTest, TopicCreateAndDelete) {
  StartServer({{"eventMesh.server.topic.autoCreate", "false"}});
  HttpReply reply = SendAsync("made", "x");
  EXPECT_EQ(reply.ret_code, 15);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh send async msg err, topic \"made\": topic \"made\" does not exist and topic "
            "auto-creation is off (eventMesh.server.topic.autoCreate=false)");
  reply = Post({{"Content-Type", "application/json"}}, R"({"topic":"made"})",
               "/eventmesh/topic/create");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = SendAsync("made", "x");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = Post({{"Content-Type", "application/json"}}, R"({"topic":"made"})",
               "/eventmesh/topic/delete");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
  reply = Post({{"Content-Type", "application/json"}}, R"({})", "/eventmesh/topic/create");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.ret_msg, "missing body field 'topic'");
  // State changes only by POST; reserved topics cannot be created or deleted by clients.
  for (const char* path :
       {"/eventmesh/topic/create?topic=viaget", "/eventmesh/topic/delete?topic=made",
        "/eventmesh/subscribe/local?topic=t", "/eventmesh/unsubscribe/local?topic=t"}) {
    auto get = HttpCall(port_, "GET", path);
    ASSERT_TRUE(get.ok());
    EXPECT_EQ(get->status, 405) << path;
    EXPECT_EQ(get->headers["allow"], "POST") << path;
  }
  reply = Post({{"Content-Type", "application/json"}},
               R"({"topic":"eventmesh-reply-0123456789abcdef"})", "/eventmesh/topic/delete");
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.ret_code, 22);
}

// ----- security and limits ----------------------------------------------------------------

TEST_F(HttpServerTest, AclAndRateLimit) {
  const std::string credentials = absl::StrCat(std::getenv("TEST_TMPDIR"), "/acl.json");
  {
    std::ofstream out(credentials);
    out << R"({"users":[{"username":"alice","password":"pw","publish":["open.*"],)"
           R"("subscribe":["open.*"]}]})";
  }
  StartServer({{"eventMesh.server.security.enabled", "true"},
               {"eventMesh.server.security.credentialsFile", credentials},
               {"eventMesh.server.http.msgReqnumPerSecond", "1"}});
  HttpReply reply = SendAsync("open.a", "x", {{"username", "alice"}, {"passwd", "wrong"}});
  EXPECT_EQ(reply.ret_code, 22);
  EXPECT_EQ(reply.ret_msg, "aclFail: authentication failed for user \"alice\"");
  reply = SendAsync("closed", "x", {{"username", "alice"}, {"passwd", "pw"}});
  EXPECT_EQ(reply.ret_code, 22);
  EXPECT_EQ(reply.ret_msg, "aclFail: user \"alice\" may not publish to topic \"closed\"");
  reply = Post({{"ce-specversion", "1.0"},
                {"ce-id", "1"},
                {"ce-source", "/s"},
                {"ce-type", "t"},
                {"Username", "alice"},
                {"Passwd", "pw"}},
               "", "/eventmesh/publish/closed");
  EXPECT_EQ(reply.status, 403);
  EXPECT_EQ(reply.ret_code, 22);
  // Rate limit of 1/s: of three quick sends at least one is refused.
  int limited = 0;
  for (int i = 0; i < 3; ++i) {
    reply = SendAsync("open.a", "x", {{"username", "alice"}, {"passwd", "pw"}});
    if (reply.ret_code == 23) {
      ++limited;
      EXPECT_EQ(reply.ret_msg,
                "eventMesh http msg send over the limit, http message send over limit "
                "(eventMesh.server.http.msgReqnumPerSecond)");
    } else {
      EXPECT_EQ(reply.ret_code, 0) << reply.body;
    }
  }
  EXPECT_GE(limited, 1);
}

TEST_F(HttpServerTest, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  StartServer();
  auto connection = HttpConnection::Connect(port_);
  ASSERT_TRUE(connection.ok());
  auto first = (*connection)->Send("POST", "/", CodeHeaders(999));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ret_code, 2);
  // Three requests in one write: a slow one (101 waiting 300 ms) first, then two fast ones.
  std::string pipelined;
  auto add = [&pipelined](const Headers& headers, const std::string& body) {
    std::ostringstream out;
    out << testing::MakeRequest("POST", "/", headers, body);
    pipelined += out.str();
  };
  add(CodeHeaders(101, kFormType), Form({{"topic", "slow"},
                                         {"content", "x"},
                                         {"bizseqno", "1"},
                                         {"uniqueid", "1"},
                                         {"producergroup", "g"},
                                         {"ttl", "300"}}));
  add(CodeHeaders(104, kFormType), Form({{"topic", "fast"},
                                         {"content", "x"},
                                         {"bizseqno", "2"},
                                         {"uniqueid", "2"},
                                         {"producergroup", "g"}}));
  add(CodeHeaders(998), "");
  ASSERT_TRUE((*connection)->WriteRaw(pipelined).ok());
  auto a = (*connection)->Read();
  auto b = (*connection)->Read();
  auto c = (*connection)->Read();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->headers["code"], "101");
  EXPECT_EQ(a->ret_code, 4);
  EXPECT_EQ(b->headers["code"], "104");
  EXPECT_EQ(b->ret_code, 0);
  EXPECT_EQ(c->headers["code"], "998");
  EXPECT_EQ(c->ret_code, 2);
}

// The answer to a HEAD request has no body, so the answer behind it on the connection is read
// whole (a body would be read as the start of the next answer).
TEST_F(HttpServerTest, HeadIsAnsweredWithoutBodyAndTheConnectionGoesOn) {
  StartServer();
  auto connection = HttpConnection::Connect(port_);
  ASSERT_TRUE(connection.ok());
  std::string pipelined;
  for (const char* method : {"HEAD", "POST"}) {
    std::ostringstream out;
    out << testing::MakeRequest(method, "/", CodeHeaders(998), "");
    pipelined += out.str();
  }
  ASSERT_TRUE((*connection)->WriteRaw(pipelined).ok());
  auto head = (*connection)->Read(/*head_request=*/true);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 405);
  EXPECT_TRUE(head->body.empty());
  EXPECT_NE(head->headers["content-length"], "0");  // the length of the body not sent
  EXPECT_FALSE(head->headers["content-length"].empty());
  auto post = (*connection)->Read();
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->headers["code"], "998");
  EXPECT_EQ(post->ret_code, 2);
}

// A sender of an ordered stream (cross-mesh forwarding) pipelines batches with the header
// eventmesh-ordered: after a failed one the connection closes, so the batch behind it is not
// stored before the failed one is sent again.
TEST_F(HttpServerTest, AFailedOrderedRequestClosesTheConnectionBeforeThePipelinedRest) {
  StartServer({{"eventMesh.server.topic.defaultPartitions", "1"}});
  auto subscriber = TcpSubscriber("g", "ord");
  const Headers ordered = {{"Content-Type", "application/cloudevents-batch+json"},
                           {"eventmesh-ordered", "1"}};
  auto batch = [](const std::string& data) {
    return absl::StrCat(R"([{"specversion":"1.0","id":")", data,
                        R"(","source":"s","type":"t","datacontenttype":"text/plain","data":")",
                        data, R"("}])");
  };
  auto connection = HttpConnection::Connect(port_);
  ASSERT_TRUE(connection.ok());
  std::string pipelined;
  for (const std::string& body : {batch("o-1"), std::string("[{not json"), batch("o-3")}) {
    std::ostringstream out;
    out << testing::MakeRequest("POST", "/eventmesh/publish/ord", ordered, body);
    pipelined += out.str();
  }
  ASSERT_TRUE((*connection)->WriteRaw(pipelined).ok());
  auto first = (*connection)->Read();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status, 200);
  auto second = (*connection)->Read();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 400);
  EXPECT_TRUE((*connection)->WaitClosed(10'000));
  // The next batch on a new connection comes right after o-1: o-3 was never stored.
  auto fourth = Post(ordered, batch("o-4"), "/eventmesh/publish/ord");
  EXPECT_EQ(fourth.status, 200);
  std::vector<std::string> bodies;
  for (int i = 0; i < 2; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient, absl::Seconds(10));
    ASSERT_TRUE(push.ok()) << push.status();
    auto event = cloudevents::ParseJsonEvent(push->body);
    ASSERT_TRUE(event.ok()) << event.status() << push->body;
    bodies.push_back(event->id());
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"o-1", "o-4"}));
}

TEST_F(HttpServerTest, SlowlorisClientIsCutOffWhileOthersAreServed) {
  StartServer({{"eventMesh.server.http.readTimeoutInMills", "300"}});
  auto slow = HttpConnection::Connect(port_);
  ASSERT_TRUE(slow.ok());
  const std::string headers = "POST / HTTP/1.1\r\nHost: x\r\ncode: 104\r\nidc: a\r\n";
  bool cut_off = false;
  // One byte every 50 ms; the whole request would need seconds, the limit is 300 ms.
  for (size_t i = 0; i < headers.size() && !cut_off; ++i) {
    if (!(*slow)->WriteRaw(headers.substr(i, 1)).ok()) {
      cut_off = true;
      break;
    }
    HttpReply other = SendAsync("busy", "x");  // another client is served meanwhile
    EXPECT_EQ(other.ret_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (i > 20) cut_off = (*slow)->WaitClosed(1);
  }
  EXPECT_TRUE(cut_off || (*slow)->WaitClosed(2000));
  EXPECT_EQ(SendAsync("busy", "y").ret_code, 0);
}

TEST_F(HttpServerTest, InFlightLimitAnswers503WithRetCode1) {
  StartServer({{"eventMesh.server.http.maxInFlightRequests", "1"}});
  std::thread waiting([&] {
    HttpReply reply = Post(CodeHeaders(101, kFormType), Form({{"topic", "slow"},
                                                              {"content", "x"},
                                                              {"bizseqno", "1"},
                                                              {"uniqueid", "1"},
                                                              {"producergroup", "g"},
                                                              {"ttl", "1500"}}));
    EXPECT_EQ(reply.ret_code, 4);
  });
  // Bounded wait until the 101 is in flight.
  for (int i = 0; i < 500 && server_->http_server()->requests_in_flight() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(server_->http_server()->requests_in_flight(), 1);
  HttpReply reply = SendAsync("t", "x");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.ret_code, 1);
  EXPECT_EQ(reply.ret_msg,
            "eventMesh overload, try later, 1 requests in flight "
            "(eventMesh.server.http.maxInFlightRequests)");
  waiting.join();
}

TEST_F(HttpServerTest, ShutdownFinishesRequestsInFlight) {
  StartServer();
  std::thread waiting([&] {
    HttpReply reply = Post(CodeHeaders(101, kFormType), Form({{"topic", "slow"},
                                                              {"content", "x"},
                                                              {"bizseqno", "1"},
                                                              {"uniqueid", "1"},
                                                              {"producergroup", "g"},
                                                              {"ttl", "500"}}));
    EXPECT_EQ(reply.ret_code, 4);  // answered although the server is shutting down
    EXPECT_EQ(reply.headers["connection"], "close");
  });
  auto idle = HttpConnection::Connect(port_);
  ASSERT_TRUE(idle.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server_->Shutdown();
  waiting.join();
  EXPECT_TRUE((*idle)->WaitClosed(1000));
  EXPECT_FALSE(HttpCall(port_, "GET", "/").ok());
}

}  // namespace
}  // namespace eventmesh::runtime::http
