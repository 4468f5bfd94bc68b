// Decodes the frames of testdata/java_sdk/ (bytes as Apache EventMesh's Java SDK encodes them;
// see the README there) with our codec and checks every field, then re-encodes the decoded
// package and checks the header and body survive a round trip.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/command.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/subscription.h"
#include "eventmesh/protocol/tcp/user_agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

std::string ReadGolden(const std::string& name) {
  std::string path = absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"),
                                  "/eventmesh/protocol/tcp/testdata/java_sdk/", name, ".bin");
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  EXPECT_FALSE(data.str().empty()) << path;
  return data.str();
}

// The one frame of golden `name`, decoded without a preset convention (as a runtime does).
Package Decode(const std::string& name) {
  std::string bytes = ReadGolden(name);
  PackageDecoder decoder;
  decoder.Feed(bytes);
  auto next = decoder.Next();
  EXPECT_TRUE(next.ok()) << name << ": " << next.status();
  if (!next.ok() || !next->has_value()) {
    ADD_FAILURE() << name << ": no complete frame";
    return {};
  }
  EXPECT_EQ((*next)->convention, LengthConvention::kCurrent) << name;
  EXPECT_EQ((*next)->frame_size, bytes.size()) << name;
  EXPECT_EQ(decoder.buffered_bytes(), 0u) << name;
  return (*next)->package;
}

void ExpectPlainHeader(const Package& p, Command cmd, const std::string& seq) {
  EXPECT_EQ(p.header.cmd, cmd);
  EXPECT_EQ(p.header.code, 0);
  EXPECT_EQ(p.header.desc, "");  // Java null: left out by Jackson.
  EXPECT_EQ(p.header.seq, seq);
}

void ExpectJavaUserAgent(const Package& p, const std::string& purpose) {
  auto ua = UserAgent::FromJson(p.body);
  ASSERT_TRUE(ua.ok()) << ua.status();
  EXPECT_EQ(ua->env, "test");
  EXPECT_EQ(ua->subsystem, "5023");
  EXPECT_EQ(ua->path, "/data/app/umg_proxy");
  EXPECT_EQ(ua->pid, 32893);
  EXPECT_EQ(ua->host, "127.0.0.1");
  EXPECT_EQ(ua->port, 8362);
  EXPECT_EQ(ua->version, "2.0.11");
  EXPECT_EQ(ua->username, "eventmesh");
  EXPECT_EQ(ua->password, "pass");
  EXPECT_EQ(ua->token, "");  // Not copied by MessageUtils.getUserAgent: absent.
  EXPECT_EQ(ua->idc, "FT");
  EXPECT_EQ(ua->group, "EventmeshTestGroup");
  EXPECT_EQ(ua->purpose, purpose);
  EXPECT_EQ(ua->unack, 0);
}

const Header::Properties kMessageProperties = {
    {"protocoltype", "eventmeshmessage"}, {"protocolversion", "1.0"}, {"protocoldesc", "tcp"}};

TEST(JavaSdkGoldenTest, HelloPub) {
  Package p = Decode("hello_pub");
  ExpectPlainHeader(p, Command::kHelloRequest, "4170325681");
  EXPECT_TRUE(p.header.properties.empty());
  ExpectJavaUserAgent(p, "pub");
}

TEST(JavaSdkGoldenTest, HelloSub) {
  Package p = Decode("hello_sub");
  ExpectPlainHeader(p, Command::kHelloRequest, "5208163347");
  ExpectJavaUserAgent(p, "sub");
}

