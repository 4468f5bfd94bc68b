// The gRPC frontend in a real runtime over loopback: publish, batch publish, subscribeStream
// with automatic and client acknowledgements, redelivery, flow control, request-reply, unary
// unsubscribe, heartbeat, events crossing gRPC and TCP, and hostile input.

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/grpc/bounded_messages.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/grpc/testing/grpc_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/testing/peak_memory.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::grpc {
namespace {

using protocol::grpc::Attr;
using protocol::grpc::ResponseCode;
using protocol::grpc::SetAttr;
using protocol::grpc::SubscriptionItem;
using protocol::tcp::Command;
using runtime::testing::TestClient;
using namespace testing;  // NOLINT: the gRPC test helpers
namespace key = protocol::grpc::key;

class GrpcFrontendTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok()); }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void Start(std::map<std::string, std::string> properties = {}) {
    properties.emplace("eventMesh.server.provide.protocols", "TCP,HTTP,GRPC");
    properties.emplace("eventMesh.server.http.webhook.enabled", "false");
    properties.emplace("eventMesh.server.tcp.RebalanceIntervalInMills", "0");
    auto server = runtime::testing::StartTestServer(std::move(properties),
                                                    runtime::testing::TestDataDir(), registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->port_of("grpc"), 0);
    channel_ = Channel(server_->port_of("grpc"));
  }

  // Publishes `text` to `topic` and expects code 0.
  void PublishOk(const std::string& topic, const std::string& text) {
    auto response = Publish(channel_, TextEvent(topic, text));
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(ResponseCode(*response), 0) << Attr(*response, key::kResponseMessage);
  }

  std::unique_ptr<StreamClient> Subscriber(const std::string& group, const std::string& topic,
                                           bool client_acks = false, bool sync = false) {
    auto client = std::make_unique<StreamClient>(channel_);
    auto answer = client->Subscribe(
        SubscriptionEvent(group, {SubscriptionItem{topic, false, sync}}, "", client_acks));
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (answer.ok()) {
      EXPECT_EQ(ResponseCode(*answer), 0) << Attr(*answer, key::kResponseMessage);
      EXPECT_EQ(Attr(*answer, key::kResponseMessage), "subscribe success");
    }
    return client;
  }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<::grpc::Channel> channel_;
};

TEST_F(GrpcFrontendTest, PublishedEventsReachAStreamSubscriber) {
  Start();
  auto subscriber = Subscriber("g1", "orders");
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i) PublishOk("orders", absl::StrCat("event-", i));
  // Every event arrives once (order per partition: PartitionOrderIsKeptWithOnePartition).
  std::set<std::string> seen;
  for (int i = 0; i < kCount; ++i) {
    auto event = subscriber->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status() << " after " << i;
    EXPECT_EQ(Attr(*event, key::kSubject), "orders");
    EXPECT_FALSE(Attr(*event, key::kPushSeq).empty());
    EXPECT_EQ(Attr(*event, key::kPasswd), "");  // credentials are never stored or pushed
    seen.insert(event->text_data());
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
}

