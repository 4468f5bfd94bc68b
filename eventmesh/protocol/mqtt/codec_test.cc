#include "eventmesh/protocol/mqtt/codec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::mqtt {
namespace {

using ::testing::HasSubstr;

constexpr uint32_t kMax = 1 << 20;

// Splits one encoded packet into its header and body.
FixedHeader Split(const std::string& wire, absl::string_view* body) {
  auto header = PeekPacket(wire, kMax);
  EXPECT_TRUE(header.ok()) << header.status();
  EXPECT_TRUE(header->has_value());
  EXPECT_EQ((*header)->packet_size(), wire.size());
  *body = absl::string_view(wire).substr((*header)->header_size);
  return **header;
}

TEST(CodecTest, ConnectRoundTripBothVersions) {
  for (Version v : {Version::kV311, Version::kV5}) {
    Connect c;
    c.version = v;
    c.client_id = "sensor-1";
    c.clean_start = false;
    c.keep_alive = 30;
    c.username = "alice";
    c.password = std::string("p\0w", 3);
    Will will;
    will.topic = "home/status";
    will.payload = "offline";
    will.qos = 1;
    will.retain = true;
    if (v == Version::kV5) {
      c.properties.session_expiry_interval = 3600;
      c.properties.receive_maximum = 10;
      c.properties.user_properties = {{"k", "v"}, {"k", "w"}};
      will.properties.will_delay_interval = 5;
      will.properties.content_type = "text/plain";
    }
    c.will = will;
    std::string wire;
    ASSERT_TRUE(EncodeConnect(c, &wire).ok());
    absl::string_view body;
    FixedHeader h = Split(wire, &body);
    EXPECT_EQ(h.type, static_cast<uint8_t>(PacketType::kConnect));
    auto decoded = DecodeConnect(h.flags, body);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->version, v);
    EXPECT_EQ(decoded->client_id, "sensor-1");
    EXPECT_FALSE(decoded->clean_start);
    EXPECT_EQ(decoded->keep_alive, 30);
    EXPECT_EQ(decoded->username, c.username);
    EXPECT_EQ(decoded->password, c.password);
    ASSERT_TRUE(decoded->will.has_value());
    EXPECT_EQ(decoded->will->topic, "home/status");
    EXPECT_EQ(decoded->will->payload, "offline");
    EXPECT_EQ(decoded->will->qos, 1);
    EXPECT_TRUE(decoded->will->retain);
    EXPECT_EQ(decoded->will->properties, will.properties);
    EXPECT_EQ(decoded->properties, c.properties);
  }
}

TEST(CodecTest, ConnectRejectsUnknownProtocolAndBadFlags) {
  // MQIsdp level 3 (MQTT 3.1).
  const std::string v31("\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01x", 15);
  auto c = DecodeConnect(0, v31);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ReasonCodeOf(c.status()), reason::kUnsupportedProtocolVersion);
  // Reserved connect flag bit 0.
  const std::string reserved("\x00\x04MQTT\x04\x03\x00\x3c\x00\x01x", 13);
  c = DecodeConnect(0, reserved);
  EXPECT_EQ(ReasonCodeOf(c.status()), reason::kMalformedPacket);
  EXPECT_THAT(c.status().message(), HasSubstr("reserved connect flag"));
  // Trailing bytes.
  const std::string trailing("\x00\x04MQTT\x04\x02\x00\x3c\x00\x01xZ", 14);
  EXPECT_THAT(DecodeConnect(0, trailing).status().message(), HasSubstr("unexpected bytes"));
  // Client id with invalid UTF-8 and with U+0000.
  EXPECT_THAT(DecodeConnect(0, std::string("\x00\x04MQTT\x04\x02\x00\x3c\x00\x01\xff", 13))
                  .status()
                  .message(),
              HasSubstr("client identifier is not valid UTF-8"));
  EXPECT_FALSE(DecodeConnect(0, std::string("\x00\x04MQTT\x04\x02\x00\x3c\x00\x01\x00", 13)).ok());
  // A string length running past the packet.
  EXPECT_THAT(
      DecodeConnect(0, std::string("\x00\x04MQTT\x04\x02\x00\x3c\x00\x09x", 13)).status().message(),
      HasSubstr("beyond the packet"));
}

