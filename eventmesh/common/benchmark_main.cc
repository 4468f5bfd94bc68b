// main() of the project's Google Benchmark binaries: they measure with the same process settings
// as the servers (common::ApplyReleaseTuning), then run as benchmark_main would.

#include "benchmark/benchmark.h"
#include "eventmesh/common/release_tuning.h"

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
