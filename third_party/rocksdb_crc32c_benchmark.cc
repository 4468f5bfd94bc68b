// RocksDB's CRC-32C: the library's table-driven definition against the executable's
// (rocksdb_crc32c.cc), over buffers the size of a WAL record.
//
//   bazel run -c opt //third_party:rocksdb_crc32c_benchmark

#include <dlfcn.h>

#include <cstdint>
#include <string>

#include "benchmark/benchmark.h"
#include "third_party/rocksdb_crc32c.h"

namespace eventmesh::third_party {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

void Run(benchmark::State& state, ExtendFn extend) {
  if (extend == nullptr) {
    state.SkipWithError("the library's rocksdb::crc32c::Extend was not found");
    return;
  }
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = extend(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_LibraryExtend(benchmark::State& state) {
  Run(state, reinterpret_cast<ExtendFn>(dlsym(RTLD_NEXT, "_ZN7rocksdb6crc32c6ExtendEjPKcm")));
}
BENCHMARK(BM_LibraryExtend)->Arg(64)->Arg(512)->Arg(4096)->Arg(65536);

void BM_ProcessExtend(benchmark::State& state) { Run(state, &ExtendCrc32c); }
BENCHMARK(BM_ProcessExtend)->Arg(64)->Arg(512)->Arg(4096)->Arg(65536);

}  // namespace
}  // namespace eventmesh::third_party
