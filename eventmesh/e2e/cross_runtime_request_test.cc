// Request-reply across two runtimes sharing one store service, with the requester and the
// responder on different protocols: an HTTP 101 answered by a TCP responder on the other
// runtime, and a TCP request answered over HTTP 301 on the other runtime.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using http::testing::CodeHeaders;
using http::testing::HttpCall;
using protocol::tcp::Command;
using protocol::tcp::Package;
using testing::TestClient;

class CrossRuntimeRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_dir_ = testing::TestDataDir();
    std::filesystem::create_directories(base_dir_);
    auto store = testing::TestStoreService::Start(base_dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    for (int i = 0; i < 2; ++i) {
      std::map<std::string, std::string> properties = {
          {"eventMesh.server.http.webhook.enabled", "false"},
          {"eventMesh.server.tcp.RebalanceIntervalInMills", "0"}};
      store_->AddRuntimeProperties(&properties);
      auto server = testing::StartTestServer(std::move(properties),
                                             absl::StrCat(base_dir_, "/runtime", i), registry_);
      ASSERT_TRUE(server.ok()) << server.status();
      runtimes_.push_back(std::move(*server));
    }
  }
  void TearDown() override {
    for (auto& runtime : runtimes_) runtime->Shutdown();
    runtimes_.clear();
    store_.reset();
  }

  std::unique_ptr<TestClient> SyncResponder(int runtime, const std::string& topic) {
    auto client = TestClient::Connect(runtimes_[runtime]->tcp_port());
    EXPECT_TRUE(client.ok());
    EXPECT_TRUE((*client)->Hello("sub", "responders").ok());
    auto subscribed = (*client)->Subscribe(topic, protocol::tcp::SubscriptionMode::kClustering,
                                           protocol::tcp::SubscriptionType::kSync);
    EXPECT_TRUE(subscribed.ok() && subscribed->header.code == 0);
    EXPECT_TRUE((*client)->Listen().ok());
    return std::move(*client);
  }

  std::string base_dir_;
  std::unique_ptr<testing::TestStoreService> store_;
  connectors::ConnectorRegistry registry_;
  std::vector<std::unique_ptr<Server>> runtimes_;
};

TEST_F(CrossRuntimeRequestTest, HttpSendSyncIsAnsweredByATcpResponderOnAnotherRuntime) {
  auto responder = SyncResponder(1, "rpc-x");
  std::thread answer([&] {
    auto incoming = responder->Next(Command::kRequestToClient);
    ASSERT_TRUE(incoming.ok()) << incoming.status();
    ASSERT_TRUE(responder->Ack(*incoming).ok());
    auto message = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
    ASSERT_TRUE(message.ok());
    EXPECT_EQ(message->body, "ping");
    message->body = "pong from runtime 1";
    Package response = TestClient::MessagePackage(Command::kResponseToServer, "rpc-x", "");
    response.body = message->ToJson();
    response.header.seq = incoming->header.seq;
    ASSERT_TRUE(responder->Send(response).ok());
  });
  auto reply = HttpCall(runtimes_[0]->http_port(), "POST", "/",
                        CodeHeaders(101, {{"Content-Type", "application/x-www-form-urlencoded"}}),
                        protocol::http::EncodeForm({{"topic", "rpc-x"},
                                                    {"content", "ping"},
                                                    {"bizseqno", "s1"},
                                                    {"uniqueid", "u1"},
                                                    {"producergroup", "callers"},
                                                    {"ttl", "10000"}}));
  answer.join();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->ret_code, 0) << reply->body;
  auto retmsg = json::ParseJson(reply->ret_msg, "retMsg");
  ASSERT_TRUE(retmsg.ok()) << reply->ret_msg;
  EXPECT_EQ(json::ToStringView((*retmsg)["body"]), "pong from runtime 1");
}

TEST_F(CrossRuntimeRequestTest, TcpRequestIsAnsweredOverHttpOnAnotherRuntime) {
  // The responder receives over TCP on runtime 1 and answers with HTTP 301 on runtime 1.
  auto observer = SyncResponder(1, "rpc-y");
  auto requester = TestClient::Connect(runtimes_[0]->tcp_port());
  ASSERT_TRUE(requester.ok());
  ASSERT_TRUE((*requester)->Hello("pub", "callers").ok());
  Package request = TestClient::MessagePackage(Command::kRequestToServer, "rpc-y", "question");
  request.header.seq = "88";
  ASSERT_TRUE((*requester)->Send(request).ok());
  auto incoming = observer->Next(Command::kRequestToClient);
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  ASSERT_TRUE(observer->Ack(*incoming).ok());
  auto message = protocol::tcp::EventMeshMessage::FromJson(incoming->body);
  ASSERT_TRUE(message.ok());
  std::string ext = "{";
  for (const auto& [k, v] : message->properties) {
    if (ext.size() > 1) ext += ",";
    ext += absl::StrCat("\"", k, "\":\"", v, "\"");
  }
  ext += "}";
  auto reply = HttpCall(runtimes_[1]->http_port(), "POST", "/",
                        CodeHeaders(301, {{"Content-Type", "application/x-www-form-urlencoded"}}),
                        protocol::http::EncodeForm({{"origtopic", "rpc-y"},
                                                    {"content", "answer over http"},
                                                    {"bizseqno", "r1"},
                                                    {"uniqueid", "u1"},
                                                    {"producergroup", "responders"},
                                                    {"extFields", ext}}));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ret_code, 0) << reply->body;
  auto answer = (*requester)->Next(Command::kResponseToClient);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer->header.seq, "88");
  EXPECT_EQ(answer->header.code, 0);
  auto answered = protocol::tcp::EventMeshMessage::FromJson(answer->body);
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->body, "answer over http");
}

}  // namespace
}  // namespace eventmesh::runtime
