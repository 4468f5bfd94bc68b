// End-to-end tests of EventMeshTcpClient against the real runtime: an in-process
// eventmesh::runtime::Server with the embedded connector on a free loopback port.

#include "eventmesh/sdk/tcp_client.h"

#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "boost/asio.hpp"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/sdk/testing/inbox.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk {
namespace {

constexpr absl::Duration kWait = absl::Seconds(30);  // Upper bound for anything to arrive.

using testing::Inbox;

class TcpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = runtime::testing::TestDataDir();
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  }

  void TearDown() override { StopServer(); }

  void StartServer(int port = 0, std::map<std::string, std::string> properties = {}) {
    properties.emplace("eventMesh.server.tcp.port", absl::StrCat(port));
    auto server = runtime::testing::StartTestServer(std::move(properties), data_dir_, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->tcp_port();
  }

  void StopServer() {
    if (server_ == nullptr) return;
    server_->Shutdown();
    server_.reset();
  }

  TcpClientOptions Options(ClientPurpose purpose, const std::string& group) {
    TcpClientOptions options;
    options.port = port_;
    options.group = group;
    options.purpose = purpose;
    options.reconnect_initial_backoff = absl::Milliseconds(20);
    options.reconnect_max_backoff = absl::Milliseconds(200);
    return options;
  }

  std::unique_ptr<EventMeshTcpClient> Publisher() {
    auto client = EventMeshTcpClient::Connect(Options(ClientPurpose::kPublish, "producers"));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::unique_ptr<EventMeshTcpClient> Subscriber(
      const std::string& group, const std::string& topic, Inbox* inbox,
      SubscriptionMode mode = SubscriptionMode::kClustering, AckMode ack_mode = AckMode::kAuto) {
    TcpClientOptions options = Options(ClientPurpose::kSubscribe, group);
    options.ack_mode = ack_mode;
    auto client = EventMeshTcpClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    (*client)->SetHandler([inbox](std::shared_ptr<Delivery> d) { inbox->Add(std::move(d)); });
    absl::Status subscribed = (*client)->Subscribe(topic, mode, SubscriptionType::kAsync);
    EXPECT_TRUE(subscribed.ok()) << subscribed;
    absl::Status listening = (*client)->Listen();
    EXPECT_TRUE(listening.ok()) << listening;
    return std::move(*client);
  }

  static Message Msg(const std::string& topic, const std::string& body) {
    Message message;
    message.topic = topic;
    message.content = body;
    return message;
  }

  // Waits (bounded) until `predicate` holds.
  template <typename Predicate>
  static bool Eventually(Predicate predicate) {
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      if (predicate()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return predicate();
  }

  connectors::ConnectorRegistry registry_;
  std::string data_dir_;
  std::unique_ptr<runtime::Server> server_;
  int port_ = 0;
};

TEST_F(TcpClientTest, PipelinedPublishesAreAckedAndDelivered) {
  // All 200 publishes are in flight at once: allow that many per session.
  StartServer(0, {{"eventMesh.server.session.upstreamBufferSize", "1000"}});
  Inbox inbox;
  auto subscriber = Subscriber("consumers", "orders", &inbox);
  auto publisher = Publisher();
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->connected());
  EXPECT_EQ(publisher->server_address(), absl::StrCat("127.0.0.1:", port_));

  constexpr int kCount = 200;
  std::vector<std::future<absl::Status>> acks;
  std::multiset<std::string> sent;
  for (int i = 0; i < kCount; ++i) {
    sent.insert(absl::StrCat("event-", i));
    acks.push_back(publisher->Publish(Msg("orders", absl::StrCat("event-", i))));
  }
  for (auto& ack : acks) {
    absl::Status status = ack.get();
    EXPECT_TRUE(status.ok()) << status;
  }
  ASSERT_EQ(inbox.WaitFor(kCount), static_cast<size_t>(kCount));
  EXPECT_EQ(inbox.Bodies(), sent);
  for (const auto& d : inbox.deliveries()) {
    EXPECT_EQ(d->event().kind, EventKind::kAsync);
    EXPECT_EQ(d->event().topic(), "orders");
    EXPECT_EQ(d->event().protocol_type, "eventmeshmessage");
  }
  // Acknowledged automatically once the handler returned (on the io thread, right after Add).
  EXPECT_TRUE(Eventually([&] {
    for (const auto& d : inbox.deliveries()) {
      if (!d->acked()) return false;
    }
    return true;
  }));
  EXPECT_EQ(subscriber->stats().events_received, static_cast<uint64_t>(kCount));
}

TEST_F(TcpClientTest, CallbackPublishAndCloudEvents) {
  StartServer();
  Inbox inbox;
  auto subscriber = Subscriber("consumers", "ce-topic", &inbox);
  auto publisher = Publisher();
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);

  CloudEvent ce;
  ce.set_id("ce-1");
  ce.set_source("/sdk/test");
  ce.set_spec_version("1.0");
  ce.set_type("com.example.order");
  ce.set_subject("ce-topic");
  ce.set_data_content_type("text/plain");
  ce.set_data("cloud payload", cloudevents::DataEncoding::kText);
  ce.SetExtension("region", "eu");

  std::promise<absl::Status> acked;
  publisher->PublishAsync(ce, [&acked](absl::Status s) { acked.set_value(std::move(s)); });
  EXPECT_TRUE(acked.get_future().get().ok());
  ASSERT_EQ(inbox.WaitFor(1), 1u);
  const ReceivedEvent& event = inbox.deliveries()[0]->event();
  EXPECT_EQ(event.protocol_type, "cloudevents");
  ASSERT_NE(event.cloud_event(), nullptr);
  EXPECT_EQ(event.cloud_event()->id(), "ce-1");
  EXPECT_EQ(event.cloud_event()->type(), "com.example.order");
  EXPECT_EQ(event.topic(), "ce-topic");
  EXPECT_EQ(event.data(), "cloud payload");
  ASSERT_NE(event.property("region"), nullptr);
  EXPECT_EQ(*event.property("region"), "eu");
}

