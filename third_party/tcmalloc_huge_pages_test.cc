#include "third_party/tcmalloc_huge_pages.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
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

bool Installed() { return HeapHugePagesInstalled(); }

bool AskedFor() {
  const char* value = std::getenv("EVENTMESH_HEAP_HUGE_PAGES");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

// This file runs as two tests: tcmalloc_huge_pages_test, built with
// EVENTMESH_TEST_EXPECTS_HUGE_PAGES=1 and run with EVENTMESH_HEAP_HUGE_PAGES=1 (BUILD's `env`),
// and tcmalloc_default_heap_test, with neither. Each first checks that it runs as its target
// says, so neither can pass by testing the other mode.
#ifndef EVENTMESH_TEST_EXPECTS_HUGE_PAGES
#define EVENTMESH_TEST_EXPECTS_HUGE_PAGES 0
#endif
constexpr bool kExpectsHugePages = EVENTMESH_TEST_EXPECTS_HUGE_PAGES != 0;

// The names of this process's threads.
std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return names;
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
    std::string name;
    if (comm && std::getline(comm, name)) names.push_back(name);
  }
  closedir(tasks);
  return names;
}

// Installed only where tcmalloc is the allocator and EVENTMESH_HEAP_HUGE_PAGES=1 asks for it.
TEST(TcmallocHugePagesTest, InstalledOnlyWhenAskedFor) {
  ASSERT_EQ(AskedFor(), kExpectsHugePages)
      << "EVENTMESH_HEAP_HUGE_PAGES does not match what this test target expects";
#ifdef EVENTMESH_WITH_TCMALLOC
  EXPECT_EQ(Installed(), AskedFor()) << HeapHugePagesStatus();
#else
  EXPECT_FALSE(Installed());
#endif
}

// Not asked for, nothing is installed: the heap grows as the process's allocator grows it,
// nothing is mapped or populated by this allocator, and no prefault thread runs.
TEST(TcmallocHugePagesTest, NothingIsInstalledByDefault) {
  if (kExpectsHugePages) GTEST_SKIP() << "huge pages asked for";
  constexpr size_t kSize = 48 << 20;
  std::unique_ptr<char[]> block(new char[kSize]);
  std::memset(block.get(), 0x5a, kSize);
  EXPECT_STREQ(HeapHugePagesStatus(), "not installed");
  EXPECT_EQ(HeapHugePagesMappedBytes(), 0u);
  EXPECT_EQ(HeapPrefaultedBytes(), 0u);
  EXPECT_FALSE(HeapPrefaulting());
  const std::vector<std::string> names = ThreadNames();
  ASSERT_FALSE(names.empty());
  for (const std::string& name : names) EXPECT_NE(name, "em-heap-fault");
  for (size_t i = 0; i < kSize; i += 4096) ASSERT_EQ(block[i], 0x5a);
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

// The prefault thread keeps up with a growing heap: after the heap grew by 160 MiB in 1 MiB
// blocks (past at least two 64 MiB chunks) it catches up with the regions handed out, having
// populated most of them.
TEST(TcmallocHugePagesTest, ThePrefaultThreadPopulatesAheadOfTheGrowingHeap) {
  if (!Installed() || !HeapPrefaulting()) GTEST_SKIP() << "no prefault thread";
  const size_t before = HeapPrefaultedBytes();
  const size_t mapped_before = HeapHugePagesMappedBytes();
  // Until the heap has grown by 160 MiB (memory freed by earlier tests is reused first).
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 1024 && HeapHugePagesMappedBytes() - mapped_before < (size_t{160} << 20);
       ++i) {
    blocks.emplace_back(new char[size_t{1} << 20]);
    std::memset(blocks.back().get(), i % 128, size_t{1} << 20);
  }
  ASSERT_GE(HeapHugePagesMappedBytes() - mapped_before, size_t{160} << 20);
  // Bounded: at most 10 s for a few dozen huge pages.
  for (int i = 0; i < 1000 && !HeapPrefaultCaughtUp(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(HeapPrefaultCaughtUp());
  // The thread runs only on an idle core, so on a busy machine the test's own writes may touch
  // most of the growth first; what it must have populated is the window ahead of the heap's new
  // end (EVENTMESH_HEAP_PREFAULT_MB, 8 MiB by default), all of it past what it had done before.
  EXPECT_GE(HeapPrefaultedBytes() - before, size_t{8} << 20);
  for (size_t i = 0; i < blocks.size(); ++i) {
    ASSERT_EQ(blocks[i][i * 1000 % (1 << 20)], static_cast<char>(i % 128));
  }
}

// A forked child (no prefault thread there) can still grow its heap.
TEST(TcmallocHugePagesTest, AForkedChildGrowsItsHeap) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 80; ++i) {
      blocks.emplace_back(new char[size_t{1} << 20]);
      std::memset(blocks.back().get(), i, size_t{1} << 20);
    }
    _exit(blocks[79][12345] == 79 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
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
