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
  for (const Entry& e : it->second.pending) {
    if (!e.acked) {
      ++dropped;
      unacked_bytes_ -= e.bytes;
    }
  }
  unacked_ -= dropped;
  partitions_.erase(it);
  return dropped;
}

void AckTracker::Delivered(int32_t partition, int64_t offset, int64_t bytes) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  it->second.pending.push_back(Entry{offset, false, bytes});
  ++unacked_;
  unacked_bytes_ += bytes;
}

bool AckTracker::Ack(int32_t partition, int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return false;
  Partition& p = it->second;
  auto entry = std::lower_bound(p.pending.begin(), p.pending.end(), offset,
                                [](const Entry& e, int64_t value) { return e.offset < value; });
  if (entry == p.pending.end() || entry->offset != offset || entry->acked) return false;
  entry->acked = true;
  --unacked_;
  unacked_bytes_ -= entry->bytes;
  while (!p.pending.empty() && p.pending.front().acked) {
    p.next = p.pending.front().offset + 1;
    p.pending.pop_front();
  }
  if (!p.deliveries.empty()) {
    const int64_t watermark = p.pending.empty() ? p.next : p.pending.front().offset;
    p.deliveries.erase(p.deliveries.begin(), p.deliveries.lower_bound(watermark));
  }
  return true;
}

void AckTracker::NoteDeliveries(int32_t partition, int64_t offset, int32_t deliveries) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  Partition& p = it->second;
  auto entry = std::lower_bound(p.pending.begin(), p.pending.end(), offset,
                                [](const Entry& e, int64_t value) { return e.offset < value; });
  if (entry == p.pending.end() || entry->offset != offset || entry->acked) return;
  int32_t& noted = p.deliveries[offset];
  noted = std::max(noted, deliveries);
}

void AckTracker::RestoreDeliveries(int32_t partition, int64_t offset, int32_t deliveries) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || deliveries <= 0) return;
  it->second.deliveries[offset] = deliveries;
  if (it->second.committed == offset) it->second.committed_deliveries = deliveries;
}

int32_t AckTracker::DeliveriesAt(int32_t partition, int64_t offset) const {
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.deliveries.empty()) return 0;
  auto found = it->second.deliveries.find(offset);
  return found == it->second.deliveries.end() ? 0 : found->second;
}

int64_t AckTracker::Watermark(int32_t partition) const {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return -1;
  const Partition& p = it->second;
  return p.pending.empty() ? p.next : p.pending.front().offset;
}

std::vector<std::pair<int32_t, int64_t>> AckTracker::Uncommitted() const {
  std::vector<std::pair<int32_t, int64_t>> out;
  for (const auto& [partition, p] : partitions_) {
    const int64_t watermark = p.pending.empty() ? p.next : p.pending.front().offset;
    if (watermark < 0) continue;
    if (watermark > p.committed || (watermark == p.committed &&
                                    DeliveriesAt(partition, watermark) != p.committed_deliveries)) {
      out.emplace_back(partition, watermark);
    }
  }
  return out;
}

void AckTracker::Committed(int32_t partition, int64_t offset, int32_t deliveries) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  Partition& p = it->second;
  if (offset > p.committed) {
    p.committed = offset;
    p.committed_deliveries = deliveries;
  } else if (offset == p.committed) {
    p.committed_deliveries = deliveries;
  }
}

}  // namespace eventmesh::connectors::kafka
