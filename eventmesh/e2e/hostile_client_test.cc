// Hostile input on every listener: the runtime's TCP, HTTP, MQTT and gRPC ports, the store
// service the runtime stores through, and the registry server. Each listener gets random bytes, an
// absurd length prefix left hanging, a truncated request, a slow-loris crowd of half-sent requests,
// a flood of connections reset at once and deeply nested JSON. After every case every listener
// still serves a well-behaved client, and at the end every event acknowledged to the publisher
// has reached the subscriber that stayed connected throughout. Real sockets on 127.0.0.1.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "eventmesh/protocol/mqtt/codec.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/runtime/grpc/testing/grpc_test_client.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/mqtt/testing/mqtt_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/store/client/store_client.h"
#include "eventmesh/testing/peak_memory.h"
#include "gtest/gtest.h"

namespace eventmesh {
namespace {

using protocol::tcp::Command;
using runtime::mqtt::testing::MqttTestClient;
using runtime::testing::TestClient;
namespace mq = protocol::mqtt;

// A blocking loopback socket with 10 s send/receive timeouts (a wedged server fails the test
// instead of hanging it).
class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  // Sends what the peer takes; a peer that closed on us is fine (that is a refusal).
  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
  // What the peer sends until it closes, `limit` bytes have come or 10 s pass.
  std::string ReceiveUntilClosed(size_t limit = 1 << 16) {
    std::string out;
    char buffer[4096];
    while (out.size() < limit) {
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }
  // Closes with a reset instead of a FIN.
  void Reset() {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    Close();
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string RandomBytes(std::mt19937* random, size_t size) {
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>((*random)() & 0xff);
  return out;
}

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// `count` zeros as a JSON array: 2 bytes of text a value, 16 or more as a DOM.
std::string Zeros(size_t count) {
  std::string out = "[0";
  out.reserve(2 * count + 1);
  for (size_t i = 1; i < count; ++i) out += ",0";
  return out + "]";
}

// An EventMesh TCP frame (current length convention).
std::string TcpFrame(const std::string& header, const std::string& body) {
  std::string frame = "EventMesh0000";
  auto append32 = [&frame](size_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(v >> shift));
  };
  append32(13 + header.size() + body.size());
  append32(header.size());
  return frame + header + body;
}

std::string HttpPost(const std::string& headers, const std::string& body) {
  return absl::StrCat("POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", headers,
                      "Content-Length: ", body.size(), "\r\n\r\n", body);
}

class HostileClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto store = runtime::testing::TestStoreService::Start(runtime::testing::TestDataDir("-store"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    std::map<std::string, std::string> properties = {
        {"eventMesh.server.provide.protocols", "TCP,HTTP,MQTT,GRPC"},
        {"eventMesh.server.http.webhook.enabled", "false"},
        // Every connection of this test comes from 127.0.0.1.
        {"eventMesh.server.tcp.maxConnectionsPerAddress", "0"}};
    store_->AddRuntimeProperties(&properties);
    auto server =
        runtime::testing::StartTestServer(properties, runtime::testing::TestDataDir(), connectors_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    registry::RegistryServerOptions registry_options;
    auto registry_server = registry::RegistryServer::Start(registry_options);
    ASSERT_TRUE(registry_server.ok()) << registry_server.status();
    registry_ = *std::move(registry_server);

    store_port_ = std::stoi(store_->address().substr(store_->address().rfind(':') + 1));
    ASSERT_GT(server_->port_of("mqtt"), 0);
    ASSERT_GT(server_->port_of("grpc"), 0);
    listeners_ = {{"runtime TCP", server_->tcp_port()},
                  {"runtime HTTP", server_->http_port()},
                  {"runtime MQTT", server_->port_of("mqtt")},
                  {"runtime gRPC", server_->port_of("grpc")},
                  {"store service", store_port_},
                  {"registry", registry_->port()}};

    auto subscriber = TestClient::Connect(server_->tcp_port());
    ASSERT_TRUE(subscriber.ok());
    subscriber_ = *std::move(subscriber);
    ASSERT_TRUE(subscriber_->Hello("sub", "survivors").ok());
    ASSERT_TRUE(subscriber_->Subscribe("orders").ok());
    ASSERT_TRUE(subscriber_->Listen().ok());
  }

  void TearDown() override {
    subscriber_.reset();
    if (server_) server_->Shutdown();
    registry_.reset();
    store_.reset();
  }

  // Every listener serves a well-behaved client; one more event is acknowledged.
  void ExpectEveryListenerServes(const std::string& after) {
    SCOPED_TRACE(after);
    auto publisher = TestClient::Connect(server_->tcp_port());
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    ASSERT_TRUE((*publisher)->Hello("pub", "producers").ok());
    const std::string body = absl::StrCat("event-", acknowledged_.size());
    auto ack = (*publisher)->Publish("orders", body);
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
    acknowledged_.insert(body);

    auto http = runtime::http::testing::HttpCall(
        server_->http_port(), "POST", "/",
        runtime::http::testing::CodeHeaders(104, {{"Content-Type", "application/json"}}),
        R"({"topic":"orders","content":"http-event","bizseqno":"b","uniqueid":"u",)"
        R"("producergroup":"g"})");
    ASSERT_TRUE(http.ok()) << http.status();
    EXPECT_EQ(http->ret_code, 0) << http->body;

    auto mqtt = MqttTestClient::Open(server_->port_of("mqtt"));
    ASSERT_TRUE(mqtt.ok()) << mqtt.status();
    mq::Connect connect;
    connect.version = mq::Version::kV5;
    connect.client_id = "well-behaved";
    auto connack = (*mqtt)->Connect(connect);
    ASSERT_TRUE(connack.ok()) << connack.status();
    EXPECT_EQ(connack->reason_code, 0);
    mq::Publish mqtt_event;
    mqtt_event.topic = "mqtt-events";
    mqtt_event.payload = "mqtt-event";
    mqtt_event.qos = 1;
    auto puback = (*mqtt)->Publish(mqtt_event);
    ASSERT_TRUE(puback.ok()) << puback.status();
    EXPECT_EQ(puback->reason_code, 0);

    auto grpc = runtime::grpc::testing::Publish(
        runtime::grpc::testing::Channel(server_->port_of("grpc")),
        runtime::grpc::testing::TextEvent("grpc-events", "grpc-event"));
    ASSERT_TRUE(grpc.ok()) << grpc.status();
    EXPECT_EQ(protocol::grpc::ResponseCode(*grpc), 0);

    store::client::StoreClientOptions store_options;
    store_options.port = static_cast<uint16_t>(store_port_);
    auto store_client = store::client::StoreClient::Create(store_options);
    ASSERT_TRUE(store_client.ok());
    EXPECT_TRUE((*store_client)->ListTopics(store::ListTopicsRequest{}).ok());

    registry::HttpRegistryOptions registry_options;
    registry_options.addresses = {absl::StrCat("127.0.0.1:", registry_->port())};
    auto registry_client = registry::HttpRegistry::Create(registry_options);
    ASSERT_TRUE(registry_client.ok());
    EXPECT_TRUE((*registry_client)->List("any-mesh").ok());
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<runtime::testing::TestStoreService> store_;
  std::unique_ptr<runtime::Server> server_;
  std::unique_ptr<registry::RegistryServer> registry_;
  int store_port_ = 0;
  std::vector<std::pair<std::string, int>> listeners_;
  std::unique_ptr<TestClient> subscriber_;
  std::set<std::string> acknowledged_;
};

TEST_F(HostileClientTest, EveryListenerSurvivesHostileInputAndNothingAcknowledgedIsLost) {
  std::mt19937 random(20261202);
  ExpectEveryListenerServes("start");
  for (const auto& [name, port] : listeners_) {
    {  // Random bytes of several sizes.
      for (size_t size : {1u, 7u, 4096u, 1u << 20}) {
        RawSocket raw(port);
        ASSERT_TRUE(raw.connected()) << name;
        raw.Send(RandomBytes(&random, size));
      }
      ExpectEveryListenerServes(name + ": random bytes");
    }
    {  // An absurd length prefix, then silence with the connection held open.
      RawSocket raw(port);
      raw.Send(std::string("\x7f\xff\xff\xff\x7f\xff\xff\xff", 8) + RandomBytes(&random, 100));
      ExpectEveryListenerServes(name + ": length prefix of 2 GiB left hanging");
    }
    {  // A request cut short: HTTP headers promising a body that never comes.
      RawSocket raw(port);
      raw.Send(
          "POST /v1/meshes/m/instances/a HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
          "Content-Type: application/json\r\n\r\n{\"endpoints\":[");
      ExpectEveryListenerServes(name + ": truncated request");
    }
    {  // Deeply nested JSON in an HTTP request.
      RawSocket raw(port);
      const std::string body = Nested(200'000);
      raw.Send(
          absl::StrCat("PUT /v1/meshes/m/instances/a HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nContent-Length: ",
                       body.size(), "\r\n\r\n", body));
      ExpectEveryListenerServes(name + ": nested JSON");
    }
    {  // A slow-loris crowd: 100 connections, each with one byte of a request, held open.
      std::vector<std::unique_ptr<RawSocket>> crowd;
      for (int i = 0; i < 100; ++i) {
        crowd.push_back(std::make_unique<RawSocket>(port));
        crowd.back()->Send("P");
      }
      ExpectEveryListenerServes(name + ": slow loris");
    }
    {  // A flood of connections reset at once.
      std::vector<std::unique_ptr<RawSocket>> flood;
      for (int i = 0; i < 300; ++i) flood.push_back(std::make_unique<RawSocket>(port));
      for (auto& socket : flood) socket->Reset();
      ExpectEveryListenerServes(name + ": 300 connections reset");
    }
  }
  // The subscriber that stayed connected got every acknowledged TCP event.
  std::set<std::string> received;
  for (int i = 0; i < 10'000 && received.size() < acknowledged_.size(); ++i) {
    auto push = subscriber_->Next(Command::kAsyncMessageToClient, absl::Seconds(10));
    if (!push.ok()) break;
    ASSERT_TRUE(subscriber_->Ack(*push).ok());
    auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
    ASSERT_TRUE(message.ok());
    if (acknowledged_.count(message->body) > 0) received.insert(message->body);
  }
  EXPECT_EQ(received, acknowledged_);
}

// Texts that cost far more in memory than on the wire: 4 MB of JSON holding two million values
// (16 bytes or more each as a DOM), a form of a million fields. Before the value and field
// limits each of these raised the runtime's peak memory by 70 to 150 MB; a few hundred such
// requests at once would have taken the process down. Each gets its precise error, and the peak
// moves by a few MB.
TEST_F(HostileClientTest, TextsThatWouldExpandInMemoryAreRefusedWithoutTheMemory) {
  const std::string zeros = Zeros(2'000'000);
  const std::string many_fields = [] {
    std::string form = "a";
    for (int i = 0; i < 1'000'000; ++i) form += "&a";
    return form;
  }();
  // Each case's growth of the process's peak (client and server: the request is built before).
  auto peak_growth = [](auto run_case) -> int64_t {
    if (!eventmesh::testing::ResetPeakRss()) return -1;
    const int64_t before = eventmesh::testing::PeakRssBytes();
    run_case();
    return before > 0 ? eventmesh::testing::PeakRssBytes() - before : -1;
  };
  // An MQTT 5 PUBLISH of 550,000 user properties ("a"="", 7 bytes each on the wire).
  const std::string many_properties = [] {
    mq::Publish publish;
    publish.topic = "mqtt-events";
    publish.payload = "p";
    publish.properties.user_properties.assign(550'000, {"a", ""});
    std::string bytes;
    EXPECT_TRUE(mq::EncodePublish(publish, mq::Version::kV5, &bytes).ok());
    return bytes;
  }();
  std::vector<std::pair<std::string, int64_t>> growth;
  growth.emplace_back(
      "a TCP header before any HELLO", peak_growth([&] {
        RawSocket raw(server_->tcp_port());
        raw.Send(TcpFrame(R"({"cmd":"HELLO_REQUEST","code":0,"seq":"1","x":)" + zeros + "}", ""));
        EXPECT_NE(raw.ReceiveUntilClosed().find(
                      "undecodable frame: JSON in package header has more than 65536 values"),
                  std::string::npos);
      }));
  growth.emplace_back(
      "a TCP EventMeshMessage body", peak_growth([&] {
        auto publisher = TestClient::Connect(server_->tcp_port());
        ASSERT_TRUE(publisher.ok());
        ASSERT_TRUE((*publisher)->Hello("pub", "producers").ok());
        protocol::tcp::Package package =
            TestClient::MessagePackage(Command::kAsyncMessageToServer, "orders", "b");
        package.body = R"({"topic":"orders","body":"b","x":)" + zeros + "}";
        auto refused = (*publisher)->Request(package);
        ASSERT_TRUE(refused.ok()) << refused.status();
        EXPECT_EQ(refused->header.code, 1);
        EXPECT_EQ(refused->header.desc, "JSON in EventMeshMessage has more than 65536 values");
      }));
  growth.emplace_back(
      "a structured CloudEvent's data (read as text, refused for its size)", peak_growth([&] {
        RawSocket raw(server_->http_port());
        raw.Send(HttpPost("Content-Type: application/cloudevents+json\r\n",
                          R"({"specversion":"1.0","id":"1","source":"s","type":"t",)"
                          R"("subject":"orders","data":)" +
                              zeros + "}"));
        const std::string answer = raw.ReceiveUntilClosed();
        EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
        EXPECT_NE(answer.find("event data of 4000001 bytes exceeds the limit"), std::string::npos)
            << answer;
      }));
  growth.emplace_back(
      "a JSON request body", peak_growth([&] {
        auto answer = runtime::http::testing::HttpCall(
            server_->http_port(), "POST", "/",
            runtime::http::testing::CodeHeaders(104, {{"Content-Type", "application/json"}}),
            R"({"topic":"orders","content":"c","x":)" + zeros + "}");
        ASSERT_TRUE(answer.ok()) << answer.status();
        EXPECT_EQ(answer->ret_code, 7);
        EXPECT_NE(answer->body.find("JSON in request body has more than 262144 values"),
                  std::string::npos)
            << answer->body;
      }));
  growth.emplace_back(
      "a form of a million fields", peak_growth([&] {
        auto answer = runtime::http::testing::HttpCall(
            server_->http_port(), "POST", "/",
            runtime::http::testing::CodeHeaders(
                104, {{"Content-Type", "application/x-www-form-urlencoded"}}),
            many_fields);
        ASSERT_TRUE(answer.ok()) << answer.status();
        EXPECT_EQ(answer->ret_code, 7);
        EXPECT_NE(answer->body.find("form with more than 4096 fields"), std::string::npos)
            << answer->body;
      }));
  growth.emplace_back("an MQTT PUBLISH of 550,000 user properties", peak_growth([&] {
                        auto mqtt = MqttTestClient::Open(server_->port_of("mqtt"));
                        ASSERT_TRUE(mqtt.ok()) << mqtt.status();
                        mq::Connect connect;
                        connect.version = mq::Version::kV5;
                        connect.client_id = "many-properties";
                        ASSERT_TRUE((*mqtt)->Connect(connect).ok());
                        ASSERT_TRUE((*mqtt)->SendRaw(many_properties).ok());
                        auto goodbye = (*mqtt)->Next(mq::PacketType::kDisconnect);
                        ASSERT_TRUE(goodbye.ok()) << goodbye.status();
                        ASSERT_FALSE(goodbye->body.empty());
                        EXPECT_EQ(static_cast<uint8_t>(goodbye->body[0]), 0x97);  // Quota exceeded
                        EXPECT_NE(goodbye->body.find("PUBLISH with more than 4096 user properties"),
                                  std::string::npos);
                        EXPECT_TRUE((*mqtt)->WaitClosed());
                      }));
  for (const auto& [what, bytes] : growth) {
    std::printf("peak growth for %s: %.1f MB\n", what.c_str(), bytes / 1048576.0);
    if (bytes >= 0 && eventmesh::testing::kPeakMemoryIsTheProgramsOwn) {
      EXPECT_LT(bytes, 32 << 20) << what;
    }
  }
  ExpectEveryListenerServes("after texts that would expand");
}

}  // namespace
}  // namespace eventmesh
