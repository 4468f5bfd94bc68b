#include "eventmesh/connectors/kafka/ack_tracker.h"

#include "gtest/gtest.h"

namespace eventmesh::connectors::kafka {
namespace {

using Commits = std::vector<std::pair<int32_t, int64_t>>;

TEST(AckTrackerTest, WatermarkStopsAtTheFirstUnacknowledgedOffset) {
  AckTracker tracker;
  tracker.Assign(0, 10);
  EXPECT_EQ(tracker.Watermark(0), 10);
  for (int64_t offset : {10, 11, 13, 14}) tracker.Delivered(0, offset);  // 12: a gap
  EXPECT_EQ(tracker.unacked(), 4);
  EXPECT_TRUE(tracker.Ack(0, 13));
  EXPECT_EQ(tracker.Watermark(0), 10);
  EXPECT_TRUE(tracker.Ack(0, 10));
  EXPECT_EQ(tracker.Watermark(0), 11);
  EXPECT_TRUE(tracker.Ack(0, 11));
  EXPECT_EQ(tracker.Watermark(0), 14);  // past the gap and the acknowledged 13
  EXPECT_TRUE(tracker.Ack(0, 14));
  EXPECT_EQ(tracker.Watermark(0), 15);
  EXPECT_EQ(tracker.unacked(), 0);
}

TEST(AckTrackerTest, UnknownRepeatedAndRevokedAcksAreIgnored) {
  AckTracker tracker;
  tracker.Assign(1, -1);
  EXPECT_EQ(tracker.Watermark(1), -1);
  tracker.Delivered(1, 5);
  tracker.Delivered(1, 6);
  EXPECT_FALSE(tracker.Ack(1, 4));
  EXPECT_FALSE(tracker.Ack(2, 5));
  EXPECT_TRUE(tracker.Ack(1, 6));
  EXPECT_FALSE(tracker.Ack(1, 6));
  EXPECT_EQ(tracker.Revoke(1), 1);
  EXPECT_EQ(tracker.unacked(), 0);
  EXPECT_FALSE(tracker.Ack(1, 5));
  tracker.Delivered(1, 7);  // not tracked any more
  EXPECT_EQ(tracker.unacked(), 0);
}

TEST(AckTrackerTest, UncommittedListsWatermarksThatMoved) {
  AckTracker tracker;
  tracker.Assign(0, 0);
  tracker.Assign(1, -1);
  EXPECT_EQ(tracker.Uncommitted(), (Commits{{0, 0}}));
  tracker.Committed(0, 0);
  EXPECT_TRUE(tracker.Uncommitted().empty());
  tracker.Delivered(0, 0);
  tracker.Delivered(1, 3);
  // Partition 1 started at an unknown offset: its first delivery is a position to commit.
  EXPECT_EQ(tracker.Uncommitted(), (Commits{{1, 3}}));
  tracker.Ack(0, 0);
  tracker.Ack(1, 3);
  EXPECT_EQ(tracker.Uncommitted(), (Commits{{0, 1}, {1, 4}}));
  tracker.Committed(0, 1);
  tracker.Committed(1, 4);
  EXPECT_TRUE(tracker.Uncommitted().empty());
}

TEST(AckTrackerTest, NotedDeliveriesAtTheWatermarkAreCommittedAndPruned) {
  AckTracker tracker;
  tracker.Assign(0, 10);
  tracker.Committed(0, 10);
  tracker.Delivered(0, 10);
  tracker.Delivered(0, 11);
  tracker.NoteDeliveries(0, 11, 2);
  EXPECT_TRUE(tracker.Uncommitted().empty());  // not at the watermark (10)
  tracker.NoteDeliveries(0, 10, 1);
  EXPECT_EQ(tracker.Uncommitted(), (Commits{{0, 10}}));  // same offset, new count
  EXPECT_EQ(tracker.DeliveriesAt(0, 10), 1);
  tracker.NoteDeliveries(0, 10, 0);  // never lowers
  EXPECT_EQ(tracker.DeliveriesAt(0, 10), 1);
  tracker.Committed(0, 10, 1);
  EXPECT_TRUE(tracker.Uncommitted().empty());
  tracker.Ack(0, 10);                         // the watermark moves to 11, which has 2 noted
  EXPECT_EQ(tracker.DeliveriesAt(0, 10), 0);  // pruned
  EXPECT_EQ(tracker.DeliveriesAt(0, 11), 2);
  EXPECT_EQ(tracker.Uncommitted(), (Commits{{0, 11}}));
  tracker.NoteDeliveries(0, 12, 5);  // not delivered: ignored
  EXPECT_EQ(tracker.DeliveriesAt(0, 12), 0);
  // A new owner restores the count the commit carried.
  tracker.Assign(0, 11);
  tracker.Committed(0, 11, 2);
  tracker.RestoreDeliveries(0, 11, 2);
  EXPECT_EQ(tracker.DeliveriesAt(0, 11), 2);
  EXPECT_TRUE(tracker.Uncommitted().empty());
}

}  // namespace
}  // namespace eventmesh::connectors::kafka
