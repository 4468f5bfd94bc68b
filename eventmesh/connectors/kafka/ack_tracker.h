#ifndef EVENTMESH_CONNECTORS_KAFKA_ACK_TRACKER_H_
#define EVENTMESH_CONNECTORS_KAFKA_ACK_TRACKER_H_

// Per-partition bookkeeping of one subscription's delivered events: which offsets were
// delivered and which of them are acknowledged, the contiguous acknowledged watermark to commit
// (the first unacknowledged delivered offset, or the last delivered offset + 1 when all are
// acknowledged; never past an unacknowledged one, and offset gaps such as compacted records or
// transaction markers are no problem since only delivered offsets count), and which watermarks
// still need committing.
//
// A pure data structure: no I/O, not thread-safe (the owner locks). Offsets of one partition
// must be delivered in increasing order.

#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

namespace eventmesh::connectors::kafka {

class AckTracker {
 public:
  // Starts tracking `partition`; `start` is the offset its delivery starts from when known (it
  // is the watermark until something is delivered), else -1. Replaces earlier state.
  void Assign(int32_t partition, int64_t start);
  // Forgets `partition` (revoked): returns how many of its delivered events were unacknowledged.
  int64_t Revoke(int32_t partition);
  bool Tracks(int32_t partition) const { return partitions_.count(partition) > 0; }

  // Records a delivery of `bytes` (counted by unacked_bytes()). Ignored for a partition not
  // tracked.
  void Delivered(int32_t partition, int64_t offset, int64_t bytes = 0);
  // Acknowledges a delivered offset: true when it was delivered and not acknowledged yet (the
  // unacknowledged count dropped); false for unknown, stale or repeated positions.
  bool Ack(int32_t partition, int64_t offset);

  // Delivered and not acknowledged, over every partition.
  int64_t unacked() const { return unacked_; }
  // Bytes of those events (as given to Delivered).
  int64_t unacked_bytes() const { return unacked_bytes_; }
  // The watermark of `partition`, -1 when unknown.
  int64_t Watermark(int32_t partition) const;
  // (partition, watermark) of every partition whose watermark moved past its last commit, or
  // whose noted deliveries at the watermark changed since it was committed.
  std::vector<std::pair<int32_t, int64_t>> Uncommitted() const;
  // Records that `offset` was committed for `partition` with `deliveries` noted for it (ignored
  // when not tracked).
  void Committed(int32_t partition, int64_t offset, int32_t deliveries = 0);

  // Failed deliveries of a delivered, unacknowledged offset (Subscription::NoteDeliveries); the
  // count only grows. Ignored for other offsets.
  void NoteDeliveries(int32_t partition, int64_t offset, int32_t deliveries);
  // After Assign: the committed position `offset` carried `deliveries` (commit metadata).
  void RestoreDeliveries(int32_t partition, int64_t offset, int32_t deliveries);
  // The deliveries noted or restored for `offset`, 0 when none.
  int32_t DeliveriesAt(int32_t partition, int64_t offset) const;

 private:
  struct Entry {
    int64_t offset;
    bool acked;
    int64_t bytes;
  };
  struct Partition {
    std::deque<Entry> pending;  // delivered, oldest first
    int64_t next = -1;          // watermark when `pending` is empty
    int64_t committed = -1;
    int32_t committed_deliveries = 0;       // the deliveries committed with `committed`
    std::map<int64_t, int32_t> deliveries;  // offsets >= the watermark with noted deliveries
  };
  std::map<int32_t, Partition> partitions_;
  int64_t unacked_ = 0;
  int64_t unacked_bytes_ = 0;
};

}  // namespace eventmesh::connectors::kafka

#endif  // EVENTMESH_CONNECTORS_KAFKA_ACK_TRACKER_H_