TEST_F(TcpClientTest, BroadcastReachesEveryMember) {
  StartServer();
  Inbox first, second;
  auto a = Subscriber("watchers", "alerts", &first, SubscriptionMode::kBroadcasting);
  auto b = Subscriber("watchers", "alerts", &second, SubscriptionMode::kBroadcasting);
  auto publisher = Publisher();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->Broadcast(Msg("alerts", "fire")).get().ok());
  ASSERT_EQ(first.WaitFor(1), 1u);
  ASSERT_EQ(second.WaitFor(1), 1u);
  EXPECT_EQ(first.deliveries()[0]->event().data(), "fire");
  EXPECT_EQ(first.deliveries()[0]->event().kind, EventKind::kBroadcast);
  EXPECT_EQ(second.deliveries()[0]->event().data(), "fire");
}

TEST_F(TcpClientTest, ManualAckLeavesTheEventUnacknowledgedUntilAck) {
  StartServer(0, {{"eventMesh.server.delivery.ackTimeoutInMills", "300"}});
  Inbox inbox;
  auto subscriber =
      Subscriber("manual", "jobs", &inbox, SubscriptionMode::kClustering, AckMode::kManual);
  auto publisher = Publisher();
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->Publish(Msg("jobs", "job-1")).get().ok());
  ASSERT_EQ(inbox.WaitFor(1), 1u);
  EXPECT_FALSE(inbox.deliveries()[0]->acked());
  // Not acknowledged: the runtime delivers it again after its ack timeout.
  ASSERT_GE(inbox.WaitFor(2), 2u);
  auto deliveries = inbox.deliveries();
  EXPECT_EQ(deliveries[1]->event().data(), "job-1");
  deliveries[1]->Ack();
  EXPECT_TRUE(deliveries[1]->acked());
  // Once acknowledged the next event flows; the acked one is not redelivered after it.
  EXPECT_TRUE(publisher->Publish(Msg("jobs", "job-2")).get().ok());
  ASSERT_TRUE(Eventually([&] {
    for (const auto& d : inbox.deliveries()) {
      if (d->event().data() == "job-2") return true;
    }
    return false;
  }));
  for (const auto& d : inbox.deliveries()) d->Ack();
}