// Plain events (string attributes only) are pushed from their stored bytes with the push's
// attributes appended, others decoded and re-encoded: both carry the event as published (no
// credentials), a pushseq, and the event id for a missing seqnum.
TEST_F(GrpcFrontendTest, PushesCarryTheEventAndThePushAttributesWhateverItsForm) {
  Start();
  auto subscriber = Subscriber("g-forms", "forms");
  pb::CloudEvent plain = TextEvent("forms", "plain");
  plain.mutable_attributes()->erase(key::kSeqNum);
  SetAttr(&plain, "color", "blue");
  pb::CloudEvent typed = TextEvent("forms", "typed");
  typed.mutable_attributes()->erase(key::kSeqNum);
  (*typed.mutable_attributes())["priority"].set_ce_integer(7);
  for (const pb::CloudEvent* event : {&plain, &typed}) {
    auto answer = Publish(channel_, *event);
    ASSERT_TRUE(answer.ok()) << answer.status();
    ASSERT_EQ(ResponseCode(*answer), 0) << Attr(*answer, key::kResponseMessage);
  }
  std::set<std::string> push_seqs;
  for (int i = 0; i < 2; ++i) {
    auto pushed = subscriber->NextEvent();
    ASSERT_TRUE(pushed.ok()) << pushed.status();
    ASSERT_TRUE(pushed->text_data() == "plain" || pushed->text_data() == "typed")
        << pushed->text_data();
    const pb::CloudEvent* published = pushed->text_data() == "plain" ? &plain : &typed;
    if (published == &plain) {
      EXPECT_EQ(Attr(*pushed, "color"), "blue");
    } else {
      ASSERT_EQ(pushed->attributes().count("priority"), 1u);
      EXPECT_EQ(pushed->attributes().at("priority").ce_integer(), 7);
    }
    EXPECT_EQ(pushed->id(), published->id());
    EXPECT_EQ(pushed->source(), published->source());
    EXPECT_EQ(pushed->type(), published->type());
    EXPECT_EQ(Attr(*pushed, key::kSeqNum), published->id());
    EXPECT_EQ(Attr(*pushed, key::kUniqueId), Attr(*published, key::kUniqueId));
    EXPECT_EQ(Attr(*pushed, key::kSubject), "forms");
    EXPECT_EQ(Attr(*pushed, key::kPasswd), "");
    EXPECT_EQ(Attr(*pushed, key::kEnv), Attr(*published, key::kEnv));
    EXPECT_EQ(Attr(*pushed, key::kProtocolDesc), "grpc-cloud-event");
    push_seqs.insert(Attr(*pushed, key::kPushSeq));
    ASSERT_TRUE(subscriber->Ack(*pushed));
  }
  EXPECT_EQ(push_seqs.size(), 2u);
  EXPECT_EQ(push_seqs.count(""), 0u);
}

// The admin port lists stream subscribers beside TCP sessions (Server::Clients feeds /v1/clients).
TEST_F(GrpcFrontendTest, StreamSubscribersAreListedAsClients) {
  Start();
  auto subscriber = Subscriber("listed", "audit");
  std::vector<admin::ClientInfo> grpc_clients;
  for (const admin::ClientInfo& client : server_->Clients()) {
    if (client.protocol == "grpc") grpc_clients.push_back(client);
  }
  ASSERT_EQ(grpc_clients.size(), 1u);
  EXPECT_EQ(grpc_clients[0].group, "listed");
  EXPECT_EQ(grpc_clients[0].purpose, "sub");
  EXPECT_EQ(grpc_clients[0].topics, std::vector<std::string>{"audit"});
  EXPECT_EQ(grpc_clients[0].address, "127.0.0.1");
  EXPECT_FALSE(grpc_clients[0].id.empty());
  subscriber.reset();  // the stream ends
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = true;
    for (const admin::ClientInfo& client : server_->Clients()) {
      if (client.protocol == "grpc") gone = false;
    }
    if (!gone) absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_TRUE(gone) << "a closed stream is still listed";
}

TEST_F(GrpcFrontendTest, PublishAnswerIsApachesSuccessShape) {
  Start();
  pb::CloudEvent event = TextEvent("shape", "x");
  auto response = Publish(channel_, event);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(Attr(*response, key::kStatusCode), "0");
  EXPECT_EQ(Attr(*response, key::kResponseMessage),
            absl::StrCat("success SendResult[topic=shape, messageId=", event.id(), "]"));
  EXPECT_TRUE(response->attributes().at(key::kTime).has_ce_timestamp());
  EXPECT_EQ(response->spec_version(), "1.0");
}

TEST_F(GrpcFrontendTest, PartitionOrderIsKeptWithOnePartition) {
  Start({{"eventMesh.server.topic.defaultPartitions", "1"}});
  auto subscriber = Subscriber("g-order", "ordered");
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) PublishOk("ordered", absl::StrCat(i));
  for (int i = 0; i < kCount; ++i) {
    auto event = subscriber->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_EQ(event->text_data(), absl::StrCat(i));
  }
}

