// What a memcpy costs by size and by how the source and destination are aligned: the figure
// behind ApplyReleaseTuning's glibc setting (release_tuning.h). On AMD Zen 3/4 cores glibc 2.36
// copies blocks over 2 KiB with `rep movsb`, which runs ~20x slower for some relative alignments
// of source and destination (here: dst_offset 1 with src_offset 0, dst_offset 33 with 7). Compare
//   EVENTMESH_GLIBC_COPY_TUNING=off bazel run -c opt //eventmesh/common:copy_benchmark
//   bazel run -c opt //eventmesh/common:copy_benchmark
// (the second restarts with the tunable on such CPUs, like the servers).
#include <cstdlib>
#include <cstring>
#include <memory>

#include "benchmark/benchmark.h"

namespace {

constexpr size_t kAlign = 4096;
constexpr size_t kBufferBytes = 1 << 20;

struct Free {
  void operator()(char* p) const { std::free(p); }
};

// Args: bytes copied, source offset from a page boundary, destination offset.
void BM_Memcpy(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0));
  const size_t src_offset = static_cast<size_t>(state.range(1));
  const size_t dst_offset = static_cast<size_t>(state.range(2));
  std::unique_ptr<char, Free> src(static_cast<char*>(std::aligned_alloc(kAlign, kBufferBytes)));
  std::unique_ptr<char, Free> dst(static_cast<char*>(std::aligned_alloc(kAlign, kBufferBytes)));
  std::memset(src.get(), 'a', kBufferBytes);
  std::memset(dst.get(), 'b', kBufferBytes);
  for (auto _ : state) {
    std::memcpy(dst.get() + dst_offset, src.get() + src_offset, bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Memcpy)
    ->ArgNames({"bytes", "src_offset", "dst_offset"})
    ->ArgsProduct({{1024, 4096, 65536}, {0, 7}, {0, 1, 33}});

}  // namespace
