#include "eventmesh/runtime/core/login_throttle.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

using ::testing::HasSubstr;

TEST(LoginThrottleTest, RefusesAnAddressAfterItsBurstAndRefillsOverTime) {
  int64_t now = 1'000'000;
  LoginThrottle throttle({/*burst=*/3, /*failures_per_minute=*/6}, [&] { return now; });
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(throttle.Admit("10.0.0.1").ok()) << i;
    throttle.Failed("10.0.0.1");
  }
  absl::Status refused = throttle.Admit("10.0.0.1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "too many failed logins from 10.0.0.1; retry in 10 s "
            "(eventMesh.server.security.loginFailuresPerMinute)");
  // Other addresses are not affected.
  EXPECT_TRUE(throttle.Admit("10.0.0.2").ok());
  // 6 per minute: one more attempt after 10 s, not before.
  now += 9'999;
  EXPECT_FALSE(throttle.Admit("10.0.0.1").ok());
  now += 1;
  EXPECT_TRUE(throttle.Admit("10.0.0.1").ok());
  throttle.Failed("10.0.0.1");
  EXPECT_FALSE(throttle.Admit("10.0.0.1").ok());
  // A long quiet period refills the whole burst, never more.
  now += 3'600'000;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(throttle.Admit("10.0.0.1").ok());
    throttle.Failed("10.0.0.1");
  }
  EXPECT_FALSE(throttle.Admit("10.0.0.1").ok());
}

TEST(LoginThrottleTest, ZeroRateDisablesThrottling) {
  LoginThrottle throttle({/*burst=*/1, /*failures_per_minute=*/0}, [] { return int64_t{0}; });
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(throttle.Admit("10.0.0.1").ok());
    throttle.Failed("10.0.0.1");
  }
}

TEST(LoginThrottleTest, TracksAtMostMaxAddressesForgettingTheIdlest) {
  int64_t now = 0;
  LoginThrottle throttle({/*burst=*/1, /*failures_per_minute=*/1, /*max_addresses=*/2},
                         [&] { return now; });
  throttle.Failed("a");
  now += 1;
  throttle.Failed("b");
  now += 1;
  EXPECT_FALSE(throttle.Admit("a").ok());
  throttle.Failed("c");  // "a" is the idlest: forgotten
  EXPECT_TRUE(throttle.Admit("a").ok());
  EXPECT_THAT(std::string(throttle.Admit("b").message()), HasSubstr("too many failed logins"));
  EXPECT_FALSE(throttle.Admit("c").ok());
}

}  // namespace
}  // namespace eventmesh::runtime::core
