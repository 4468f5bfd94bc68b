#ifndef EVENTMESH_STORE_ENGINE_ROCKSDB_EVENT_STORE_H_
#define EVENTMESH_STORE_ENGINE_ROCKSDB_EVENT_STORE_H_

// EventStore on RocksDB (see keys.h for the column families and key layout).
//
// Writes: every mutation (appends, topic create/delete, offset commits, retention deletes) goes
// through one FIFO commit queue. An append encodes its records outside any lock, then under the
// queue mutex gets its offsets (cached next offset per partition; no reads) and adds its puts to
// the open commit group. The first writer to find no leader becomes the leader: it writes the
// front group with ONE rocksdb::DB::Write (and, in kBatch/kAlways, ONE fsync of the WAL), marks
// its writers done and hands leadership to the first writer of the next group. Appends that
// arrive while a write is in progress therefore share the next write and fsync (group commit).
// In kAlways every append is its own group. Consecutive appends to one partition in one group
// with the same append millisecond share one time-index entry (put when the group closes). Offsets
// become visible to readers only after the write covering them returned OK, in offset order. If a
// write fails, every queued write fails with it (ResourceExhausted) and the cached offsets roll
// back to the last durable ones, so the log never has a gap; the next write first calls
// DB::Resume().
//
// Recovery: on Open the next offset of each partition is the last records key + 1 (or the log
// start offset kept by retention when the partition is empty), the earliest offset is the first
// records key, and producer windows and group generations are loaded from their column families.
//
// AppendAsync joins the same queue with a heap-allocated writer that no thread waits on. When the
// group it joins reaches the front and its first writer is asynchronous, leadership goes to one
// of two store-owned commit threads (instead of to a waiting caller). After the write the leader
// hands leadership on first, then runs the completed async callbacks outside write_mu_, so the
// next group's write overlaps the callbacks (two commit threads: one writes while the other
// completes). A blocking Append that leads a group also runs that group's async callbacks before
// it returns.
//
// Threads owned: a maintenance thread (retention pass + group expiry every retention_interval_ms,
// and the compaction of a deleted topic's records as soon as it is deleted; disabled with 0),
// a fetch thread (completes FetchAsync waiters on data or deadline) and two
// commit threads (lead groups of async appends).
//
// Thread-safe. Destroying the store while other calls are in flight is not allowed (callbacks of
// AppendAsync may still issue AppendAsync: they get Unavailable once closing started); queued
// async appends are written and completed with their result before the destructor returns;
// pending FetchAsync callbacks complete with Unavailable during destruction.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/store/engine/background_range_sync.h"
#include "eventmesh/store/engine/clock.h"
#include "eventmesh/store/engine/event_store.h"
#include "eventmesh/store/engine/group_coordinator.h"
#include "eventmesh/store/engine/keys.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/write_batch.h"

