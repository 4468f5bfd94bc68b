// End-to-end tests of EventMeshHttpClient against the real runtime: an in-process
// eventmesh::runtime::Server (embedded connector, HTTP and TCP on free loopback ports).
// Events published over HTTP are received by a TCP subscriber (//eventmesh/sdk:tcp_client);
// request-reply over HTTP is answered by a TCP responder.

#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/sdk/http/http_client.h"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/sdk/testing/inbox.h"
#include "eventmesh/testing/tls_certs.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

using sdk::testing::Inbox;

class HttpE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = runtime::testing::TestDataDir();
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    StartServer({});
  }

  void StartServer(std::map<std::string, std::string> p) {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    auto server = runtime::testing::StartTestServer(std::move(p), data_dir_, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = NewClient("", "");
  }

  std::unique_ptr<EventMeshHttpClient> NewClient(const std::string& user,
                                                 const std::string& password) {
    HttpClientOptions o;
    o.urls = {absl::StrCat("http://127.0.0.1:", server_->http_port())};
    o.producer_group = "http-producers";
    o.consumer_group = "http-consumers";
    o.username = user;
    o.password = password;
    auto client = EventMeshHttpClient::Create(o);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  void TearDown() override {
    client_.reset();
    if (server_ != nullptr) server_->Shutdown();
  }

  std::unique_ptr<EventMeshTcpClient> TcpSubscriber(const std::string& topic, Inbox* inbox) {
    TcpClientOptions o;
    o.port = server_->tcp_port();
    o.group = absl::StrCat("tcp-", topic);
    o.purpose = ClientPurpose::kSubscribe;
    auto c = EventMeshTcpClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return nullptr;
    (*c)->SetHandler([inbox](std::shared_ptr<Delivery> d) { inbox->Add(std::move(d)); });
    EXPECT_TRUE(
        (*c)->Subscribe(topic, sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kAsync)
            .ok());
    EXPECT_TRUE((*c)->Listen().ok());
    return *std::move(c);
  }

  static Message Msg(const std::string& topic, const std::string& content) {
    Message m;
    m.topic = topic;
    m.content = content;
    return m;
  }

  static CloudEvent Event(const std::string& id, const std::string& topic) {
    CloudEvent e;
    e.set_id(id);
    e.set_source("/e2e");
    e.set_type("e2e.v1");
    e.set_subject(topic);
    e.set_data_content_type("application/json");
    e.set_data(absl::StrCat("{\"id\":\"", id, "\"}"), cloudevents::DataEncoding::kJson);
    return e;
  }

  std::string data_dir_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<runtime::Server> server_;
  std::unique_ptr<EventMeshHttpClient> client_;
};

TEST_F(HttpE2eTest, PublishSyncAndAsyncReachATcpSubscriber) {
  Inbox inbox;
  auto sub = TcpSubscriber("http-orders", &inbox);
  ASSERT_NE(sub, nullptr);
  Message m = Msg("http-orders", "sync-1");
  m.properties = {{"keys", "k-1"}};
  ASSERT_TRUE(client_->Publish(m).ok());
  std::future<absl::Status> f = client_->PublishAsync(Msg("http-orders", "async-1"));
  std::promise<absl::Status> p;
  client_->PublishAsync(Msg("http-orders", "async-2"), [&p](absl::Status s) { p.set_value(s); });
  ASSERT_TRUE(f.get().ok());
  ASSERT_TRUE(p.get_future().get().ok());
  ASSERT_EQ(inbox.WaitFor(3), 3u);
  EXPECT_EQ(inbox.Bodies(), (std::multiset<std::string>{"sync-1", "async-1", "async-2"}));
  for (const auto& d : inbox.deliveries()) {
    EXPECT_EQ(d->event().topic(), "http-orders");
    if (d->event().data() == "sync-1") {
      const std::string* keys = d->event().property("keys");
      ASSERT_NE(keys, nullptr);
      EXPECT_EQ(*keys, "k-1");
    }
  }
}

TEST_F(HttpE2eTest, BatchesReachATcpSubscriber) {
  Inbox inbox;
  auto sub = TcpSubscriber("http-batch", &inbox);
  ASSERT_NE(sub, nullptr);
  ASSERT_TRUE(client_->PublishBatch({Msg("http-batch", "b1"), Msg("http-batch", "b2")}).ok());
  ASSERT_TRUE(client_->PublishBatchV2(Msg("http-batch", "v2")).ok());
  ASSERT_EQ(inbox.WaitFor(3), 3u);
  EXPECT_EQ(inbox.Bodies(), (std::multiset<std::string>{"b1", "b2", "v2"}));
}

TEST_F(HttpE2eTest, CloudEventsBinaryStructuredBatchAndCode104) {
  Inbox inbox;
  auto sub = TcpSubscriber("http-ce", &inbox);
  ASSERT_NE(sub, nullptr);
  ASSERT_TRUE(client_->PublishCloudEvent(Event("bin-1", "http-ce"), CloudEventMode::kBinary).ok());
  ASSERT_TRUE(
      client_->PublishCloudEvent(Event("str-1", "http-ce"), CloudEventMode::kStructured).ok());
  ASSERT_TRUE(
      client_->PublishCloudEventBatch({Event("bat-1", "http-ce"), Event("bat-2", "http-ce")}).ok());
  ASSERT_TRUE(client_->Publish(Event("c104-1", "http-ce")).ok());
  ASSERT_EQ(inbox.WaitFor(5), 5u);
  std::set<std::string> ids;
  for (const auto& d : inbox.deliveries()) {
    const CloudEvent* e = d->event().cloud_event();
    ASSERT_NE(e, nullptr) << "protocoltype " << d->event().protocol_type;
    ids.insert(e->id());
    EXPECT_EQ(e->source(), "/e2e");
    EXPECT_EQ(e->type(), "e2e.v1");
    EXPECT_EQ(e->data(), absl::StrCat("{\"id\":\"", e->id(), "\"}"));
  }
  EXPECT_EQ(ids, (std::set<std::string>{"bin-1", "str-1", "bat-1", "bat-2", "c104-1"}));
}

TEST_F(HttpE2eTest, RequestReplyWithATcpResponder) {
  TcpClientOptions o;
  o.port = server_->tcp_port();
  o.group = "rr-responders";
  o.purpose = ClientPurpose::kSubscribe;
  auto responder = EventMeshTcpClient::Connect(o);
  ASSERT_TRUE(responder.ok()) << responder.status();
  (*responder)->SetHandler([](std::shared_ptr<Delivery> d) {
    Message reply;
    reply.topic = d->event().topic();
    reply.content = absl::StrCat("pong:", d->event().data());
    EXPECT_TRUE(d->Reply(reply).ok());
  });
  ASSERT_TRUE(
      (*responder)
          ->Subscribe("http-rr", sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kSync)
          .ok());
  ASSERT_TRUE((*responder)->Listen().ok());

  for (int i = 0; i < 3; ++i) {
    auto reply = client_->Request(Msg("http-rr", absl::StrCat("ping", i)), absl::Seconds(20));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->content, absl::StrCat("pong:ping", i));
    EXPECT_EQ(reply->topic, "http-rr");
  }
}