TEST(CodecTest, ConnackMapsReasonCodesFor311) {
  struct Case {
    uint8_t reason;
    char code;
  } cases[] = {{reason::kSuccess, 0},
               {reason::kUnsupportedProtocolVersion, 1},
               {reason::kClientIdentifierNotValid, 2},
               {reason::kServerUnavailable, 3},
               {reason::kBadUserNameOrPassword, 4},
               {reason::kNotAuthorized, 5}};
  for (const Case& c : cases) {
    std::string wire;
    ASSERT_TRUE(EncodeConnack({false, c.reason, {}}, Version::kV311, &wire).ok());
    EXPECT_EQ(wire, std::string("\x20\x02\x00", 3) + c.code);
  }
  Connack v5;
  v5.session_present = true;
  v5.reason_code = reason::kBadUserNameOrPassword;
  v5.properties.reason_string = "bad user name or password";
  v5.properties.receive_maximum = 100;
  std::string wire;
  ASSERT_TRUE(EncodeConnack(v5, Version::kV5, &wire).ok());
  absl::string_view body;
  FixedHeader h = Split(wire, &body);
  auto back = DecodeConnack(h.flags, body, Version::kV5);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->session_present);
  EXPECT_EQ(back->reason_code, reason::kBadUserNameOrPassword);
  EXPECT_EQ(back->properties, v5.properties);
}

TEST(CodecTest, PublishRoundTripAndFlags) {
  Publish p;
  p.topic = "home/kitchen/temp";
  p.payload = std::string("21.5\0\xff", 6);
  p.qos = 1;
  p.dup = true;
  p.retain = true;
  p.packet_id = 7;
  p.properties.content_type = "text/plain";
  p.properties.message_expiry_interval = 60;
  p.properties.user_properties = {{"id", "e-1"}, {"source", "/sensors"}};
  p.properties.correlation_data = std::string("\x00\x01", 2);
  for (Version v : {Version::kV311, Version::kV5}) {
    std::string wire;
    ASSERT_TRUE(EncodePublish(p, v, &wire).ok());
    EXPECT_EQ(wire.size(), PublishPacketSize(p, v));
    absl::string_view body;
    FixedHeader h = Split(wire, &body);
    EXPECT_EQ(h.flags, 0x08 | 0x02 | 0x01);
    auto back = DecodePublish(h.flags, body, v);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->topic, p.topic);
    EXPECT_EQ(back->payload, p.payload);
    EXPECT_EQ(back->packet_id, 7);
    EXPECT_TRUE(back->dup);
    EXPECT_TRUE(back->retain);
    if (v == Version::kV5) {
      EXPECT_EQ(back->properties, p.properties);
    } else {
      EXPECT_EQ(back->properties, Properties());
    }
  }
  EXPECT_EQ(ReasonCodeOf(
                DecodePublish(0x06, std::string("\x00\x01t\x00\x01", 5), Version::kV311).status()),
            reason::kMalformedPacket);  // QoS 3
  EXPECT_THAT(DecodePublish(0x08, std::string("\x00\x01t", 3), Version::kV311).status().message(),
              HasSubstr("DUP set on a QoS 0"));
  EXPECT_THAT(
      DecodePublish(0x02, std::string("\x00\x01t\x00\x00", 5), Version::kV311).status().message(),
      HasSubstr("packet identifier 0"));
  auto bad_topic = DecodePublish(0, std::string("\x00\x02\xc3\x28", 4), Version::kV311);
  EXPECT_EQ(ReasonCodeOf(bad_topic.status()), reason::kTopicNameInvalid);
}

TEST(CodecTest, PropertiesAreCheckedPerPacket) {
  // PUBLISH with a session expiry interval (not allowed there).
  std::string body("\x00\x01t\x05\x11\x00\x00\x00\x01", 9);
  auto p = DecodePublish(0, body, Version::kV5);
  EXPECT_THAT(p.status().message(), HasSubstr("property 0x11 is not allowed"));
  // Content type twice.
  body = std::string(
      "\x00\x01t\x08\x03\x00\x01"
      "a"
      "\x03\x00\x01"
      "b",
      12);
  p = DecodePublish(0, body, Version::kV5);
  EXPECT_EQ(ReasonCodeOf(p.status()), reason::kProtocolError);
  // Property length beyond the packet.
  body = std::string(
      "\x00\x01t\x09\x03\x00\x01"
      "a",
      8);
  EXPECT_THAT(DecodePublish(0, body, Version::kV5).status().message(),
              HasSubstr("property length beyond the packet"));
  // Payload format indicator 2.
  body = std::string("\x00\x01t\x02\x01\x02", 6);
  EXPECT_EQ(ReasonCodeOf(DecodePublish(0, body, Version::kV5).status()), reason::kProtocolError);
}

