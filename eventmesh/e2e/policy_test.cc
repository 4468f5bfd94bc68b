// The core services' policy seen through every protocol: the same cases (denied topic, reserved
// topic, rate limited, over quota, ttl bounds, replies to requests that are not pending) driven
// over TCP and HTTP against one in-process runtime, each answered with that protocol's own code.

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/core/access_token.h"
#include "eventmesh/runtime/core/request_tracker.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using http::testing::CodeHeaders;
using http::testing::Headers;
using http::testing::HttpCall;
using http::testing::HttpReply;
using protocol::tcp::Command;
using protocol::tcp::Package;
using testing::TestClient;

constexpr int kTcpAclFail = 2;
constexpr int kTcpFail = 1;
constexpr int kHttpAclErr = 22;
constexpr int kHttpOverLimit = 23;
constexpr int kHttpSendSyncErr = 3;
constexpr int kHttpReplyErr = 16;

class PolicyTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void Start(std::map<std::string, std::string> properties) {
    const std::string dir = testing::TestDataDir();
    const std::string credentials = dir + "-acl.json";
    std::ofstream(credentials) << R"({"users":[{"username":"alice","password":"pw",)"
                               << R"("publish":["orders","rpc","eventmesh-runtimes"],)"
                               << R"("subscribe":["*"]},)"
                               << R"({"username":"bob","password":"pw2","publish":["*"],)"
                               << R"("subscribe":["*"]},)"
                               << R"({"username":"root","password":"pw3","admin":true},)"
                               << R"({"username":"svc","publish":["orders"],)"
                               << R"("subscribe":["*"],"groups":["svc-*"]}]})";
    properties.emplace("eventMesh.server.security.enabled", "true");
    properties.emplace("eventMesh.server.security.credentialsFile", credentials);
    properties.emplace("eventMesh.server.http.webhook.enabled", "false");
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    auto server = testing::StartTestServer(std::move(properties), dir, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<TestClient> Tcp(const std::string& purpose) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, "g", 0, "alice", "pw");
    EXPECT_TRUE(hello.ok() && hello->header.code == 0);
    return std::move(*client);
  }

  // A code-104 send-async as alice.
  HttpReply HttpPublish(const std::string& topic) {
    Headers headers = CodeHeaders(104, {{"Content-Type", "application/x-www-form-urlencoded"},
                                        {"username", "alice"},
                                        {"passwd", "pw"}});
    auto reply = HttpCall(server_->http_port(), "POST", "/", headers,
                          protocol::http::EncodeForm({{"topic", topic},
                                                      {"content", "x"},
                                                      {"bizseqno", "b"},
                                                      {"uniqueid", "u"},
                                                      {"producergroup", "g"}}));
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }

  // A code-101 send-sync as alice.
  std::string SendSyncForm(const std::string& topic, int64_t ttl_ms) {
    return protocol::http::EncodeForm({{"topic", topic},
                                       {"content", "q"},
                                       {"bizseqno", "b"},
                                       {"uniqueid", "u"},
                                       {"producergroup", "g"},
                                       {"ttl", std::to_string(ttl_ms)}});
  }
  Headers SyncHeaders(int code) {
    return CodeHeaders(code, {{"Content-Type", "application/x-www-form-urlencoded"},
                              {"username", "alice"},
                              {"passwd", "pw"}});
  }

  // A REQUEST_TO_SERVER with a ttl property.
  static Package TcpRequest(const std::string& topic, int64_t ttl_ms, const std::string& seq) {
    Package request = TestClient::MessagePackage(Command::kRequestToServer, topic, "q");
    auto message = protocol::tcp::EventMeshMessage::FromJson(request.body);
    message->properties["ttl"] = std::to_string(ttl_ms);
    request.body = message->ToJson();
    request.header.seq = seq;
    return request;
  }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<Server> server_;
};

