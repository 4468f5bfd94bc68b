// The Java SDK goldens (eventmesh/protocol/tcp/testdata/java_sdk/*.bin and
// eventmesh/protocol/http/testdata/java_sdk/*.http: bytes as Apache EventMesh's Java SDK sends
// them) written unchanged to a real runtime's TCP and HTTP ports; each answer is checked against
// what Apache's runtime answers (command, seq, code; HTTP status and retCode).
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using protocol::tcp::Command;
using protocol::tcp::Package;
using runtime::http::testing::HttpConnection;
using runtime::http::testing::HttpReply;
using runtime::testing::TestClient;

std::string ReadFile(const std::string& relative) {
  std::string path =
      absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/", relative);
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  EXPECT_FALSE(data.str().empty()) << path;
  return data.str();
}

std::string TcpGolden(const std::string& name) {
  return ReadFile(absl::StrCat("eventmesh/protocol/tcp/testdata/java_sdk/", name, ".bin"));
}

std::string HttpGolden(const std::string& name) {
  return ReadFile(absl::StrCat("eventmesh/protocol/http/testdata/java_sdk/", name, ".http"));
}

// A JSON string literal as Jackson writes one (quote, backslash and control characters escaped).
std::string JacksonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrCat("\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// The golden ack frame (MessageUtils.asyncMessageAck of a push with seq "15") made for `push`:
// its header JSON with the push's seq, its body the push's body as a Jackson JSON string, and
// the two length fields recomputed. Everything else stays byte for byte the golden's.
std::string JavaAckFor(const Package& push) {
  std::string golden = TcpGolden("async_message_ack");
  uint32_t header_size = LoadBigEndian32(golden.data() + 17);
  std::string header = golden.substr(21, header_size);
  EXPECT_NE(header.find("\"seq\":\"15\""), std::string::npos);
  header = absl::StrReplaceAll(
      header, {{"\"seq\":\"15\"", absl::StrCat("\"seq\":\"", push.header.seq.value_or(""), "\"")}});
  std::string body = JacksonString(push.body);
  std::string frame = golden.substr(0, 13);
  AppendBigEndian32(&frame, static_cast<uint32_t>(13 + header.size() + body.size()));
  AppendBigEndian32(&frame, static_cast<uint32_t>(header.size()));
  return frame + header + body;
}

class JavaSdkGoldenTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void StartServer(std::map<std::string, std::string> properties = {}) {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    auto server = runtime::testing::StartTestServer(std::move(properties),
                                                    runtime::testing::TestDataDir(), registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::unique_ptr<TestClient> Connect() {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Writes golden `name` and returns the answer `reply` with the golden's seq.
  Package SendGolden(TestClient* client, const std::string& name, Command reply,
                     const std::string& seq) {
    EXPECT_TRUE(client->SendRaw(TcpGolden(name)).ok());
    auto answer = client->Next(reply);
    EXPECT_TRUE(answer.ok()) << name << ": " << answer.status();
    if (!answer.ok()) return {};
    EXPECT_EQ(answer->header.seq, seq) << name;
    EXPECT_EQ(answer->header.code, 0) << name << ": " << answer->header.desc;
    return *answer;
  }

  HttpReply SendHttpGolden(HttpConnection* connection, const std::string& name) {
    EXPECT_TRUE(connection->WriteRaw(HttpGolden(name)).ok());
    auto reply = connection->Read();
    EXPECT_TRUE(reply.ok()) << name << ": " << reply.status();
    return reply.ok() ? *reply : HttpReply{};
  }

  std::unique_ptr<HttpConnection> HttpConnect() {
    auto connection = HttpConnection::Connect(server_->http_port());
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? std::move(*connection) : nullptr;
  }

  // Polls the admin port's /v1/groups/<group> until its "lag" is `want` (at most 10 s); returns
  // the last value seen (-1 when none was read).
  int64_t WaitForGroupLag(const std::string& group, int64_t want) {
    int64_t lag = -1;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      auto reply =
          runtime::http::testing::HttpCall(server_->admin_port(), "GET", "/v1/groups/" + group);
      if (reply.ok() && reply->status == 200) {
        auto doc = json::ParseJson(reply->body, "group");
        if (doc.ok() && doc->IsObject() && doc->HasMember("lag") && (*doc)["lag"].IsInt64()) {
          lag = (*doc)["lag"].GetInt64();
          if (lag == want) break;
        }
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return lag;
  }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<Server> server_;
};

// A Java subscriber and a Java publisher, every frame as the SDK writes it: hello, subscribe,
// listen, heartbeat; publish -> ack code 0 -> push -> the SDK's ack (its body a JSON string),
// after which the group has nothing uncommitted; broadcast; unsubscribe; goodbye.
TEST_F(JavaSdkGoldenTest, TcpSessionOfJavaClients) {
  StartServer();
  auto sub = Connect();
  auto pub = Connect();
  ASSERT_TRUE(sub && pub);
  SendGolden(sub.get(), "hello_sub", Command::kHelloResponse, "5208163347");
  SendGolden(sub.get(), "subscribe", Command::kSubscribeResponse, "2635104788");
  SendGolden(sub.get(), "listen", Command::kListenResponse, "8041726355");
  SendGolden(sub.get(), "heartbeat", Command::kHeartbeatResponse, "7312058846");

  SendGolden(pub.get(), "hello_pub", Command::kHelloResponse, "4170325681");
  SendGolden(pub.get(), "publish_async", Command::kAsyncMessageToServerAck, "3582017466");

  auto push = sub->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->header.properties["protocoltype"], "eventmeshmessage");
  auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(message.ok()) << message.status() << " " << push->body;
  EXPECT_EQ(message->topic, "TEST-TOPIC-TCP-ASYNC");
  EXPECT_EQ(message->body, "testAsyncMessage");
  EXPECT_EQ(message->properties["ttl"], "30000");
  EXPECT_EQ(message->properties["keys"], "4d2c");
  ASSERT_TRUE(sub->SendRaw(JavaAckFor(*push)).ok());

  // The ack is taken: the group's lag (events not committed) falls to 0 (polled, bounded).
  EXPECT_EQ(WaitForGroupLag("EventmeshTestGroup", 0), 0);

  SendGolden(pub.get(), "publish_broadcast", Command::kBroadcastMessageToServerAck, "6024481735");
  SendGolden(pub.get(), "goodbye", Command::kClientGoodbyeResponse, "1750386624");
  SendGolden(sub.get(), "unsubscribe", Command::kUnsubscribeResponse, "4462810573");
  SendGolden(sub.get(), "goodbye", Command::kClientGoodbyeResponse, "1750386624");
  EXPECT_TRUE(sub->WaitClosed());
}

constexpr const char* kLoopbackWebhooks = "eventMesh.server.http.webhook.allowPrivateNetworks";

// Publishes as the Java HTTP producer: 104 with and without ttl reach a TCP subscriber.
TEST_F(JavaSdkGoldenTest, HttpPublishOfJavaProducer) {
  StartServer();
  auto subscriber = Connect();
  ASSERT_TRUE(subscriber);
  ASSERT_TRUE(subscriber->Hello("sub", "tcp-readers").ok());
  ASSERT_TRUE(subscriber->Subscribe("TEST-TOPIC-HTTP-ASYNC").ok());
  ASSERT_TRUE(subscriber->Listen().ok());

  auto connection = HttpConnect();
  ASSERT_TRUE(connection);
  for (const char* name : {"publish_async_104", "publish_async_no_ttl_104"}) {
    SCOPED_TRACE(name);
    HttpReply reply = SendHttpGolden(connection.get(), name);
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.ret_code, 0) << reply.body;
    EXPECT_EQ(reply.headers["code"], "104");
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(message->topic, "TEST-TOPIC-HTTP-ASYNC");
    EXPECT_EQ(message->body, R"({"content":"testPublishMessage"})");
    EXPECT_EQ(message->properties["producergroup"], "EventMeshTest-producerGroup");
    EXPECT_EQ(message->properties["protocoldesc"], "http");
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
}

// The Java producer's request (101) answered by a TCP responder: retCode 0, retMsg the reply.
TEST_F(JavaSdkGoldenTest, HttpRequestOfJavaProducer) {
  StartServer();
  auto responder = Connect();
  ASSERT_TRUE(responder);
  ASSERT_TRUE(responder->Hello("sub", "responders").ok());
  ASSERT_TRUE(responder
                  ->Subscribe("TEST-TOPIC-HTTP-SYNC", protocol::tcp::SubscriptionMode::kClustering,
                              protocol::tcp::SubscriptionType::kSync)
                  .ok());
  ASSERT_TRUE(responder->Listen().ok());

  auto connection = HttpConnect();
  ASSERT_TRUE(connection);
  ASSERT_TRUE(connection->WriteRaw(HttpGolden("request_sync_101")).ok());
  auto incoming = responder->Next(Command::kRequestToClient);
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  ASSERT_TRUE(responder->Ack(*incoming).ok());
  auto request = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->body, R"({"content":"testPublishMessage"})");
  EXPECT_EQ(request->properties["ttl"], "3000");
  protocol::tcp::EventMeshMessage answer = *request;
  answer.body = "pong";
  Package response = TestClient::MessagePackage(Command::kResponseToServer, answer.topic, "");
  response.body = answer.ToJson();
  response.header.seq = incoming->header.seq;
  ASSERT_TRUE(responder->Send(response).ok());

  auto reply = connection->Read();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->ret_code, 0) << reply->body;
  auto retmsg = json::ParseJson(reply->ret_msg, "retMsg");
  ASSERT_TRUE(retmsg.ok()) << reply->ret_msg;
  EXPECT_EQ(json::ToStringView((*retmsg)["topic"]), "TEST-TOPIC-HTTP-SYNC");
  EXPECT_EQ(json::ToStringView((*retmsg)["body"]), "pong");
  EXPECT_EQ(json::ToStringView((*retmsg)["properties"]["bizseqno"]),
            "728391046518273940561827394056");
}

// The Java consumer's subscribe, heartbeat and unsubscribe on one keep-alive connection, with
// loopback webhook URLs allowed (Apache: an empty IP blacklist): retCode 0 each.
TEST_F(JavaSdkGoldenTest, HttpConsumerOfJavaSdk) {
  StartServer({{kLoopbackWebhooks, "true"}});
  auto connection = HttpConnect();
  ASSERT_TRUE(connection);
  for (const char* name : {"subscribe_206", "heartbeat_203", "unsubscribe_207"}) {
    SCOPED_TRACE(name);
    HttpReply reply = SendHttpGolden(connection.get(), name);
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.ret_code, 0) << reply.body;
  }
}

// With the default rules a loopback webhook URL is refused, as Apache's default IPv4 blacklist
// refuses 127/8: EVENTMESH_PROTOCOL_BODY_ERR (7), and the connection keeps serving.
TEST_F(JavaSdkGoldenTest, HttpSubscribeToLoopbackRefusedByDefault) {
  StartServer();
  auto connection = HttpConnect();
  ASSERT_TRUE(connection);
  HttpReply reply = SendHttpGolden(connection.get(), "subscribe_206");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.ret_code, 7) << reply.body;
  EXPECT_NE(reply.ret_msg.find("http://127.0.0.1:8088/sub/test"), std::string::npos)
      << reply.ret_msg;
  reply = SendHttpGolden(connection.get(), "publish_async_104");
  EXPECT_EQ(reply.ret_code, 0) << reply.body;
}

}  // namespace
}  // namespace eventmesh::runtime
