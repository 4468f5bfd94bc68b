#include "eventmesh/registry/registry_state.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace eventmesh::registry {
namespace {

Instance Runtime(const std::string& mesh, const std::string& id) {
  Instance in;
  in.mesh = mesh;
  in.id = id;
  in.endpoints = {{"tcp", "127.0.0.1", 10000}};
  return in;
}

std::string TempFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".journal");
  return path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Every instance as JSON, in key order, and the index: what a restart must reproduce.
std::string Dump(RegistryState& state) {
  Snapshot s = state.List("");
  std::string out = std::to_string(s.index);
  for (auto& in : s.instances) {
    in.modify_index = 0;  // compared separately through the index
    out += "\n" + ToJson(in);
  }
  return out;
}

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(RegistryStateTest, LeasesExpireUnlessRenewed) {
  auto state = RegistryState::Open({}, kT0);
  ASSERT_TRUE(state.ok());
  auto stored = (*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->lease_ttl_ms, 2000);
  EXPECT_EQ(stored->modify_index, 1u);
  ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
  ASSERT_TRUE((*state)->Renew("m", "a", kT0 + absl::Milliseconds(1500)).ok());
  EXPECT_EQ((*state)->Expire(kT0 + absl::Milliseconds(2500)), 1);  // b ran out, a renewed
  const Snapshot s = (*state)->List("m");
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].id, "a");
  EXPECT_EQ(s.index, 3u);
  EXPECT_EQ((*state)->Renew("m", "b", kT0 + absl::Seconds(3)).message(),
            "no instance 'b' in mesh 'm' (never registered, or its lease expired)");
}

TEST(RegistryStateTest, TtlIsClampedAndTheSameReportOnlyRenews) {
  RegistryStateOptions options;
  options.min_ttl = absl::Seconds(1);
  options.max_ttl = absl::Seconds(10);
  options.default_ttl = absl::Seconds(5);
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::Milliseconds(1), kT0)->lease_ttl_ms, 1000);
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::Hours(1), kT0)->lease_ttl_ms, 10'000);
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0)->lease_ttl_ms, 5000);
  const uint64_t index = (*state)->index();
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0)->modify_index, index);
  EXPECT_EQ((*state)->index(), index);
  Instance changed = Runtime("m", "a");
  changed.load.clients = 4;
  EXPECT_EQ((*state)->Put(changed, absl::ZeroDuration(), kT0)->modify_index, index + 1);
}

TEST(RegistryStateTest, InvalidInstancesAndCapacityAreRefused) {
  RegistryStateOptions options;
  options.max_instances = 1;
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok());
  Instance bad = Runtime("m", "a");
  bad.endpoints.clear();
  EXPECT_EQ((*state)->Put(bad, absl::ZeroDuration(), kT0).status().message(),
            "at least one endpoint is required");
  ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0).ok());
  EXPECT_EQ((*state)->Put(Runtime("m", "b"), absl::ZeroDuration(), kT0).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RegistryStateTest, WatchesFireWhenTheIndexPassesTheirs) {
  auto state = RegistryState::Open({}, kT0);
  ASSERT_TRUE(state.ok());
  int fired = 0;
  auto handle = (*state)->AddWatch(0, [&] { ++fired; });
  ASSERT_TRUE(handle.ok());
  EXPECT_NE(*handle, 0u);
  EXPECT_EQ(fired, 0);
  ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0).ok());
  EXPECT_EQ(fired, 1);
  // Already passed: handle 0, and the notification is left to the caller.
  EXPECT_EQ(*(*state)->AddWatch(0, [&] { ++fired; }), 0u);
  EXPECT_EQ(fired, 1);
  auto cancelled = (*state)->AddWatch(5, [&] { ++fired; });
  EXPECT_TRUE((*state)->CancelWatch(*cancelled));
  EXPECT_FALSE((*state)->CancelWatch(*cancelled));
  ASSERT_TRUE((*state)->Remove("m", "a").ok());
  EXPECT_EQ(fired, 1);
  EXPECT_EQ((*state)->watchers(), 0u);
}

TEST(RegistryStateTest, StateSurvivesAReopenAndLeasesRestart) {
  RegistryStateOptions options;
  options.state_file = TempFile("registry-state.json");
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok());
    Instance in = Runtime("m", "a");
    in.topics = {{"orders", "sub", "g"}};
    ASSERT_TRUE((*state)->Put(in, absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Remove("m", "b").ok());
  }
  // Reopened long after the leases would have run out: they restart at load time.
  const absl::Time later = kT0 + absl::Hours(1);
  auto state = RegistryState::Open(options, later);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)->index(), 3u);
  Snapshot s = (*state)->List("");
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].topics.size(), 1u);
  EXPECT_EQ((*state)->Expire(later + absl::Seconds(1)), 0);
  EXPECT_EQ((*state)->Expire(later + absl::Seconds(3)), 1);
}