TEST_F(PolicyTest, DeniedAndReservedTopicsGetTheSameDecisionOnEveryProtocol) {
  Start({});
  auto tcp = Tcp("pub");
  // Denied by the ACL.
  auto ack = tcp->Publish("payroll", "x");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, kTcpAclFail);
  EXPECT_EQ(ack->header.desc, "aclFail: user \"alice\" may not publish to topic \"payroll\"");
  HttpReply reply = HttpPublish("payroll");
  EXPECT_EQ(reply.ret_code, kHttpAclErr);
  EXPECT_EQ(reply.ret_msg, ack->header.desc);

  // Reserved for the mesh, even though the ACL grants it.
  ack = tcp->Publish("eventmesh-runtimes", "forged load report");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, kTcpAclFail);
  EXPECT_TRUE(absl::StrContains(ack->header.desc, "reserved for the mesh")) << ack->header.desc;
  reply = HttpPublish("eventmesh-runtimes");
  EXPECT_EQ(reply.ret_code, kHttpAclErr);
  EXPECT_EQ(reply.ret_msg, ack->header.desc);
  // A request to a reserved topic too.
  auto answer = tcp->Request(TcpRequest("eventmesh-runtimes", 1000, "41"));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->header.cmd, Command::kResponseToClient);
  EXPECT_EQ(answer->header.code, kTcpAclFail);

  // Allowed: both succeed.
  ack = tcp->Publish("orders", "x");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  EXPECT_EQ(HttpPublish("orders").ret_code, 0);
}

TEST_F(PolicyTest, RateLimitsAnswerWithEachProtocolsOverloadCode) {
  // 2 per second per protocol: of 20 quick publishes at most 2 per window pass, so some are
  // refused however slow the machine is (20 publishes would have to span 10 windows).
  Start({{"eventMesh.server.tcp.msgReqnumPerSecond", "2"},
         {"eventMesh.server.http.msgReqnumPerSecond", "2"}});
  auto tcp = Tcp("pub");
  int tcp_refused = 0, http_refused = 0;
  for (int i = 0; i < 20; ++i) {
    auto ack = tcp->Publish("orders", "x");
    ASSERT_TRUE(ack.ok());
    if (ack->header.code != 0) {
      ++tcp_refused;
      EXPECT_EQ(ack->header.code, kTcpFail);
      EXPECT_EQ(ack->header.desc, "Tps overload, global flow control");
    }
    HttpReply reply = HttpPublish("orders");
    if (reply.ret_code != 0) {
      ++http_refused;
      EXPECT_EQ(reply.ret_code, kHttpOverLimit);
      EXPECT_TRUE(absl::StrContains(reply.ret_msg, "eventMesh.server.http.msgReqnumPerSecond"))
          << reply.ret_msg;
    }
  }
  EXPECT_GT(tcp_refused, 0);
  EXPECT_GT(http_refused, 0);
}

TEST_F(PolicyTest, FailedLoginsAreThrottledPerAddressOnEveryProtocol) {
  // Two failures allowed, then one per hour: the third login from 127.0.0.1 is refused before
  // its credentials are looked at, even when they are right, over TCP and HTTP alike.
  Start({{"eventMesh.server.security.loginFailureBurst", "2"},
         {"eventMesh.server.security.loginFailuresPerMinute", "1"}});
  auto alice = Tcp("pub");  // a session authenticated before the failures keeps working
  for (int i = 0; i < 2; ++i) {
    auto guesser = TestClient::Connect(server_->tcp_port());
    ASSERT_TRUE(guesser.ok());
    auto hello = (*guesser)->Hello("pub", "g", 0, "alice", "guess");
    ASSERT_TRUE(hello.ok());
    EXPECT_EQ(hello->header.desc, "aclFail: authentication failed for user \"alice\"");
  }
  auto again = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(again.ok());
  auto throttled = (*again)->Hello("pub", "g", 0, "alice", "pw");
  ASSERT_TRUE(throttled.ok());
  EXPECT_NE(throttled->header.code, 0);
  EXPECT_TRUE(absl::StrContains(throttled->header.desc, "too many failed logins from 127.0.0.1"))
      << throttled->header.desc;
  EXPECT_TRUE((*again)->WaitClosed());

  HttpReply http = HttpPublish("orders");
  EXPECT_NE(http.ret_code, 0);
  EXPECT_TRUE(absl::StrContains(http.ret_msg, "too many failed logins from 127.0.0.1"))
      << http.ret_msg;

  auto ack = alice->Publish("orders", "still here");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, 0);
}

// A JSON POST to a URI endpoint as `user`.
HttpReply PostAs(int port, const std::string& path, const std::string& user,
                 const std::string& password, const std::string& body) {
  auto reply = HttpCall(
      port, "POST", path,
      {{"Content-Type", "application/json"}, {"username", user}, {"passwd", password}}, body);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? *reply : HttpReply{};
}

