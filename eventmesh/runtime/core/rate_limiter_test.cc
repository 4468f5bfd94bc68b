#include "eventmesh/runtime/core/rate_limiter.h"

#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

TEST(RateLimiterTest, ExactPermitsPerWindowWithAnInjectedClock) {
  int64_t now = 5'000;
  RateLimiter limiter(3, "over the limit (key)", [&now] { return now; });
  EXPECT_EQ(limiter.refusal(), "over the limit (key)");
  EXPECT_TRUE(limiter.TryAcquire());
  EXPECT_TRUE(limiter.TryAcquire(2));
  EXPECT_FALSE(limiter.TryAcquire());
  now += 999;  // same one-second window
  EXPECT_FALSE(limiter.TryAcquire());
  now += 1;  // next window
  EXPECT_TRUE(limiter.TryAcquire(3));
  EXPECT_FALSE(limiter.TryAcquire());
}

TEST(RateLimiterTest, BatchesAreAllOrNone) {
  int64_t now = 0;
  RateLimiter limiter(4, "x", [&now] { return now; });
  EXPECT_TRUE(limiter.TryAcquire(3));
  EXPECT_FALSE(limiter.TryAcquire(2));  // refused without taking the one left
  EXPECT_TRUE(limiter.TryAcquire(1));
  EXPECT_FALSE(limiter.TryAcquire(1));
}

TEST(RateLimiterTest, ZeroOrNegativeIsUnlimited) {
  RateLimiter zero(0, "x", [] { return int64_t{0}; });
  RateLimiter negative(-1, "x", [] { return int64_t{0}; });
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(zero.TryAcquire());
    ASSERT_TRUE(negative.TryAcquire(5));
  }
}

}  // namespace
}  // namespace eventmesh::runtime::core