TEST(RegistryStateTest, ChangesGoToTheJournalOneRecordEach) {
  RegistryStateOptions options;
  options.state_file = TempFile("journal-state.json");
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0).ok());
  ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0).ok());  // renewal only
  ASSERT_TRUE((*state)->Renew("m", "a", kT0).ok());
  ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
  ASSERT_TRUE((*state)->Remove("m", "a").ok());
  EXPECT_EQ((*state)->Expire(kT0 + absl::Seconds(5)), 1);
  const RegistryState::JournalStats stats = (*state)->journal_stats();
  EXPECT_EQ(stats.records, 4u);  // put a, put b, remove a, expire b
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_LE(stats.syncs, stats.records);
  EXPECT_EQ(stats.snapshots, 0u);
  EXPECT_FALSE(std::filesystem::exists(options.state_file));  // no snapshot needed yet
  const std::string journal = ReadAll(options.state_file + ".journal");
  EXPECT_EQ(std::count(journal.begin(), journal.end(), '\n'), 4);
  EXPECT_EQ(stats.journal_bytes, journal.size());
  EXPECT_NE(journal.find("\"remove\":[{\"mesh\":\"m\",\"id\":\"b\"}]"), std::string::npos)
      << journal;
}

TEST(RegistryStateTest, RestartRecoversSnapshotPlusJournal) {
  RegistryStateOptions options;
  options.state_file = TempFile("compacted-state.json");
  options.journal_max_records = 5;
  std::string before;
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok()) << state.status();
    for (int i = 0; i < 22; ++i) {
      Instance in = Runtime("m", "rt-" + std::to_string(i % 4));
      in.load.clients = i;
      in.topics = {{"orders-" + std::to_string(i), "sub", "g"}};
      ASSERT_TRUE((*state)->Put(in, absl::Seconds(2), kT0).ok());
    }
    ASSERT_TRUE((*state)->Remove("m", "rt-1").ok());
    const RegistryState::JournalStats stats = (*state)->journal_stats();
    EXPECT_EQ(stats.snapshots, 3u);      // after changes 6, 12 and 18
    EXPECT_GT(stats.journal_bytes, 0u);  // changes after the last snapshot are in the journal
    before = Dump(**state);
  }
  ASSERT_TRUE(std::filesystem::exists(options.state_file));
  const absl::Time later = kT0 + absl::Hours(1);
  auto state = RegistryState::Open(options, later);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(Dump(**state), before);
  EXPECT_EQ((*state)->index(), 23u);
  EXPECT_GT((*state)->journal_stats().replayed, 0u);
  // Leases are re-validated after the restart: they run from the moment of loading.
  EXPECT_EQ((*state)->Expire(later + absl::Seconds(1)), 0);
  EXPECT_EQ((*state)->Expire(later + absl::Seconds(3)), 3);
}

TEST(RegistryStateTest, RecordsTheSnapshotAlreadyHasAreSkipped) {
  // A crash after a compaction wrote its snapshot, before it emptied the journal.
  RegistryStateOptions options;
  options.state_file = TempFile("skip-state.json");
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Remove("m", "a").ok());
  }
  const std::string journal = ReadAll(options.state_file + ".journal");
  RegistryStateOptions compacting = options;
  compacting.journal_max_records = 1;
  {
    auto state = RegistryState::Open(compacting, kT0);  // over the bound: compacts at once
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ((*state)->journal_stats().snapshots, 1u);
  }
  EXPECT_EQ(ReadAll(options.state_file + ".journal"), "");
  WriteAll(options.state_file + ".journal", journal);
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)->journal_stats().replayed, 0u);
  EXPECT_EQ((*state)->index(), 3u);
  const Snapshot s = (*state)->List("");
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].id, "b");
}