// The reply travels over HTTP (code 301): a TCP SYNC subscriber takes the request and answers it
// with EventMeshHttpClient::Reply, carrying the request's properties (the correlation id).
TEST_F(HttpE2eTest, ReplyOverHttpCompletesAnHttpRequest) {
  TcpClientOptions o;
  o.port = server_->tcp_port();
  o.group = "rr-http-responders";
  o.purpose = ClientPurpose::kSubscribe;
  auto responder = EventMeshTcpClient::Connect(o);
  ASSERT_TRUE(responder.ok()) << responder.status();
  auto replier = NewClient("", "");
  std::promise<std::pair<ReceivedEvent, Message>> request_seen;
  (*responder)->SetHandler([&request_seen](std::shared_ptr<Delivery> d) {
    // The request of an HTTP requester carries bizseqno / uniqueid (Message fields on TCP).
    const Message* m = d->event().message();
    EXPECT_NE(m, nullptr);
    if (m != nullptr) {
      EXPECT_FALSE(m->biz_seq_no.empty());
      EXPECT_FALSE(m->unique_id.empty());
    }
    Message reply;
    reply.content = absl::StrCat("http-pong:", d->event().data());
    request_seen.set_value({d->event(), std::move(reply)});
  });
  ASSERT_TRUE((*responder)
                  ->Subscribe("http-rr-301", sdk::SubscriptionMode::kClustering,
                              sdk::SubscriptionType::kSync)
                  .ok());
  ASSERT_TRUE((*responder)->Listen().ok());
  auto pending = std::async(std::launch::async, [this] {
    return client_->Request(Msg("http-rr-301", "ping"), absl::Seconds(20));
  });
  auto [request, answer] = request_seen.get_future().get();
  absl::Status replied = replier->Reply(request, answer);
  EXPECT_TRUE(replied.ok()) << replied;
  auto reply = pending.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->content, "http-pong:ping");
}

TEST_F(HttpE2eTest, RequestWithoutResponderIsDeadlineExceeded) {
  auto reply = client_->Request(Msg("http-nobody", "ping"), absl::Milliseconds(300));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(reply.status().message(), "eventMesh waiting rr msg err, no reply within 300 ms (ttl)");
  EXPECT_EQ(RetCodeOf(reply.status()), 4);
}

TEST_F(HttpE2eTest, RuntimeErrorsMapToStatuses) {
  // A reply nobody waits for: retCode 16 (EVENTMESH_REPLY_MSG_ERR).
  ReceivedEvent request;
  request.kind = EventKind::kRequest;
  Message original;
  original.topic = "t";
  original.biz_seq_no = "b";
  original.unique_id = "u";
  request.payload = original;
  Message reply;
  reply.content = "c";
  absl::Status s = client_->Reply(request, reply);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(RetCodeOf(s), 16);
  EXPECT_EQ(s.message(),
            "eventMesh reply msg err, extFields has no 'rrcorrelationid' (a reply must carry "
            "the request's properties)");

  // A CloudEvent the runtime refuses (binary mode, JSON content type, body not JSON).
  CloudEvent bad = Event("bad-1", "http-bad");
  bad.set_data("not json", cloudevents::DataEncoding::kText);
  absl::Status ce = client_->PublishCloudEvent(bad, CloudEventMode::kBinary);
  EXPECT_EQ(ce.code(), absl::StatusCode::kInvalidArgument) << ce;
  EXPECT_EQ(RetCodeOf(ce), 7);
}

