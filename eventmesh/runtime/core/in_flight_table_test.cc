#include "eventmesh/runtime/core/in_flight_table.h"

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

TEST(InFlightTableTest, FindsWhatWasInsertedAndNothingElse) {
  InFlightTable<int> table;
  EXPECT_EQ(table.Find(64), nullptr);
  table.Insert(64, kNever) = 1;
  table.Insert(66, kNever) = 3;  // 65 was taken by a push that failed: never inserted
  table.Insert(130, kNever) = 7;
  EXPECT_EQ(table.size(), 3u);
  ASSERT_NE(table.Find(64), nullptr);
  EXPECT_EQ(*table.Find(64), 1);
  EXPECT_EQ(*table.Find(66), 3);
  EXPECT_EQ(*table.Find(130), 7);
  EXPECT_EQ(table.Find(65), nullptr);
  EXPECT_EQ(table.Find(128), nullptr);  // the block exists, the slot is empty
  EXPECT_EQ(table.Find(0), nullptr);    // blocks that were never there
  EXPECT_EQ(table.Find(192), nullptr);
  EXPECT_EQ(table.Find(64 * 1000 + 2), nullptr);
  table.Erase(66);
  EXPECT_EQ(table.Find(66), nullptr);
  EXPECT_EQ(*table.Find(64), 1);
  EXPECT_EQ(table.size(), 2u);
}

TEST(InFlightTableTest, ErasedSlotsLetGoOfTheirValue) {
  InFlightTable<std::shared_ptr<int>> table;
  auto value = std::make_shared<int>(5);
  table.Insert(64, kNever) = value;
  table.Insert(65, kNever) = value;
  EXPECT_EQ(value.use_count(), 3);
  table.Erase(64);
  EXPECT_EQ(value.use_count(), 2);
  table.EraseIf([](uint64_t, std::shared_ptr<int>&) { return true; });
  EXPECT_EQ(value.use_count(), 1);
  EXPECT_TRUE(table.empty());
}

TEST(InFlightTableTest, SettledBlocksGo) {
  InFlightTable<int> table;
  for (uint64_t seq = 64; seq < 64 * 4; ++seq) table.Insert(seq, kNever) = 1;
  EXPECT_EQ(table.block_count(), 3u);
  for (uint64_t seq = 64; seq < 64 * 4; ++seq) table.Erase(seq);
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.block_count(), 0u);
  // More seqs of a block that went (the consumer's current block) bring it back.
  table.Insert(64 * 3 + 10, kNever) = 2;
  table.Insert(64 * 7, kNever) = 3;
  EXPECT_EQ(table.block_count(), 2u);
  EXPECT_EQ(*table.Find(64 * 3 + 10), 2);
  EXPECT_EQ(*table.Find(64 * 7), 3);
  EXPECT_EQ(table.Find(64 * 3), nullptr);
}

TEST(InFlightTableTest, AnOldUnsettledPushHoldsOnlyItsOwnBlock) {
  InFlightTable<int> table;
  table.Insert(64 + 5, kNever) = 1;  // never settled
  for (uint64_t block = 2; block < 1000; ++block) {
    for (uint64_t i = 0; i < kSeqBlock; ++i) table.Insert(block * kSeqBlock + i, kNever) = 2;
    for (uint64_t i = 0; i < kSeqBlock; ++i) table.Erase(block * kSeqBlock + i);
    ASSERT_LE(table.block_count(), 1u) << "block " << block;
  }
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(*table.Find(64 + 5), 1);
}

TEST(InFlightTableTest, EraseDueTakesThePushesDueInSeqOrderAndLeavesTheRest) {
  InFlightTable<int> table;
  table.Insert(64, 100) = 1;
  table.Insert(65, kNever) = 2;  // no deadline
  table.Insert(66, 300) = 3;
  table.Insert(128, 100) = 4;
  table.Insert(129, 200) = 5;
  std::vector<std::pair<uint64_t, int>> due;
  auto collect = [&](uint64_t seq, int& value) { due.emplace_back(seq, value); };
  table.EraseDue(99, collect);
  EXPECT_TRUE(due.empty());
  table.EraseDue(200, collect);
  EXPECT_EQ(due, (std::vector<std::pair<uint64_t, int>>{{64, 1}, {128, 4}, {129, 5}}));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.Find(64), nullptr);
  EXPECT_EQ(*table.Find(65), 2);
  due.clear();
  table.EraseDue(1000, collect);
  EXPECT_EQ(due, (std::vector<std::pair<uint64_t, int>>{{66, 3}}));
  due.clear();
  table.EraseDue(kNever - 1, collect);
  EXPECT_TRUE(due.empty());
  EXPECT_EQ(*table.Find(65), 2);
}