TEST_F(PolicyTest, SignedTokensAndGroupBindingOnEveryProtocol) {
  constexpr char kSecret[] = "a shared secret of at least thirty-two bytes";
  const std::string secret_file = testing::TestDataDir("-token-secret");
  std::ofstream(secret_file) << kSecret << "\n";
  Start({{"eventMesh.server.security.token.secretFile", secret_file}});
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  auto token = core::SignHs256Token({"svc", now + 600, 0, now}, kSecret);
  ASSERT_TRUE(token.ok()) << token.status();

  // TCP: the UserAgent's "token" logs the token-only user in; its group must match "groups".
  auto svc = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(svc.ok());
  auto hello = (*svc)->Hello("pub", "svc-orders", 0, "", "", *token);
  ASSERT_TRUE(hello.ok());
  ASSERT_EQ(hello->header.code, 0) << hello->header.desc;
  auto ack = (*svc)->Publish("orders", "by token");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  ack = (*svc)->Publish("payroll", "not allowed");
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.desc, "aclFail: user \"svc\" may not publish to topic \"payroll\"");

  struct Case {
    std::string group, username, password, token, desc;
  };
  auto expired = core::SignHs256Token({"svc", now - 3600, 0, 0}, kSecret);
  ASSERT_TRUE(expired.ok());
  const Case refused[] = {
      {"billing", "", "", *token, "aclFail: user \"svc\" may not use group \"billing\""},
      {"svc-a", "svc", "", "", "aclFail: authentication failed for user \"svc\""},
      {"svc-a", "", "", *expired, "aclFail: token expired at "},
      {"svc-a", "alice", "", *token, "aclFail: token is for user \"svc\", not \"alice\""},
      {"svc-a", "", "", "a.b.c", "aclFail: token malformed: "},
  };
  for (const Case& c : refused) {
    auto client = TestClient::Connect(server_->tcp_port());
    ASSERT_TRUE(client.ok());
    auto answer = (*client)->Hello("pub", c.group, 0, c.username, c.password, c.token);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->header.code, kTcpAclFail);
    EXPECT_TRUE(absl::StartsWith(answer->header.desc, c.desc)) << answer->header.desc;
    EXPECT_TRUE((*client)->WaitClosed());
  }

  // HTTP: the "token" header, and the consumer group of a webhook subscription.
  Headers headers =
      CodeHeaders(104, {{"Content-Type", "application/x-www-form-urlencoded"}, {"token", *token}});
  auto published = HttpCall(server_->http_port(), "POST", "/", headers,
                            protocol::http::EncodeForm({{"topic", "orders"},
                                                        {"content", "x"},
                                                        {"bizseqno", "b"},
                                                        {"uniqueid", "u"},
                                                        {"producergroup", "svc-p"}}));
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->ret_code, 0) << published->ret_msg;
  auto subscribed = HttpCall(
      server_->http_port(), "POST", "/eventmesh/subscribe/local",
      {{"Content-Type", "application/json"}, {"token", *token}},
      R"({"url":"http://127.0.0.1:9/x","consumerGroup":"billing","topic":[{"topic":"orders"}]})");
  ASSERT_TRUE(subscribed.ok());
  EXPECT_EQ(subscribed->status, 403);
  EXPECT_EQ(subscribed->ret_msg, "aclFail: user \"svc\" may not use group \"billing\"");
  headers = CodeHeaders(
      104, {{"Content-Type", "application/x-www-form-urlencoded"}, {"token", *expired}});
  published = HttpCall(server_->http_port(), "POST", "/", headers,
                       protocol::http::EncodeForm({{"topic", "orders"},
                                                   {"content", "x"},
                                                   {"bizseqno", "b"},
                                                   {"uniqueid", "u"},
                                                   {"producergroup", "svc-p"}}));
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->ret_code, kHttpAclErr);
  EXPECT_TRUE(absl::StartsWith(published->ret_msg, "aclFail: token expired at "))
      << published->ret_msg;
}

TEST_F(PolicyTest, ConsumerGroupQuotaRefusesANewGroupWithTheLimitNamed) {
  Start({{"eventMesh.server.group.maxGroups", "1"}});
  // A TCP subscription opens its group's consumer at LISTEN.
  auto member = [&](const std::string& group) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok());
    EXPECT_EQ((*client)->Hello("sub", group, 0, "alice", "pw")->header.code, 0);
    EXPECT_EQ((*client)->Subscribe("orders")->header.code, 0);
    return std::move(*client);
  };
  auto first = member("g1");
  EXPECT_EQ(first->Listen()->header.code, 0);
  auto second = member("g2");
  auto listened = second->Listen();
  ASSERT_TRUE(listened.ok());
  EXPECT_EQ(listened->header.code, kTcpFail);
  EXPECT_EQ(listened->header.desc,
            "topic \"orders\": group \"g2\" refused: this runtime serves at most 1 consumer "
            "groups (eventMesh.server.group.maxGroups)");
  // Another member of the first group still joins.
  auto third = member("g1");
  EXPECT_EQ(third->Listen()->header.code, 0);
}