TEST_F(TcpClientTest, ReconnectsAfterTheRuntimeRestartsOnTheSamePort) {
  StartServer();
  const int port = port_;
  Inbox inbox;
  auto subscriber = Subscriber("consumers", "restart", &inbox);
  auto publisher = Publisher();
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->Publish(Msg("restart", "before")).get().ok());
  ASSERT_EQ(inbox.WaitFor(1), 1u);

  StopServer();  // Says SERVER_GOODBYE to both clients.
  ASSERT_TRUE(Eventually([&] { return !publisher->connected() && !subscriber->connected(); }));
  EXPECT_EQ(publisher->stats().server_goodbyes, 1u);
  EXPECT_EQ(subscriber->stats().server_goodbyes, 1u);
  absl::Status offline = publisher->Publish(Msg("restart", "lost")).get();
  EXPECT_EQ(offline.code(), absl::StatusCode::kUnavailable) << offline;
  EXPECT_EQ(offline.message(),
            absl::StrCat("not connected to 127.0.0.1:", port, " (reconnecting)"));

  StartServer(port);
  ASSERT_TRUE(Eventually([&] { return publisher->connected() && subscriber->connected(); }));
  EXPECT_EQ(publisher->stats().connects, 2u);
  EXPECT_EQ(subscriber->stats().connects, 2u);
  // The subscription and LISTEN were re-sent: a new event reaches the subscriber.
  EXPECT_TRUE(publisher->Publish(Msg("restart", "after")).get().ok());
  ASSERT_TRUE(Eventually([&] { return inbox.Bodies().count("after") == 1; }));
}

TEST_F(TcpClientTest, RedirectToAnUnreachableRuntimeFallsBackToTheConfiguredOne) {
  StartServer();
  auto publisher = Publisher();
  ASSERT_NE(publisher, nullptr);
  // A port nobody listens on: bound, then closed.
  int dead_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    dead_port = acceptor.local_endpoint().port();
  }
  EXPECT_EQ(server_->RedirectAll("127.0.0.1", dead_port), 1u);
  ASSERT_TRUE(Eventually([&] { return publisher->stats().redirects == 1; }));
  // Three failed attempts at the dead address, then back to the configured runtime.
  ASSERT_TRUE(Eventually([&] {
    return publisher->connected() &&
           publisher->server_address() == absl::StrCat("127.0.0.1:", port_);
  }));
  EXPECT_EQ(publisher->stats().connects, 2u);
  EXPECT_TRUE(publisher->Publish(Msg("fallback", "after")).get().ok());
}

TEST_F(TcpClientTest, RequestReplyThroughASyncSubscriber) {
  StartServer();
  TcpClientOptions options = Options(ClientPurpose::kSubscribe, "responders");
  auto responder = EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(responder.ok()) << responder.status();
  (*responder)->SetHandler([](std::shared_ptr<Delivery> d) {
    EXPECT_EQ(d->event().kind, EventKind::kRequest);
    Message reply;
    reply.topic = d->event().topic();
    reply.content = absl::StrCat("reply to ", d->event().data());
    absl::Status replied = d->Reply(reply);
    EXPECT_TRUE(replied.ok()) << replied;
  });
  ASSERT_TRUE((*responder)
                  ->Subscribe("rr-topic", SubscriptionMode::kClustering, SubscriptionType::kSync)
                  .ok());
  ASSERT_TRUE((*responder)->Listen().ok());

  auto requester = Publisher();
  ASSERT_NE(requester, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto reply = requester->Request(Msg("rr-topic", absl::StrCat("q", i)), absl::Seconds(20));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->kind, EventKind::kResponse);
    EXPECT_EQ(reply->data(), absl::StrCat("reply to q", i));
  }
}

TEST_F(TcpClientTest, ReplyIsOnlyForRequests) {
  StartServer();
  Inbox inbox;
  auto subscriber = Subscriber("consumers", "plain", &inbox);
  auto publisher = Publisher();
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->Publish(Msg("plain", "x")).get().ok());
  ASSERT_EQ(inbox.WaitFor(1), 1u);
  EXPECT_EQ(inbox.deliveries()[0]->Reply(Msg("plain", "y")),
            absl::FailedPreconditionError("Reply is only for REQUEST_TO_CLIENT deliveries"));
}

