#include "eventmesh/sdk/internal/tcp_messages.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk {
namespace {

using protocol::tcp::Command;
using protocol::tcp::Header;
using protocol::tcp::Package;

CloudEvent SampleCloudEvent() {
  CloudEvent ce;
  ce.set_id("id-1");
  ce.set_source("/sdk/test");
  ce.set_spec_version("1.0");
  ce.set_type("demo");
  ce.set_subject("orders");
  ce.set_data_content_type("text/plain");
  ce.set_data("hello", cloudevents::DataEncoding::kText);
  ce.SetExtension("region", "eu");
  return ce;
}

TEST(MessagesTest, EventMeshMessagePackageCarriesTheProtocolHeaders) {
  Message message;
  message.topic = "orders";
  message.content = "payload";
  message.properties["keys"] = "k1";
  auto package = BuildMessagePackage(Command::kAsyncMessageToServer, "123", message);
  ASSERT_TRUE(package.ok()) << package.status();
  EXPECT_EQ(package->header.cmd, Command::kAsyncMessageToServer);
  EXPECT_EQ(package->header.seq, "123");
  EXPECT_EQ(package->header.properties.at("protocoltype"), "eventmeshmessage");
  EXPECT_EQ(package->header.properties.at("protocolversion"), "1.0");
  EXPECT_EQ(package->header.properties.at("protocoldesc"), "tcp");
  auto decoded = protocol::tcp::EventMeshMessage::FromJson(package->body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(FromProtocolMessage(*decoded), message);
  EXPECT_EQ(package->body,
            "{\"topic\":\"orders\",\"body\":\"payload\",\"properties\":{\"keys\":\"k1\"},"
            "\"headers\":{}}");
}

TEST(MessagesTest, CloudEventPackageIsStructuredJson) {
  CloudEvent ce = SampleCloudEvent();
  auto package = BuildMessagePackage(Command::kBroadcastMessageToServer, "9", ce);
  ASSERT_TRUE(package.ok()) << package.status();
  EXPECT_EQ(package->header.properties.at("protocoltype"), "cloudevents");
  EXPECT_EQ(package->header.properties.at("protocolversion"), "1.0");
  EXPECT_EQ(package->header.properties.at("protocoldesc"), "tcp");
  auto decoded = cloudevents::ParseJsonEvent(package->body);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, ce);
  EXPECT_EQ(TopicOf(ce), "orders");
}

TEST(MessagesTest, MissingTopicIsRejected) {
  Message message;
  message.content = "x";
  EXPECT_EQ(BuildMessagePackage(Command::kAsyncMessageToServer, "1", message).status(),
            absl::InvalidArgumentError("EventMeshMessage topic is required"));
  CloudEvent ce = SampleCloudEvent();
  ce.clear_subject();
  EXPECT_EQ(BuildMessagePackage(Command::kAsyncMessageToServer, "1", ce).status(),
            absl::InvalidArgumentError("CloudEvent subject (the topic) is required"));
  ce = SampleCloudEvent();
  ce.set_id("");
  auto invalid = BuildMessagePackage(Command::kAsyncMessageToServer, "1", ce);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.status(), ce.Validate());
}

TEST(MessagesTest, MessageFrameIsTheEncodedPackage) {
  Message message;
  message.topic = "orders";
  message.content = "pay\"load";
  message.properties = {{"keys", "k1"}, {"ttl", "1"}, {"zz", "\xc3\xa9"}};
  message.ttl_ms = 5000;
  message.unique_id = "u-1";
  message.content_type = "application/json";
  Message no_topic = message;
  no_topic.topic.clear();
  CloudEvent no_subject = SampleCloudEvent();
  no_subject.clear_subject();
  const std::vector<Event> events = {message, Message{"t"}, SampleCloudEvent(), no_topic,
                                     no_subject};
  const Command commands[] = {Command::kAsyncMessageToServer, Command::kBroadcastMessageToServer,
                              Command::kRequestToServer, Command::kResponseToServer};
  // The client's numeric seqs, and a runtime's seq a reply echoes (any text).
  const std::string seqs[] = {"1000000017", "", "seq \"7\""};
  for (const Event& event : events) {
    for (Command cmd : commands) {
      for (const std::string& seq : seqs) {
        SCOPED_TRACE(absl::StrCat(protocol::tcp::CommandName(cmd), " seq ", seq));
        std::string frame = "earlier frames";
        const absl::Status status = AppendMessageFrame(cmd, seq, event, &frame);
        auto package = BuildMessagePackage(cmd, seq, event);
        ASSERT_EQ(status, package.status());
        if (!status.ok()) {
          EXPECT_EQ(frame, "earlier frames");
          continue;
        }
        std::string expected = "earlier frames";
        ASSERT_TRUE(protocol::tcp::EncodePackage(
                        *package, protocol::tcp::LengthConvention::kCurrent, &expected)
                        .ok());
        EXPECT_EQ(frame, expected);
      }
    }
  }
}

