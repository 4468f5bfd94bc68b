// BytesEqual against std::string's operator== for the lengths the event path compares per frame
// (a header's property names and values, 3 to 16 bytes; a topic; a text over 32 bytes, which
// goes to memcmp either way), equal strings in separate buffers (the common answer: the frame
// repeats the one before):
//   bazel run -c opt //eventmesh/common:bytes_equal_benchmark
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "eventmesh/common/bytes_equal.h"

namespace {

// Eight strings of `bytes` bytes each (and their equal copies elsewhere), compared in turn: not
// one pair of addresses over and over.
std::vector<std::string> Texts(size_t bytes) {
  std::vector<std::string> texts;
  for (char c = 'a'; c < 'a' + 8; ++c) texts.emplace_back(bytes, c);
  return texts;
}

void BM_BytesEqual(benchmark::State& state) {
  const std::vector<std::string> a = Texts(static_cast<size_t>(state.range(0)));
  const std::vector<std::string> b = a;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(eventmesh::BytesEqual(a[i], b[i]));
    i = (i + 1) & 7;  // 8 texts
  }
}
BENCHMARK(BM_BytesEqual)->ArgName("bytes")->Arg(3)->Arg(12)->Arg(16)->Arg(24)->Arg(40);

void BM_StringEquality(benchmark::State& state) {
  const std::vector<std::string> a = Texts(static_cast<size_t>(state.range(0)));
  const std::vector<std::string> b = a;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a[i] == b[i]);
    i = (i + 1) & 7;  // 8 texts
  }
}
BENCHMARK(BM_StringEquality)->ArgName("bytes")->Arg(3)->Arg(12)->Arg(16)->Arg(24)->Arg(40);

}  // namespace
