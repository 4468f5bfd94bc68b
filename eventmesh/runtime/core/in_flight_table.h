#ifndef EVENTMESH_RUNTIME_CORE_IN_FLIGHT_TABLE_H_
#define EVENTMESH_RUNTIME_CORE_IN_FLIGHT_TABLE_H_

// The pushes one consumer has in flight, by push sequence number, each with a deadline.
//
// The consumer takes its seqs in blocks of kSeqBlock consecutive numbers (the first a multiple
// of kSeqBlock; each block above the ones before) and hands them out in increasing order. The
// table keeps one array of kSeqBlock slots per block that holds a push: the pushes of a run and
// their acknowledgements, which come back in push order, touch consecutive memory, and a lookup
// in the block of the previous lookup needs no search. A block goes when its last slot is
// erased (one is kept aside for the next new block), so an old push that is never settled holds
// its own block, not the table: memory stays proportional to the pushes in flight, and a table
// with nothing in flight holds one spare block (about 3 KB for GroupConsumer's slots).
//
// Not thread-safe (the consumer's lock guards it). `Value` must be default-constructible and
// move-assignable; an erased slot is reset to Value().

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "glog/logging.h"

namespace eventmesh::runtime::core {

// Seqs come in blocks of this many consecutive numbers (see InFlightTable).
inline constexpr uint64_t kSeqBlock = 64;

template <typename Value>
class InFlightTable {
 public:
  InFlightTable() = default;
  InFlightTable(const InFlightTable&) = delete;
  InFlightTable& operator=(const InFlightTable&) = delete;

  // Puts a push at `seq` (not in the table) with `deadline` (INT64_MAX: never due) and returns
  // its slot. `seq`'s block must not be older than the newest block holding a push.
  Value& Insert(uint64_t seq, int64_t deadline) {
    const uint64_t base = seq & ~(kSeqBlock - 1);
    if (blocks_.empty() || blocks_.back()->base != base) {
      // (Once per block: a block out of order would leave blocks_ unsorted, and lookups blind.)
      CHECK(blocks_.empty() || blocks_.back()->base < base) << "seq " << seq << " out of order";
      blocks_.push_back(NewBlock(base));
    }
    Block& block = *blocks_.back();
    const uint64_t index = seq - base;
    const uint64_t bit = uint64_t{1} << index;
    DCHECK((block.used & bit) == 0) << "seq " << seq << " twice";
    block.used |= bit;
    block.deadlines[index] = deadline;
    block.min_deadline = std::min(block.min_deadline, deadline);
    ++size_;
    last_ = &block;
    return block.slots[index];
  }

  // The slot of `seq`, or nullptr when it is not in the table.
  Value* Find(uint64_t seq) {
    Block* block = BlockOf(seq);
    if (block == nullptr) return nullptr;
    const uint64_t index = seq - block->base;
    if ((block->used & (uint64_t{1} << index)) == 0) return nullptr;
    return &block->slots[index];
  }

  // Removes `seq` (which Find found); its slot is reset.
  void Erase(uint64_t seq) {
    Block* block = BlockOf(seq);
    DCHECK(block != nullptr) << "seq " << seq << " not in flight";
    const uint64_t index = seq - block->base;
    const uint64_t bit = uint64_t{1} << index;
    DCHECK((block->used & bit) != 0) << "seq " << seq << " not in flight";
    block->slots[index] = Value();
    block->used &= ~bit;
    --size_;
    if (block->used == 0) {
      FreeBlock(static_cast<size_t>(
          std::lower_bound(blocks_.begin(), blocks_.end(), block->base, BaseBelow) -
          blocks_.begin()));
    }
  }

  // Calls `fn(seq, value)` for every push in seq order; the pushes for which it returns true
  // are erased.
  template <typename Fn>
  void EraseIf(Fn&& fn) {
    EraseIfDue(std::numeric_limits<int64_t>::max(), /*every=*/true, fn);
  }

  // Calls `fn(seq, value)` in seq order for every push whose deadline is at or before `now`,
  // then erases them. Looks only into blocks holding such a push.
  template <typename Fn>
  void EraseDue(int64_t now, Fn&& fn) {
    auto erase = [&](uint64_t seq, Value& value) {
      fn(seq, value);
      return true;
    };
    EraseIfDue(now, /*every=*/false, erase);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The blocks held (a measure of memory: each is kSeqBlock slots).
  size_t block_count() const { return blocks_.size(); }

  void Clear() {
    blocks_.clear();
    spare_.reset();
    last_ = nullptr;
    size_ = 0;
  }

 private:
  struct Block {
    uint64_t base = 0;
    uint64_t used = 0;                                           // bit i: slot i holds a push
    int64_t min_deadline = std::numeric_limits<int64_t>::max();  // at most every used one's
    int64_t deadlines[kSeqBlock];
    Value slots[kSeqBlock];
  };

  static bool BaseBelow(const std::unique_ptr<Block>& block, uint64_t base) {
    return block->base < base;
  }

  Block* BlockOf(uint64_t seq) {
    const uint64_t base = seq & ~(kSeqBlock - 1);
    if (last_ != nullptr && last_->base == base) return last_;
    auto it = std::lower_bound(blocks_.begin(), blocks_.end(), base, BaseBelow);
    if (it == blocks_.end() || (*it)->base != base) return nullptr;
    last_ = it->get();
    return last_;
  }

  std::unique_ptr<Block> NewBlock(uint64_t base) {
    std::unique_ptr<Block> block = std::move(spare_);
    if (block == nullptr) block = std::make_unique<Block>();
    block->base = base;
    block->used = 0;
    block->min_deadline = std::numeric_limits<int64_t>::max();
    return block;
  }

  // Drops blocks_[i] (empty); one block is kept for the next NewBlock, so a steady flow of
  // pushes reuses the same few blocks instead of allocating one per kSeqBlock pushes.
  void FreeBlock(size_t i) {
    if (last_ == blocks_[i].get()) last_ = nullptr;
    spare_ = std::move(blocks_[i]);
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  template <typename Fn>
  void EraseIfDue(int64_t now, bool every, Fn& fn) {
    for (size_t i = 0; i < blocks_.size();) {
      Block& block = *blocks_[i];
      if (!every && block.min_deadline > now) {
        ++i;
        continue;
      }
      int64_t min_deadline = std::numeric_limits<int64_t>::max();
      for (uint64_t used = block.used; used != 0; used &= used - 1) {
        const int index = __builtin_ctzll(used);
        const uint64_t bit = uint64_t{1} << index;
        if ((every || block.deadlines[index] <= now) &&
            fn(block.base + index, block.slots[index])) {
          block.slots[index] = Value();
          block.used &= ~bit;
          --size_;
        } else {
          min_deadline = std::min(min_deadline, block.deadlines[index]);
        }
      }
      block.min_deadline = min_deadline;
      if (block.used == 0) {
        FreeBlock(i);
      } else {
        ++i;
      }
    }
  }

  std::vector<std::unique_ptr<Block>> blocks_;  // by base, ascending
  std::unique_ptr<Block> spare_;
  Block* last_ = nullptr;  // the block of the last Insert or lookup
  size_t size_ = 0;
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_IN_FLIGHT_TABLE_H_
