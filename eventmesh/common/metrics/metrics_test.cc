#include "eventmesh/common/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(MetricsTest, CounterCountsAcrossThreads) {
  Registry registry;
  CounterFamily* family = registry.AddCounter("events_total", "events", {"kind"}).value();
  Counter* a = family->WithLabels({"a"});
  EXPECT_EQ(a, family->WithLabels({"a"}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([a] {
      for (int i = 0; i < 10'000; ++i) a->Increment();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(a->value(), 40'000u);
}

TEST(MetricsTest, GaugeSetsAndAdds) {
  Registry registry;
  Gauge* gauge = registry.AddGauge("open_sessions", "sessions").value()->Get();
  gauge->Set(5);
  gauge->Increment();
  gauge->Add(-2.5);
  EXPECT_DOUBLE_EQ(gauge->value(), 3.5);
}

TEST(MetricsTest, HistogramBucketsAreUpperInclusiveAndCumulative) {
  Registry registry;
  FamilyOptions options;
  options.buckets = {1, 2, 5};
  Histogram* h = registry.AddHistogram("latency_seconds", "latency", {}, options).value()->Get();
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 7.0}) h->Observe(v);
  EXPECT_THAT(h->CumulativeCounts(), ElementsAre(2, 4, 5, 6));
  EXPECT_EQ(h->count(), 6u);
  EXPECT_DOUBLE_EQ(h->sum(), 16.0);
}

// Observe's start by exponent gives std::lower_bound's bucket for every value: at and next to
// each bound, far below and above them, zero, negatives, infinities and NaN, for exponential,
// dense (no table), negative and subnormal bounds.
TEST(MetricsTest, HistogramBucketIsTheFirstBoundAtOrAboveTheValue) {
  const std::vector<std::vector<double>> layouts = {
      LatencyBuckets(),
      ExponentialBuckets(1, 10, 8),
      ExponentialBuckets(0.001, 1.5, 30),
      {1, 2, 5},
      {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17},
      {-5, -1, 0, 1, 10},
      {0, 1},
      {4.9e-324, 1e-310, 1e-300, 1},
      {0.25},
  };
  std::mt19937_64 random(7);
  for (const std::vector<double>& bounds : layouts) {
    std::vector<double> values = {0.0,
                                  -0.0,
                                  -1.0,
                                  1e-320,
                                  1e300,
                                  std::numeric_limits<double>::infinity(),
                                  -std::numeric_limits<double>::infinity(),
                                  std::numeric_limits<double>::quiet_NaN()};
    for (double b : bounds) {
      values.push_back(b);
      values.push_back(std::nextafter(b, -std::numeric_limits<double>::infinity()));
      values.push_back(std::nextafter(b, std::numeric_limits<double>::infinity()));
      values.push_back(b * 0.75);
      values.push_back(b * 1.25);
    }
    std::uniform_real_distribution<double> exponent(-20, 20);
    for (int i = 0; i < 2000; ++i) values.push_back(std::pow(2.0, exponent(random)));
    for (double v : values) {
      Histogram h(bounds);
      h.Observe(v);
      const std::vector<uint64_t> counts = h.CumulativeCounts();
      const size_t expected =
          static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
      // The bucket is the first index whose cumulative count is 1.
      const size_t bucket =
          static_cast<size_t>(std::find(counts.begin(), counts.end(), 1u) - counts.begin());
      ASSERT_EQ(bucket, expected) << "value " << v << " in a layout of " << bounds.size()
                                  << " bounds starting " << bounds.front();
    }
  }
}

TEST(MetricsTest, SeriesBeyondTheCapFoldIntoOther) {
  Registry registry;
  FamilyOptions options;
  options.max_series = 2;
  CounterFamily* family =
      registry.AddCounter("by_group_total", "per group", {"group", "topic"}, options).value();
  family->WithLabels({"g1", "t"})->Increment();
  family->WithLabels({"g2", "t"})->Increment();
  Counter* other = family->WithLabels({"g3", "t"});
  other->Increment();
  EXPECT_EQ(other, family->WithLabels({"g4", "t"}));
  family->WithLabels({"g4", "t"})->Increment();
  EXPECT_EQ(family->overflowed(), 3u);  // g3, g4 and g4 again
  const std::vector<FamilySnapshot> families = registry.Collect();
  ASSERT_EQ(families.size(), 1u);
  ASSERT_EQ(families[0].samples.size(), 3u);
  const Sample& last = families[0].samples[2];
  EXPECT_THAT(last.label_values, ElementsAre("other", "other"));
  EXPECT_EQ(last.value, 2);
  // Known series keep counting after the cap was reached.
  family->WithLabels({"g1", "t"})->Increment();
  EXPECT_EQ(family->WithLabels({"g1", "t"})->value(), 2u);
}

TEST(MetricsTest, CallbackSamplesAreCappedAndRemovable) {
  Registry registry;
  int owner = 0;
  ASSERT_TRUE(registry
                  .AddGaugeCallback(
                      "lag", "lag per group", {"group"},
                      [](SampleSink& sink) {
                        for (int i = 0; i < 5; ++i) sink.Add({"g" + std::to_string(i)}, 10);
                      },
                      &owner, /*max_series=*/3)
                  .ok());
  std::vector<FamilySnapshot> families = registry.Collect();
  ASSERT_EQ(families.size(), 1u);
  ASSERT_EQ(families[0].samples.size(), 4u);
  EXPECT_THAT(families[0].samples[3].label_values, ElementsAre("other"));
  EXPECT_EQ(families[0].samples[3].value, 20);
  registry.RemoveCallbacks(&owner);
  EXPECT_TRUE(registry.Collect().empty());
}

TEST(MetricsTest, RefusesBadNamesAndDuplicates) {
  Registry registry;
  EXPECT_THAT(registry.AddCounter("1bad", "x").status().message(),
              HasSubstr("invalid metric name \"1bad\""));
  EXPECT_THAT(registry.AddCounter("ok_total", "x", {"__reserved"}).status().message(),
              HasSubstr("invalid label name \"__reserved\""));
  EXPECT_THAT(registry.AddCounter("ok_total", "x", {"a", "a"}).status().message(),
              HasSubstr("label name \"a\" twice"));
  EXPECT_THAT(registry.AddHistogram("h_seconds", "x", {"le"}).status().message(),
              HasSubstr("reserved"));
  FamilyOptions unsorted;
  unsorted.buckets = {2, 1};
  EXPECT_THAT(registry.AddHistogram("h_seconds", "x", {}, unsorted).status().message(),
              HasSubstr("strictly ascending"));
  ASSERT_TRUE(registry.AddCounter("ok_total", "x").ok());
  EXPECT_EQ(registry.AddGauge("ok_total", "x").status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(MetricsTest, CollectSortsFamiliesByName) {
  Registry registry;
  registry.AddGauge("b", "b").value()->Get();
  registry.AddCounter("a_total", "a").value()->Get();
  registry.AddHistogram("c_seconds", "c").value()->Get();
  const std::vector<FamilySnapshot> families = registry.Collect();
  ASSERT_EQ(families.size(), 3u);
  EXPECT_EQ(families[0].name, "a_total");
  EXPECT_EQ(families[1].name, "b");
  EXPECT_EQ(families[2].name, "c_seconds");
  EXPECT_EQ(families[2].samples[0].buckets.size(), LatencyBuckets().size() + 1);
}

}  // namespace
}  // namespace eventmesh::metrics