namespace eventmesh::store {

// The largest StoreOptions::sync_interval_us (1 s).
inline constexpr int64_t kMaxSyncIntervalUs = 1'000'000;

struct StoreOptions {
  std::string path;                       // directory of the RocksDB database; required
  SyncMode sync_mode = SyncMode::kBatch;  // see SyncMode
  AppendLimits limits;                    // 1 MiB event, 4 MiB / 1000 events per batch
  int32_t producer_window = 5;            // remembered sequences per producer and partition
  // A producer's state on a partition is dropped by the retention pass once its last append is
  // older than this (a later append with that producer id then starts afresh). 7 days.
  int64_t producer_expiry_ms = 7LL * 24 * 3600 * 1000;
  // Fetch/FetchAsync wait at most this long whatever max_wait_ms asks for. 5 minutes.
  int64_t max_fetch_wait_ms = 5 * 60'000;
  int64_t retention_interval_ms = 60'000;  // background retention/expiry period; 0 = no thread
  // Compact the ranges a retention pass trimmed, and a deleted topic's records (on the
  // maintenance thread, woken by the delete; with no thread, at the next RunRetentionOnce), to
  // free their disk space at once.
  bool compact_after_retention = true;
  int64_t max_commit_group_bytes = 16 << 20;  // an append starts a new group beyond this
  // SyncMode::kBatch: the least time between the starts of two synced commit writes, in
  // microseconds. A write due sooner waits for the rest of the interval while later appends
  // join its group, so a steady stream of appends shares fewer, fuller fsyncs (each fsync also
  // costs CPU time, in a VM often the host's); an append after a quiet interval is written at
  // once. 0 = each write starts as soon as the previous one has ended.
  int64_t sync_interval_us = 500;
  int64_t write_buffer_bytes = 64 << 20;  // RocksDB memtable size per column family
  // How the events are compressed in their blob files. Each file records its own compression,
  // so a change applies to the files written from then on and older ones stay readable. Unset:
  // LZ4 when this RocksDB has it (it compresses in less CPU than Snappy, RocksDB's default),
  // else RocksDB's default.
  std::optional<rocksdb::CompressionType> blob_compression;
  // Per partition, the newest durable records are also kept in memory with their
  // ProducerRecord::attachment, up to about this many bytes of memory, so reads at the tail
  // (caught-up consumers) need no RocksDB iterator and no decoding. A record is charged what it
  // holds in memory: the cache's entry, and its attachment's RecordAttachment::MemoryBytes (the
  // decoded event) or else its payload and headers. It has to cover how far a caught-up
  // consumer trails the appends: with thousands of publishes in flight one `batch` commit group
  // holds a thousand and more 256-byte events per partition, about 1.3 KB each in memory. A
  // larger cache costs memory and latency (BENCHMARKS.md, twentieth round: about three times as
  // many cached events raised the p99 at 10,000 events/s). 0 = no cache.
  int64_t tail_cache_bytes = 4 << 20;
  // Store-wide bound on the memory of all partitions' tail caches together. When an append
  // takes the caches past it, the partitions appended to least recently give up their oldest
  // records first, so the partitions in use keep their caches however many partitions the store
  // holds. 0 = no cache.
  int64_t tail_cache_total_bytes = 64 << 20;
  // Free-space reserve of the filesystem holding `path`: an append that would leave less free
  // fails at once with ResourceExhausted "append: disk full: ... (minFreeDiskBytes)" and
  // nothing is written, so RocksDB itself never runs out of space mid-write (it cannot recover
  // in place from that) and flushes and compactions keep room to work. Appends succeed again as
  // soon as space is freed. 0 = no reserve.
  int64_t min_free_disk_bytes = int64_t{64} << 20;
  GroupOptions groups;
  // Called after every DB write of the commit queue with its duration in nanoseconds (the
  // write and, unless sync mode is none, its fsync) and whether it succeeded; on the writing
  // thread, so it must be cheap (e.g. a histogram observation). Empty = none.
  std::function<void(int64_t nanos, bool ok)> on_commit_write;
  const Clock* clock = nullptr;  // nullptr = SystemClock; must outlive the store
  rocksdb::Env* env = nullptr;   // nullptr = rocksdb::Env::Default(); for tests
};

// The writes RocksDB held back since Open because flushes or compactions fell behind: a stop
// (one column family at its memtable, level-0 or pending-compaction limit) holds every write of
// the store, so every append waits. From RocksDB's own statistics: the counts monotonic since
// Open, then the state at the read.
struct WriteStallStats {
  // RocksDB's count of column families' stall conditions turning into a stop (summed over the
  // column families; at least the number of stops, more when several column families reach a
  // limit in the same stop or one is recounted while stopped).
  int64_t stops = 0;
  // The same count for slow-downs (writes delayed to a lower rate); RocksDB recounts a slow-down
  // at every flush or compaction during it. With three memtables per column family only the
  // level-0 file count and pending compaction bytes can slow writes.
  int64_t slowdowns = 0;
  // Wall time the writes waited stopped or slowed (the waiting write group's leader), in
  // microseconds; added when each wait ends.
  int64_t stalled_micros = 0;
  // Whether RocksDB stops every write right now (its `rocksdb.is-write-stopped`).
  bool writes_stopped = false;
  // The write rate in bytes/s RocksDB slows writes to right now, 0 when they are not slowed (its
  // `rocksdb.actual-delayed-write-rate`).
  int64_t slowdown_rate = 0;
};

// Counters for monitoring and benchmarks (monotonic since Open, except the gauges).
struct StoreStats {
  int64_t db_writes = 0;  // rocksdb::DB::Write calls by the commit queue (= fsyncs unless kNone)
  int64_t appends = 0;    // successful non-duplicate appends
  int64_t events = 0;     // events in those appends
  int64_t failed_writes = 0;         // DB::Write calls that failed
  int64_t waiting_fetches = 0;       // gauge: blocking Fetch calls parked right now
  int64_t parked_async_fetches = 0;  // gauge: FetchAsync waiters not yet completed
  int64_t fetch_deadlines = 0;       // gauge: FetchAsync deadlines held by the timer thread
  int64_t tail_cache_bytes = 0;      // gauge: memory charged to all partitions' tail caches
  // Write-backs of write-ahead log ranges started off the appending threads
  // (BackgroundRangeSyncFileSystem; 0 with StoreOptions::env).
  int64_t wal_range_syncs = 0;
};

class RocksDbEventStore final : public EventStore {
 public:
  // Opens (creating if missing) the store at options.path and recovers its state.
  // Errors: InvalidArgument (bad options), Internal/DataLoss (RocksDB could not open).
  static absl::StatusOr<std::unique_ptr<RocksDbEventStore>> Open(const StoreOptions& options);