// Each user property or topic filter costs 64 bytes or more decoded: a packet holds at most
// kMaxUserProperties / kMaxTopicFilters, beyond that 0x97 Quota Exceeded.
TEST(CodecTest, UserPropertiesAndTopicFiltersAreBounded) {
  Publish p;
  p.topic = "t";
  for (size_t i = 0; i < kMaxUserProperties; ++i)
    p.properties.user_properties.push_back({"k", "v"});
  std::string wire;
  ASSERT_TRUE(EncodePublish(p, Version::kV5, &wire).ok());
  absl::string_view body;
  FixedHeader h = Split(wire, &body);
  auto back = DecodePublish(h.flags, body, Version::kV5);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->properties.user_properties.size(), kMaxUserProperties);
  p.properties.user_properties.push_back({"k", "v"});
  wire.clear();
  ASSERT_TRUE(EncodePublish(p, Version::kV5, &wire).ok());
  h = Split(wire, &body);
  back = DecodePublish(h.flags, body, Version::kV5);
  EXPECT_EQ(ReasonCodeOf(back.status()), reason::kQuotaExceeded);
  EXPECT_EQ(back.status().message(), "PUBLISH with more than 4096 user properties");

  Subscribe s;
  s.packet_id = 1;
  Unsubscribe u;
  u.packet_id = 1;
  for (size_t i = 0; i <= kMaxTopicFilters; ++i) {
    s.subscriptions.push_back({"a", 0, false, false, 0});
    u.filters.push_back("a");
  }
  for (Version v : {Version::kV311, Version::kV5}) {
    wire.clear();
    ASSERT_TRUE(EncodeSubscribe(s, v, &wire).ok());
    h = Split(wire, &body);
    auto sub = DecodeSubscribe(h.flags, body, v);
    EXPECT_EQ(ReasonCodeOf(sub.status()), reason::kQuotaExceeded);
    EXPECT_EQ(sub.status().message(), "SUBSCRIBE with more than 4096 topic filters");
    wire.clear();
    ASSERT_TRUE(EncodeUnsubscribe(u, v, &wire).ok());
    h = Split(wire, &body);
    auto unsub = DecodeUnsubscribe(h.flags, body, v);
    EXPECT_EQ(unsub.status().message(), "UNSUBSCRIBE with more than 4096 topic filters");
  }
  s.subscriptions.pop_back();
  wire.clear();
  ASSERT_TRUE(EncodeSubscribe(s, Version::kV5, &wire).ok());
  h = Split(wire, &body);
  EXPECT_TRUE(DecodeSubscribe(h.flags, body, Version::kV5).ok());
}

TEST(CodecTest, SubscribeUnsubscribeAndAcks) {
  Subscribe s;
  s.packet_id = 3;
  s.subscriptions = {{"home/+/temp", 1, true, false, 2}, {"$share/g/a/#", 0, false, true, 0}};
  s.properties.subscription_identifiers = {42};
  std::string wire;
  ASSERT_TRUE(EncodeSubscribe(s, Version::kV5, &wire).ok());
  absl::string_view body;
  FixedHeader h = Split(wire, &body);
  EXPECT_EQ(h.flags, 2);
  auto back = DecodeSubscribe(h.flags, body, Version::kV5);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->subscriptions.size(), 2u);
  EXPECT_EQ(back->subscriptions[0].filter, "home/+/temp");
  EXPECT_TRUE(back->subscriptions[0].no_local);
  EXPECT_EQ(back->subscriptions[0].retain_handling, 2);
  EXPECT_TRUE(back->subscriptions[1].retain_as_published);
  EXPECT_EQ(back->properties.subscription_identifiers, std::vector<uint32_t>{42});
  // Wrong fixed-header flags, empty list, 3.1.1 reserved option bits.
  EXPECT_THAT(DecodeSubscribe(0, body, Version::kV5).status().message(),
              HasSubstr("reserved flags"));
  EXPECT_EQ(ReasonCodeOf(DecodeSubscribe(2, std::string("\x00\x01", 2), Version::kV311).status()),
            reason::kProtocolError);
  EXPECT_EQ(
      ReasonCodeOf(
          DecodeSubscribe(2, std::string("\x00\x01\x00\x01t\x04", 6), Version::kV311).status()),
      reason::kMalformedPacket);

  SubAck ack;
  ack.packet_id = 3;
  ack.reason_codes = {1, reason::kNotAuthorized};
  wire.clear();
  ASSERT_TRUE(EncodeSubAck(ack, Version::kV311, &wire).ok());
  EXPECT_EQ(wire, std::string("\x90\x04\x00\x03\x01\x80", 6));
  wire.clear();
  ack.type = PacketType::kUnsuback;
  ASSERT_TRUE(EncodeSubAck(ack, Version::kV311, &wire).ok());
  EXPECT_EQ(wire, std::string("\xb0\x02\x00\x03", 4));

  Unsubscribe u;
  u.packet_id = 9;
  u.filters = {"a/b", "c/#"};
  wire.clear();
  ASSERT_TRUE(EncodeUnsubscribe(u, Version::kV311, &wire).ok());
  h = Split(wire, &body);
  auto ub = DecodeUnsubscribe(h.flags, body, Version::kV311);
  ASSERT_TRUE(ub.ok()) << ub.status();
  EXPECT_EQ(ub->filters, u.filters);

  Ack puback{PacketType::kPuback, 9, reason::kNoMatchingSubscribers, {}};
  wire.clear();
  ASSERT_TRUE(EncodeAck(puback, Version::kV5, &wire).ok());
  EXPECT_EQ(wire, std::string("\x40\x03\x00\x09\x10", 5));
  wire.clear();
  ASSERT_TRUE(EncodeAck(puback, Version::kV311, &wire).ok());
  EXPECT_EQ(wire, std::string("\x40\x02\x00\x09", 4));
  auto pa = DecodeAck(PacketType::kPuback, 0, std::string("\x00\x09", 2), Version::kV5);
  ASSERT_TRUE(pa.ok());
  EXPECT_EQ(pa->packet_id, 9);
  EXPECT_EQ(pa->reason_code, reason::kSuccess);
  EXPECT_FALSE(DecodeAck(PacketType::kPubrel, 0, std::string("\x00\x09", 2), Version::kV5).ok());
}

