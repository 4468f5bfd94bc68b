#include "eventmesh/sdk/internal/pending_requests.h"

namespace eventmesh::sdk {

bool PendingRequests::Add(uint64_t seq, protocol::tcp::Command cmd, absl::Time deadline,
                          Callback done) {
  auto [it, inserted] = entries_.try_emplace(seq);
  if (!inserted) return false;
  it->second = Entry{seq, cmd, deadline, std::move(done)};
  by_deadline_.emplace(deadline, seq);
  return true;
}

std::optional<PendingRequests::Entry> PendingRequests::Take(uint64_t seq) {
  auto it = entries_.find(seq);
  if (it == entries_.end()) return std::nullopt;
  Entry entry = std::move(it->second);
  entries_.erase(it);
  by_deadline_.erase({entry.deadline, seq});
  return entry;
}

std::vector<PendingRequests::Entry> PendingRequests::TakeExpired(absl::Time now) {
  std::vector<Entry> expired;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const uint64_t seq = by_deadline_.begin()->second;
    by_deadline_.erase(by_deadline_.begin());
    auto it = entries_.find(seq);
    expired.push_back(std::move(it->second));
    entries_.erase(it);
  }
  return expired;
}

std::vector<PendingRequests::Entry> PendingRequests::TakeAll() {
  return TakeExpired(absl::InfiniteFuture());
}

}  // namespace eventmesh::sdk
