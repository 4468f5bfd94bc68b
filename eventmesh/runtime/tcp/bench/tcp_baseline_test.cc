// tcp_baseline, the store-less forwarder the runtime's rate is measured against, run as a process
// and driven over loopback TCP by the tests' EventMesh client: it must do the protocol's part of
// an event (HELLO, SUBSCRIBE, LISTEN, a publish acknowledged with its seq, the body pushed
// unchanged to a listener) or its figures would not be a ceiling of anything.

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/tcp/command.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::tcp {
namespace {

using protocol::tcp::Command;
using protocol::tcp::LengthConvention;
using ::testing::HasSubstr;
using TestClient = runtime::testing::TestClient;

class TcpBaselineTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    port_ = eventmesh::testing::FreeLoopbackPort();
    auto process = eventmesh::testing::ChildProcess::Start(
        "eventmesh/runtime/tcp/bench/tcp_baseline", {absl::StrCat(port_), absl::StrCat(GetParam())},
        absl::StrCat(getenv("TEST_TMPDIR"), "/tcp_baseline.log"));
    ASSERT_TRUE(process.ok()) << process.status();
    process_ = std::move(*process);
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline && !Connect().ok()) absl::SleepFor(absl::Milliseconds(20));
    ASSERT_TRUE(Connect().ok()) << process_->LogTail();
  }

  absl::StatusOr<std::unique_ptr<TestClient>> Connect(
      LengthConvention convention = LengthConvention::kCurrent) {
    return TestClient::Connect(port_, convention);
  }

  // A client past HELLO (and, for a subscriber, SUBSCRIBE and LISTEN on `topic`), writing frames
  // in `convention` and reading the answers only in it.
  std::unique_ptr<TestClient> Client(const std::string& purpose, const std::string& topic = "",
                                     LengthConvention convention = LengthConvention::kCurrent) {
    auto client = Connect(convention);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, "baseline-group");
    EXPECT_TRUE(hello.ok()) << hello.status();
    if (hello.ok()) {
      EXPECT_EQ(hello->header.cmd, Command::kHelloResponse);
      EXPECT_EQ(hello->header.code, 0);
    }
    if (!topic.empty()) {
      auto subscribed = (*client)->Subscribe(topic);
      EXPECT_TRUE(subscribed.ok() && subscribed->header.cmd == Command::kSubscribeResponse &&
                  subscribed->header.code == 0);
      auto listening = (*client)->Listen();
      EXPECT_TRUE(listening.ok() && listening->header.cmd == Command::kListenResponse &&
                  listening->header.code == 0);
    }
    return std::move(*client);
  }

  int port_ = 0;
  std::unique_ptr<eventmesh::testing::ChildProcess> process_;
};

TEST_P(TcpBaselineTest, AcknowledgesEachPublishAndPushesItsBodyUnchanged) {
  std::unique_ptr<TestClient> subscriber = Client("sub", "baseline-topic");
  // Two publishers, connected one after the other: with two threads one of them is on the
  // other thread than the subscriber, so its pushes are handed over between threads.
  std::unique_ptr<TestClient> first = Client("pub");
  std::unique_ptr<TestClient> second = Client("pub");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  constexpr int kEvents = 50;
  std::vector<std::string> sent;
  for (int i = 0; i < kEvents; ++i) {
    const std::string body = absl::StrCat("event ", i);
    auto ack = (i % 2 == 0 ? first : second)->Publish("baseline-topic", body);
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->header.cmd, Command::kAsyncMessageToServerAck);
    EXPECT_EQ(ack->header.code, 0) << ack->header.desc;
    sent.push_back(
        TestClient::MessagePackage(Command::kAsyncMessageToServer, "baseline-topic", body).body);
  }
  for (int i = 0; i < kEvents; ++i) {
    // Each publish was acknowledged before the next was sent, so the pushes come in order.
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << "push " << i << ": " << push.status();
    EXPECT_EQ(push->body, sent[static_cast<size_t>(i)]);
    ASSERT_TRUE(push->header.seq.has_value());
    EXPECT_TRUE(subscriber->Ack(*push).ok());
  }
  // The subscriber's acknowledgements were read as frames: its connection still answers.
  auto heartbeat = subscriber->Request(
      protocol::tcp::Package{protocol::tcp::Header{Command::kHeartbeatRequest}, ""});
  ASSERT_TRUE(heartbeat.ok()) << heartbeat.status();
  EXPECT_EQ(heartbeat->header.cmd, Command::kHeartbeatResponse);
}

