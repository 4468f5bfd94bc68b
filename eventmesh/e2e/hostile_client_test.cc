// Hostile input on every listener: the runtime's TCP and HTTP ports, the store service the
// runtime stores through, and the registry server. Each listener gets random bytes, an absurd
// length prefix left hanging, a truncated request, a slow-loris crowd of half-sent requests, a
// flood of connections reset at once and deeply nested JSON. After every case every listener
// still serves a well-behaved client, and at the end every event acknowledged to the publisher
// has reached the subscriber that stayed connected throughout. Real sockets on 127.0.0.1.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/store/client/store_client.h"
#include "gtest/gtest.h"

namespace eventmesh {
namespace {

using protocol::tcp::Command;
using runtime::testing::TestClient;

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

class HostileClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto store = runtime::testing::TestStoreService::Start(runtime::testing::TestDataDir("-store"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    std::map<std::string, std::string> properties = {
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
    listeners_ = {{"runtime TCP", server_->tcp_port()},
                  {"runtime HTTP", server_->http_port()},
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

}  // namespace
}  // namespace eventmesh
