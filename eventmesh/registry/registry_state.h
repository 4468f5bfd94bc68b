#ifndef EVENTMESH_REGISTRY_REGISTRY_STATE_H_
#define EVENTMESH_REGISTRY_REGISTRY_STATE_H_

// RegistryState: the registry server's state — instances with leases, the change index, the
// watchers waiting for a change — kept in memory and persisted on local disk as a snapshot
// (`state_file`) plus an append-only journal of the changes since (`state_file` + ".journal").
//
// Promises:
//   * Every change (a new or different record, a removal, a lease running out) advances the
//     index by one and wakes every watcher whose index it passes.
//   * A Put that repeats the same report only renews the lease (no index change, no write).
//   * Each change appends one journal record (a line: CRC-32 of the JSON, the JSON) and is
//     fsynced before Put/Remove/Expire return and before any watcher is woken or any reader
//     (List) sees it; changes made while another thread syncs are written and fsynced together
//     (group commit). So a restarted registry has every change a caller or watcher saw, and an
//     index at least as large. Leases are not trusted across a restart: each loaded instance
//     gets a fresh lease of its own length from the moment of loading, and disappears unless
//     renewed within it.
//   * Compaction: when the journal holds more than journal_max_records records or
//     journal_max_bytes bytes, the whole state is written as a new snapshot (temporary file,
//     fsync, rename) and the journal is emptied, so the files stay within one snapshot plus
//     those bounds.
//   * Recovery (Open) = load the snapshot, then replay the journal records with a larger
//     index. A torn last record (a crash in the middle of an append: no final newline, or a
//     last line whose checksum or JSON is bad) is cut off, and logged. A bad record with more
//     records after it is corruption, not a crash: Open refuses with InvalidArgument naming the
//     file, the record's number and byte offset.
//   * Bounded: at most max_instances records (ResourceExhausted beyond) and max_watchers
//     waiting watchers.
// A failed write is logged and leaves the change in memory; the next sync writes a fresh
// snapshot instead of appending. Thread-safe. Time comes from the caller (`now`), so tests
// control leases.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/registry/model.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::registry {

struct RegistryStateOptions {
  std::string state_file;  // the snapshot; the journal is state_file + ".journal". "" = memory only
  // Compaction bounds of the journal: a snapshot is written when it holds more records or
  // bytes. Defaults 10,000 records, 8 MiB.
  size_t journal_max_records = 10'000;
  size_t journal_max_bytes = 8 << 20;
  absl::Duration default_ttl = absl::Seconds(30);
  absl::Duration min_ttl = absl::Milliseconds(500);
  absl::Duration max_ttl = absl::Minutes(5);
  size_t max_instances = 10'000;
  size_t max_watchers = 10'000;
};

class RegistryState {
 public:
  // Loads state_file when it exists. Errors: InvalidArgument (bad options, unreadable or
  // corrupt state file, naming it).
  static absl::StatusOr<std::unique_ptr<RegistryState>> Open(RegistryStateOptions options,
                                                             absl::Time now);
  ~RegistryState();
  RegistryState(const RegistryState&) = delete;
  RegistryState& operator=(const RegistryState&) = delete;

  // Validates and stores `instance` with a lease of `ttl` (0 = default; clamped to
  // [min_ttl, max_ttl]). Returns the stored record (lease_ttl_ms, modify_index set).
  absl::StatusOr<Instance> Put(Instance instance, absl::Duration ttl, absl::Time now);
  absl::Status Renew(absl::string_view mesh, absl::string_view id, absl::Time now);
  absl::Status Remove(absl::string_view mesh, absl::string_view id);
  // Removes instances whose lease ran out; returns how many.
  int Expire(absl::Time now);

  Snapshot List(absl::string_view mesh) const;
  uint64_t index() const;
  // Names of the meshes with at least one instance, with their instance counts.
  std::vector<std::pair<std::string, size_t>> Meshes() const;

  // Runs `notify` once (outside the state's lock) when the index passes `after`. Returns a
  // handle for CancelWatch; 0 when the index has already passed `after` (then `notify` is not
  // run: the caller answers at once, and no lock of the caller's is taken from here);
  // ResourceExhausted when max_watchers are waiting.
  using Notify = std::function<void()>;
  absl::StatusOr<uint64_t> AddWatch(uint64_t after, Notify notify);
  // Forgets a watch that has not fired; false when it already fired or never existed.
  bool CancelWatch(uint64_t handle);
  size_t watchers() const;

  // Persistence counters (all 0 without a state file).
  struct JournalStats {
    uint64_t records = 0;      // journal records appended since Open
    uint64_t syncs = 0;        // fsyncs of the journal (a group commit writes several records)
    uint64_t snapshots = 0;    // snapshots written (compactions) since Open
    uint64_t replayed = 0;     // journal records applied by Open
    uint64_t torn_bytes = 0;   // bytes of a torn last record cut off by Open
    size_t journal_bytes = 0;  // current size of the journal file
  };
  JournalStats journal_stats() const;

 private:
  struct Entry {
    Instance instance;
    absl::Time expires;
  };
  struct Watch {
    uint64_t after;
    Notify notify;
  };
  explicit RegistryState(RegistryStateOptions options) : options_(std::move(options)) {}
  absl::Status Load(absl::Time now);
  absl::Status LoadSnapshot(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReplayJournal(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Apply(const Instance& put, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Advances the index, queues the journal record `record` (the change's JSON members, without
  // the index) and returns the watches to run (after Sync, outside the lock).
  std::vector<Notify> Changed(const std::string& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns once every change up to `index` is on disk (writes and fsyncs what is queued,
  // unless another thread already did). Takes sync_mu_, then mu_ briefly.
  void Sync(uint64_t index) const ABSL_LOCKS_EXCLUDED(mu_, sync_mu_);
  // Writes the whole state as the snapshot and empties the journal.
  absl::Status Compact() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  std::string SnapshotText(uint64_t* index) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string journal_file() const { return options_.state_file + ".journal"; }
  static std::string Key(absl::string_view mesh, absl::string_view id);

  const RegistryStateOptions options_;
  // Held while writing the files (it takes mu_ only briefly, to take the queued records); the
  // writer that holds it syncs for everyone who queued before.
  mutable absl::Mutex sync_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable int journal_fd_ ABSL_GUARDED_BY(sync_mu_) = -1;
  mutable size_t journal_bytes_ ABSL_GUARDED_BY(sync_mu_) = 0;
  mutable size_t journal_records_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // A write failed: the journal may miss a record; the next sync writes a snapshot instead.
  mutable bool journal_broken_ ABSL_GUARDED_BY(sync_mu_) = false;

  mutable absl::Mutex mu_;
  // Journal records queued by changes and not yet written: (index, line).
  mutable std::vector<std::pair<uint64_t, std::string>> queued_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t durable_index_ ABSL_GUARDED_BY(mu_) = 0;
  mutable JournalStats stats_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // key: mesh + '\0' + id
  uint64_t index_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_watch_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_REGISTRY_STATE_H_