TEST(InFlightTableTest, EraseIfVisitsEveryPushInSeqOrder) {
  InFlightTable<int> table;
  for (uint64_t seq : {64, 70, 127, 192, 200, 320}) table.Insert(seq, 5) = static_cast<int>(seq);
  std::vector<uint64_t> visited;
  table.EraseIf([&](uint64_t seq, int& value) {
    EXPECT_EQ(static_cast<uint64_t>(value), seq);
    visited.push_back(seq);
    return seq % 2 == 0;  // keeps 127
  });
  EXPECT_EQ(visited, (std::vector<uint64_t>{64, 70, 127, 192, 200, 320}));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(*table.Find(127), 127);
  EXPECT_EQ(table.block_count(), 1u);  // 127's block
  table.Clear();
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.block_count(), 0u);
  EXPECT_EQ(table.Find(127), nullptr);
  table.Insert(64 * 9, 1) = 9;
  EXPECT_EQ(*table.Find(64 * 9), 9);
}

// Random inserts (increasing seqs with gaps, as a consumer hands them out), erases and expiries
// against a std::map doing the same.
TEST(InFlightTableTest, BehavesLikeAnOrderedMap) {
  std::mt19937_64 random(42);
  InFlightTable<uint64_t> table;
  std::map<uint64_t, std::pair<int64_t, uint64_t>> model;  // seq -> (deadline, value)
  uint64_t next = kSeqBlock;
  int64_t now = 0;
  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(random() % 10);
    if (op < 5) {
      if (random() % 8 == 0) next += random() % 3 == 0 ? kSeqBlock * (1 + random() % 4) : 1;
      if (random() % 16 == 0) next = (next / kSeqBlock + 1) * kSeqBlock;  // a new block
      const int64_t deadline =
          random() % 5 == 0 ? kNever : now + static_cast<int64_t>(random() % 100);
      table.Insert(next, deadline) = next * 3;
      model[next] = {deadline, next * 3};
      ++next;
    } else if (op < 9) {
      if (model.empty()) continue;
      // Mostly the oldest (acks come in push order), sometimes any.
      auto it = model.begin();
      if (random() % 3 == 0) std::advance(it, random() % model.size());
      ASSERT_NE(table.Find(it->first), nullptr);
      table.Erase(it->first);
      model.erase(it);
    } else {
      now += static_cast<int64_t>(random() % 40);
      std::vector<uint64_t> due;
      table.EraseDue(now, [&](uint64_t seq, uint64_t& value) {
        EXPECT_EQ(value, seq * 3);
        due.push_back(seq);
      });
      std::vector<uint64_t> expected;
      for (auto it = model.begin(); it != model.end();) {
        if (it->second.first <= now) {
          expected.push_back(it->first);
          it = model.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_EQ(due, expected) << "step " << step;
    }
    ASSERT_EQ(table.size(), model.size()) << "step " << step;
    ASSERT_LE(table.block_count(), model.size()) << "step " << step;
    // A few lookups: present seqs, and seqs next to them.
    for (int probe = 0; probe < 3 && !model.empty(); ++probe) {
      auto it = model.begin();
      std::advance(it, random() % model.size());
      ASSERT_NE(table.Find(it->first), nullptr);
      EXPECT_EQ(*table.Find(it->first), it->second.second);
      const uint64_t near = it->first + 1;
      EXPECT_EQ(table.Find(near) != nullptr, model.count(near) == 1) << near;
    }
  }
}

}  // namespace
}  // namespace eventmesh::runtime::core
