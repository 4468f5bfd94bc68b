#include "eventmesh/sdk/internal/pending_requests.h"

#include <map>
#include <string>
#include <utility>
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

TEST(PendingRequestsTest, ReaddedSeqExpiresAtItsNewDeadline) {
  PendingRequests pending;
  pending.Add(7, Command::kHelloRequest, kT0 + absl::Seconds(1), nullptr);
  ASSERT_TRUE(pending.Take(7).has_value());
  pending.Add(8, Command::kHelloRequest, kT0 + absl::Seconds(9), nullptr);  // keeps one pending
  pending.Add(7, Command::kListenRequest, kT0 + absl::Seconds(5), nullptr);
  EXPECT_TRUE(pending.TakeExpired(kT0 + absl::Seconds(2)).empty());
  auto expired = pending.TakeExpired(kT0 + absl::Seconds(5));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].seq, 7u);
  EXPECT_EQ(expired[0].cmd, Command::kListenRequest);
}

// Random adds, takes and expiries (most requests answered, as publishes are) against a
// reference ordered by deadline: the same entries expire in the same order.
TEST(PendingRequestsTest, AgreesWithAnOrderedReference) {
  PendingRequests pending;
  std::map<std::pair<absl::Time, uint64_t>, Command> reference;
  std::map<uint64_t, absl::Time> deadline_of;
  uint64_t state = 12345;
  const auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  absl::Time now = kT0;
  for (int step = 0; step < 20000; ++step) {
    const uint64_t op = next(100);
    if (op < 50) {
      const uint64_t seq = next(3000);
      const absl::Time deadline = now + absl::Milliseconds(next(2000));
      const Command cmd = next(2) == 0 ? Command::kHelloRequest : Command::kListenRequest;
      const bool added = pending.Add(seq, cmd, deadline, nullptr);
      EXPECT_EQ(added, deadline_of.count(seq) == 0);
      if (added) {
        reference[{deadline, seq}] = cmd;
        deadline_of[seq] = deadline;
      }
    } else if (op < 95) {
      const uint64_t seq = next(3000);
      auto entry = pending.Take(seq);
      auto known = deadline_of.find(seq);
      ASSERT_EQ(entry.has_value(), known != deadline_of.end());
      if (entry.has_value()) {
        EXPECT_EQ(entry->deadline, known->second);
        reference.erase({known->second, seq});
        deadline_of.erase(known);
      }
    } else {
      now += absl::Milliseconds(next(300));
      std::vector<uint64_t> want;
      while (!reference.empty() && reference.begin()->first.first <= now) {
        want.push_back(reference.begin()->first.second);
        deadline_of.erase(reference.begin()->first.second);
        reference.erase(reference.begin());
      }
      std::vector<uint64_t> got;
      for (const auto& entry : pending.TakeExpired(now)) got.push_back(entry.seq);
      ASSERT_EQ(got, want) << "step " << step;
    }
    ASSERT_EQ(pending.size(), deadline_of.size());
  }
  std::vector<uint64_t> want, got;
  for (const auto& [key, cmd] : reference) want.push_back(key.second);
  for (const auto& entry : pending.TakeAll()) got.push_back(entry.seq);
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace eventmesh::sdk
