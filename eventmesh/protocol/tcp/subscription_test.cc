#include "eventmesh/protocol/tcp/subscription.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

TEST(SubscriptionTest, ParsesJavaBody) {
  auto sub =
      Subscription::FromJson(R"({"topicList":[{"topic":"T1","mode":"CLUSTERING","type":"ASYNC"},)"
                             R"({"topic":"T2","mode":"BROADCASTING","type":"SYNC","extra":1}]})");
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_EQ(sub->topic_list.size(), 2u);
  EXPECT_EQ(sub->topic_list[0].topic, "T1");
  EXPECT_EQ(sub->topic_list[0].mode, SubscriptionMode::kClustering);
  EXPECT_EQ(sub->topic_list[0].type, SubscriptionType::kAsync);
  EXPECT_EQ(sub->topic_list[1].mode, SubscriptionMode::kBroadcasting);
  EXPECT_EQ(sub->topic_list[1].type, SubscriptionType::kSync);
}

TEST(SubscriptionTest, RoundTripAndExactJson) {
  Subscription sub;
  sub.topic_list.push_back({"a", SubscriptionMode::kBroadcasting, SubscriptionType::kSync});
  sub.topic_list.push_back({"b", SubscriptionMode::kUnrecognized, SubscriptionType::kUnrecognized});
  EXPECT_EQ(sub.ToJson(), R"({"topicList":[{"topic":"a","mode":"BROADCASTING","type":"SYNC"},)"
                          R"({"topic":"b","mode":"UNRECOGNIZED","type":"UNRECOGNIZED"}]})");
  auto back = Subscription::FromJson(sub.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, sub);
}

TEST(SubscriptionTest, MissingListIsEmpty) {
  auto sub = Subscription::FromJson("{}");
  ASSERT_TRUE(sub.ok());
  EXPECT_TRUE(sub->topic_list.empty());
}

void ExpectInvalid(absl::string_view json, absl::string_view substr) {
  auto sub = Subscription::FromJson(json);
  ASSERT_FALSE(sub.ok()) << json;
  EXPECT_EQ(sub.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(sub.status().message()), HasSubstr(std::string(substr)));
}

TEST(SubscriptionTest, Errors) {
  ExpectInvalid(R"({"topicList":[)", "malformed JSON in Subscription");
  ExpectInvalid("1", "Subscription is not a JSON object");
  ExpectInvalid(R"({"topicList":{}})", "Subscription topicList is not an array");
  ExpectInvalid(R"({"topicList":[1]})", "Subscription topicList[0] is not an object");
  ExpectInvalid(R"({"topicList":[{"mode":"CLUSTERING","type":"ASYNC"}]})",
                "Subscription topicList[0] has no topic");
  ExpectInvalid(R"({"topicList":[{"topic":"t","type":"ASYNC"}]})", "has no mode");
  ExpectInvalid(R"({"topicList":[{"topic":"t","mode":"CLUSTERING"}]})", "has no type");
  ExpectInvalid(R"({"topicList":[{"topic":"t","mode":"CLUSTERING","type":"ASYNC"},)"
                R"({"topic":"t","mode":"FANOUT","type":"ASYNC"}]})",
                "Subscription topicList[1]: unknown subscription mode \"FANOUT\"");
  ExpectInvalid(R"({"topicList":[{"topic":"t","mode":"CLUSTERING","type":"async"}]})",
                "unknown subscription type \"async\"");
}

// Deep nesting (small, and 2 MB that used to overflow the parser's stack) is refused.
TEST(SubscriptionTest, DeepNestingIsRefused) {
  for (const int levels : {129, 1 << 20}) {
    const std::string nested = std::string(levels, '[') + std::string(levels, ']');
    for (const std::string& text : {nested, "{\"a\":" + nested + "}"}) {
      auto parsed = Subscription::FromJson(text);
      ASSERT_FALSE(parsed.ok());
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("nesting deeper than"));
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
