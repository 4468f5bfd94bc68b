#include "eventmesh/protocol/tcp/event_mesh_message.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

TEST(EventMeshMessageTest, ParsesJavaBody) {
  auto m = EventMeshMessage::FromJson(
      R"({"topic":"TEST-TOPIC","properties":{"ttl":"30000","keys":"k1","n":5},)"
      R"("body":"hello \"world\"","headers":{"datacontenttype":"text/plain"}})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->topic, "TEST-TOPIC");
  EXPECT_EQ(m->body, "hello \"world\"");
  EXPECT_EQ(m->properties.at("ttl"), "30000");
  EXPECT_EQ(m->properties.at("n"), "5");
  EXPECT_EQ(m->headers.at("datacontenttype"), "text/plain");
}

TEST(EventMeshMessageTest, RoundTripAndExactJson) {
  EventMeshMessage m;
  m.topic = "t";
  m.body = "b";
  m.properties = {{"ttl", "3000"}};
  EXPECT_EQ(m.ToJson(), R"({"topic":"t","body":"b","properties":{"ttl":"3000"},"headers":{}})");
  auto back = EventMeshMessage::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
}

TEST(EventMeshMessageTest, OldBodiesWithoutMaps) {
  auto m = EventMeshMessage::FromJson(R"({"topic":"t","body":"x","properties":null})");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->properties.empty());
  EXPECT_TRUE(m->headers.empty());
}

TEST(EventMeshMessageTest, Errors) {
  auto bad = EventMeshMessage::FromJson(R"({"topic":)");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("malformed JSON in EventMeshMessage"));
  EXPECT_THAT(std::string(EventMeshMessage::FromJson("\"x\"").status().message()),
              HasSubstr("EventMeshMessage is not a JSON object"));
  EXPECT_THAT(std::string(EventMeshMessage::FromJson(R"({"properties":[]})").status().message()),
              HasSubstr("EventMeshMessage field properties is not an object"));
  EXPECT_THAT(std::string(EventMeshMessage::FromJson(R"({"headers":"x"})").status().message()),
              HasSubstr("EventMeshMessage field headers is not an object"));
}

// Deep nesting (small, and 2 MB that used to overflow the parser's stack) is refused.
TEST(EventMeshMessageTest, DeepNestingIsRefused) {
  for (const int levels : {129, 1 << 20}) {
    const std::string nested = std::string(levels, '[') + std::string(levels, ']');
    for (const std::string& text : {nested, "{\"a\":" + nested + "}"}) {
      auto parsed = EventMeshMessage::FromJson(text);
      ASSERT_FALSE(parsed.ok());
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("nesting deeper than"));
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