  ~RocksDbEventStore() override;
  RocksDbEventStore(const RocksDbEventStore&) = delete;
  RocksDbEventStore& operator=(const RocksDbEventStore&) = delete;

  absl::StatusOr<TopicDescription> CreateTopic(const CreateTopicRequest& request) override;
  absl::StatusOr<TopicDescription> DescribeTopic(const DescribeTopicRequest& request) override;
  absl::StatusOr<ListTopicsResult> ListTopics(const ListTopicsRequest& request) override;
  absl::StatusOr<DeleteTopicResult> DeleteTopic(const DeleteTopicRequest& request) override;

  absl::StatusOr<AppendResult> Append(const AppendRequest& request) override;
  void AppendAsync(const AppendRequest& request, AppendCallback done) override;
  absl::StatusOr<ReadResult> Read(const ReadRequest& request) override;
  absl::StatusOr<ReadResult> Fetch(const FetchRequest& request) override;
  void FetchAsync(const FetchRequest& request, FetchCallback done) override;
  bool KeepsAttachments() const override { return TailCacheOn(); }
  absl::StatusOr<OffsetsResult> GetOffsets(const OffsetsRequest& request) override;
  absl::StatusOr<SeekTimeResult> SeekTime(const SeekTimeRequest& request) override;

  absl::StatusOr<MemberAssignment> JoinGroup(const JoinGroupRequest& request) override;
  absl::StatusOr<MemberAssignment> Heartbeat(const HeartbeatRequest& request) override;
  absl::StatusOr<LeaveGroupResult> LeaveGroup(const LeaveGroupRequest& request) override;
  absl::StatusOr<GroupDescription> DescribeGroup(const DescribeGroupRequest& request) override;
  absl::StatusOr<CommitOffsetsResult> CommitOffsets(const CommitOffsetsRequest& request) override;
  absl::StatusOr<FetchOffsetsResult> FetchOffsets(const FetchOffsetsRequest& request) override;

  absl::StatusOr<RetentionPassResult> RunRetentionOnce() override;