TEST_F(HttpE2eTest, AclRefusalsArePermissionDenied) {
  const std::string credentials = absl::StrCat(data_dir_, "-credentials.json");
  {
    std::ofstream out(credentials);
    out << R"({"users": [{"username": "alice", "password": "s3cret", "publish": ["allowed"]}]})";
  }
  StartServer({{"eventMesh.server.security.enabled", "true"},
               {"eventMesh.server.security.credentialsFile", credentials}});
  auto alice = NewClient("alice", "s3cret");
  EXPECT_TRUE(alice->Publish(Msg("allowed", "ok")).ok());
  absl::Status topic = alice->Publish(Msg("forbidden", "no"));
  EXPECT_EQ(topic.code(), absl::StatusCode::kPermissionDenied) << topic;
  EXPECT_EQ(RetCodeOf(topic), 22);
  auto mallory = NewClient("alice", "wrong");
  absl::Status password = mallory->Publish(Msg("allowed", "no"));
  EXPECT_EQ(password.code(), absl::StatusCode::kPermissionDenied) << password;
  EXPECT_EQ(RetCodeOf(password), 22);
}

TEST_F(HttpE2eTest, HttpsWithTheRuntimeCertificate) {
  auto certs = eventmesh::testing::GenerateTestCertificates(absl::StrCat(data_dir_, "-certs"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  StartServer({{"eventMesh.server.useTls.enabled", "true"},
               {"eventMesh.server.http.tls.certFile", certs->server_cert},
               {"eventMesh.server.http.tls.keyFile", certs->server_key}});
  Inbox inbox;
  auto sub = TcpSubscriber("https-orders", &inbox);
  ASSERT_NE(sub, nullptr);
  HttpClientOptions o;
  o.urls = {absl::StrCat("https://localhost:", server_->http_port())};
  o.ca_file = certs->ca_cert;
  auto trusting = EventMeshHttpClient::Create(o);
  ASSERT_TRUE(trusting.ok()) << trusting.status();
  ASSERT_TRUE((*trusting)->Publish(Msg("https-orders", "over tls")).ok());
  ASSERT_EQ(inbox.WaitFor(1), 1u);
  EXPECT_EQ(inbox.deliveries()[0]->event().data(), "over tls");

  o.ca_file = certs->other_ca_cert;
  auto other = EventMeshHttpClient::Create(o);
  ASSERT_TRUE(other.ok()) << other.status();
  absl::Status refused = (*other)->Publish(Msg("https-orders", "refused"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;

  o.ca_file = certs->ca_cert;
  o.urls = {absl::StrCat("http://127.0.0.1:", server_->http_port())};  // plain HTTP on TLS port
  auto plain = EventMeshHttpClient::Create(o);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE((*plain)->Publish(Msg("https-orders", "plain")).ok());
}

TEST_F(HttpE2eTest, MutualTlsNeedsTheClientCertificate) {
  server_->Shutdown();
  auto certs = eventmesh::testing::GenerateTestCertificates(absl::StrCat(data_dir_, "-mtls"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  StartServer({{"eventMesh.server.useTls.enabled", "true"},
               {"eventMesh.server.http.tls.certFile", certs->server_cert},
               {"eventMesh.server.http.tls.keyFile", certs->server_key},
               {"eventMesh.server.http.tls.clientCaFile", certs->ca_cert}});
  Inbox inbox;
  auto sub = TcpSubscriber("mtls-orders", &inbox);
  ASSERT_NE(sub, nullptr);
  HttpClientOptions o;
  o.urls = {absl::StrCat("https://localhost:", server_->http_port())};
  o.ca_file = certs->ca_cert;
  auto anonymous = EventMeshHttpClient::Create(o);
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_FALSE((*anonymous)->Publish(Msg("mtls-orders", "no certificate")).ok());

  o.client_cert_file = certs->client_cert;
  o.client_key_file = certs->client_key;
  auto identified = EventMeshHttpClient::Create(o);
  ASSERT_TRUE(identified.ok()) << identified.status();
  ASSERT_TRUE((*identified)->Publish(Msg("mtls-orders", "with certificate")).ok());
  ASSERT_EQ(inbox.WaitFor(1), 1u);
  EXPECT_EQ(inbox.deliveries()[0]->event().data(), "with certificate");

  o.client_key_file = "";
  EXPECT_EQ(EventMeshHttpClient::Create(o).status().message(),
            "client_cert_file and client_key_file must be given together (mutual TLS)");
}

TEST_F(HttpE2eTest, RuntimeDownIsUnavailable) {
  server_->Shutdown();
  absl::Status s = client_->Publish(Msg("t", "m"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

}  // namespace
}  // namespace eventmesh::sdk::http
