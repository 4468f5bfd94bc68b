// Hot-path cost of the instruments: what the runtime pays per event.
//   bazel run -c opt //eventmesh/common/metrics:metrics_benchmark --local_cpu_resources=1

#include "benchmark/benchmark.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/common/metrics/prometheus_text.h"

namespace eventmesh::metrics {
namespace {

Registry& SharedRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

void BM_CounterIncrement(benchmark::State& state) {
  static Counter* counter =
      SharedRegistry().AddCounter("bench_events_total", "x", {"k"}).value()->WithLabels({"a"});
  for (auto _ : state) counter->Increment();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CounterIncrement)->ThreadRange(1, 2);

void BM_GaugeAdd(benchmark::State& state) {
  static Gauge* gauge = SharedRegistry().AddGauge("bench_open", "x").value()->Get();
  for (auto _ : state) gauge->Add(1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GaugeAdd)->ThreadRange(1, 2);

void BM_HistogramObserve(benchmark::State& state) {
  static Histogram* histogram =
      SharedRegistry().AddHistogram("bench_latency_seconds", "x").value()->Get();
  double v = 0.00001;
  for (auto _ : state) {
    histogram->Observe(v);
    v = v > 10 ? 0.00001 : v * 1.7;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramObserve)->ThreadRange(1, 2);

void BM_WithLabelsLookup(benchmark::State& state) {
  static CounterFamily* family =
      SharedRegistry().AddCounter("bench_lookup_total", "x", {"protocol", "result"}).value();
  for (auto _ : state) benchmark::DoNotOptimize(family->WithLabels({"tcp", "ok"}));
}
BENCHMARK(BM_WithLabelsLookup);

void BM_RenderPage(benchmark::State& state) {
  Registry registry;
  CounterFamily* family = registry.AddCounter("page_total", "x", {"group"}).value();
  for (int i = 0; i < 100; ++i) family->WithLabels({"group-" + std::to_string(i)})->Increment();
  HistogramFamily* h = registry.AddHistogram("page_seconds", "x", {"protocol"}).value();
  h->WithLabels({"tcp"})->Observe(0.01);
  h->WithLabels({"http"})->Observe(0.01);
  for (auto _ : state) {
    std::string out;
    AppendPrometheusText(registry, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RenderPage);

}  // namespace
}  // namespace eventmesh::metrics