  const StoreOptions& options() const { return options_; }
  StoreStats GetStats() const;
  // Read from RocksDB's statistics (its "rocksdb.cfstats" and "rocksdb.dbstats" maps and two
  // integer properties, each read under RocksDB's DB mutex), at most every 100 ms: calls within
  // 100 ms of a read (the several metrics of one scrape) return its figures. For metrics scrapes,
  // not for a hot path.
  WriteStallStats GetWriteStallStats() const;

 private:
  struct AsyncWaiter;
  struct Partition;
  struct Topic;
  struct Writer;
  struct CommitGroup;
  struct CachedRecord;

  explicit RocksDbEventStore(const StoreOptions& options);
  absl::Status OpenDb();
  absl::Status Recover();
  // Creates, appends to, syncs and deletes a small file in the DB directory: OK once the disk
  // accepts writes again (checked before DB::Resume after a failed write).
  rocksdb::Status ProbeWritable();
  void StartThreads();

  std::shared_ptr<Topic> FindTopic(absl::string_view name) const;
  absl::StatusOr<std::shared_ptr<Topic>> GetTopic(absl::string_view name) const;
  absl::StatusOr<Partition*> GetPartition(const Topic& topic, int32_t partition) const;
  absl::StatusOr<TopicDescription> Describe(const Topic& topic);

  // What a written (or failed) commit group finishes, run outside write_mu_ by the thread that
  // wrote it: the async writers' callbacks, then the parked fetches its records satisfy (so a
  // caught-up subscriber is served on the appending thread, without waking the fetch thread).
  struct Completions {
    std::vector<std::unique_ptr<Writer>> writers;
    std::vector<std::shared_ptr<AsyncWaiter>> waiters;
    // Records the tail cache let go of: freed (with their attachments) outside write_mu_.
    std::vector<CachedRecord> evicted;
    bool empty() const { return writers.empty() && waiters.empty() && evicted.empty(); }
  };
  struct PreparedAppend;