TEST_F(GrpcFrontendTest, BatchPublish) {
  Start();
  auto subscriber = Subscriber("g-batch", "batch");
  pb::CloudEventBatch batch;
  for (int i = 0; i < 5; ++i) *batch.add_events() = TextEvent("batch", absl::StrCat("b", i));
  auto response = BatchPublish(channel_, batch);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(ResponseCode(*response), 0);
  EXPECT_EQ(Attr(*response, key::kResponseMessage), "success batch publish success");
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    auto event = subscriber->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status();
    seen.insert(event->text_data());
  }
  EXPECT_EQ(seen.size(), 5u);
  auto empty = BatchPublish(channel_, pb::CloudEventBatch());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(ResponseCode(*empty), 7);
}

TEST_F(GrpcFrontendTest, UnackedEventsOfAClosedStreamAreRedelivered) {
  Start();
  auto first = Subscriber("g-redeliver", "work", /*client_acks=*/true);
  PublishOk("work", "job-1");
  auto pushed = first->NextEvent();
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->text_data(), "job-1");
  // Not acknowledged: the stream goes away, the event goes to the next member.
  first->Close();
  first.reset();
  auto second = Subscriber("g-redeliver", "work", /*client_acks=*/true);
  auto again = second->NextEvent();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->text_data(), "job-1");
  ASSERT_TRUE(second->Ack(*again));
  // Acknowledged: the group's position moved past it.
  auto consumers = server_->consumers();
  for (int i = 0; i < 400; ++i) {
    bool acked = false;
    for (const auto& summary : consumers->Consumers()) {
      if (summary.group == "g-redeliver" && summary.stats.acked >= 1) acked = true;
    }
    if (acked) break;
    absl::SleepFor(absl::Milliseconds(25));
  }
  bool acked = false;
  for (const auto& summary : consumers->Consumers()) {
    if (summary.group == "g-redeliver") {
      EXPECT_EQ(summary.stats.in_flight, 0);
      acked = summary.stats.acked >= 1;
    }
  }
  EXPECT_TRUE(acked);
}

TEST_F(GrpcFrontendTest, AStreamWindowBoundsUnacknowledgedPushes) {
  Start({{"eventMesh.server.grpc.streamWindowSize", "2"}});
  auto subscriber = Subscriber("g-window", "flow", /*client_acks=*/true);
  for (int i = 0; i < 5; ++i) PublishOk("flow", absl::StrCat("f", i));
  std::vector<pb::CloudEvent> received;
  for (int i = 0; i < 2; ++i) {
    auto event = subscriber->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status();
    received.push_back(*event);
  }
  // The other three wait in the group (not in a queue of the stream) until acks open the window.
  auto consumers = server_->consumers();
  auto stats = [&] {
    for (const auto& summary : consumers->Consumers()) {
      if (summary.group == "g-window") return summary.stats;
    }
    return core::ConsumerStats{};
  };
  for (int i = 0; i < 400 && stats().pending + stats().in_flight < 5; ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  EXPECT_EQ(stats().in_flight, 2);
  EXPECT_EQ(stats().pending, 3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(subscriber->Ack(received[i]));
    auto event = subscriber->NextEvent();
    ASSERT_TRUE(event.ok()) << event.status();
    received.push_back(*event);
  }
  std::set<std::string> texts;
  for (const auto& event : received) texts.insert(event.text_data());
  EXPECT_EQ(texts.size(), 5u);
}

TEST_F(GrpcFrontendTest, RequestReplyWithAStreamResponder) {
  Start();
  auto responder = Subscriber("responders", "rpc", false, /*sync=*/true);
  std::thread answer([&] {
    auto request = responder->NextEvent();
    ASSERT_TRUE(request.ok()) << request.status();
    EXPECT_EQ(request->text_data(), "ping");
    ASSERT_TRUE(responder->Reply(*request, "pong"));
  });
  auto reply = RequestReply(channel_, TextEvent("rpc", "ping", "10000"));
  answer.join();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text_data(), "pong");
  EXPECT_EQ(Attr(*reply, key::kStatusCode), "");  // the reply itself, no status attributes
}

