#include "third_party/tcmalloc_huge_pages.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::third_party {
namespace {

// The VmFlags line of the /proc/self/smaps mapping that holds `p` ("" when none does).
std::string VmFlagsOf(const void* p) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long long begin = 0, end = 0;
    char dash = 0;
    // A mapping's first line: "begin-end perms offset dev inode path".
    if (std::sscanf(line.c_str(), "%llx%c%llx", &begin, &dash, &end) == 3 && dash == '-') {
      inside = address >= begin && address < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

bool Installed() { return std::string(HeapHugePagesStatus()) != "not installed"; }

TEST(TcmallocHugePagesTest, InstalledWhereTcmallocIsTheAllocator) {
#ifdef EVENTMESH_WITH_TCMALLOC
  if (std::getenv("EVENTMESH_HEAP_HUGE_PAGES") == nullptr) {
    EXPECT_TRUE(Installed()) << HeapHugePagesStatus();
  }
#else
  EXPECT_FALSE(Installed());
  EXPECT_EQ(HeapHugePagesMappedBytes(), 0u);
#endif
}

// A large allocation comes from a fresh heap region: aligned to and a multiple of 2 MiB, and
// advised for huge pages ("hg" in the mapping's VmFlags).
TEST(TcmallocHugePagesTest, HeapGrowsInHugePageRegions) {
  if (!Installed()) GTEST_SKIP() << HeapHugePagesStatus();
  const size_t before = HeapHugePagesMappedBytes();
  constexpr size_t kSize = 48 << 20;
  std::unique_ptr<char[]> block(new char[kSize]);
  std::memset(block.get(), 0x5a, kSize);
  const size_t after = HeapHugePagesMappedBytes();
  EXPECT_GE(after - before, kSize);
  EXPECT_EQ(after % (size_t{2} << 20), 0u);
  const std::string flags = VmFlagsOf(block.get() + kSize / 2);
  ASSERT_FALSE(flags.empty());
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
  for (size_t i = 0; i < kSize; i += 4096) ASSERT_EQ(block[i], 0x5a);
}

// The heap still works as a heap: many allocations of mixed sizes, freed in random order and
// reused, keep their contents.
TEST(TcmallocHugePagesTest, MixedAllocationsKeepTheirContents) {
  std::mt19937 rng(20261205);
  std::vector<std::string> live;
  for (int round = 0; round < 20000; ++round) {
    const size_t size = (rng() % 8 == 0) ? (rng() % (3 << 20)) : (rng() % 512);
    live.emplace_back(size, static_cast<char>('a' + round % 26));
    if (live.size() > 64) {
      const size_t victim = rng() % live.size();
      const std::string& s = live[victim];
      for (size_t i = 0; i < s.size(); i += 251) {
        ASSERT_EQ(s[i], s[0]);
      }
      live[victim] = std::move(live.back());
      live.pop_back();
    }
  }
  for (const std::string& s : live) {
    if (!s.empty()) {
      EXPECT_EQ(s.back(), s.front());
    }
  }
}

}  // namespace
}  // namespace eventmesh::third_party
