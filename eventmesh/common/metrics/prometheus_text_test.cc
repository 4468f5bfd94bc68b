#include "eventmesh/common/metrics/prometheus_text.h"

#include <limits>

#include "eventmesh/common/metrics/testing/promtool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::metrics {
namespace {

using ::testing::HasSubstr;

TEST(PrometheusTextTest, FormatsValues) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.0001), "0.0001");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
}

TEST(PrometheusTextTest, Escapes) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(PrometheusTextTest, RendersEveryType) {
  Registry registry;
  registry.AddCounter("requests_total", "Requests handled.", {"method", "code"})
      .value()
      ->WithLabels({"GET", "200"})
      ->Increment(7);
  registry.AddGauge("temperature_celsius", "Current temperature.").value()->Get()->Set(-1.5);
  FamilyOptions options;
  options.buckets = {0.1, 1};
  Histogram* h = registry.AddHistogram("wait_seconds", "Wait time.", {"queue"}, options)
                     .value()
                     ->WithLabels({"q\"1"});
  h->Observe(0.05);
  h->Observe(3);
  std::string text;
  AppendPrometheusText(registry, &text);
  EXPECT_EQ(text,
            "# HELP requests_total Requests handled.\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"GET\",code=\"200\"} 7\n"
            "# HELP temperature_celsius Current temperature.\n"
            "# TYPE temperature_celsius gauge\n"
            "temperature_celsius -1.5\n"
            "# HELP wait_seconds Wait time.\n"
            "# TYPE wait_seconds histogram\n"
            "wait_seconds_bucket{queue=\"q\\\"1\",le=\"0.1\"} 1\n"
            "wait_seconds_bucket{queue=\"q\\\"1\",le=\"1\"} 1\n"
            "wait_seconds_bucket{queue=\"q\\\"1\",le=\"+Inf\"} 2\n"
            "wait_seconds_sum{queue=\"q\\\"1\"} 3.05\n"
            "wait_seconds_count{queue=\"q\\\"1\"} 2\n");
}

TEST(PrometheusTextTest, PromtoolAcceptsTheOutput) {
  Registry registry;
  CounterFamily* counter = registry
                               .AddCounter("eventmesh_test_events_total",
                                           "Events, by kind.\nSecond line \\ ok.", {"kind"})
                               .value();
  counter->WithLabels({"plain"})->Increment();
  counter->WithLabels({"quote\" back\\slash\nnewline"})->Increment(3);
  registry.AddGauge("eventmesh_test_open", "Open things.").value()->Get()->Set(2);
  HistogramFamily* histogram =
      registry.AddHistogram("eventmesh_test_latency_seconds", "Latency.", {"protocol"}).value();
  for (double v : {0.00005, 0.001, 0.5, 100.0}) histogram->WithLabels({"tcp"})->Observe(v);
  histogram->WithLabels({"http"});  // a series without observations
  ASSERT_TRUE(registry
                  .AddGaugeCallback("eventmesh_test_lag", "Lag.", {"group"},
                                    [](SampleSink& sink) { sink.Add({"g"}, 4); })
                  .ok());
  registry.AddCounter("eventmesh_test_empty_total", "A family without series.").value();
  std::string text;
  AppendPrometheusText(registry, &text);
  const absl::Status checked = testing::PromtoolCheckMetrics(text);
  EXPECT_TRUE(checked.ok()) << checked;
}

TEST(PrometheusTextTest, PromtoolFindsProblems) {
  // The check itself works: a counter without _total is a lint finding.
  const absl::Status checked =
      testing::PromtoolCheckMetrics("# HELP bad Bad.\n# TYPE bad counter\nbad 1\n");
  ASSERT_NE(checked.code(), absl::StatusCode::kFailedPrecondition) << checked;
  EXPECT_THAT(checked.message(), HasSubstr("_total"));
}

}  // namespace
}  // namespace eventmesh::metrics