TEST_F(GrpcFrontendTest, RequestReplyTimesOutWithCode22) {
  Start();
  auto reply = RequestReply(channel_, TextEvent("nobody-answers", "ping", "200"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(ResponseCode(*reply), 22);
  EXPECT_EQ(reply->text_data(), "ping");  // the copy shape
}

TEST_F(GrpcFrontendTest, ShutdownAnswersWaitingRequestsAndEndsStreams) {
  Start();
  auto subscriber = Subscriber("g-shutdown", "bye");
  absl::StatusOr<pb::CloudEvent> reply;
  absl::Notification sent;
  std::thread requester([&] {
    sent.Notify();
    reply = RequestReply(channel_, TextEvent("nobody-listens", "ping", "600000"));
  });
  sent.WaitForNotification();
  // Wait (bounded) until the request is pending in the runtime.
  for (int i = 0; i < 1000 && server_->requests()->pending() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(server_->requests()->pending(), 1u);
  server_->Shutdown();
  requester.join();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(ResponseCode(*reply), 22);
  EXPECT_TRUE(subscriber->WaitEnded());
  server_.reset();
}

TEST_F(GrpcFrontendTest, EventsCrossGrpcAndTcp) {
  Start();
  // TCP publisher -> gRPC subscriber.
  auto grpc_subscriber = Subscriber("g-cross", "cross-a");
  auto tcp_publisher = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(tcp_publisher.ok());
  ASSERT_TRUE((*tcp_publisher)->Hello("pub", "tcp-producers").ok());
  auto published = (*tcp_publisher)->Publish("cross-a", "from-tcp");
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published->header.code, 0);
  auto event = grpc_subscriber->NextEvent();
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->text_data(), "from-tcp");
  EXPECT_EQ(Attr(*event, key::kSubject), "cross-a");
  EXPECT_FALSE(Attr(*event, key::kSeqNum).empty());  // Apache clients need both
  EXPECT_FALSE(Attr(*event, key::kUniqueId).empty());

  // gRPC publisher -> TCP subscriber.
  auto tcp_subscriber = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(tcp_subscriber.ok());
  ASSERT_TRUE((*tcp_subscriber)->Hello("sub", "tcp-consumers").ok());
  ASSERT_TRUE((*tcp_subscriber)->Subscribe("cross-b").ok());
  ASSERT_TRUE((*tcp_subscriber)->Listen().ok());
  PublishOk("cross-b", "from-grpc");
  auto push = (*tcp_subscriber)->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(message.ok()) << push->body;
  EXPECT_EQ(message->body, "from-grpc");
}

TEST_F(GrpcFrontendTest, UnsubscribeEndsOnlyTheCallersSubscription) {
  Start();
  auto mine = std::make_unique<StreamClient>(channel_);
  pb::CloudEvent sub = SubscriptionEvent("g-unsub", {SubscriptionItem{"shared", true, false}});
  ASSERT_EQ(ResponseCode(*mine->Subscribe(sub)), 0);
  auto other = std::make_unique<StreamClient>(channel_);
  pb::CloudEvent other_sub = sub;
  SetAttr(&other_sub, key::kPid, "9999");  // another process of the same group
  ASSERT_EQ(ResponseCode(*other->Subscribe(other_sub)), 0);

  auto unsubscribed = Unsubscribe(channel_, sub);  // pid 4242: only `mine`
  ASSERT_TRUE(unsubscribed.ok());
  EXPECT_EQ(ResponseCode(*unsubscribed), 0);
  EXPECT_EQ(Attr(*unsubscribed, key::kResponseMessage), "success unsubscribe success");

  PublishOk("shared", "after");
  auto event = other->NextEvent();
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->text_data(), "after");
  // `mine` is still open (a later subscription on it works) but got nothing.
  EXPECT_EQ(ResponseCode(*mine->Subscribe(sub)), 0);
  PublishOk("shared", "again");
  auto mine_event = mine->NextEvent();
  ASSERT_TRUE(mine_event.ok()) << mine_event.status();
  EXPECT_EQ(mine_event->text_data(), "again");  // only what came after its new subscription
}

