#include "tools/loadgen/load_stats.h"

#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::loadgen {
namespace {

TEST(LoadStatsTest, NearestRankPercentiles) {
  std::vector<int64_t> sorted;
  for (int i = 1; i <= 1000; ++i) sorted.push_back(i);
  EXPECT_EQ(NearestRank(sorted, 0.50), 500);
  EXPECT_EQ(NearestRank(sorted, 0.99), 990);
  EXPECT_EQ(NearestRank(sorted, 0.999), 999);
  EXPECT_EQ(NearestRank(sorted, 1.0), 1000);
  EXPECT_EQ(NearestRank({}, 0.5), 0);
  EXPECT_EQ(NearestRank({7}, 0.999), 7);
}

TEST(LoadStatsTest, LatencySamplesSortAndCap) {
  LatencySamples samples(/*max_samples=*/5);
  for (int64_t v : {50, 10, 40, 20, 30, 99}) samples.Add(v);
  Percentiles p = samples.Compute();
  EXPECT_EQ(p.count, 5u);
  EXPECT_EQ(p.p50, 30);
  EXPECT_EQ(p.p99, 50);
  EXPECT_EQ(p.max, 50);
  EXPECT_EQ(samples.dropped(), 1u);
  EXPECT_EQ(LatencySamples().Compute().count, 0u);
}

TEST(LoadStatsTest, DeliveryTrackerCountsFirstDeliveriesOnly) {
  DeliveryTracker tracker(2);
  EXPECT_TRUE(tracker.Record(0, 0));
  EXPECT_TRUE(tracker.Record(0, 5000));
  EXPECT_TRUE(tracker.Record(1, 0));
  EXPECT_FALSE(tracker.Record(0, 5000));
  EXPECT_FALSE(tracker.Record(2, 0));  // No such publisher.
  EXPECT_FALSE(tracker.Record(-1, 0));
  EXPECT_EQ(tracker.unique(), 3u);
  EXPECT_EQ(tracker.duplicates(), 1u);
  EXPECT_TRUE(tracker.Seen(0, 5000));
  EXPECT_FALSE(tracker.Seen(0, 1));
  EXPECT_FALSE(tracker.Seen(1, 99999));
  EXPECT_FALSE(tracker.Seen(3, 0));
}

TEST(LoadStatsTest, FormatMs) {
  EXPECT_EQ(FormatMs(1'234'567), "1.235 ms");
  EXPECT_EQ(FormatMs(0), "0.000 ms");
}

}  // namespace
}  // namespace eventmesh::loadgen
