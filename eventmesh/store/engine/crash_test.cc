// Crash recovery: a child process (crash_append_helper) appends from several threads with sync
// mode `always` or `batch` and prints every acknowledged record; the test SIGKILLs it at a
// random moment (seeded, 15 rounds), reopens the store and checks that every acknowledged record
// is present byte for byte (by hash), that offsets are dense with no gap or duplicate, and that
// the next append continues right after the last offset.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "gtest/gtest.h"

namespace eventmesh::store {
namespace {

constexpr int kPartitions = 3;
constexpr int kRounds = 15;

uint64_t Fnv1a64(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string HelperPath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", workspace ? workspace : "eventmesh",
                      "/eventmesh/store/engine/crash_append_helper");
}

// Runs the helper until `kill_after_ms` after its first acknowledged line, SIGKILLs it and
// returns everything it printed.
std::string RunAndKill(const std::string& path, const std::string& mode, int round,
                       int kill_after_ms) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  const std::string helper = HelperPath();
  const std::string round_text = absl::StrCat(round);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(helper.c_str(), helper.c_str(), path.c_str(), mode.c_str(), "4", round_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[65536];
  bool started = false;
  int waited_ms = 0;
  // At most 60 s to see the first line, then kill_after_ms more.
  while (true) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, 10);
    if (ready > 0) {
      const ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;  // the helper died on its own
      out.append(buf, static_cast<size_t>(n));
      started = true;
    }
    waited_ms += 10;  // counts poll slices, a bound on the loop, not a measurement
    if (!started && waited_ms >= 60'000) break;
    if (started && (kill_after_ms -= 10) <= 0) break;
  }
  kill(pid, SIGKILL);
  // Drain whatever the child wrote before it died: those records were acknowledged too.
  while (true) {
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the helper exited by itself with status " << status;
  return out;
}

TEST(CrashTest, AcknowledgedAppendsSurviveSigkill) {
  const char* root = getenv("TEST_TMPDIR");
  std::string path = std::string(root ? root : "/tmp") + "/crash_XXXXXX";
  ASSERT_NE(mkdtemp(path.data()), nullptr);
  StoreOptions options;
  options.path = path;
  options.retention_interval_ms = 0;
  {
    auto store = RocksDbEventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CreateTopic({"crash", kPartitions, {0, -1}}).ok());
  }

  std::mt19937 rng(20261128);
  std::map<std::pair<int, int64_t>, uint64_t> acked;  // (partition, offset) -> payload hash
  int64_t total_acked_lines = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string mode = round % 2 == 0 ? "always" : "batch";
    const int kill_after_ms = std::uniform_int_distribution<int>(20, 400)(rng);
    const std::string out = RunAndKill(path, mode, round, kill_after_ms);
    int lines = 0;
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (line.empty()) continue;
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
      ASSERT_EQ(parts.size(), 3u) << "bad line: " << line;
      int partition = 0;
      int64_t offset = 0;
      uint64_t hash = 0;
      ASSERT_TRUE(absl::SimpleAtoi(parts[0], &partition));
      ASSERT_TRUE(absl::SimpleAtoi(parts[1], &offset));
      ASSERT_TRUE(absl::SimpleHexAtoi(parts[2], &hash));
      auto [it, inserted] = acked.emplace(std::make_pair(partition, offset), hash);
      ASSERT_TRUE(inserted) << "offset " << offset << " of partition " << partition
                            << " was acknowledged twice";
      ++lines;
    }
    // A line cut by the kill would have been caught above (3 parts, numeric).
    EXPECT_GT(lines, 0) << "round " << round << " acknowledged nothing";
    total_acked_lines += lines;
    std::printf("round %d (%s): killed after %d ms, %d acknowledged records\n", round, mode.c_str(),
                kill_after_ms, lines);

    auto store = RocksDbEventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    std::set<std::string> payload_ids;
    for (int p = 0; p < kPartitions; ++p) {
      auto offsets = (*store)->GetOffsets({"crash", p});
      ASSERT_TRUE(offsets.ok());
      ASSERT_EQ(offsets->earliest_offset, 0);
      int64_t next = 0;
      while (next < offsets->latest_offset) {
        ReadRequest req;
        req.topic = "crash";
        req.partition = p;
        req.offset = next;
        auto read = (*store)->Read(req);
        ASSERT_TRUE(read.ok()) << read.status();
        ASSERT_FALSE(read->records.empty());
        for (const EventRecord& r : read->records) {
          ASSERT_EQ(r.offset, next) << "gap in partition " << p;
          ++next;
          const std::string id = r.payload.substr(0, r.payload.find('|'));
          EXPECT_TRUE(payload_ids.insert(id).second) << "stored twice: " << id;
          auto it = acked.find({p, r.offset});
          if (it != acked.end()) {
            EXPECT_EQ(it->second, Fnv1a64(r.payload))
                << "partition " << p << " offset " << r.offset << " differs";
          }
        }
      }
      // Every acknowledged offset is below the recovered end.
      auto last_acked = acked.lower_bound({p + 1, 0});
      if (last_acked != acked.begin() && std::prev(last_acked)->first.first == p) {
        EXPECT_LT(std::prev(last_acked)->first.second, offsets->latest_offset)
            << "acknowledged record lost in partition " << p;
      }
      // The next append continues right after the last offset.
      AppendRequest append;
      append.topic = "crash";
      append.partition = p;
      ProducerRecord rec;
      rec.payload = absl::StrCat("parent-", round, "-", p, "|");
      append.records.push_back(rec);
      auto appended = (*store)->Append(append);
      ASSERT_TRUE(appended.ok()) << appended.status();
      EXPECT_EQ(appended->base_offset, offsets->latest_offset);
      acked[{p, appended->base_offset}] = Fnv1a64(rec.payload);
    }
  }
  EXPECT_GT(total_acked_lines, kRounds);
}

}  // namespace
}  // namespace eventmesh::store
