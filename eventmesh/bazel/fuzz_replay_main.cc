// Replay driver for libFuzzer-style targets in builds without libFuzzer (gcc, asan).
//
// Usage: <fuzzer> [file-or-dir ...]
// Runs LLVMFuzzerTestOneInput on every input file, then on a deterministic set of
// mutations of each (EVENTMESH_FUZZ_MUTATIONS per file, default 2000): random byte
// changes, truncations, insertions and splices with another input. The run is bounded
// and reproducible (fixed seed), so it is suitable for `bazel test`.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> ReadInputs(int argc, char** argv) {
  std::vector<std::string> inputs;
  auto read_file = [&inputs](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    inputs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (argv[i][0] == '-') continue;  // libFuzzer flags are ignored here.
    if (std::filesystem::is_directory(p)) {
      for (const auto& entry : std::filesystem::directory_iterator(p)) {
        if (entry.is_regular_file()) read_file(entry.path());
      }
    } else {
      read_file(p);
    }
  }
  return inputs;
}

std::string Mutate(const std::string& in, const std::vector<std::string>& all,
                   std::mt19937_64& rng) {
  std::string out = in;
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int s = 0; s < steps; ++s) {
    switch (rng() % 6) {
      case 0:  // flip a byte
        if (!out.empty()) out[rng() % out.size()] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1:  // truncate
        if (!out.empty()) out.resize(rng() % out.size());
        break;
      case 2:  // insert random bytes
        out.insert(out.empty() ? 0 : rng() % out.size(),
                   std::string(1 + rng() % 8, static_cast<char>(rng())));
        break;
      case 3:  // set an interesting value (length fields are big-endian int32)
        if (out.size() >= 4) {
          static const uint32_t kInteresting[] = {0,          1, 0x7fffffff, 0x80000000,
                                                  0xffffffff, 8, 13,         21};
          uint32_t v = kInteresting[rng() % 8];
          size_t pos = rng() % (out.size() - 3);
          for (int b = 0; b < 4; ++b) out[pos + b] = static_cast<char>(v >> (24 - 8 * b));
        }
        break;
      case 4:  // splice with another input
        if (!all.empty()) {
          const std::string& other = all[rng() % all.size()];
          size_t cut = out.empty() ? 0 : rng() % out.size();
          size_t from = other.empty() ? 0 : rng() % other.size();
          out = out.substr(0, cut) + other.substr(from);
        }
        break;
      case 5:  // duplicate (several frames in one buffer)
        out += out;
        break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs = ReadInputs(argc, argv);
  const char* env = std::getenv("EVENTMESH_FUZZ_MUTATIONS");
  const long mutations = env != nullptr ? std::strtol(env, nullptr, 10) : 2000;
  std::mt19937_64 rng(0x5eed);
  size_t runs = 0;
  for (const std::string& in : inputs) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(in.data()), in.size());
    ++runs;
    for (long m = 0; m < mutations; ++m) {
      std::string mutated = Mutate(in, inputs, rng);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(mutated.data()), mutated.size());
      ++runs;
    }
  }
  std::printf("replayed %zu inputs (%zu runs)\n", inputs.size(), runs);
  return inputs.empty() ? 1 : 0;
}