TEST(JavaSdkGoldenTest, HeartbeatListenUnsubscribeGoodbyeHaveNoBody) {
  struct Case {
    std::string name;
    Command cmd;
    std::string seq;
  };
  for (const Case& c : {Case{"heartbeat", Command::kHeartbeatRequest, "7312058846"},
                        Case{"listen", Command::kListenRequest, "8041726355"},
                        Case{"unsubscribe", Command::kUnsubscribeRequest, "4462810573"},
                        Case{"goodbye", Command::kClientGoodbyeRequest, "1750386624"}}) {
    SCOPED_TRACE(c.name);
    Package p = Decode(c.name);
    ExpectPlainHeader(p, c.cmd, c.seq);
    EXPECT_TRUE(p.header.properties.empty());
    EXPECT_EQ(p.body, "");
  }
}

TEST(JavaSdkGoldenTest, Subscribe) {
  Package p = Decode("subscribe");
  ExpectPlainHeader(p, Command::kSubscribeRequest, "2635104788");
  auto sub = Subscription::FromJson(p.body);
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_EQ(sub->topic_list.size(), 1u);
  EXPECT_EQ(sub->topic_list[0].topic, "TEST-TOPIC-TCP-ASYNC");
  EXPECT_EQ(sub->topic_list[0].mode, SubscriptionMode::kClustering);
  EXPECT_EQ(sub->topic_list[0].type, SubscriptionType::kAsync);
}

TEST(JavaSdkGoldenTest, PublishAsync) {
  Package p = Decode("publish_async");
  ExpectPlainHeader(p, Command::kAsyncMessageToServer, "3582017466");
  EXPECT_EQ(p.header.properties, kMessageProperties);
  auto msg = EventMeshMessage::FromJson(p.body);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->topic, "TEST-TOPIC-TCP-ASYNC");
  EXPECT_EQ(msg->body, "testAsyncMessage");
  EXPECT_EQ(msg->properties,
            (std::map<std::string, std::string>{{"ttl", "30000"}, {"keys", "4d2c"}}));
  EXPECT_TRUE(msg->headers.empty());
}

TEST(JavaSdkGoldenTest, PublishBroadcast) {
  Package p = Decode("publish_broadcast");
  ExpectPlainHeader(p, Command::kBroadcastMessageToServer, "6024481735");
  EXPECT_EQ(p.header.properties, kMessageProperties);
  auto msg = EventMeshMessage::FromJson(p.body);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->topic, "TEST-TOPIC-TCP-BROADCAST");
  EXPECT_EQ(msg->body, "testBroadcastMessage");
  EXPECT_EQ(msg->properties, (std::map<std::string, std::string>{{"ttl", "30000"}}));
  EXPECT_TRUE(msg->headers.empty());
}

// The Java SDK echoes a push's body in its ack as the String its decoder made of it, so the ack
// body is a JSON string literal holding the push's JSON.
TEST(JavaSdkGoldenTest, AsyncMessageAckBodyIsAJsonString) {
  Package p = Decode("async_message_ack");
  ExpectPlainHeader(p, Command::kAsyncMessageToClientAck, "15");
  EXPECT_TRUE(p.header.properties.empty());
  ASSERT_FALSE(p.body.empty());
  EXPECT_EQ(p.body.front(), '"');
  EXPECT_EQ(p.body.back(), '"');
  EXPECT_THAT(p.body, ::testing::HasSubstr(R"(\"body\":\"testAsyncMessage\")"));
}

// Our encoder, given what we decoded, writes a frame our decoder reads back to the same package
// (the Java key order and the duplicate "command" key are not reproduced, and need not be).
TEST(JavaSdkGoldenTest, DecodedPackagesRoundTrip) {
  for (const char* name :
       {"hello_pub", "hello_sub", "heartbeat", "subscribe", "listen", "publish_async",
        "publish_broadcast", "async_message_ack", "unsubscribe", "goodbye"}) {
    SCOPED_TRACE(name);
    Package p = Decode(name);
    auto frame = EncodePackage(p, LengthConvention::kCurrent);
    ASSERT_TRUE(frame.ok()) << frame.status();
    PackageDecoder decoder(LengthConvention::kCurrent);
    decoder.Feed(*frame);
    auto again = decoder.Next();
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ((*again)->package, p);
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
