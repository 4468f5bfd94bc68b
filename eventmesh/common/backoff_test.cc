#include "eventmesh/common/backoff.h"

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  Backoff backoff(absl::Milliseconds(100), absl::Milliseconds(700));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(400));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(700));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(700));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, InitialAboveCapIsCapped) {
  Backoff backoff(absl::Seconds(5), absl::Seconds(1));
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
}

TEST(BackoffTest, EqualJitterSpansHalfToFullWithAnInjectedSource) {
  double u = 0.0;
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(10), Backoff::Jitter::kEqual,
                  [&u] { return u; });
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(50));  // 100 ms at u = 0: half
  u = 0.5;
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(150));  // 200 ms: 100 + 50
  u = 0.999;
  const absl::Duration high = backoff.Next();  // 400 ms: just under the full wait
  EXPECT_GT(high, absl::Milliseconds(399));
  EXPECT_LE(high, absl::Milliseconds(400));
}

TEST(BackoffTest, NextForUsesAPerItemAttemptCount) {
  Backoff backoff(absl::Seconds(1), absl::Seconds(60), Backoff::Jitter::kEqual, [] { return 1.0; });
  EXPECT_EQ(backoff.DelayFor(1), absl::Seconds(1));
  EXPECT_EQ(backoff.DelayFor(3), absl::Seconds(4));
  EXPECT_EQ(backoff.DelayFor(100), absl::Seconds(60));
  EXPECT_EQ(backoff.NextFor(3), absl::Seconds(4));
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));  // the sequence was not advanced by NextFor
  Backoff zero(absl::ZeroDuration(), absl::Seconds(1), Backoff::Jitter::kEqual);
  EXPECT_EQ(zero.NextFor(1), absl::ZeroDuration());
}

}  // namespace
}  // namespace eventmesh
