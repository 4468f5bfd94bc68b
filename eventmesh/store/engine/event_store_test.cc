#include "eventmesh/store/engine/event_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::store {
namespace {

TEST(EventStoreTest, TopicNames) {
  EXPECT_TRUE(ValidateTopicName("orders").ok());
  EXPECT_TRUE(ValidateTopicName("a.B_c-9").ok());
  EXPECT_TRUE(ValidateTopicName("...").ok());
  EXPECT_TRUE(ValidateTopicName(std::string(249, 'x')).ok());
  EXPECT_TRUE(ValidateTopicName("home/kitchen/temp").ok());
  EXPECT_TRUE(ValidateTopicName("a/.../b").ok());
  for (const char* bad : {"/a", "a/", "a//b", "/"}) {
    EXPECT_THAT(std::string(ValidateTopicName(bad).message()), ::testing::HasSubstr("empty level"))
        << bad;
  }
  EXPECT_EQ(ValidateTopicName("a/../b"),
            absl::InvalidArgumentError("topic name \"a/../b\" must not have a level \"..\""));
  EXPECT_EQ(ValidateTopicName(""), absl::InvalidArgumentError("topic name must not be empty"));
  EXPECT_EQ(ValidateTopicName("."), absl::InvalidArgumentError("topic name must not be \".\""));
  EXPECT_EQ(ValidateTopicName(".."), absl::InvalidArgumentError("topic name must not be \"..\""));
  EXPECT_EQ(ValidateTopicName(std::string(250, 'x')),
            absl::InvalidArgumentError("topic name is 250 characters long, the maximum is 249"));
  EXPECT_EQ(ValidateTopicName("a b"),
            absl::InvalidArgumentError("topic name \"a b\" has an invalid character at position "
                                       "1; allowed are [A-Za-z0-9._-] and '/' between levels"));
  EXPECT_EQ(ValidateTopicName(std::string("a\n", 2)),
            absl::InvalidArgumentError("topic name \"a\\n\" has an invalid character at position "
                                       "1; allowed are [A-Za-z0-9._-] and '/' between levels"));
}

TEST(EventStoreTest, SyncModes) {
  EXPECT_EQ(*ParseSyncMode("none"), SyncMode::kNone);
  EXPECT_EQ(*ParseSyncMode("batch"), SyncMode::kBatch);
  EXPECT_EQ(*ParseSyncMode("always"), SyncMode::kAlways);
  EXPECT_EQ(
      ParseSyncMode("fsync").status(),
      absl::InvalidArgumentError("sync mode must be one of none|batch|always, got \"fsync\""));
  EXPECT_EQ(SyncModeName(SyncMode::kBatch), "batch");
}

TEST(EventStoreTest, OutOfRangeCarriesOffsets) {
  absl::Status s = OffsetOutOfRange("below", 10, 20);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(s.message(), "below");
  EXPECT_EQ(EarliestOffsetOf(s), 10);
  EXPECT_EQ(LatestOffsetOf(s), 20);
  EXPECT_EQ(EarliestOffsetOf(absl::OutOfRangeError("plain")), std::nullopt);
}

}  // namespace
}  // namespace eventmesh::store
