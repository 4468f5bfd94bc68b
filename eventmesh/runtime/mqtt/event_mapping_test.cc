#include "eventmesh/runtime/mqtt/event_mapping.h"

#include <map>

#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/mqtt/codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::mqtt {
namespace {

namespace mq = protocol::mqtt;
using cloudevents::DataEncoding;

TEST(EventMappingTest, PlainMessagesGetDefaults) {
  mq::Publish p;
  p.topic = "home/kitchen/temp";
  p.payload = "21.5";
  auto event = PublishToEvent(p, mq::Version::kV311, "sensor 1", 1000);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->spec_version(), "1.0");
  EXPECT_EQ(event->type(), kPlainEventType);
  EXPECT_EQ(event->source(), "/mqtt/sensor%201");
  EXPECT_EQ(event->subject(), "home/kitchen/temp");
  EXPECT_EQ(event->data(), "21.5");
  EXPECT_EQ(event->data_encoding(), DataEncoding::kText);
  EXPECT_FALSE(event->id().empty());
  auto other = PublishToEvent(p, mq::Version::kV311, "sensor 1", 1000);
  EXPECT_NE(event->id(), other->id());
  // Binary payloads stay bytes.
  p.payload = std::string("\xff\x00", 2);
  event = PublishToEvent(p, mq::Version::kV311, "c", 0);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->data_encoding(), DataEncoding::kBinary);
  // 3.1.1 subscribers get plain messages back as raw data.
  bool expired = true;
  mq::Publish out = EventToPublish(*event, mq::Version::kV311, 0, &expired);
  EXPECT_FALSE(expired);
  EXPECT_EQ(out.payload, p.payload);
  EXPECT_EQ(out.topic, "home/kitchen/temp");
}

TEST(EventMappingTest, BinaryModeRoundTrip) {
  mq::Publish p;
  p.topic = "orders";
  p.payload = "{\"n\":1}";
  p.properties.content_type = "application/json";
  p.properties.user_properties = {{"specversion", "1.0"}, {"id", "o-1"},      {"source", "/shop"},
                                  {"type", "order"},      {"tenant", "acme"}, {"Not-An-Ext", "x"}};
  auto event = PublishToEvent(p, mq::Version::kV5, "client", 0);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->id(), "o-1");
  EXPECT_EQ(event->source(), "/shop");
  EXPECT_EQ(event->type(), "order");
  EXPECT_EQ(event->data_content_type(), "application/json");
  ASSERT_NE(event->FindExtension("tenant"), nullptr);
  EXPECT_EQ(*event->FindExtension("tenant"), "acme");
  EXPECT_EQ(event->extensions().size(), 1u);
  bool expired = false;
  mq::Publish out = EventToPublish(*event, mq::Version::kV5, 0, &expired);
  std::map<std::string, std::string> props(out.properties.user_properties.begin(),
                                           out.properties.user_properties.end());
  EXPECT_EQ(props["id"], "o-1");
  EXPECT_EQ(props["tenant"], "acme");
  EXPECT_EQ(out.properties.content_type, "application/json");
  EXPECT_EQ(out.payload, p.payload);
  // 3.1.1: structured mode.
  out = EventToPublish(*event, mq::Version::kV311, 0, &expired);
  auto parsed = cloudevents::ParseJsonEvent(out.payload);
  ASSERT_TRUE(parsed.ok()) << out.payload;
  EXPECT_EQ(parsed->id(), "o-1");
  // Missing required attributes: 0x99.
  p.properties.user_properties = {{"specversion", "1.0"}, {"id", "o-2"}};
  auto bad = PublishToEvent(p, mq::Version::kV5, "client", 0);
  EXPECT_EQ(mq::ReasonCodeOf(bad.status()), mq::reason::kPayloadFormatInvalid);
}

// A packet may carry any number of user properties in any order: they become extensions in one
// sort (the test's timeout catches one insertion per property, minutes for this many in reverse
// order); of a repeated name the last counts, as before.
TEST(EventMappingTest, ManyUserPropertiesInReverseOrderBecomeExtensionsInOneSort) {
  mq::Publish p;
  p.topic = "orders";
  p.payload = "x";
  constexpr int kCount = 200000;
  for (int i = kCount; i > 0; --i) {
    p.properties.user_properties.emplace_back("p" + std::to_string(i), "v");
  }
  p.properties.user_properties.emplace_back("p7", "last");
  auto event = PublishToEvent(p, mq::Version::kV5, "client", 0);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->extensions().size(), static_cast<size_t>(kCount));
  ASSERT_NE(event->FindExtension("p7"), nullptr);
  EXPECT_EQ(*event->FindExtension("p7"), "last");
}

TEST(EventMappingTest, StructuredModeAndExpiry) {
  mq::Publish p;
  p.topic = "t/x";
  p.payload = R"({"specversion":"1.0","id":"e","source":"/s","type":"t","subject":"other"})";
  auto event = PublishToEvent(p, mq::Version::kV311, "c", 0);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->id(), "e");
  EXPECT_EQ(event->subject(), "t/x");  // the topic wins
  // JSON that is not a CloudEvent is a plain message.
  p.payload = R"({"temperature": 21})";
  event = PublishToEvent(p, mq::Version::kV311, "c", 0);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->type(), kPlainEventType);
  // Declared structured but broken: 0x99.
  p.properties.content_type = kStructuredContentType;
  EXPECT_EQ(mq::ReasonCodeOf(PublishToEvent(p, mq::Version::kV5, "c", 0).status()),
            mq::reason::kPayloadFormatInvalid);
  // Expiry: absolute, then the remaining interval, then expired.
  mq::Publish e;
  e.topic = "t";
  e.payload = "x";
  e.properties.message_expiry_interval = 10;
  event = PublishToEvent(e, mq::Version::kV5, "c", 1'000'000);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(*event->FindExtension(kExpiryExtension), "1010000");
  bool expired = true;
  mq::Publish out = EventToPublish(*event, mq::Version::kV5, 1'004'000, &expired);
  EXPECT_FALSE(expired);
  EXPECT_EQ(out.properties.message_expiry_interval, 6u);
  for (const auto& [k, v] : out.properties.user_properties) EXPECT_NE(k, kExpiryExtension);
  EventToPublish(*event, mq::Version::kV5, 1'010'000, &expired);
  EXPECT_TRUE(expired);
}

}  // namespace
}  // namespace eventmesh::runtime::mqtt
