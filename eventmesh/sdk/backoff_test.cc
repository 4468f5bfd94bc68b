#include "eventmesh/sdk/backoff.h"

#include "gtest/gtest.h"

namespace eventmesh::sdk {
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

}  // namespace
}  // namespace eventmesh::sdk