TEST_F(PolicyTest, TopicAdministrationNeedsAnAdminUser) {
  Start({});
  const int port = server_->http_port();
  HttpReply refused = PostAs(port, "/eventmesh/topic/create", "bob", "pw2", R"({"topic":"t1"})");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.ret_msg,
            "aclFail: user \"bob\" may not create topics (needs \"admin\": true in the "
            "credentials file)");
  HttpReply created = PostAs(port, "/eventmesh/topic/create", "root", "pw3", R"({"topic":"t1"})");
  EXPECT_EQ(created.ret_code, 0) << created.ret_msg;
  refused = PostAs(port, "/eventmesh/topic/delete", "alice", "pw", R"({"topic":"t1"})");
  EXPECT_EQ(refused.status, 403);
  HttpReply deleted = PostAs(port, "/eventmesh/topic/delete", "root", "pw3", R"({"topic":"t1"})");
  EXPECT_EQ(deleted.ret_code, 0) << deleted.ret_msg;
}

TEST_F(PolicyTest, WebhookRegistrationsBelongToTheirUser) {
  Start({{"eventMesh.server.http.webhook.enabled", "true"},
         {"eventMesh.server.http.webhook.allowPrivateNetworks", "true"}});
  const int port = server_->http_port();
  const std::string registration =
      R"({"url":"http://127.0.0.1:9/alice","consumerGroup":"cg","topic":[{"topic":"orders"}]})";
  HttpReply subscribed = PostAs(port, "/eventmesh/subscribe/local", "alice", "pw", registration);
  ASSERT_EQ(subscribed.ret_code, 0) << subscribed.ret_msg;

  auto list_as = [&](const std::string& user, const std::string& password) {
    auto reply = HttpCall(port, "GET", "/eventmesh/subscription/query",
                          {{"username", user}, {"passwd", password}}, "");
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply->ret_msg : std::string();
  };
  EXPECT_TRUE(absl::StrContains(list_as("alice", "pw"), "http://127.0.0.1:9/alice"));
  EXPECT_FALSE(absl::StrContains(list_as("bob", "pw2"), "http://127.0.0.1:9/alice"));
  EXPECT_TRUE(absl::StrContains(list_as("root", "pw3"), "http://127.0.0.1:9/alice"));

  const std::string removal =
      R"({"url":"http://127.0.0.1:9/alice","consumerGroup":"cg","topic":["orders"]})";
  HttpReply refused = PostAs(port, "/eventmesh/unsubscribe/local", "bob", "pw2", removal);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.ret_msg,
            "webhook http://127.0.0.1:9/alice of group cg was registered by user \"alice\"");
  EXPECT_TRUE(absl::StrContains(list_as("alice", "pw"), "http://127.0.0.1:9/alice"));
  HttpReply removed = PostAs(port, "/eventmesh/unsubscribe/local", "alice", "pw", removal);
  EXPECT_EQ(removed.ret_code, 0) << removed.ret_msg;
  EXPECT_FALSE(absl::StrContains(list_as("root", "pw3"), "http://127.0.0.1:9/alice"));
}

