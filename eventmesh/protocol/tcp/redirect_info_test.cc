#include "eventmesh/protocol/tcp/redirect_info.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

TEST(RedirectInfoTest, RoundTripAndExactJson) {
  RedirectInfo r{"10.0.0.2", 10000};
  EXPECT_EQ(r.ToJson(), R"({"ip":"10.0.0.2","port":10000})");
  auto back = RedirectInfo::FromJson(r.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
}

TEST(RedirectInfoTest, Errors) {
  auto bad = RedirectInfo::FromJson("{");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("malformed JSON in RedirectInfo"));
  EXPECT_THAT(std::string(RedirectInfo::FromJson("[]").status().message()),
              HasSubstr("RedirectInfo is not a JSON object"));
  EXPECT_THAT(std::string(RedirectInfo::FromJson(R"({"port":"x"})").status().message()),
              HasSubstr("RedirectInfo field port is not an int: x"));
}

// Deep nesting (small, and 2 MB that used to overflow the parser's stack) is refused.
TEST(RedirectInfoTest, DeepNestingIsRefused) {
  for (const int levels : {129, 1 << 20}) {
    const std::string nested = std::string(levels, '[') + std::string(levels, ']');
    for (const std::string& text : {nested, "{\"a\":" + nested + "}"}) {
      auto parsed = RedirectInfo::FromJson(text);
      ASSERT_FALSE(parsed.ok());
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("nesting deeper than"));
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
