#include "eventmesh/protocol/tcp/user_agent.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

UserAgent Valid() {
  UserAgent ua;
  ua.env = "prod";
  ua.subsystem = "5023";
  ua.path = "/app";
  ua.pid = 123;
  ua.host = "10.0.0.1";
  ua.port = 4242;
  ua.version = "2.0";
  ua.username = "u";
  ua.password = "p";
  ua.token = "t";
  ua.idc = "FT";
  ua.group = "g";
  ua.purpose = "sub";
  ua.unack = 5;
  return ua;
}

TEST(UserAgentTest, RoundTrip) {
  const UserAgent ua = Valid();
  auto back = UserAgent::FromJson(ua.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, ua);
  EXPECT_TRUE(back->Validate().ok());
}

TEST(UserAgentTest, LenientTypesAndUnknownKeys) {
  auto ua =
      UserAgent::FromJson(R"({"subsystem":5023,"pid":"77","port":1,"unack":null,"future":{"x":1},)"
                          R"("version":"1","group":"g","purpose":"pub"})");
  ASSERT_TRUE(ua.ok()) << ua.status();
  EXPECT_EQ(ua->subsystem, "5023");
  EXPECT_EQ(ua->pid, 77);
  EXPECT_EQ(ua->unack, 0);
}

TEST(UserAgentTest, LegacyGroups) {
  auto sub = UserAgent::FromJson(
      R"({"version":"1","purpose":"sub","producerGroup":"pg","consumerGroup":"cg"})");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->group, "cg");
  auto pub = UserAgent::FromJson(
      R"({"version":"1","purpose":"pub","producerGroup":"pg","consumerGroup":"cg"})");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->group, "pg");
  auto only_consumer = UserAgent::FromJson(R"({"purpose":"pub","consumerGroup":"cg"})");
  ASSERT_TRUE(only_consumer.ok());
  EXPECT_EQ(only_consumer->group, "cg");
  auto explicit_group =
      UserAgent::FromJson(R"({"group":"g","purpose":"sub","consumerGroup":"cg"})");
  ASSERT_TRUE(explicit_group.ok());
  EXPECT_EQ(explicit_group->group, "g");
}

TEST(UserAgentTest, ParseErrors) {
  auto bad = UserAgent::FromJson("{\"pid\":");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("malformed JSON in UserAgent"));
  auto not_obj = UserAgent::FromJson("[]");
  EXPECT_THAT(std::string(not_obj.status().message()), HasSubstr("UserAgent is not a JSON object"));
  auto bad_int = UserAgent::FromJson(R"({"pid":"abc"})");
  EXPECT_EQ(bad_int.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_int.status().message()),
              HasSubstr("UserAgent field pid is not an int: abc"));
  auto too_big = UserAgent::FromJson(R"({"port":99999999999})");
  EXPECT_THAT(std::string(too_big.status().message()),
              HasSubstr("UserAgent field port is not an int"));
}

TEST(UserAgentTest, Validate) {
  UserAgent ua = Valid();
  ua.version.clear();
  EXPECT_EQ(ua.Validate().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ua.Validate().message(), "UserAgent version is required");
  ua = Valid();
  ua.purpose = "both";
  EXPECT_EQ(ua.Validate().message(), "UserAgent purpose must be \"pub\" or \"sub\", got \"both\"");
  ua = Valid();
  ua.group = "  \t";
  EXPECT_EQ(ua.Validate().message(), "UserAgent group is required (non-blank)");
  ua = Valid();
  ua.purpose = "pub";
  EXPECT_TRUE(ua.Validate().ok());
}

TEST(UserAgentTest, ToJsonOmitsEmptyStrings) {
  UserAgent ua;
  ua.version = "1";
  EXPECT_EQ(ua.ToJson(), R"({"pid":0,"port":0,"version":"1","unack":0})");
}

// Deep nesting (small, and 2 MB that used to overflow the parser's stack) is refused.
TEST(UserAgentTest, DeepNestingIsRefused) {
  for (const int levels : {129, 1 << 20}) {
    const std::string nested = std::string(levels, '[') + std::string(levels, ']');
    for (const std::string& text : {nested, "{\"a\":" + nested + "}"}) {
      auto parsed = UserAgent::FromJson(text);
      ASSERT_FALSE(parsed.ok());
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("nesting deeper than"));
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
