#include "eventmesh/sdk/internal/pending_requests.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::sdk {
namespace {

using protocol::tcp::Command;

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(PendingRequestsTest, TakeBySeqRunsTheRightCallback) {
  PendingRequests pending;
  std::vector<std::string> seen;
  ASSERT_TRUE(pending.Add(7, Command::kHelloRequest, kT0 + absl::Seconds(1),
                          [&](absl::StatusOr<protocol::tcp::Package>) { seen.push_back("7"); }));
  ASSERT_TRUE(pending.Add(8, Command::kAsyncMessageToServer, kT0 + absl::Seconds(1),
                          [&](absl::StatusOr<protocol::tcp::Package>) { seen.push_back("8"); }));
  EXPECT_EQ(pending.size(), 2u);
  auto entry = pending.Take(8);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->cmd, Command::kAsyncMessageToServer);
  entry->done(protocol::tcp::Package{});
  EXPECT_EQ(seen, std::vector<std::string>{"8"});
  EXPECT_FALSE(pending.Take(8).has_value());
  EXPECT_FALSE(pending.Take(99).has_value());
  EXPECT_EQ(pending.size(), 1u);
}

TEST(PendingRequestsTest, DuplicateSeqIsRefused) {
  PendingRequests pending;
  EXPECT_TRUE(pending.Add(1, Command::kHelloRequest, kT0, nullptr));
  EXPECT_FALSE(pending.Add(1, Command::kListenRequest, kT0, nullptr));
  auto entry = pending.Take(1);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->cmd, Command::kHelloRequest);
}

TEST(PendingRequestsTest, TakeExpiredReturnsOnlyDueEntriesEarliestFirst) {
  PendingRequests pending;
  pending.Add(1, Command::kHelloRequest, kT0 + absl::Seconds(3), nullptr);
  pending.Add(2, Command::kHelloRequest, kT0 + absl::Seconds(1), nullptr);
  pending.Add(3, Command::kHelloRequest, kT0 + absl::Seconds(2), nullptr);
  pending.Add(4, Command::kHelloRequest, kT0 + absl::Seconds(2), nullptr);
  auto expired = pending.TakeExpired(kT0 + absl::Seconds(2));
  ASSERT_EQ(expired.size(), 3u);
  EXPECT_EQ(expired[0].seq, 2u);
  EXPECT_EQ(expired[1].seq, 3u);
  EXPECT_EQ(expired[2].seq, 4u);
  EXPECT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending.TakeExpired(kT0 + absl::Seconds(2)).empty());
  auto rest = pending.TakeAll();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].seq, 1u);
  EXPECT_TRUE(pending.empty());
}

TEST(PendingRequestsTest, TakenEntryDoesNotExpireLater) {
  PendingRequests pending;
  pending.Add(5, Command::kHelloRequest, kT0, nullptr);
  ASSERT_TRUE(pending.Take(5).has_value());
  EXPECT_TRUE(pending.TakeExpired(kT0 + absl::Hours(1)).empty());
}

}  // namespace
}  // namespace eventmesh::sdk