TEST_F(GrpcFrontendTest, HeartbeatKnowsStreamSubscriptions) {
  Start();
  auto subscriber = Subscriber("g-hb", "beats");
  pb::CloudEvent heartbeat;
  SetClientHeader(&heartbeat);
  SetAttr(&heartbeat, key::kConsumerGroup, "g-hb");
  (*heartbeat.mutable_attributes())[key::kClientType].set_ce_integer(2);
  heartbeat.set_text_data(R"([{"topic":"beats","url":"grpc_stream"}])");
  auto answer = Heartbeat(channel_, heartbeat);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(ResponseCode(*answer), 0);
  EXPECT_EQ(Attr(*answer, key::kResponseMessage), "success heartbeat success");

  heartbeat.set_text_data(R"([{"topic":"never-subscribed","url":"grpc_stream"}])");
  answer = Heartbeat(channel_, heartbeat);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(ResponseCode(*answer), 30);
  EXPECT_EQ(Attr(*answer, key::kResponseMessage), "client needs to resubscribe.");

  (*heartbeat.mutable_attributes())[key::kClientType].set_ce_integer(1);
  SetAttr(&heartbeat, key::kProducerGroup, "p");
  answer = Heartbeat(channel_, heartbeat);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(ResponseCode(*answer), 7);  // only subscribers send heartbeats
}