TEST_P(TcpBaselineTest, FramesSplitAcrossReadsAndLargeBodiesArrive) {
  std::unique_ptr<TestClient> subscriber = Client("sub", "baseline-topic");
  std::unique_ptr<TestClient> publisher = Client("pub");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  // One publish written in three pieces with pauses between them (the first shorter than the
  // frame's prefix), then one with a 1 MiB body (several reads of the forwarder's 256 KiB).
  protocol::tcp::Package split =
      TestClient::MessagePackage(Command::kAsyncMessageToServer, "baseline-topic", "split");
  split.header.seq = "7001";
  auto frame = protocol::tcp::EncodePackage(split, protocol::tcp::LengthConvention::kCurrent);
  ASSERT_TRUE(frame.ok());
  ASSERT_TRUE(publisher->SendRaw(frame->substr(0, 10)).ok());
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(publisher->SendRaw(frame->substr(10, 30)).ok());
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(publisher->SendRaw(frame->substr(40)).ok());
  auto ack = publisher->Next(Command::kAsyncMessageToServerAck);
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->header.seq, "7001");
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->body, split.body);

  const std::string large(1 << 20, 'L');
  auto large_ack = publisher->Publish("baseline-topic", large);
  ASSERT_TRUE(large_ack.ok()) << large_ack.status();
  EXPECT_EQ(large_ack->header.code, 0);
  auto large_push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(large_push.ok()) << large_push.status();
  EXPECT_EQ(
      large_push->body,
      TestClient::MessagePackage(Command::kAsyncMessageToServer, "baseline-topic", large).body);
}

TEST_P(TcpBaselineTest, APublishWithoutAPlainTopicIsRefusedAndOneWithoutListenerAcknowledged) {
  std::unique_ptr<TestClient> publisher = Client("pub");
  ASSERT_NE(publisher, nullptr);
  protocol::tcp::Package no_topic{protocol::tcp::Header{Command::kAsyncMessageToServer},
                                  R"({"body":"x"})"};
  auto refused = publisher->Request(no_topic);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->header.cmd, Command::kAsyncMessageToServerAck);
  EXPECT_EQ(refused->header.code, 1);
  EXPECT_THAT(refused->header.desc, HasSubstr("no plain topic"));
  auto dropped = publisher->Publish("nobody-listens", "x");
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(dropped->header.code, 0);
}

TEST_P(TcpBaselineTest, AMalformedFrameClosesOnlyItsConnection) {
  std::unique_ptr<TestClient> subscriber = Client("sub", "baseline-topic");
  std::unique_ptr<TestClient> publisher = Client("pub");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  auto hostile = Connect();
  ASSERT_TRUE(hostile.ok());
  ASSERT_TRUE((*hostile)->SendRaw(std::string(64, 'Z')).ok());
  EXPECT_TRUE((*hostile)->WaitClosed());
  auto ack = publisher->Publish("baseline-topic", "after the hostile client");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->header.code, 0);
  auto push = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_THAT(push->body, HasSubstr("after the hostile client"));
  // A subscriber that leaves: the forwarder keeps serving its publisher.
  subscriber->Close();
  absl::SleepFor(absl::Milliseconds(100));
  auto later = publisher->Publish("baseline-topic", "nobody left");
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->header.code, 0);
  EXPECT_EQ(process_->Wait(absl::ZeroDuration()), -1) << "the forwarder exited";
}

// Each connection is answered, and pushed to, in the length convention its own frames use (the
// codec's decoder detects it from the first frame), also when a publisher of the other
// convention (with two threads: on the other thread) makes the push.
TEST_P(TcpBaselineTest, EachConnectionGetsFramesInItsOwnLengthConvention) {
  for (const LengthConvention subscriber_convention :
       {LengthConvention::kLegacy, LengthConvention::kCurrent}) {
    const LengthConvention publisher_convention = subscriber_convention == LengthConvention::kLegacy
                                                      ? LengthConvention::kCurrent
                                                      : LengthConvention::kLegacy;
    const std::string topic = subscriber_convention == LengthConvention::kLegacy
                                  ? "legacy-subscriber-topic"
                                  : "current-subscriber-topic";
    std::unique_ptr<TestClient> subscriber = Client("sub", topic, subscriber_convention);
    std::unique_ptr<TestClient> publisher = Client("pub", "", publisher_convention);
    ASSERT_NE(subscriber, nullptr);
    ASSERT_NE(publisher, nullptr);
    for (int i = 0; i < 3; ++i) {
      const std::string body = absl::StrCat("mixed ", i);
      auto ack = publisher->Publish(topic, body);
      ASSERT_TRUE(ack.ok()) << ack.status();
      EXPECT_EQ(ack->header.cmd, Command::kAsyncMessageToServerAck);
      EXPECT_EQ(ack->header.code, 0);
      auto push = subscriber->Next(Command::kAsyncMessageToClient);
      ASSERT_TRUE(push.ok()) << push.status();
      EXPECT_EQ(push->body,
                TestClient::MessagePackage(Command::kAsyncMessageToServer, topic, body).body);
      EXPECT_TRUE(subscriber->Ack(*push).ok());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, TcpBaselineTest, ::testing::Values(1, 2));

}  // namespace
}  // namespace eventmesh::runtime::tcp
