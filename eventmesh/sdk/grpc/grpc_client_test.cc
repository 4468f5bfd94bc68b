// EventMeshGrpcClient against a real runtime's gRPC port over loopback: publish and batch
// publish to a stream subscriber with acks, request-reply, CloudEvent payloads, unsubscribe,
// heartbeat, and TLS / mutual TLS.

#include "eventmesh/sdk/grpc/grpc_client.h"

#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/testing/tls_certs.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk {
namespace {

// Collects deliveries; waits are bounded.
class Inbox {
 public:
  GrpcHandler Handler(bool ack = true) {
    return [this, ack](std::shared_ptr<GrpcDelivery> delivery) {
      if (ack) delivery->Ack();
      absl::MutexLock lock(&mu_);
      deliveries_.push_back(std::move(delivery));
    };
  }
  std::vector<std::shared_ptr<GrpcDelivery>> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return deliveries_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
    return deliveries_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<GrpcDelivery>> deliveries_;
};

class GrpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok()); }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }
  void Start(std::map<std::string, std::string> properties = {}) {
    properties.emplace("eventMesh.server.provide.protocols", "TCP,GRPC");
    properties.emplace("eventMesh.server.tcp.RebalanceIntervalInMills", "0");
    auto server = runtime::testing::StartTestServer(std::move(properties),
                                                    runtime::testing::TestDataDir(), registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::unique_ptr<EventMeshGrpcClient> Client(GrpcClientOptions options = {}) {
    options.port = server_->port_of("grpc");
    auto client = EventMeshGrpcClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<runtime::Server> server_;
};

TEST_F(GrpcClientTest, PublishSubscribeAckAndRequestReply) {
  Start();
  GrpcClientOptions sub_options;
  sub_options.consumer_group = "sdk-consumers";
  auto subscriber = Client(sub_options);
  Inbox inbox;
  subscriber->SetHandler(inbox.Handler());
  ASSERT_TRUE(subscriber->Subscribe({SubscriptionItem{"sdk-topic"}}).ok());

  auto publisher = Client();
  Message message;
  message.topic = "sdk-topic";
  message.content = "hello";
  message.properties["color"] = "blue";
  ASSERT_TRUE(publisher->Publish(message).ok());
  CloudEvent event;
  event.set_id("ce-1");
  event.set_source("/sdk");
  event.set_type("demo");
  event.set_subject("sdk-topic");
  event.set_data_content_type("text/plain");
  event.set_data("as a cloudevent", cloudevents::DataEncoding::kText);
  ASSERT_TRUE(publisher->PublishBatch({event}).ok());

  absl::Notification async_done;
  absl::Status async_status;
  message.content = "async";
  publisher->PublishAsync(message, [&](absl::Status status) {
    async_status = status;
    async_done.Notify();
  });
  ASSERT_TRUE(async_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(async_status.ok()) << async_status;

  absl::Notification batch_done;
  absl::Status batch_status;
  Message first = message, second = message;
  first.content = "batch 1";
  second.content = "batch 2";
  publisher->PublishBatchAsync({first, second}, [&](absl::Status status) {
    batch_status = status;
    batch_done.Notify();
  });
  ASSERT_TRUE(batch_done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(batch_status.ok()) << batch_status;
  message.content = "hello";

  auto received = inbox.WaitFor(5);
  ASSERT_EQ(received.size(), 5u);
  std::map<std::string, const ReceivedEvent*> by_data;
  for (const auto& delivery : received) by_data[delivery->event().data()] = &delivery->event();
  ASSERT_EQ(by_data.count("hello"), 1u);
  ASSERT_NE(by_data["hello"]->message(), nullptr);
  EXPECT_EQ(by_data["hello"]->message()->properties.at("color"), "blue");
  EXPECT_EQ(by_data["hello"]->transport, Transport::kGrpc);
  EXPECT_EQ(by_data.count("async"), 1u);
  EXPECT_EQ(by_data.count("batch 1"), 1u);
  EXPECT_EQ(by_data.count("batch 2"), 1u);
  ASSERT_EQ(by_data.count("as a cloudevent"), 1u);
  ASSERT_NE(by_data["as a cloudevent"]->cloud_event(), nullptr);
  EXPECT_EQ(by_data["as a cloudevent"]->cloud_event()->id(), "ce-1");
  EXPECT_EQ(by_data["as a cloudevent"]->cloud_event()->type(), "demo");

  EXPECT_TRUE(subscriber->Heartbeat().ok());

  // Request-reply: a SYNC subscriber answers.
  GrpcClientOptions responder_options;
  responder_options.consumer_group = "sdk-responders";
  auto responder = Client(responder_options);
  responder->SetHandler([](std::shared_ptr<GrpcDelivery> delivery) {
    Message reply;
    reply.content = absl::StrCat("re: ", delivery->event().data());
    EXPECT_EQ(delivery->event().kind, EventKind::kRequest);
    EXPECT_TRUE(delivery->Reply(reply).ok());
  });
  ASSERT_TRUE(responder
                  ->Subscribe({SubscriptionItem{"sdk-rpc", SubscriptionMode::kClustering,
                                                SubscriptionType::kSync}})
                  .ok());
  Message request;
  request.topic = "sdk-rpc";
  request.content = "question";
  auto reply = publisher->Request(request, absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->data(), "re: question");
  EXPECT_EQ(reply->kind, EventKind::kResponse);

  request.topic = "sdk-nobody";
  reply = publisher->Request(request, absl::Milliseconds(300));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded) << reply.status();

  ASSERT_TRUE(subscriber->Unsubscribe({"sdk-topic"}).ok());
  EXPECT_TRUE(subscriber->Heartbeat().ok());  // no subscription left to keep alive
  message.content = "after unsubscribe";
  ASSERT_TRUE(publisher->Publish(message).ok());
  ASSERT_TRUE(subscriber->Subscribe({SubscriptionItem{"sdk-topic"}}).ok());
  message.content = "after resubscribe";
  ASSERT_TRUE(publisher->Publish(message).ok());
  // The group is durable: what was published meanwhile is delivered after the resubscription.
  received = inbox.WaitFor(7);
  ASSERT_EQ(received.size(), 7u);
  std::set<std::string> later;
  for (size_t i = 5; i < received.size(); ++i) later.insert(received[i]->event().data());
  EXPECT_EQ(later, (std::set<std::string>{"after unsubscribe", "after resubscribe"}));
  subscriber->Close();
  responder->Close();
}

TEST_F(GrpcClientTest, RefusalsComeBackAsStatuses) {
  Start({{"eventMesh.server.topic.autoCreate", "false"}});
  auto client = Client();
  Message message;
  message.topic = "missing-topic";
  message.content = "x";
  absl::Status status = client->Publish(message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(status.message().find("code 14"), std::string::npos) << status;
  message.content = "";  // text data must not be empty
  EXPECT_EQ(client->Publish(message).code(), absl::StatusCode::kInvalidArgument);
}

class GrpcTlsTest : public GrpcClientTest {
 protected:
  void StartTls(bool mutual) {
    auto certs = eventmesh::testing::GenerateTestCertificates(
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    std::map<std::string, std::string> properties = {
        {"eventMesh.server.grpc.tls.enabled", "true"},
        {"eventMesh.server.grpc.tls.certFile", certs_.server_cert},
        {"eventMesh.server.grpc.tls.keyFile", certs_.server_key}};
    if (mutual) properties["eventMesh.server.grpc.tls.clientCaFile"] = certs_.ca_cert;
    Start(properties);
  }
  GrpcClientOptions TlsOptions() {
    GrpcClientOptions options;
    options.host = "localhost";
    options.use_tls = true;
    options.ca_file = certs_.ca_cert;
    options.call_timeout = absl::Seconds(5);
    return options;
  }
  eventmesh::testing::TestCertificates certs_;
};

TEST_F(GrpcTlsTest, TlsPublishAndPlaintextRefused) {
  StartTls(/*mutual=*/false);
  auto client = Client(TlsOptions());
  Message message;
  message.topic = "tls-topic";
  message.content = "secret";
  EXPECT_TRUE(client->Publish(message).ok());
  auto plain = Client();  // plaintext HTTP/2 to a TLS port
  EXPECT_FALSE(plain->Publish(message).ok());
}

TEST_F(GrpcTlsTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  StartTls(/*mutual=*/true);
  Message message;
  message.topic = "mtls-topic";
  message.content = "x";
  auto without = Client(TlsOptions());
  EXPECT_FALSE(without->Publish(message).ok());
  GrpcClientOptions other = TlsOptions();
  other.cert_file = certs_.other_client_cert;
  other.key_file = certs_.other_client_key;
  EXPECT_FALSE(Client(other)->Publish(message).ok());
  GrpcClientOptions with = TlsOptions();
  with.cert_file = certs_.client_cert;
  with.key_file = certs_.client_key;
  EXPECT_TRUE(Client(with)->Publish(message).ok());
}

TEST_F(GrpcTlsTest, UnreadableCertificateFailsStart) {
  auto config = runtime::BuildConfig({{"eventMesh.server.provide.protocols", "GRPC"},
                                      {"eventMesh.server.grpc.port", "0"},
                                      {"eventMesh.server.grpc.tls.enabled", "true"},
                                      {"eventMesh.server.grpc.tls.certFile", "/nonexistent.pem"},
                                      {"eventMesh.server.grpc.tls.keyFile", "/nonexistent.key"}});
  ASSERT_TRUE(config.ok()) << config.status();
  auto server = runtime::Server::Create(*config, registry_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("eventMesh.server.grpc.tls.certFile"), std::string::npos)
      << server.status();
}

}  // namespace
}  // namespace eventmesh::sdk
