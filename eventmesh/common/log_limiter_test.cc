#include "eventmesh/common/log_limiter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace eventmesh::common {
namespace {

TEST(LogLimiterTest, LetsABurstThroughThenOnePerRefillAndCountsTheDropped) {
  int64_t now = 1000;
  LogLimiter limiter(/*per_second=*/2, /*burst=*/3, 16, [&] { return now; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Admit("10.0.0.1"), 0) << i;
  for (int i = 0; i < 50; ++i) EXPECT_EQ(limiter.Admit("10.0.0.1"), std::nullopt) << i;
  // Another client is not affected.
  EXPECT_EQ(limiter.Admit("10.0.0.2"), 0);
  now += 499;  // not quite one token (2 per second)
  EXPECT_EQ(limiter.Admit("10.0.0.1"), std::nullopt);
  now += 1;
  EXPECT_EQ(limiter.Admit("10.0.0.1"), 51);  // the next one says how many were dropped
  EXPECT_EQ(limiter.Admit("10.0.0.1"), std::nullopt);
  now += 60'000;  // refills up to the burst, not beyond
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("10.0.0.1").has_value()) << i;
  EXPECT_EQ(limiter.Admit("10.0.0.1"), std::nullopt);
}

TEST(LogLimiterTest, TracksAtMostMaxKeysForgettingTheLeastRecent) {
  int64_t now = 0;
  LogLimiter limiter(1, 1, 3, [&] { return now; });
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.Admit(absl::StrCat("client-", i)), 0);
  EXPECT_EQ(limiter.tracked_keys(), 3u);
  // client-99 is still limited; client-0 was forgotten and starts with a full bucket.
  EXPECT_EQ(limiter.Admit("client-99"), std::nullopt);
  EXPECT_EQ(limiter.Admit("client-0"), 0);
}

TEST(LogLimiterTest, DroppedNote) {
  EXPECT_EQ(LogLimiter::DroppedNote(0), "");
  EXPECT_EQ(LogLimiter::DroppedNote(7), " (7 similar messages dropped)");
}

}  // namespace
}  // namespace eventmesh::common