TEST(MessagesTest, ParsesPushedEventMeshMessage) {
  protocol::tcp::EventMeshMessage message;
  message.topic = "orders";
  message.body = "b";
  message.properties["ttl"] = "3000";
  Package push;
  push.header.cmd = Command::kAsyncMessageToClient;
  push.header.seq = "42";
  push.header.properties["protocoltype"] = "eventmeshmessage";
  push.body = message.ToJson();
  auto event = ParseMessagePackage(push);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, EventKind::kAsync);
  EXPECT_EQ(event->transport, Transport::kTcp);
  EXPECT_EQ(event->message()->ttl_ms, 3000);
  EXPECT_EQ(event->seq, "42");
  EXPECT_EQ(event->protocol_type, "eventmeshmessage");
  EXPECT_EQ(event->topic(), "orders");
  EXPECT_EQ(event->data(), "b");
  ASSERT_NE(event->property("ttl"), nullptr);
  EXPECT_EQ(*event->property("ttl"), "3000");
  EXPECT_EQ(event->property("absent"), nullptr);
  ASSERT_NE(event->message(), nullptr);
  EXPECT_EQ(event->cloud_event(), nullptr);

  push.header.properties.clear();  // No protocoltype: eventmeshmessage.
  EXPECT_TRUE(ParseMessagePackage(push).ok());
}

TEST(MessagesTest, ParsesPushedCloudEvent) {
  CloudEvent ce = SampleCloudEvent();
  Package push;
  push.header.cmd = Command::kBroadcastMessageToClient;
  push.header.seq = "5";
  push.header.properties["protocoltype"] = "cloudevents";
  push.body = cloudevents::SerializeJsonEvent(ce);
  auto event = ParseMessagePackage(push);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->kind, EventKind::kBroadcast);
  ASSERT_NE(event->cloud_event(), nullptr);
  EXPECT_EQ(*event->cloud_event(), ce);
  EXPECT_EQ(event->topic(), "orders");
  EXPECT_EQ(event->data(), "hello");
  ASSERT_NE(event->property("region"), nullptr);
  EXPECT_EQ(*event->property("region"), "eu");
}

TEST(MessagesTest, UnsupportedProtocolTypeAndBadBodiesAreErrors) {
  Package push;
  push.header.cmd = Command::kAsyncMessageToClient;
  push.header.properties["protocoltype"] = "openmessage";
  push.body = "{}";
  EXPECT_EQ(ParseMessagePackage(push).status(),
            absl::InvalidArgumentError("unsupported protocoltype \"openmessage\""));
  push.header.properties["protocoltype"] = "eventmeshmessage";
  push.body = "{not json";
  EXPECT_EQ(ParseMessagePackage(push).status().code(), absl::StatusCode::kInvalidArgument);
  push.header.properties["protocoltype"] = "cloudevents";
  EXPECT_EQ(ParseMessagePackage(push).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessagesTest, AckCommands) {
  EXPECT_EQ(AckCommandFor(Command::kAsyncMessageToClient), Command::kAsyncMessageToClientAck);
  EXPECT_EQ(AckCommandFor(Command::kBroadcastMessageToClient),
            Command::kBroadcastMessageToClientAck);
  EXPECT_EQ(AckCommandFor(Command::kRequestToClient), Command::kRequestToClientAck);
  EXPECT_EQ(AckCommandFor(Command::kResponseToClient), Command::kResponseToClientAck);
  EXPECT_EQ(AckCommandFor(Command::kHelloResponse), std::nullopt);
  Package ack = BuildControlPackage(Command::kAsyncMessageToClientAck, "77");
  EXPECT_EQ(ack.header.seq, "77");
  EXPECT_EQ(ack.header.code, 0);
  EXPECT_TRUE(ack.body.empty());
  EXPECT_FALSE(BuildControlPackage(Command::kHeartbeatRequest, "").header.seq.has_value());
  for (EventKind kind :
       {EventKind::kAsync, EventKind::kBroadcast, EventKind::kRequest, EventKind::kResponse}) {
    EXPECT_EQ(EventKindOf(PushCommandOf(kind)), kind);
  }
  EXPECT_EQ(EventKindOf(Command::kHelloResponse), std::nullopt);
}

TEST(MessagesTest, StatusFromReplyMapsCodes) {
  Header header;
  header.cmd = Command::kHelloResponse;
  EXPECT_TRUE(StatusFromReply(header).ok());
  header.code = 1;
  header.desc = "UserAgent group is required (non-blank)";
  EXPECT_EQ(StatusFromReply(header),
            absl::InternalError("UserAgent group is required (non-blank)"));
  header.desc = "";
  EXPECT_EQ(StatusFromReply(header), absl::InternalError("HELLO_RESPONSE failed with code 1"));
  header.code = 2;
  header.desc = "acl denied";
  EXPECT_EQ(StatusFromReply(header), absl::PermissionDeniedError("acl denied"));
  header.code = 3;
  header.desc = "busy";
  EXPECT_EQ(StatusFromReply(header), absl::ResourceExhaustedError("busy"));
  header.code = 1;
  header.desc = "Tps overload, global flow control";
  EXPECT_EQ(StatusFromReply(header),
            absl::ResourceExhaustedError("Tps overload, global flow control"));
  header.cmd = Command::kResponseToClient;
  header.desc = "request timed out: no response within 3000 ms (ttl)";
  EXPECT_EQ(StatusFromReply(header),
            absl::DeadlineExceededError("request timed out: no response within 3000 ms (ttl)"));
}

}  // namespace
}  // namespace eventmesh::sdk
