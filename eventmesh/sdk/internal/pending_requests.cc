#include "eventmesh/sdk/internal/pending_requests.h"

#include <algorithm>

namespace eventmesh::sdk {

bool PendingRequests::Add(uint64_t seq, protocol::tcp::Command cmd, absl::Time deadline,
                          Callback done) {
  auto [it, inserted] = entries_.try_emplace(seq);
  if (!inserted) return false;
  it->second = Entry{seq, cmd, deadline, std::move(done)};
  // Entries of answered requests outnumber the pending ones: rebuild from the pending ones
  // (amortised O(1) per request; the heap stays within twice the pending requests).
  if (by_deadline_.size() >= 2 * entries_.size() + 64) {
    by_deadline_.clear();
    for (const auto& [pending_seq, entry] : entries_) {
      by_deadline_.emplace_back(entry.deadline, pending_seq);
    }
    std::make_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<Deadline>());
    return true;
  }
  by_deadline_.emplace_back(deadline, seq);
  std::push_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<Deadline>());
  return true;
}

std::optional<PendingRequests::Entry> PendingRequests::Take(uint64_t seq) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  entries_.erase(it);
  if (entries_.empty()) by_deadline_.clear();  // every heap entry is stale
  return entry;
}

void PendingRequests::PopStale() {
  while (!by_deadline_.empty()) {
    const auto& [deadline, seq] = by_deadline_.front();
    auto it = entries_.find(seq);
    if (it != entries_.end() && it->second.deadline == deadline) return;
    std::pop_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<Deadline>());
    by_deadline_.pop_back();
  }
}

std::vector<PendingRequests::Entry> PendingRequests::TakeExpired(absl::Time now) {
  std::vector<Entry> expired;
  for (PopStale(); !by_deadline_.empty() && by_deadline_.front().first <= now; PopStale()) {
    auto it = entries_.find(by_deadline_.front().second);
    std::pop_heap(by_deadline_.begin(), by_deadline_.end(), std::greater<Deadline>());
    by_deadline_.pop_back();
    expired.push_back(std::move(it->second));
    entries_.erase(it);
  }
  if (entries_.empty()) by_deadline_.clear();
  return expired;
}

std::vector<PendingRequests::Entry> PendingRequests::TakeAll() {
  return TakeExpired(absl::InfiniteFuture());
}

}  // namespace eventmesh::sdk