TEST_F(PolicyTest, TtlBoundsAndRequestQuotaOnEveryProtocol) {
  Start({{"eventMesh.server.requestReply.maxTtlMs", "1000"},
         {"eventMesh.server.requestReply.maxPendingPerClient", "1"}});
  auto tcp = Tcp("pub");
  // A ttl above the bound.
  auto answer = tcp->Request(TcpRequest("rpc", 5000, "1"));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->header.code, kTcpFail);
  EXPECT_TRUE(absl::StrContains(answer->header.desc, "eventMesh.server.requestReply.maxTtlMs"))
      << answer->header.desc;
  auto reply =
      HttpCall(server_->http_port(), "POST", "/", SyncHeaders(101), SendSyncForm("rpc", 5000));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ret_code, kHttpSendSyncErr);
  EXPECT_TRUE(absl::StrContains(reply->ret_msg, "eventMesh.server.requestReply.maxTtlMs"))
      << reply->ret_msg;

  // One request may wait per client: the second is refused while the first waits (no
  // responder), then the first times out.
  ASSERT_TRUE(tcp->Send(TcpRequest("rpc", 800, "2")).ok());
  answer = tcp->Request(TcpRequest("rpc", 800, "3"));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->header.code, kTcpFail);
  EXPECT_TRUE(
      absl::StrContains(answer->header.desc, "eventMesh.server.requestReply.maxPendingPerClient"))
      << answer->header.desc;
  auto first = tcp->Next(Command::kResponseToClient);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first->header.seq, "2");
  EXPECT_EQ(first->header.desc, "request timed out: no response within 800 ms (ttl)");

  // Over HTTP the client is its address: while one 101 from 127.0.0.1 waits (a sync subscriber
  // saw it arrive and does not answer), a second one from another connection is refused.
  auto observer = Tcp("sub");
  ASSERT_TRUE(observer
                  ->Subscribe("rpc", protocol::tcp::SubscriptionMode::kClustering,
                              protocol::tcp::SubscriptionType::kSync)
                  .ok());
  ASSERT_TRUE(observer->Listen().ok());
  auto connection = http::testing::HttpConnection::Connect(server_->http_port());
  ASSERT_TRUE(connection.ok());
  auto beast_request =
      http::testing::MakeRequest("POST", "/", SyncHeaders(101), SendSyncForm("rpc", 800));
  std::ostringstream wire;
  wire << beast_request;
  ASSERT_TRUE((*connection)->WriteRaw(wire.str()).ok());
  ASSERT_TRUE(observer->Next(Command::kRequestToClient).ok());
  auto refused =
      HttpCall(server_->http_port(), "POST", "/", SyncHeaders(101), SendSyncForm("rpc", 800));
  auto waited = (*connection)->Read();
  ASSERT_TRUE(waited.ok() && refused.ok());
  EXPECT_EQ(waited->ret_code, 4) << waited->ret_msg;  // EVENTMESH_WAITING_RR_MSG_ERR
  EXPECT_EQ(refused->ret_code, kHttpOverLimit);
  EXPECT_TRUE(
      absl::StrContains(refused->ret_msg, "eventMesh.server.requestReply.maxPendingPerClient"))
      << refused->ret_msg;
}

TEST_F(PolicyTest, RepliesAreAcceptedOnlyForPendingRequestsAndNeverSteeredElsewhere) {
  Start({});
  // A subscriber of "orders" would see a reply steered there.
  auto watcher = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE((*watcher)->Hello("sub", "watchers", 0, "alice", "pw").ok());
  ASSERT_TRUE((*watcher)->Subscribe("orders").ok());
  ASSERT_TRUE((*watcher)->Listen().ok());

  const std::string spoofed_ext =
      absl::StrCat(R"({")", core::kCorrelationExtension, R"(":"made-up","rrreplytopic":"orders"})");
  const std::string unknown_ext =
      absl::StrCat(R"({")", core::kCorrelationExtension, R"(":"made-up"})");
  auto reply_form = [](const std::string& ext) {
    return protocol::http::EncodeForm({{"origtopic", "rpc"},
                                       {"content", "a"},
                                       {"bizseqno", "r"},
                                       {"uniqueid", "u"},
                                       {"producergroup", "g"},
                                       {"extFields", ext}});
  };
  // HTTP 301: an unknown request is NotFound (retCode 16); a reply topic outside the mesh's
  // reply channels is refused like an ACL failure (retCode 22).
  auto reply =
      HttpCall(server_->http_port(), "POST", "/", SyncHeaders(301), reply_form(unknown_ext));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ret_code, kHttpReplyErr);
  EXPECT_TRUE(absl::StrContains(reply->ret_msg, "no pending request")) << reply->ret_msg;
  reply = HttpCall(server_->http_port(), "POST", "/", SyncHeaders(301), reply_form(spoofed_ext));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ret_code, kHttpAclErr);
  EXPECT_TRUE(absl::StrContains(reply->ret_msg, "reply topic")) << reply->ret_msg;

  // TCP RESPONSE_TO_SERVER has no answer in the protocol: the same spoofed reply is dropped.
  auto responder = Tcp("pub");
  Package response = TestClient::MessagePackage(Command::kResponseToServer, "rpc", "");
  auto message = protocol::tcp::EventMeshMessage::FromJson(response.body);
  message->body = "spoofed";
  message->properties[core::kCorrelationExtension] = "made-up";
  message->properties[core::kReplyTopicExtension] = "orders";
  response.body = message->ToJson();
  response.header.seq = "5";
  ASSERT_TRUE(responder->Send(response).ok());
  // A heartbeat round trip orders the check after the response was handled.
  Package heartbeat;
  heartbeat.header.cmd = Command::kHeartbeatRequest;
  ASSERT_TRUE(responder->Request(heartbeat).ok());
  // Nothing reached the subscriber of "orders" through either protocol.
  EXPECT_FALSE((*watcher)->Next(Command::kAsyncMessageToClient, absl::Milliseconds(300)).ok());
}