TEST_F(GrpcFrontendTest, HostileInputGetsPreciseCodesAndTheServerKeepsServing) {
  Start({{"eventMesh.server.topic.autoCreate", "false"},
         {"eventMesh.server.grpc.maxMessageSize", "65536"},
         {"eventMesh.server.maxEventSize", "1024"}});
  ASSERT_TRUE(server_->consumers() != nullptr);

  pb::CloudEvent no_header = TextEvent("t", "x");
  no_header.mutable_attributes()->erase(key::kIdc);
  auto r = Publish(channel_, no_header);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ResponseCode(*r), 6);
  EXPECT_EQ(Attr(*r, key::kResponseMessage), "eventMesh CloudEvent[header] err, ");

  pb::CloudEvent bad_pid = TextEvent("t", "x");
  SetAttr(&bad_pid, key::kPid, "12ab");
  EXPECT_EQ(ResponseCode(*Publish(channel_, bad_pid)), 6);

  pb::CloudEvent no_subject = TextEvent("t", "x");
  no_subject.mutable_attributes()->erase(key::kSubject);
  r = Publish(channel_, no_subject);
  EXPECT_EQ(ResponseCode(*r), 7);
  EXPECT_EQ(Attr(*r, key::kResponseMessage),
            "eventMesh CloudEvent[body] err,  attribute subject is required");

  pb::CloudEvent bad_spec = TextEvent("t", "x");
  bad_spec.set_spec_version("9.9");
  EXPECT_EQ(ResponseCode(*Publish(channel_, bad_spec)), 14);

  pb::CloudEvent bad_attribute = TextEvent("t", "x");
  SetAttr(&bad_attribute, "Not-Valid", "v");
  EXPECT_EQ(ResponseCode(*Publish(channel_, bad_attribute)), 14);

  // Unknown topic while auto-creation is off.
  r = Publish(channel_, TextEvent("no-such-topic", "x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ResponseCode(*r), 14);
  EXPECT_NE(Attr(*r, key::kResponseMessage).find("no-such-topic"), std::string::npos);
  StreamClient stream(channel_);
  auto refused = stream.Subscribe(SubscriptionEvent("g", {SubscriptionItem{"no-such-topic"}}));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(ResponseCode(*refused), 17);
  EXPECT_TRUE(stream.WaitEnded());  // Apache completes the stream after a failed subscription

  // Over maxEventSize (accepted by gRPC, refused by the publish policy): 7.
  r = Publish(channel_, TextEvent("t", std::string(2000, 'x')));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ResponseCode(*r), 7);
  // Over the gRPC message limit: gRPC's RESOURCE_EXHAUSTED.
  r = Publish(channel_, TextEvent("t", std::string(100'000, 'x')));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);

  // A malformed subscription on a stream: 7 for a missing group, 17 for bad JSON.
  StreamClient bad_json(channel_);
  pb::CloudEvent junk = SubscriptionEvent("g", {SubscriptionItem{"t"}});
  junk.set_text_data("{not json");
  auto answer = bad_json.Subscribe(junk);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(ResponseCode(*answer), 17);

  // The server keeps serving: the same channel still gets precise answers.
  EXPECT_EQ(ResponseCode(*Publish(channel_, no_header)), 6);
  EXPECT_EQ(ResponseCode(*Publish(channel_, TextEvent("no-such-topic", "x"))), 14);
}

// One completion of `queue` (the raw stream below waits for each step in turn).
bool Await(::grpc::CompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  return queue->Next(&tag, &ok) && ok;
}

void Drain(::grpc::CompletionQueue* queue) {
  queue->Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) {
  }
}

// A batch of two million empty events (4 MB; 2 bytes each on the wire, over 150 each parsed:
// more than 350 MB) is refused before it is parsed, with the reason, and the server keeps
// serving. Sent as raw bytes: building it as a message would cost the test the same memory.
TEST_F(GrpcFrontendTest, AMessageOfTooManyFieldsIsRefusedBeforeItIsParsed) {
  Start();
  std::string empty_events;
  empty_events.reserve(4'000'000);
  for (int i = 0; i < 2'000'000; ++i) empty_events.append("\x0a\x00", 2);
  bool reset = false;
  int64_t before = 0;
  const ::grpc::Status status =
      RawUnaryCall(channel_, "PublisherService/batchPublish", empty_events, [&] {
        reset = eventmesh::testing::ResetPeakRss();
        before = eventmesh::testing::PeakRssBytes();
      });
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "CloudEventBatch message with more than 262144 fields");
  if (reset && before > 0) {
    EXPECT_LT(eventmesh::testing::PeakRssBytes() - before, 32 << 20);
  }
  PublishOk("after-the-refusal", "still serving");
}

// Bytes that are not the method's message get INVALID_ARGUMENT naming the message, on every
// method; a stream that receives them ends with that status.
TEST_F(GrpcFrontendTest, BytesThatAreNotAMessageGetInvalidArgument) {
  Start();
  const std::string truncated(
      "\x0a\x64"
      "abc",
      5);  // field 1: 100 bytes declared, 3 sent
  for (const char* method : {"PublisherService/publish", "PublisherService/publishOneWay",
                             "PublisherService/requestReply", "ConsumerService/subscribe",
                             "ConsumerService/unsubscribe", "HeartbeatService/heartbeat"}) {
    const ::grpc::Status status = RawUnaryCall(channel_, method, truncated);
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_EQ(status.error_message(), "CloudEvent message cannot be parsed") << method;
  }
  for (const char* method :
       {"PublisherService/batchPublish", "PublisherService/batchPublishOneWay"}) {
    const ::grpc::Status status = RawUnaryCall(channel_, method, truncated);
    EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_EQ(status.error_message(), "CloudEventBatch message cannot be parsed") << method;
  }

  // subscribeStream: a good subscription, then bytes that are not a CloudEvent.
  ::grpc::GenericStub stub(channel_);
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ::grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context, std::string(kServicePrefix) + "ConsumerService/subscribeStream", &queue);
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(Await(&queue));
  ::grpc::ByteBuffer subscription;
  ASSERT_TRUE(protocol::grpc::WriteMessage(
                  SubscriptionEvent("raw-group", {SubscriptionItem{"raw-topic"}}), &subscription)
                  .ok());
  call->Write(subscription, reinterpret_cast<void*>(2));
  ASSERT_TRUE(Await(&queue));
  ::grpc::ByteBuffer answer_bytes;
  call->Read(&answer_bytes, reinterpret_cast<void*>(3));
  ASSERT_TRUE(Await(&queue));
  pb::CloudEvent answer;
  ASSERT_TRUE(protocol::grpc::ReadBoundedMessage(answer_bytes, &answer).ok());
  EXPECT_EQ(ResponseCode(answer), 0) << Attr(answer, key::kResponseMessage);
  ::grpc::Slice slice(truncated);
  call->Write(::grpc::ByteBuffer(&slice, 1), reinterpret_cast<void*>(4));
  ASSERT_TRUE(Await(&queue));
  ::grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(Await(&queue));
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "CloudEvent message cannot be parsed");
  Drain(&queue);

  // The stream's subscription ended with it; the port serves on.
  auto subscriber = Subscriber("raw-group", "raw-topic");
  PublishOk("raw-topic", "after the bad stream");
  auto pushed = subscriber->NextEvent(absl::Seconds(10));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->text_data(), "after the bad stream");
}

