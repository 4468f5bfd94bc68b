// ObserveCommitWrites: every commit-queue write of a real store (here fsynced, syncMode batch)
// lands in the registered histogram. WriteStallMetrics: each metric reads its own field.

#include "eventmesh/store/engine/write_metrics.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/testing/store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::store {
namespace {

using test_util::MakeTempDir;
using test_util::Rec;
using test_util::ToPartition;

const metrics::FamilySnapshot* Find(const std::vector<metrics::FamilySnapshot>& families,
                                    const std::string& name) {
  for (const metrics::FamilySnapshot& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(CommitWriteMetricsTest, EveryCommitWriteIsObserved) {
  metrics::Registry registry;
  StoreOptions options;
  options.path = MakeTempDir("write_metrics");
  options.sync_mode = SyncMode::kBatch;
  ASSERT_TRUE(ObserveCommitWrites(&registry, &options).ok());
  {
    auto store = RocksDbEventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateTopic({"t", 1}).ok());
    for (int i = 0; i < 5; ++i) {
      auto appended = (*store)->Append(ToPartition("t", 0, {Rec("event")}));
      ASSERT_TRUE(appended.ok()) << appended.status();
    }
    const uint64_t writes = static_cast<uint64_t>((*store)->GetStats().db_writes);
    const std::vector<metrics::FamilySnapshot> families = registry.Collect();
    const metrics::FamilySnapshot* family = Find(families, kCommitWriteMetric);
    ASSERT_NE(family, nullptr);
    EXPECT_EQ(family->type, metrics::MetricType::kHistogram);
    ASSERT_EQ(family->samples.size(), 1u);
    // Blocking appends one after another: each its own synced write, each observed.
    EXPECT_GE(writes, 5u);
    EXPECT_EQ(family->samples[0].count, writes);
    EXPECT_GT(family->samples[0].sum, 0);
    EXPECT_EQ(family->bounds.front(), 25e-6);
  }
}

TEST(CommitWriteMetricsTest, ANameTakenByAnotherTypeIsAnError) {
  metrics::Registry registry;
  ASSERT_TRUE(registry.AddCounter(kCommitWriteMetric, "not a histogram").ok());
  StoreOptions options;
  EXPECT_EQ(ObserveCommitWrites(&registry, &options).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(options.on_commit_write);
}

// Each write-stall metric reads its own field of the stats, as a counter or a gauge.
TEST(WriteStallMetricsTest, EachMetricReadsItsFieldOfTheStats) {
  WriteStallStats stats;
  stats.stops = 3;
  stats.slowdowns = 5;
  stats.stalled_micros = 2'500'000;
  stats.writes_stopped = true;
  stats.slowdown_rate = 16 << 20;
  std::vector<std::pair<std::string, double>> read;
  for (const WriteStallMetric& metric : WriteStallMetrics()) {
    const std::string name = metric.name;
    EXPECT_EQ(metric.counter, absl::EndsWith(name, "_total")) << name;
    EXPECT_FALSE(std::string(metric.help).empty()) << name;
    read.emplace_back(name, metric.value(stats));
  }
  EXPECT_THAT(read, testing::ElementsAre(
                        testing::Pair("eventmesh_store_write_stops_total", 3),
                        testing::Pair("eventmesh_store_write_slowdowns_total", 5),
                        testing::Pair("eventmesh_store_write_stall_seconds_total", 2.5),
                        testing::Pair("eventmesh_store_writes_stopped", 1),
                        testing::Pair("eventmesh_store_write_slowdown_bytes_per_second", 16 << 20)));
  EXPECT_EQ(WriteStallMetrics()[3].value(WriteStallStats{}), 0);
}

}  // namespace
}  // namespace eventmesh::store