TEST_F(TcpClientTest, HeartbeatsKeepAnIdleSessionAlive) {
  // The runtime expires sessions silent for 500 ms; the client heartbeats every 50 ms.
  StartServer(0, {{"eventMesh.server.session.expiredInMills", "500"}});
  TcpClientOptions options = Options(ClientPurpose::kPublish, "producers");
  options.heartbeat_interval = absl::Milliseconds(50);
  auto client = EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::SleepFor(absl::Seconds(2));
  EXPECT_TRUE((*client)->connected());
  EXPECT_EQ((*client)->stats().connects, 1u);
  EXPECT_TRUE((*client)->Publish(Msg("hb", "still here")).get().ok());
}

TEST_F(TcpClientTest, CloseSaysGoodbyeAndLaterCallsAreCancelled) {
  StartServer();
  auto publisher = Publisher();
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->Close().ok());
  EXPECT_FALSE(publisher->connected());
  EXPECT_TRUE(publisher->Close().ok());  // Idempotent.
  EXPECT_EQ(publisher->Publish(Msg("t", "x")).get(), absl::CancelledError("client closed"));
  EXPECT_EQ(publisher->Listen(), absl::CancelledError("client closed"));
}

TEST_F(TcpClientTest, RuntimeErrorsCarryTheDesc) {
  StartServer();
  auto publisher = Publisher();
  ASSERT_NE(publisher, nullptr);
  // LISTEN on a pub session is refused by the runtime.
  EXPECT_EQ(publisher->Listen(),
            absl::InternalError("LISTEN_REQUEST needs a session with purpose \"sub\""));
  // Invalid events never leave the client.
  EXPECT_EQ(publisher->Publish(Msg("", "x")).get(),
            absl::InvalidArgumentError("EventMeshMessage topic is required"));
  EXPECT_EQ(publisher->Subscribe("", SubscriptionMode::kClustering, SubscriptionType::kAsync),
            absl::InvalidArgumentError("topic is required"));
  EXPECT_EQ(publisher->Unsubscribe("never"),
            absl::NotFoundError("not subscribed to topic \"never\""));
}

TEST_F(TcpClientTest, BlockingCallsFromTheHandlerAreRefused) {
  StartServer();
  Inbox inbox;
  std::promise<absl::Status> from_handler;
  TcpClientOptions options = Options(ClientPurpose::kSubscribe, "consumers");
  auto subscriber = EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  EventMeshTcpClient* raw = subscriber->get();
  bool first = true;
  (*subscriber)->SetHandler([&, raw](std::shared_ptr<Delivery>) {
    if (!first) return;
    first = false;
    from_handler.set_value(
        raw->Subscribe("other", SubscriptionMode::kClustering, SubscriptionType::kAsync));
  });
  ASSERT_TRUE(
      (*subscriber)
          ->Subscribe("handler-topic", SubscriptionMode::kClustering, SubscriptionType::kAsync)
          .ok());
  ASSERT_TRUE((*subscriber)->Listen().ok());
  auto publisher = Publisher();
  ASSERT_NE(publisher, nullptr);
  EXPECT_TRUE(publisher->Publish(Msg("handler-topic", "x")).get().ok());
  EXPECT_EQ(from_handler.get_future().get(),
            absl::FailedPreconditionError(
                "Subscribe is a blocking call and cannot run on the client's io thread (inside a "
                "callback); use the asynchronous form"));
}

TEST_F(TcpClientTest, ConnectErrors) {
  StartServer();
  const int port = port_;
  StopServer();
  TcpClientOptions options = Options(ClientPurpose::kPublish, "producers");
  options.port = port;
  auto refused = EventMeshTcpClient::Connect(options);
  EXPECT_EQ(refused.status(), absl::UnavailableError(absl::StrCat(
                                  "cannot connect to 127.0.0.1:", port, ": Connection refused")));
  options.group = "";
  EXPECT_EQ(EventMeshTcpClient::Connect(options).status(),
            absl::InvalidArgumentError("group is required"));
}

TEST_F(TcpClientTest, WithoutAutoReconnectTheClientStaysDown) {
  StartServer();
  const int port = port_;
  TcpClientOptions options = Options(ClientPurpose::kPublish, "producers");
  options.auto_reconnect = false;
  auto publisher = EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  StopServer();
  ASSERT_TRUE(Eventually([&] { return !(*publisher)->connected(); }));
  EXPECT_EQ((*publisher)->Publish(Msg("t", "x")).get(),
            absl::UnavailableError(absl::StrCat("not connected to 127.0.0.1:", port)));
}

}  // namespace
}  // namespace eventmesh::sdk
