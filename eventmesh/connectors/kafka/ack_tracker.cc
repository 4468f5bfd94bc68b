#include "eventmesh/connectors/kafka/ack_tracker.h"

#include <algorithm>

namespace eventmesh::connectors::kafka {

void AckTracker::Assign(int32_t partition, int64_t start) {
  Revoke(partition);
  Partition& p = partitions_[partition];
  p.next = start;
}

int64_t AckTracker::Revoke(int32_t partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return 0;
  int64_t dropped = 0;
  for (const auto& [offset, acked] : it->second.pending) {
    if (!acked) ++dropped;
  }
  unacked_ -= dropped;
  partitions_.erase(it);
  return dropped;
}

void AckTracker::Delivered(int32_t partition, int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  it->second.pending.emplace_back(offset, false);
  ++unacked_;
}

bool AckTracker::Ack(int32_t partition, int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return false;
  Partition& p = it->second;
  auto entry = std::lower_bound(
      p.pending.begin(), p.pending.end(), offset,
      [](const std::pair<int64_t, bool>& e, int64_t value) { return e.first < value; });
  if (entry == p.pending.end() || entry->first != offset || entry->second) return false;
  entry->second = true;
  --unacked_;
  while (!p.pending.empty() && p.pending.front().second) {
    p.next = p.pending.front().first + 1;
    p.pending.pop_front();
  }
  return true;
}

int64_t AckTracker::Watermark(int32_t partition) const {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return -1;
  const Partition& p = it->second;
  return p.pending.empty() ? p.next : p.pending.front().first;
}

std::vector<std::pair<int32_t, int64_t>> AckTracker::Uncommitted() const {
  std::vector<std::pair<int32_t, int64_t>> out;
  for (const auto& [partition, p] : partitions_) {
    const int64_t watermark = p.pending.empty() ? p.next : p.pending.front().first;
    if (watermark >= 0 && watermark > p.committed) out.emplace_back(partition, watermark);
  }
  return out;
}

void AckTracker::Committed(int32_t partition, int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  it->second.committed = std::max(it->second.committed, offset);
}

}  // namespace eventmesh::connectors::kafka