TEST(RegistryStateTest, ATornLastRecordIsCutOff) {
  RegistryStateOptions options;
  options.state_file = TempFile("torn-state.json");
  std::string before;
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
    before = Dump(**state);
  }
  const std::string journal_file = options.state_file + ".journal";
  const std::string intact = ReadAll(journal_file);
  // A crash in the middle of the third append: half a record, no newline.
  Instance c = Runtime("m", "c");
  const std::string half = "1234abcd {\"index\":3,\"put\":" + ToJson(c).substr(0, 20);
  WriteAll(journal_file, intact + half);
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ(Dump(**state), before);
    EXPECT_EQ((*state)->journal_stats().torn_bytes, half.size());
    EXPECT_EQ(ReadAll(journal_file), intact);  // cut back to the last whole record
    // Appends go on after the cut.
    ASSERT_TRUE((*state)->Put(c, absl::Seconds(2), kT0).ok());
    before = Dump(**state);
  }
  // A whole last line whose checksum does not match (a torn write the disk padded) is a torn
  // tail as well.
  std::string text = ReadAll(journal_file);
  const std::string last_good = text;
  text += "00000000 {\"index\":4,\"remove\":[{\"mesh\":\"m\",\"id\":\"a\"}]}\n";
  WriteAll(journal_file, text);
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(Dump(**state), before);
  EXPECT_EQ((*state)->index(), 3u);
  EXPECT_EQ(ReadAll(journal_file), last_good);
}

TEST(RegistryStateTest, ACorruptRecordInTheMiddleIsRefused) {
  RegistryStateOptions options;
  options.state_file = TempFile("corrupt-journal-state.json");
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "c"), absl::Seconds(2), kT0).ok());
  }
  const std::string journal_file = options.state_file + ".journal";
  std::string text = ReadAll(journal_file);
  const size_t second = text.find('\n') + 1;
  const size_t flip = text.find("\"b\"", second);
  ASSERT_NE(flip, std::string::npos);
  text[flip + 1] = 'x';  // a bit rot in record 2: its checksum no longer matches
  WriteAll(journal_file, text);
  auto state = RegistryState::Open(options, kT0);
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(state.status().message(),
            "registry journal " + journal_file + ": record 2 (byte offset " +
                std::to_string(second) + ") is corrupt (checksum mismatch) and " +
                std::to_string(text.size() - text.find('\n', second) - 1) +
                " bytes of records follow it; refusing to load a journal damaged in the middle "
                "(restore the state files, or move the journal away to start from the snapshot)");
  EXPECT_EQ(ReadAll(journal_file), text);  // left as it was for inspection
}

TEST(RegistryStateTest, CompactionBoundsTheFiles) {
  RegistryStateOptions options;
  options.state_file = TempFile("bounded-state.json");
  options.journal_max_records = 1'000'000;
  options.journal_max_bytes = 16 * 1024;
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok());
  size_t largest_record = 0;
  size_t largest_journal = 0;
  for (int i = 0; i < 2000; ++i) {
    Instance in = Runtime("m", "rt-" + std::to_string(i % 10));
    in.load.clients = i;  // a new report every time: a change
    largest_record = std::max(largest_record, ToJson(in).size() + 40);
    ASSERT_TRUE((*state)->Put(in, absl::Seconds(30), kT0).ok());
    largest_journal = std::max<size_t>(largest_journal,
                                       std::filesystem::file_size(options.state_file + ".journal"));
  }
  const RegistryState::JournalStats stats = (*state)->journal_stats();
  EXPECT_EQ(stats.records, 2000u);
  EXPECT_GE(stats.snapshots, 2000 * (largest_record - 40) / (16 * 1024) / 2);
  // Never more than the bound plus the records of one group commit (one, single-threaded).
  EXPECT_LE(largest_journal, options.journal_max_bytes + largest_record);
  // The snapshot holds the 10 instances (with the registry's fields), nothing of the history.
  EXPECT_LE(std::filesystem::file_size(options.state_file), 12 * largest_record);
  const std::string before = Dump(**state);
  state->reset();
  auto reopened = RegistryState::Open(options, kT0);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(Dump(**reopened), before);
}

TEST(RegistryStateTest, ConcurrentChangesAreAllDurable) {
  RegistryStateOptions options;
  options.state_file = TempFile("concurrent-state.json");
  std::string before;
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          Instance in = Runtime("m", "rt-" + std::to_string(t));
          in.load.clients = i;
          EXPECT_TRUE((*state)->Put(in, absl::Seconds(30), kT0).ok());
        }
      });
    }
    for (auto& t : threads) t.join();
    const RegistryState::JournalStats stats = (*state)->journal_stats();
    EXPECT_EQ(stats.records, 200u);
    EXPECT_LE(stats.syncs, 200u);  // several changes share an fsync when they arrive together
    EXPECT_EQ((*state)->index(), 200u);
    before = Dump(**state);
  }
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(Dump(**state), before);
}

TEST(RegistryStateTest, CorruptStateFileIsNamed) {
  RegistryStateOptions options;
  options.state_file = TempFile("corrupt-state.json");
  std::ofstream(options.state_file) << "{\"index\": 3, \"instances\": [";
  auto state = RegistryState::Open(options, kT0);
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find(options.state_file), std::string::npos) << state.status();
}

}  // namespace
}  // namespace eventmesh::registry