TEST(CodecTest, FramingBoundsTheRemainingLength) {
  // Incomplete header and body.
  EXPECT_FALSE(PeekPacket(std::string("\x30", 1), kMax)->has_value());
  EXPECT_FALSE(PeekPacket(std::string("\x30\x80", 2), kMax)->has_value());
  EXPECT_FALSE(PeekPacket(std::string("\x30\x05\x00", 3), kMax)->has_value());
  // A fifth length byte.
  auto five = PeekPacket(std::string("\x30\xff\xff\xff\xff\x01", 6), kMax);
  EXPECT_EQ(ReasonCodeOf(five.status()), reason::kMalformedPacket);
  // Larger than the limit: refused as soon as the length is known.
  auto big = PeekPacket(std::string("\x30\xff\xff\x7f", 4), 1000);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReasonCodeOf(big.status()), reason::kPacketTooLarge);
  EXPECT_THAT(big.status().message(), HasSubstr("exceeds the maximum packet size 1000"));
  // Type 0 is reserved.
  EXPECT_FALSE(PeekPacket(std::string("\x00\x00", 2), kMax).ok());
  // Exactly the limit fits.
  auto exact = PeekPacket(std::string("\xc0\x00", 2), 2);
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->has_value());
}

TEST(CodecTest, DisconnectAndPing) {
  std::string wire;
  ASSERT_TRUE(EncodeDisconnect({}, Version::kV5, &wire).ok());
  EXPECT_EQ(wire, std::string("\xe0\x00", 2));
  wire.clear();
  Disconnect d;
  d.reason_code = reason::kServerShuttingDown;
  ASSERT_TRUE(EncodeDisconnect(d, Version::kV5, &wire).ok());
  EXPECT_EQ(wire, std::string("\xe0\x01\x8b", 3));
  auto back = DecodeDisconnect(0, "\x04", Version::kV5);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->reason_code, reason::kDisconnectWithWill);
  EXPECT_FALSE(DecodeDisconnect(0, "\x04", Version::kV311).ok());
  wire.clear();
  EncodeEmpty(PacketType::kPingreq, &wire);
  EXPECT_EQ(wire, std::string("\xc0\x00", 2));
  EXPECT_TRUE(DecodeEmpty(PacketType::kPingreq, 0, "").ok());
  EXPECT_FALSE(DecodeEmpty(PacketType::kPingreq, 1, "").ok());
  EXPECT_FALSE(DecodeEmpty(PacketType::kPingreq, 0, "x").ok());
}

TEST(CodecTest, EncodingRefusesOversizeStrings) {
  Publish p;
  p.topic = std::string(70000, 'a');
  std::string wire = "keep";
  EXPECT_FALSE(EncodePublish(p, Version::kV311, &wire).ok());
  EXPECT_EQ(wire, "keep");
}

}  // namespace
}  // namespace eventmesh::protocol::mqtt
