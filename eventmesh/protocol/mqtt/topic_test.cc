#include "eventmesh/protocol/mqtt/topic.h"

#include "eventmesh/protocol/mqtt/codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::mqtt {
namespace {

using ::testing::HasSubstr;

TEST(TopicTest, Names) {
  EXPECT_TRUE(ValidateTopicName("home/kitchen/temp").ok());
  EXPECT_TRUE(ValidateTopicName("/").ok());
  EXPECT_EQ(ReasonCodeOf(ValidateTopicName("home/+/temp")), reason::kTopicNameInvalid);
  EXPECT_THAT(ValidateTopicName("a/#").message(), HasSubstr("wildcards"));
  EXPECT_FALSE(ValidateTopicName("").ok());
  EXPECT_FALSE(ValidateTopicName(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateTopicName("\xc3\x28").ok());
}

TEST(TopicTest, Filters) {
  for (const char* ok : {"#", "+", "a/#", "+/+", "a/+/c", "/+", "a//b", "sport/tennis/#"}) {
    EXPECT_TRUE(ValidateTopicFilter(ok).ok()) << ok;
  }
  for (const char* bad : {"", "a#", "a/#/b", "a+", "a/b+/c", "#/a"}) {
    EXPECT_EQ(ReasonCodeOf(ValidateTopicFilter(bad)), reason::kTopicFilterInvalid) << bad;
  }
  EXPECT_TRUE(HasWildcard("a/+"));
  EXPECT_FALSE(HasWildcard("a/b"));
}

TEST(TopicTest, MatchingFollowsTheSpecification) {
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1"));
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
  EXPECT_TRUE(TopicMatches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
  EXPECT_TRUE(TopicMatches("sport/#", "sport"));
  EXPECT_TRUE(TopicMatches("#", "a/b/c"));
  EXPECT_TRUE(TopicMatches("sport/tennis/+", "sport/tennis/player1"));
  EXPECT_FALSE(TopicMatches("sport/tennis/+", "sport/tennis/player1/ranking"));
  EXPECT_FALSE(TopicMatches("sport/+", "sport"));
  EXPECT_TRUE(TopicMatches("sport/+", "sport/"));
  EXPECT_TRUE(TopicMatches("+/+", "/finance"));
  EXPECT_TRUE(TopicMatches("/+", "/finance"));
  EXPECT_FALSE(TopicMatches("+", "/finance"));
  EXPECT_FALSE(TopicMatches("#", "$SYS/uptime"));
  EXPECT_FALSE(TopicMatches("+/uptime", "$SYS/uptime"));
  EXPECT_TRUE(TopicMatches("$SYS/#", "$SYS/uptime"));
  EXPECT_TRUE(TopicMatches("a/b", "a/b"));
  EXPECT_FALSE(TopicMatches("a/b", "a/bc"));
  EXPECT_FALSE(TopicMatches("a/b/c", "a/b"));
}

TEST(TopicTest, SharedSubscriptions) {
  auto shared = ParseSharedFilter("$share/workers/jobs/+");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->group, "workers");
  EXPECT_EQ(shared->filter, "jobs/+");
  auto plain = ParseSharedFilter("jobs/+");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->group.empty());
  EXPECT_EQ(plain->filter, "jobs/+");
  for (const char* bad : {"$share/", "$share/g", "$share//a", "$share/g+/a", "$share/g/a#"}) {
    EXPECT_EQ(ReasonCodeOf(ParseSharedFilter(bad).status()), reason::kTopicFilterInvalid) << bad;
  }
}

}  // namespace
}  // namespace eventmesh::protocol::mqtt