  // Validates `request` and encodes what can be encoded outside the lock.
  absl::StatusOr<PreparedAppend> PrepareAppend(const AppendRequest& request) const;
  // Reserves offsets for the prepared append and adds it to the open commit group with `writer`.
  // Returns false with *early set when the append ends here (error or idempotent duplicate).
  bool EnqueueAppendLocked(const AppendRequest& request, PreparedAppend& prepared, Writer* writer,
                           absl::StatusOr<AppendResult>* early)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Waits until the synchronous `writer`'s group is written (leading the write if needed).
  // REQUIRES: write_mu_ held; returns with it held (released while writing / completing).
  void CommitLocked(Writer* writer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // As the leader: writes the front group, publishes it, hands leadership on and collects the
  // finished async writers. Releases write_mu_ during the write and the publication.
  void WriteFrontLocked(Completions* completions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void HandOffLeadershipLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Adds the durable `records` (consecutive offsets from `first_offset`) to p's tail cache, moving
  // the oldest beyond the partition's bound (StoreOptions::tail_cache_bytes) to *evicted (freed by
  // the caller outside write_mu_); then, while all caches together hold more than
  // tail_cache_total_bytes, evicts the oldest records of the least recently appended
  // partitions. Called by the commit leader in write order, without write_mu_.
  // Whether records are cached at all (both bounds above 0).
  bool TailCacheOn() const {
    return options_.tail_cache_bytes > 0 && options_.tail_cache_total_bytes > 0;
  }
  void AddToTail(Partition* p, int64_t first_offset, std::vector<CachedRecord>* records,
                 std::vector<CachedRecord>* evicted) ABSL_LOCKS_EXCLUDED(write_mu_, tail_lru_mu_);
  void RunCompletions(Completions* completions);
  void CommitThreadLoop();
  // Writes a prepared batch through the commit queue (admin operations).
  absl::Status SubmitBatch(rocksdb::WriteBatch batch);
  absl::Status SubmitBatchLocked(rocksdb::WriteBatch batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void FailQueueLocked(const absl::Status& status, Completions* completions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Re-reads a partition's producer windows from the DB (after a failed write). On a read error
  // the windows are left empty and the error is returned (kept in producers_status).
  absl::Status ReloadProducersLocked(Partition* partition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  rocksdb::WriteOptions WriteOptionsForMode() const;

  absl::StatusOr<ReadResult> ReadPartition(const Topic& topic, Partition* partition,
                                           const ReadRequest& request);
  // Serves [request.offset, latest) from the partition's tail cache into *result (records and
  // next_offset). False when the cache does not hold request.offset.
  bool ReadFromTail(Partition* partition, const ReadRequest& request, int64_t latest,
                    ReadResult* result);
  // Wakes blocking fetchers of `partition` and claims its async waiters that can now be served:
  // into *ready when given (the caller completes them outside its locks), else to the fetch
  // thread.
  void NotifyPartition(Partition* partition,
                       std::vector<std::shared_ptr<AsyncWaiter>>* ready = nullptr);
  void FetchThreadLoop();
  void CompleteWaiter(const std::shared_ptr<AsyncWaiter>& waiter, bool timed_out);
  void MaintenanceLoop();
  // Compacts the records of the topics deleted since the last call (StoreOptions::
  // compact_after_retention), forcing blob GC over each range.
  void CompactDeletedTopics();
  // Compacts [begin, end) of the records, moving the live events out of the blob files the
  // range used (so the files whose other events are gone are deleted).
  void CompactRecordsRange(const std::string& begin, const std::string& end);
  absl::Status TrimPartition(const Topic& topic, Partition* partition, RetentionPassResult* result);
  absl::Status ExpireProducers(Partition* partition, RetentionPassResult* result);
  absl::Duration FetchWait(int64_t max_wait_ms) const;

  const StoreOptions options_;
  const Clock* const clock_;

  // Without StoreOptions::env: the file system (and its Env) the DB writes through, which
  // starts the write-back of write-ahead logs off the appending threads. Declared before db_,
  // so they outlive it.
  std::shared_ptr<BackgroundRangeSyncFileSystem> range_sync_fs_;
  std::unique_ptr<rocksdb::Env> range_sync_env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* records_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* time_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* groups_cf_ = nullptr;

  std::unique_ptr<GroupCoordinator> coordinator_;

  // Topic map. Readers take it shared for a lookup only.
  mutable absl::Mutex topics_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> topics_ ABSL_GUARDED_BY(topics_mu_);
  // Serializes topic creation/deletion (held across their write; never on the append path).
  absl::Mutex admin_mu_ ABSL_ACQUIRED_BEFORE(write_mu_);
  uint32_t next_topic_id_ ABSL_GUARDED_BY(admin_mu_) = 1;

  // The commit queue; also guards every Partition's reserved (not yet durable) state.
  absl::Mutex write_mu_;
  std::deque<std::unique_ptr<CommitGroup>> queue_ ABSL_GUARDED_BY(write_mu_);
  bool leader_active_ ABSL_GUARDED_BY(write_mu_) = false;
  bool needs_resume_ ABSL_GUARDED_BY(write_mu_) = false;
  // When the last commit write of SyncMode::kBatch started (steady clock, ns; see
  // StoreOptions::sync_interval_us).
  int64_t last_sync_write_ns_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The partitions whose tail caches hold records, the most recently appended first: the
  // store-wide budget evicts from the back.
  // Lock order: write_mu_, then tail_lru_mu_, then a partition's tail_mu.
  absl::Mutex tail_lru_mu_;
  std::list<Partition*> tail_lru_ ABSL_GUARDED_BY(tail_lru_mu_);
  // Records the commit thread's writes evicted from the tail caches, left for the next
  // AppendAsync caller to free (see CommitThreadLoop).
  std::vector<CachedRecord> evicted_for_appenders_ ABSL_GUARDED_BY(write_mu_);
  static int64_t SteadyNanos();
  // The free-space reserve (StoreOptions::min_free_disk_bytes), used by the commit leader.
  rocksdb::Status CheckFreeSpace(int64_t bytes);
  absl::Mutex space_mu_;
  int64_t free_bytes_ ABSL_GUARDED_BY(space_mu_) = 0;  // as of the last statvfs, minus writes
  int64_t free_checked_ms_ ABSL_GUARDED_BY(space_mu_) = INT64_MIN / 2;
  // Written groups kept for reuse (their WriteBatch keeps its buffer), at most this many of at
  // most this capacity each.
  static constexpr size_t kSpareGroups = 2;
  static constexpr size_t kMaxSpareGroupBytes = 8u << 20;
  std::vector<std::unique_ptr<CommitGroup>> spare_groups_ ABSL_GUARDED_BY(write_mu_);
  // Leadership of the front group is waiting for a commit thread (its first writer is async).
  bool async_lead_ ABSL_GUARDED_BY(write_mu_) = false;
  bool commit_stop_ ABSL_GUARDED_BY(write_mu_) = false;  // closing: no more enqueues

  // GetWriteStallStats' last read of RocksDB's statistics, and when (SteadyNanos).
  mutable absl::Mutex stall_stats_mu_;
  mutable WriteStallStats stall_stats_ ABSL_GUARDED_BY(stall_stats_mu_);
  mutable int64_t stall_stats_read_ns_ ABSL_GUARDED_BY(stall_stats_mu_) = 0;

  // Async fetch waiters by deadline, and those made ready by appends.
  mutable absl::Mutex fetch_mu_;
  absl::CondVar fetch_cv_;
  std::multimap<absl::Time, std::shared_ptr<AsyncWaiter>> fetch_timers_ ABSL_GUARDED_BY(fetch_mu_);
  std::vector<std::shared_ptr<AsyncWaiter>> fetch_ready_ ABSL_GUARDED_BY(fetch_mu_);
  bool fetch_stop_ ABSL_GUARDED_BY(fetch_mu_) = false;
  // When the sleeping fetch thread wakes by itself (InfinitePast while it runs): a new deadline
  // at or after it needs no signal, the thread sees it when it next looks at its timers.
  absl::Time fetch_wake_at_ ABSL_GUARDED_BY(fetch_mu_) = absl::InfinitePast();

  absl::Mutex maintenance_mu_;
  absl::CondVar maintenance_cv_;
  bool maintenance_stop_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  // Deleted topics' record ranges [begin, end) to compact (CompactDeletedTopics).
  std::vector<std::pair<std::string, std::string>> deleted_ranges_ ABSL_GUARDED_BY(maintenance_mu_);
  absl::Mutex retention_mu_;  // one retention pass at a time
  // One CommitOffsets at a time (held across its write): an if_absent commit's check and write
  // are atomic with respect to every other commit.
  absl::Mutex offsets_mu_;

  std::atomic<bool> closing_{false};
  std::atomic<int64_t> stat_db_writes_{0};
  std::atomic<int64_t> stat_appends_{0};
  std::atomic<int64_t> stat_events_{0};
  std::atomic<int64_t> stat_failed_writes_{0};
  std::atomic<int64_t> stat_waiting_fetches_{0};
  std::atomic<int64_t> stat_parked_async_{0};
  // Memory charged to all partitions' tail caches (StoreOptions::tail_cache_total_bytes):
  // changed under tail_lru_mu_, read by GetStats.
  std::atomic<int64_t> tail_total_bytes_{0};
  std::thread fetch_thread_;
  std::thread maintenance_thread_;
  std::vector<std::thread> commit_threads_;
};

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_ROCKSDB_EVENT_STORE_H_