// Over eventMesh.server.grpc.msgReqnumPerSecond a publish is answered code 21 with a copy of the
// request (Apache's shape), a batch with a fresh answer; the events are not stored.
TEST_F(GrpcFrontendTest, PublishesOverTheRateGetCode21) {
  Start({{"eventMesh.server.grpc.msgReqnumPerSecond", "2"}});
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    const pb::CloudEvent event = TextEvent("limited", absl::StrCat("event-", i));
    auto answer = Publish(channel_, event);
    ASSERT_TRUE(answer.ok()) << answer.status();
    if (ResponseCode(*answer) == 0) {
      ++accepted;
      continue;
    }
    ++refused;
    EXPECT_EQ(ResponseCode(*answer), 21) << Attr(*answer, key::kResponseMessage);
    EXPECT_EQ(answer->id(), event.id());  // the request, copied
    EXPECT_EQ(Attr(*answer, key::kSubject), "limited");
    EXPECT_EQ(answer->text_data(), event.text_data());
  }
  EXPECT_GE(accepted, 1);
  EXPECT_GE(refused, 1);  // 2 permits a second: 10 quick publishes cannot all pass
  pb::CloudEventBatch batch;
  for (int i = 0; i < 5; ++i) *batch.add_events() = TextEvent("limited", "in a batch");
  auto answer = BatchPublish(channel_, batch);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(ResponseCode(*answer), 21) << Attr(*answer, key::kResponseMessage);
}

// A batched event nesting groups past protobuf's depth limit (inside a batch an event is one
// level down) is refused as protobuf refuses it, not published from its bytes; the port serves on.
TEST_F(GrpcFrontendTest, ABatchedEventNestedTooDeeplyIsRefused) {
  Start();
  std::string event = TextEvent("nested", "deep").SerializeAsString();
  event += std::string(100, '\x4b') + std::string(100, '\x4c');  // field 9: 100 nested groups
  ASSERT_LT(event.size(), 16384u);
  std::string batch = "\x0a";  // CloudEventBatch.events
  batch.push_back(static_cast<char>((event.size() & 0x7f) | 0x80));
  batch.push_back(static_cast<char>(event.size() >> 7));
  batch += event;
  const ::grpc::Status status = RawUnaryCall(channel_, "PublisherService/batchPublish", batch);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "CloudEventBatch message cannot be parsed");
  PublishOk("nested", "still serving");
}

TEST_F(GrpcFrontendTest, AclRefusalsGetCode20) {
  const std::string credentials = runtime::testing::TestDataDir() + "-acl.json";
  std::filesystem::create_directories(std::filesystem::path(credentials).parent_path());
  std::ofstream(credentials) << R"({"users":[{"username":"alice","password":"pw",)"
                             << R"("publish":["orders"],"subscribe":["orders"]}]})";
  Start({{"eventMesh.server.security.enabled", "true"},
         {"eventMesh.server.security.credentialsFile", credentials}});
  pb::CloudEvent event = TextEvent("orders", "x");
  auto r = Publish(channel_, event);  // username/passwd are not alice's
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ResponseCode(*r), 20);
  SetAttr(&event, key::kUsername, "alice");
  SetAttr(&event, key::kPasswd, "pw");
  r = Publish(channel_, event);
  EXPECT_EQ(ResponseCode(*r), 0) << Attr(*r, key::kResponseMessage);
  pb::CloudEvent other_topic = event;
  SetAttr(&other_topic, key::kSubject, "payments");
  r = Publish(channel_, other_topic);
  EXPECT_EQ(ResponseCode(*r), 20);
  EXPECT_NE(Attr(*r, key::kResponseMessage).find("payments"), std::string::npos);

  StreamClient stream(channel_);
  pb::CloudEvent sub = SubscriptionEvent("g", {SubscriptionItem{"payments"}});
  SetAttr(&sub, key::kUsername, "alice");
  SetAttr(&sub, key::kPasswd, "pw");
  auto answer = stream.Subscribe(sub);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(ResponseCode(*answer), 20);
}

}  // namespace
}  // namespace eventmesh::runtime::grpc