TEST_F(PolicyTest, EventSizeLimitIsOneKeyForEveryProtocolAndCanBeRaised) {
  // Raised above the store's own 1 MiB default: a 3.5 MiB event is stored and delivered.
  Start({{"eventMesh.server.maxEventSize", "3600000"},
         {"eventMesh.server.tcp.maxFrameSize", std::to_string(8 << 20)},
         {"eventMesh.server.http.maxBodySize", std::to_string(16 << 20)}});
  auto subscriber = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_TRUE((*subscriber)->Hello("sub", "big", 0, "alice", "pw").ok());
  ASSERT_TRUE((*subscriber)->Subscribe("orders").ok());
  ASSERT_TRUE((*subscriber)->Listen().ok());
  auto tcp = Tcp("pub");
  const std::string big(3'500'000, 'b');
  auto ack = tcp->Publish("orders", big);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
  auto push = (*subscriber)->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->body.size(), big.size());

  // Over the limit: TCP code 1 and HTTP 413 / retCode 8, both naming the key.
  ack = tcp->Publish("orders", std::string(3'600'001, 'x'));
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->header.code, kTcpFail);
  EXPECT_TRUE(absl::StrContains(ack->header.desc, "eventMesh.server.maxEventSize"))
      << ack->header.desc;
  Headers headers = CodeHeaders(104, {{"Content-Type", "application/x-www-form-urlencoded"},
                                      {"username", "alice"},
                                      {"passwd", "pw"}});
  auto reply = HttpCall(server_->http_port(), "POST", "/", headers,
                        protocol::http::EncodeForm({{"topic", "orders"},
                                                    {"content", std::string(3'600'001, 'y')},
                                                    {"bizseqno", "b"},
                                                    {"uniqueid", "u"},
                                                    {"producergroup", "g"}}));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ret_code, 8) << reply->ret_msg;  // EVENTMESH_PROTOCOL_BODY_SIZE_ERR
  EXPECT_TRUE(absl::StrContains(reply->ret_msg, "eventMesh.server.maxEventSize")) << reply->ret_msg;
}

// Raised frame and event limits hold both ways: an event above the TCP codec's 4 MiB default
// is accepted from a publisher and pushed to a subscriber (before, pushes were refused by a
// fixed 4 MiB encoder limit and the event was dead-lettered as undeliverable).
TEST_F(PolicyTest, RaisedFrameLimitAppliesToPushesToo) {
  Start({{"eventMesh.server.maxEventSize", std::to_string(6 << 20)},
         {"eventMesh.server.tcp.maxFrameSize", std::to_string(8 << 20)}});
  auto subscriber =
      TestClient::Connect(server_->tcp_port(), protocol::tcp::LengthConvention::kCurrent, 8 << 20);
  ASSERT_TRUE(subscriber.ok());
  ASSERT_EQ((*subscriber)->Hello("sub", "huge", 0, "alice", "pw")->header.code, 0);
  ASSERT_TRUE((*subscriber)->Subscribe("orders").ok());
  ASSERT_TRUE((*subscriber)->Listen().ok());
  auto publisher =
      TestClient::Connect(server_->tcp_port(), protocol::tcp::LengthConvention::kCurrent, 8 << 20);
  ASSERT_TRUE(publisher.ok());
  ASSERT_EQ((*publisher)->Hello("pub", "g", 0, "alice", "pw")->header.code, 0);
  const std::string huge(5'000'000, 'h');
  auto ack = (*publisher)->Publish("orders", huge);
  ASSERT_TRUE(ack.ok()) << ack.status();
  ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
  auto push = (*subscriber)->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(message.ok());
  EXPECT_EQ(message->body.size(), huge.size());
}

}  // namespace
}  // namespace eventmesh::runtime
