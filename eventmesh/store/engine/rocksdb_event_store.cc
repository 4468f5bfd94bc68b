#include "eventmesh/store/engine/rocksdb_event_store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/common/memory_size.h"
#include "eventmesh/common/named_thread.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/iterator.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"

namespace eventmesh::store {
namespace {

// How long the fetch thread sleeps when no parked fetch has a deadline (see FetchThreadLoop).
constexpr absl::Duration kIdleFetchTick = absl::Milliseconds(100);

// Uncompressed stored batches kept for readers below the tail cache (filled as they read).
constexpr size_t kBlobCacheBytes = 16 << 20;

// Converts a RocksDB error once, at the boundary. Write failures (disk full, I/O error) are
// ResourceExhausted so producers back off; reads keep working.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what, bool write) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": disk full: ", s.ToString()));
  }
  if (write && s.IsIOError()) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": write failed: ", s.ToString()));
  }
  if (s.IsBusy()) return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsIOError()) return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

std::string EncodeU64(uint64_t v) {
  char buf[8];
  StoreBigEndian64(buf, v);
  return std::string(buf, sizeof(buf));
}

bool DecodeU64(absl::string_view data, uint64_t* v) {
  if (data.size() != 8) return false;
  *v = LoadBigEndian64(data.data());
  return true;
}

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

absl::Status Closing() { return absl::UnavailableError("the event store is closing"); }

}  // namespace

// ----- internal state ---------------------------------------------------------------------------

struct RocksDbEventStore::AsyncWaiter {
  FetchRequest request;
  FetchCallback done;
  std::shared_ptr<Topic> topic;
  Partition* partition = nullptr;
  std::atomic<bool> claimed{false};
  // Its deadline entry in fetch_timers_ (guarded by fetch_mu_), erased when the waiter is
  // claimed, so a waiter woken by data does not stay referenced until its deadline.
  std::multimap<absl::Time, std::shared_ptr<AsyncWaiter>>::iterator timer;
  bool has_timer = false;
};

// One record of a partition's tail cache; its offset is its place in the cache. A record
// appended with an attachment is kept with the attachment alone (no payload or headers: its
// producer holds the event they encode), and only reads whose caller uses the attachment
// (ReadRequest::attachment_suffices) are served it from memory. A plain record (no key,
// headers or attachment) is kept as its payload in a block shared with the rest of its append.
// Any other record's key, headers and payload are kept apart, in an EventRecord. Either way the
// entry stays small: the cache moves it twice and keeps many.
struct RocksDbEventStore::CachedRecord {
  std::shared_ptr<const RecordAttachment> attachment;
  // Null: no key, and the attachment holds the event; or a plain record (`payload` below).
  std::unique_ptr<EventRecord> rest;
  // A plain record's payload (no key, headers or attachment): bytes in its append's block,
  // which the append's last plain record owns (`block`).
  const char* payload = nullptr;
  uint32_t payload_size = 0;
  std::unique_ptr<char[]> block;
  int64_t append_time_ms = 0;
  int64_t value_bytes = 0;  // size of its stored value (what Read's max_bytes counts)
  // The memory charged against StoreOptions::tail_cache_bytes: this entry and what it holds.
  int64_t charge = 0;

  // The record at `offset` as a read returns it.
  EventRecord ToRecord(int64_t offset) const {
    EventRecord record;
    if (rest != nullptr) {
      record = *rest;
    } else if (payload != nullptr) {
      record.payload.assign(payload, payload_size);
    }
    record.offset = offset;
    record.append_time_ms = append_time_ms;
    record.attachment = attachment;
    return record;
  }
};

struct RocksDbEventStore::Partition {
  uint32_t topic_id = 0;
  int32_t index = 0;

  // Reserved state (includes appends not yet durable). Guarded by the store's write_mu_.
  int64_t next_offset = 0;
  int64_t last_append_ms = 0;
  uint64_t cumulative_bytes = 0;
  absl::flat_hash_map<uint64_t, std::vector<keys::ProducerBatch>> producers;
  // Not OK while `producers` could not be reloaded from the DB after a failed write: appends
  // to the partition retry the reload and fail until it succeeds (dedup state must be exact).
  absl::Status producers_status;

  // Durable state, published in offset order by the commit leader.
  std::atomic<int64_t> committed_next{0};
  std::atomic<uint64_t> committed_bytes{0};
  std::atomic<int64_t> earliest{0};

  // Long-poll waiters.
  std::atomic<int> watchers{0};
  absl::Mutex watch_mu;
  absl::CondVar watch_cv;
  std::vector<std::shared_ptr<AsyncWaiter>> async_waiters ABSL_GUARDED_BY(watch_mu);

  // Tail cache: durable records [tail_start, tail_start + tail.size()), added in offset order by
  // the commit leader after the write that made them durable (before committed_next moves), so
  // a reader never sees a record that is not stored. Bounded by StoreOptions::tail_cache_bytes;
  // records below `earliest` are never served (ReadPartition checks the range first).
  absl::Mutex tail_mu;
  std::deque<CachedRecord> tail ABSL_GUARDED_BY(tail_mu);
  int64_t tail_start ABSL_GUARDED_BY(tail_mu) = 0;
  int64_t tail_bytes ABSL_GUARDED_BY(tail_mu) = 0;
  bool tail_closed ABSL_GUARDED_BY(tail_mu) = false;  // the topic was deleted: cache nothing
  // Moves the oldest cached record to *evicted; returns its charge.
  int64_t EvictOldest(std::vector<CachedRecord>* evicted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(tail_mu) {
    const int64_t charge = tail.front().charge;
    tail_bytes -= charge;
    evicted->push_back(std::move(tail.front()));
    tail.pop_front();
    ++tail_start;
    return charge;
  }
  // Its place in the store's tail_lru_ while `in_tail_lru` (both guarded by the store's
  // tail_lru_mu_).
  std::list<Partition*>::iterator tail_lru_pos;
  bool in_tail_lru = false;
};

struct RocksDbEventStore::Topic {
  std::string name;
  keys::TopicMeta meta;
  std::vector<std::unique_ptr<Partition>> partitions;
  std::atomic<uint64_t> round_robin{0};
  std::atomic<bool> deleted{false};
};

namespace {

// How blob files (the events) are compressed by default (StoreOptions::blob_compression): LZ4
// where this RocksDB has it (under load its compression took 2.0 % of the runtime's CPU where
// Snappy's took 2.9 %, BENCHMARKS.md round 40), else RocksDB's default.
rocksdb::CompressionType DefaultBlobCompression() {
  static const rocksdb::CompressionType type = [] {
    for (const rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
      if (t == rocksdb::kLZ4Compression) return t;
    }
    return rocksdb::ColumnFamilyOptions().compression;
  }();
  return type;
}

// Whether the tail cache keeps `record` as its payload alone (CachedRecord::payload): no key,
// headers or attachment.
bool IsPlainRecord(const ProducerRecord& record) {
  return record.attachment == nullptr && !record.key.has_value() && record.headers.empty();
}

// What a record kept by the tail cache holds in memory besides the cache's entry: its
// attachment (the producer's decoded event; the cache keeps no payload then), and the block of
// the rest of the record: its key, and without an attachment its payload and headers (a map
// node of two strings and the tree links for each).
int64_t CachedMemoryBytes(const RecordAttachment* attachment, const EventRecord* rest) {
  size_t bytes = attachment != nullptr ? static_cast<size_t>(attachment->MemoryBytes()) : 0;
  if (rest == nullptr) return static_cast<int64_t>(bytes);
  bytes += HeapBlockBytes(sizeof(EventRecord)) + StringHeapBytes(rest->payload);
  if (rest->key.has_value()) bytes += StringHeapBytes(*rest->key);
  for (const auto& [name, value] : rest->headers) {
    bytes += HeapBlockBytes(32 + sizeof(name) + sizeof(value)) + StringHeapBytes(name) +
             StringHeapBytes(value);
  }
  return static_cast<int64_t>(bytes);
}

// The memtable insert hint's key to position map: the partition prefix of keys exactly
// `key_size` bytes long. Range deletions (retention, topic deletion) start at a shorter prefix
// and so take no hint: RocksDB 7.8 keeps one hint per prefix for the table and its range
// tombstones alike, and a hint from one used in the other breaks the skip list.
class PartitionHint final : public rocksdb::SliceTransform {
 public:
  explicit PartitionHint(size_t key_size) : key_size_(key_size) {}
  const char* Name() const override { return "eventmesh.PartitionHint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), keys::kPartitionPrefixSize);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() == key_size_; }

 private:
  const size_t key_size_;
};

}  // namespace

// One append (or admin batch) in the commit queue. Synchronous writers live on their caller's
// stack and are waited on; asynchronous ones (callback set) are owned by their CommitGroup until
// completed.
struct RocksDbEventStore::Writer {
  bool done = false;
  bool leader = false;
  absl::Status status;
  AppendResult result;
  int64_t events = 0;
  AppendCallback callback;  // set: an AppendAsync writer
};

struct RocksDbEventStore::CommitGroup {
  struct Publish {
    Partition* partition;
    int64_t next_offset;
    uint64_t cumulative_bytes;
    std::vector<CachedRecord> records;  // for the tail cache; empty when it is off
  };
  explicit CommitGroup(size_t reserved_bytes = 0) : batch(reserved_bytes) {}
  // The time-index entry of the last append per partition, not yet in `batch`: consecutive
  // appends to a partition within the same millisecond share one entry (their offsets are
  // contiguous within a group). Put into the batch when superseded or when the group closes.
  struct PendingIndex {
    int64_t append_ms;
    int64_t base_offset;
    keys::TimeIndexValue value;
  };
  rocksdb::WriteBatch batch;
  absl::flat_hash_map<Partition*, PendingIndex> pending_index;
  std::vector<Writer*> writers;  // in queue order, sync and async
  std::vector<std::unique_ptr<Writer>> async_writers;
  std::vector<Publish> publishes;
  bool open = true;  // appends may still join

  void PutIndexEntry(rocksdb::ColumnFamilyHandle* cf, const Partition& p,
                     const PendingIndex& entry) {
    char key[keys::kTimeIndexKeySize];
    keys::StoreTimeIndexKey(key, p.topic_id, static_cast<uint32_t>(p.index),
                            static_cast<uint64_t>(entry.append_ms),
                            static_cast<uint64_t>(entry.base_offset));
    char value[keys::kTimeIndexValueSize];
    keys::StoreTimeIndexValue(value, entry.value);
    batch.Put(cf, rocksdb::Slice(key, sizeof(key)), rocksdb::Slice(value, sizeof(value)))
        .PermitUncheckedError();
  }
  void FlushIndex(rocksdb::ColumnFamilyHandle* cf) {
    for (const auto& [p, entry] : pending_index) PutIndexEntry(cf, *p, entry);
    pending_index.clear();
  }
};

// ----- open / close -----------------------------------------------------------------------------

RocksDbEventStore::RocksDbEventStore(const StoreOptions& options)
    : options_(options), clock_(options.clock ? options.clock : SystemClock::Get()) {}

absl::StatusOr<std::unique_ptr<RocksDbEventStore>> RocksDbEventStore::Open(
    const StoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("StoreOptions.path is empty");
  if (options.producer_window < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("StoreOptions.producer_window must be >= 1, got ", options.producer_window));
  }
  if (options.limits.max_event_bytes < 1 || options.limits.max_batch_bytes < 1 ||
      options.limits.max_batch_events < 1) {
    return absl::InvalidArgumentError("StoreOptions.limits must all be >= 1");
  }
  if (options.sync_interval_us < 0 || options.sync_interval_us > kMaxSyncIntervalUs) {
    return absl::InvalidArgumentError(absl::StrCat("StoreOptions.sync_interval_us must be in [0, ",
                                                   kMaxSyncIntervalUs, "], got ",
                                                   options.sync_interval_us));
  }
  if (options.tail_cache_bytes < 0 || options.tail_cache_total_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("StoreOptions.tail_cache_bytes and tail_cache_total_bytes must be >= 0, got ",
                     options.tail_cache_bytes, " and ", options.tail_cache_total_bytes));
  }
  if (options.blob_compression.has_value() &&
      !absl::c_linear_search(rocksdb::GetSupportedCompressions(), *options.blob_compression)) {
    // RocksDB would only fail at the first flush, and then refuse every write.
    return absl::InvalidArgumentError(absl::StrCat("StoreOptions.blob_compression ",
                                                   static_cast<int>(*options.blob_compression),
                                                   " is not supported by this RocksDB build"));
  }
  std::unique_ptr<RocksDbEventStore> store(new RocksDbEventStore(options));
  if (absl::Status s = store->OpenDb(); !s.ok()) return s;
  if (absl::Status s = store->Recover(); !s.ok()) return s;
  store->StartThreads();
  return store;
}

namespace {

// Turns RocksDB's automatic error recovery off: the engine resumes itself (WriteFrontLocked).
// With it on, the SstFileManager starts a recovery as soon as a NoSpace error is set, i.e.
// while the disk is typically still full; that attempt fails and escalates the error to fatal.
class NoAutoRecovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status /*error*/,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

int64_t RocksDbEventStore::SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

rocksdb::Status RocksDbEventStore::CheckFreeSpace(int64_t bytes) {
  if (options_.min_free_disk_bytes <= 0) return rocksdb::Status::OK();
  absl::MutexLock lock(&space_mu_);
  const int64_t now = absl::ToUnixMillis(absl::Now());
  // statvfs at most every 100 ms, or at once when the estimate says the reserve is reached.
  if (now - free_checked_ms_ >= 100 || free_bytes_ - bytes < options_.min_free_disk_bytes) {
    struct statvfs fs;
    if (statvfs(options_.path.c_str(), &fs) == 0) {
      free_bytes_ = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
      free_checked_ms_ = now;
    }
  }
  if (free_bytes_ - bytes < options_.min_free_disk_bytes) {
    return rocksdb::Status::NoSpace(
        absl::StrCat(free_bytes_, " bytes free under ", options_.path, ", an append of ", bytes,
                     " bytes would go below the reserve of ", options_.min_free_disk_bytes,
                     " bytes (minFreeDiskBytes)"));
  }
  free_bytes_ -= bytes;
  return rocksdb::Status::OK();
}

rocksdb::Status RocksDbEventStore::ProbeWritable() {
  rocksdb::Env* env = db_->GetEnv();
  const std::string probe = options_.path + "/RESUME_PROBE";
  std::unique_ptr<rocksdb::WritableFile> file;
  rocksdb::EnvOptions env_options;
  rocksdb::Status s = env->NewWritableFile(probe, &file, env_options);
  if (s.ok()) s = file->Append(std::string(4096, '\0'));
  if (s.ok()) s = file->Sync();
  if (file != nullptr) {
    rocksdb::Status closed = file->Close();
    if (s.ok()) s = closed;
  }
  env->DeleteFile(probe).PermitUncheckedError();
  return s;
}

absl::Status RocksDbEventStore::OpenDb() {
  rocksdb::DBOptions db_options;
  db_options.listeners.push_back(std::make_shared<NoAutoRecovery>());
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  // Write-ahead logs are reused once their memtables are flushed: appends then overwrite
  // pages already in the page cache and an fdatasync does not change the file's size (no
  // metadata to journal), instead of every log being a new file.
  db_options.recycle_log_file_num = 4;
  // The small column families (topics, groups, time index) hold a few entries in their
  // memtables for a long time; without a cap each of them keeps every log since its first
  // write alive, up to 4 x all write buffers (gigabytes, all replayed at the next start).
  // Past the cap RocksDB flushes the column families that hold the oldest log.
  db_options.max_total_wal_size = 2 * static_cast<uint64_t>(options_.write_buffer_bytes);
  // Start writing the log and table files back every MiB (sync_file_range, no durability
  // promise) instead of leaving it all to the sync when a memtable's log is closed or a table
  // file finished: with syncMode=none that was one 64 MiB sync at every memtable switch.
  db_options.wal_bytes_per_sync = 1 << 20;
  db_options.bytes_per_sync = 1 << 20;
  // The write-back started every MiB of a log runs on a thread of its own, not inside the
  // append that crossed the mark (see background_range_sync.h). A test's own Env is used as it is.
  if (options_.env != nullptr) {
    db_options.env = options_.env;
  } else {
    if (range_sync_env_ == nullptr) {
      range_sync_fs_ =
          std::make_shared<BackgroundRangeSyncFileSystem>(rocksdb::FileSystem::Default());
      range_sync_env_ = rocksdb::NewCompositeEnv(range_sync_fs_);
    }
    db_options.env = range_sync_env_.get();
  }
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = static_cast<size_t>(options_.write_buffer_bytes);
  // Room for a second memtable waiting for its flush. Past max_total_wal_size RocksDB switches
  // the memtables of every column family holding the oldest log, and under steady load it does
  // so twice, 40-200 ms apart (the first switch's logs stay alive until its flushes end). Now and
  // then the second switch takes the records' new memtable while the previous one is still being
  // flushed. With RocksDB's default of 2 that second immutable memtable stopped all writes until
  // the flush finished ("Stopping writes because we have 2 immutable memtables"): 115 and 143 ms
  // pauses in runs at 50,000 events/s (BENCHMARKS.md, round 43). The memtable switched early is
  // small; the memory bound of a column family whose flushes fall behind goes from 2 to 3 write
  // buffers.
  cf_options.max_write_buffer_number = 3;
  // Every memtable flush of the records holds new records of every partition, so its key range
  // spans the L1 files of the partitions in between and each L0->L1 compaction rewrites nearly
  // all of L1. Compacting after 8 L0 files instead of 4 halves how often that happens: over 2.4
  // million appended events the compaction thread's CPU per event fell from 0.47-0.60 us to
  // 0.27-0.35 (BENCHMARKS.md, 17th round); reads below the tail cache merge up to 8 L0 files.
  rocksdb::ColumnFamilyOptions records_options = cf_options;
  records_options.level0_file_num_compaction_trigger = 8;
  // Records go to blob files when their memtable is flushed and stay there: compactions rewrite
  // only the keys and blob references, not the events again at every L0->L1 rewrite of L1 (over
  // 6 million appended events the compaction thread's CPU per event fell from 0.43-0.55 us to
  // 0.04-0.06; BENCHMARKS.md, round 33). The values of a batched append (one entry of up to 64
  // records) are far above the threshold; a record appended alone stays inline. Blobs are
  // compressed once, as they are written. No garbage collection in compactions (it would move
  // the oldest files' live events again and again): a blob file is deleted once no key refers to
  // it any more. The compactions after a retention pass and after a topic deletion
  // (CompactRecordsRange) force GC over their range, so the live records in the files it used
  // move out and those files are deleted.
  records_options.enable_blob_files = true;
  records_options.min_blob_size = 1024;
  records_options.blob_compression_type =
      options_.blob_compression.value_or(DefaultBlobCompression());
  records_options.enable_blob_garbage_collection = false;
  // A reader below the tail cache reading one event at a time reads each stored batch once,
  // not once per event (the table files' block cache does the same for the keys).
  records_options.blob_cache = rocksdb::NewLRUCache(kBlobCacheBytes);
  // Record and time-index keys start with the partition (topic id, partition: 8 bytes) and
  // grow within it, so the memtable keeps the last insert position per partition and starts
  // each insert there instead of searching the skip list from its top (at 50,000 events/s the
  // skip-list search was half of the memtable insert's CPU).
  records_options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<PartitionHint>(keys::kRecordKeySize);
  rocksdb::ColumnFamilyOptions time_index_options = cf_options;
  time_index_options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<PartitionHint>(keys::kTimeIndexKeySize);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {keys::kRecordsCf, records_options},
      {keys::kTimeIndexCf, time_index_options},
      {keys::kMetaCf, cf_options},
      {keys::kGroupsCf, cf_options},
  };
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, descriptors, &handles_, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening ", options_.path), false);
  db_.reset(raw);
  records_cf_ = handles_[1];
  time_cf_ = handles_[2];
  meta_cf_ = handles_[3];
  groups_cf_ = handles_[4];
  coordinator_ = std::make_unique<GroupCoordinator>(
      clock_, options_.groups,
      [this](const std::string& topic) -> absl::StatusOr<int32_t> {
        std::shared_ptr<Topic> t = FindTopic(topic);
        if (t == nullptr) return absl::NotFoundError(topic);
        return t->meta.partitions;
      },
      [this](const std::string& group, int64_t generation) {
        // Best effort: members never survive a restart, the generation only keeps increasing
        // across it. Written through the commit queue like every other write, so the
        // free-space reserve and the resume-after-error logic cover it too (a direct
        // DB::Write beside the queue's leader could meet ENOSPC unguarded).
        rocksdb::WriteBatch batch;
        batch.Put(groups_cf_, keys::GroupGenerationKey(group),
                  EncodeU64(static_cast<uint64_t>(generation)));
        SubmitBatch(std::move(batch)).IgnoreError();
      },
      [this](const std::string& group) -> int64_t {
        // A group forgotten while empty continues from its persisted generation.
        std::string value;
        uint64_t generation = 0;
        if (db_->Get(rocksdb::ReadOptions(), groups_cf_, keys::GroupGenerationKey(group), &value)
                .ok() &&
            DecodeU64(value, &generation)) {
          return static_cast<int64_t>(generation);
        }
        return 0;
      });
  return absl::OkStatus();
}

absl::Status RocksDbEventStore::Recover() {
  absl::MutexLock admin(&admin_mu_);
  absl::MutexLock write(&write_mu_);
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kNextTopicIdKey, &value);
  uint64_t next_id = 1;
  if (s.ok()) {
    if (!DecodeU64(value, &next_id)) return absl::DataLossError("corrupt next topic id");
  } else if (!s.IsNotFound()) {
    return FromRocks(s, "reading the next topic id", false);
  }
  next_topic_id_ = static_cast<uint32_t>(next_id);

  std::map<uint32_t, std::shared_ptr<Topic>> by_id;
  {
    const std::string upper = keys::PrefixSuccessor(keys::kTopicMetaPrefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));
    for (it->Seek(keys::kTopicMetaPrefix); it->Valid(); it->Next()) {
      auto topic = std::make_shared<Topic>();
      topic->name = it->key().ToString().substr(1);
      if (!keys::DecodeTopicMeta(View(it->value()), &topic->meta)) {
        return absl::DataLossError(absl::StrCat("corrupt metadata of topic ", topic->name));
      }
      by_id[topic->meta.id] = topic;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "loading topics", false);
  }

  for (auto& [id, topic] : by_id) {
    for (int32_t p = 0; p < topic->meta.partitions; ++p) {
      auto partition = std::make_unique<Partition>();
      partition->topic_id = id;
      partition->index = p;
      uint64_t log_start = 0;
      s = db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::LogStartKey(id, p), &value);
      if (s.ok() && !DecodeU64(value, &log_start)) {
        return absl::DataLossError(absl::StrCat("corrupt log start of ", topic->name, "/", p));
      }
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading a log start offset", false);

      const std::string prefix = keys::PartitionPrefix(id, p);
      const std::string upper = keys::PrefixSuccessor(prefix);
      rocksdb::Slice lower_slice(prefix), upper_slice(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_lower_bound = &lower_slice;
      ro.iterate_upper_bound = &upper_slice;
      int64_t next = static_cast<int64_t>(log_start);
      int64_t earliest = next;
      {
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_cf_));
        it->SeekToLast();
        uint64_t offset = 0;
        if (it->Valid() && keys::DecodeRecordKeyOffset(View(it->key()), &offset)) {
          next = std::max<int64_t>(next, static_cast<int64_t>(offset) + 1);
          it->SeekToFirst();
          keys::RecordBatchReader first;
          if (it->Valid() && keys::DecodeRecordKeyOffset(View(it->key()), &offset)) {
            if (!first.Init(View(it->value()), static_cast<int64_t>(offset))) {
              return absl::DataLossError(absl::StrCat("corrupt record batch in ", topic->name, "/",
                                                      p, " at offset ", offset));
            }
            earliest = std::max<int64_t>(earliest, first.base_offset());
          }
        }
        if (!it->status().ok()) return FromRocks(it->status(), "recovering offsets", false);
      }
      uint64_t cumulative = 0;
      int64_t last_ms = 0;
      {
        std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, time_cf_));
        it->SeekToLast();
        uint64_t time = 0, base = 0;
        keys::TimeIndexValue tv;
        if (it->Valid() && keys::DecodeTimeIndexKey(View(it->key()), &time, &base) &&
            keys::DecodeTimeIndexValue(View(it->value()), &tv)) {
          cumulative = tv.cumulative_bytes_before + tv.bytes;
          last_ms = static_cast<int64_t>(time);
        }
        if (!it->status().ok()) return FromRocks(it->status(), "recovering the time index", false);
      }
      partition->next_offset = next;
      partition->committed_next = next;
      partition->earliest = earliest;
      partition->cumulative_bytes = cumulative;
      partition->committed_bytes = cumulative;
      partition->last_append_ms = last_ms;
      topic->partitions.push_back(std::move(partition));
    }
  }

  {
    const std::string upper = keys::PrefixSuccessor(keys::kProducerPrefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));
    for (it->Seek(keys::kProducerPrefix); it->Valid(); it->Next()) {
      uint32_t tid = 0, part = 0;
      uint64_t pid = 0;
      std::vector<keys::ProducerBatch> window;
      if (!keys::DecodeProducerKey(View(it->key()), &tid, &part, &pid) ||
          !keys::DecodeProducerWindow(View(it->value()), &window)) {
        return absl::DataLossError("corrupt producer state");
      }
      auto topic = by_id.find(tid);
      if (topic == by_id.end() || part >= topic->second->partitions.size()) continue;
      topic->second->partitions[part]->producers[pid] = std::move(window);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "loading producer state", false);
  }

  {
    const std::string upper = keys::PrefixSuccessor(keys::kGroupGenerationPrefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, groups_cf_));
    for (it->Seek(keys::kGroupGenerationPrefix); it->Valid(); it->Next()) {
      uint64_t generation = 0;
      if (DecodeU64(View(it->value()), &generation)) {
        coordinator_->RestoreGeneration(it->key().ToString().substr(1),
                                        static_cast<int64_t>(generation));
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "loading group generations", false);
  }

  absl::MutexLock topics(&topics_mu_);
  for (auto& [id, topic] : by_id) topics_[topic->name] = topic;
  return absl::OkStatus();
}

void RocksDbEventStore::StartThreads() {
  // Named for top -H and profiles (at most 15 characters).
  fetch_thread_ = StartNamedThread("em-store-fetch", [this] { FetchThreadLoop(); });
  for (int i = 0; i < 2; ++i) {
    commit_threads_.push_back(StartNamedThread("em-store-commit", [this] { CommitThreadLoop(); }));
  }
  if (options_.retention_interval_ms > 0) {
    maintenance_thread_ = StartNamedThread("em-store-maint", [this] { MaintenanceLoop(); });
  }
}

RocksDbEventStore::~RocksDbEventStore() {
  closing_ = true;
  {
    absl::MutexLock lock(&maintenance_mu_);
    maintenance_stop_ = true;
    maintenance_cv_.SignalAll();
  }
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  {
    // No more enqueues; the commit threads write and complete what is queued, then exit.
    absl::MutexLock lock(&write_mu_);
    commit_stop_ = true;
  }
  for (std::thread& t : commit_threads_) t.join();
  {
    absl::MutexLock lock(&fetch_mu_);
    fetch_stop_ = true;
    fetch_cv_.SignalAll();
  }
  if (fetch_thread_.joinable()) fetch_thread_.join();
  {
    absl::MutexLock lock(&topics_mu_);
    for (auto& [name, topic] : topics_) {
      for (auto& p : topic->partitions) {
        absl::MutexLock watch(&p->watch_mu);
        p->watch_cv.SignalAll();
      }
    }
  }
  coordinator_.reset();
  if (db_ != nullptr) {
    for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close().PermitUncheckedError();
    db_.reset();
  }
}

// ----- topics -----------------------------------------------------------------------------------

std::shared_ptr<RocksDbEventStore::Topic> RocksDbEventStore::FindTopic(
    absl::string_view name) const {
  absl::ReaderMutexLock lock(&topics_mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<RocksDbEventStore::Topic>> RocksDbEventStore::GetTopic(
    absl::string_view name) const {
  std::shared_ptr<Topic> topic = FindTopic(name);
  if (topic == nullptr) {
    if (absl::Status s = ValidateTopicName(name); !s.ok()) return s;
    return absl::NotFoundError(absl::StrCat("topic \"", name, "\" does not exist"));
  }
  return topic;
}

absl::StatusOr<RocksDbEventStore::Partition*> RocksDbEventStore::GetPartition(
    const Topic& topic, int32_t partition) const {
  if (partition < 0 || partition >= topic.meta.partitions) {
    return absl::InvalidArgumentError(
        absl::StrFormat("partition %d is out of range: topic \"%s\" has %d partition(s)", partition,
                        topic.name, topic.meta.partitions));
  }
  return topic.partitions[static_cast<size_t>(partition)].get();
}

absl::StatusOr<TopicDescription> RocksDbEventStore::CreateTopic(const CreateTopicRequest& request) {
  if (absl::Status s = ValidateTopicName(request.topic); !s.ok()) return s;
  if (request.partitions < 1 || request.partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrFormat("partitions must be between 1 and %d, got %d",
                                                      kMaxPartitions, request.partitions));
  }
  if (closing_) return Closing();
  std::shared_ptr<Topic> topic;
  {
    absl::MutexLock admin(&admin_mu_);
    if (FindTopic(request.topic) != nullptr) {
      return absl::AlreadyExistsError(absl::StrCat("topic \"", request.topic, "\" already exists"));
    }
    topic = std::make_shared<Topic>();
    topic->name = request.topic;
    topic->meta.id = next_topic_id_;
    topic->meta.partitions = request.partitions;
    topic->meta.retention = request.retention;
    topic->meta.created_ms = clock_->NowMs();
    for (int32_t p = 0; p < request.partitions; ++p) {
      auto partition = std::make_unique<Partition>();
      partition->topic_id = topic->meta.id;
      partition->index = p;
      topic->partitions.push_back(std::move(partition));
    }
    rocksdb::WriteBatch batch;
    batch.Put(meta_cf_, keys::TopicMetaKey(request.topic), keys::EncodeTopicMeta(topic->meta));
    batch.Put(meta_cf_, keys::kNextTopicIdKey, EncodeU64(next_topic_id_ + 1));
    if (absl::Status s = SubmitBatch(std::move(batch)); !s.ok()) return s;
    ++next_topic_id_;
    absl::MutexLock lock(&topics_mu_);
    topics_[request.topic] = topic;
  }
  coordinator_->TopicChanged(request.topic);
  return Describe(*topic);
}

absl::StatusOr<TopicDescription> RocksDbEventStore::Describe(const Topic& topic) {
  TopicDescription d;
  d.topic = topic.name;
  d.partitions = topic.meta.partitions;
  d.retention = topic.meta.retention;
  d.created_ms = topic.meta.created_ms;
  for (const auto& p : topic.partitions) {
    PartitionInfo info;
    info.partition = p->index;
    info.earliest_offset = p->earliest.load();
    info.next_offset = p->committed_next.load();
    const uint64_t end_bytes = p->committed_bytes.load();
    if (info.next_offset > info.earliest_offset) {
      const std::string prefix = keys::PartitionPrefix(p->topic_id, p->index);
      const std::string upper = keys::PrefixSuccessor(prefix);
      rocksdb::Slice upper_slice(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, time_cf_));
      for (it->Seek(prefix); it->Valid(); it->Next()) {
        uint64_t time = 0, base = 0;
        keys::TimeIndexValue tv;
        if (!keys::DecodeTimeIndexKey(View(it->key()), &time, &base) ||
            !keys::DecodeTimeIndexValue(View(it->value()), &tv)) {
          return absl::DataLossError(absl::StrCat("corrupt time index of ", topic.name));
        }
        if (static_cast<int64_t>(base) < info.earliest_offset) continue;
        if (end_bytes >= tv.cumulative_bytes_before) {
          info.retained_bytes = static_cast<int64_t>(end_bytes - tv.cumulative_bytes_before);
        }
        break;
      }
      if (!it->status().ok()) return FromRocks(it->status(), "describing a topic", false);
    }
    d.partition_info.push_back(info);
  }
  return d;
}

absl::StatusOr<TopicDescription> RocksDbEventStore::DescribeTopic(
    const DescribeTopicRequest& request) {
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.topic);
  if (!topic.ok()) return topic.status();
  return Describe(**topic);
}

absl::StatusOr<ListTopicsResult> RocksDbEventStore::ListTopics(const ListTopicsRequest&) {
  ListTopicsResult result;
  absl::ReaderMutexLock lock(&topics_mu_);
  for (const auto& [name, topic] : topics_) result.topics.push_back(name);
  std::sort(result.topics.begin(), result.topics.end());
  return result;
}

absl::StatusOr<DeleteTopicResult> RocksDbEventStore::DeleteTopic(
    const DeleteTopicRequest& request) {
  if (closing_) return Closing();
  std::shared_ptr<Topic> topic;
  {
    absl::MutexLock admin(&admin_mu_);
    absl::StatusOr<std::shared_ptr<Topic>> found = GetTopic(request.topic);
    if (!found.ok()) return found.status();
    topic = *found;
    const uint32_t id = topic->meta.id;
    rocksdb::WriteBatch batch;
    batch.Delete(meta_cf_, keys::TopicMetaKey(topic->name));
    const std::string topic_prefix = keys::TopicPrefix(id);
    const std::string topic_end = keys::PrefixSuccessor(topic_prefix);
    batch.DeleteRange(records_cf_, topic_prefix, topic_end);
    batch.DeleteRange(time_cf_, topic_prefix, topic_end);
    for (const char* prefix : {keys::kLogStartPrefix, keys::kProducerPrefix}) {
      const std::string begin = std::string(prefix) + topic_prefix;
      batch.DeleteRange(meta_cf_, begin, keys::PrefixSuccessor(begin));
    }
    {
      const std::string upper = keys::PrefixSuccessor(keys::kGroupOffsetPrefix);
      rocksdb::Slice upper_slice(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &upper_slice;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, groups_cf_));
      for (it->Seek(keys::kGroupOffsetPrefix); it->Valid(); it->Next()) {
        std::string group;
        uint32_t tid = 0, part = 0;
        if (keys::DecodeGroupOffsetKey(View(it->key()), &group, &tid, &part) && tid == id) {
          batch.Delete(groups_cf_, it->key());
        }
      }
      if (!it->status().ok()) return FromRocks(it->status(), "deleting group offsets", false);
    }
    {
      // No append can join the queue for this topic after this point; the ones already queued
      // are written before the delete (FIFO). If the delete fails the topic is restored: it is
      // still on disk.
      absl::MutexLock write(&write_mu_);
      topic->deleted = true;
      if (absl::Status s = SubmitBatchLocked(std::move(batch)); !s.ok()) {
        topic->deleted = false;
        return s;
      }
    }
    {
      absl::MutexLock lock(&topics_mu_);
      topics_.erase(topic->name);
    }
    if (options_.compact_after_retention) {
      absl::MutexLock lock(&maintenance_mu_);
      deleted_ranges_.emplace_back(topic_prefix, topic_end);
      maintenance_cv_.Signal();
    }
  }
  for (auto& p : topic->partitions) {
    // A deleted topic's records are never served again: its cache goes now, not when the last
    // reference to the topic does.
    std::deque<CachedRecord> dropped;
    {
      absl::MutexLock lru(&tail_lru_mu_);
      absl::MutexLock lock(&p->tail_mu);
      p->tail_closed = true;
      dropped.swap(p->tail);
      tail_total_bytes_.fetch_sub(p->tail_bytes, std::memory_order_relaxed);
      p->tail_bytes = 0;
      if (p->in_tail_lru) {
        tail_lru_.erase(p->tail_lru_pos);
        p->in_tail_lru = false;
      }
    }
    NotifyPartition(p.get());
  }
  coordinator_->TopicChanged(request.topic);
  return DeleteTopicResult{};
}

// ----- the commit queue -------------------------------------------------------------------------

rocksdb::WriteOptions RocksDbEventStore::WriteOptionsForMode() const {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_mode != SyncMode::kNone;
  return wo;
}

void RocksDbEventStore::CommitLocked(Writer* writer) {
  if (!leader_active_) {
    leader_active_ = true;
    writer->leader = true;
  } else {
    write_mu_.Await(absl::Condition(
        +[](Writer* w) { return w->done || w->leader; }, writer));
  }
  if (writer->done) return;
  // Leader: the front group contains this writer (leadership goes to a group's first writer).
  Completions completions;
  WriteFrontLocked(&completions);
  if (!completions.empty()) {
    write_mu_.Unlock();
    RunCompletions(&completions);
    write_mu_.Lock();
  }
}

void RocksDbEventStore::WriteFrontLocked(Completions* completions) {
  if (options_.sync_mode == SyncMode::kBatch && options_.sync_interval_us > 0) {
    // Fewer, fuller fsyncs: a write due before the interval since the last one waits for the
    // rest of it, its group still open to the appends arriving meanwhile.
    const int64_t due = last_sync_write_ns_ + options_.sync_interval_us * 1000;
    const int64_t now = SteadyNanos();
    if (now < due) {
      write_mu_.Unlock();
      absl::SleepFor(absl::Nanoseconds(due - now));
      write_mu_.Lock();
    }
    last_sync_write_ns_ = SteadyNanos();
  }
  CommitGroup* group = queue_.front().get();
  group->open = false;
  group->FlushIndex(time_cf_);
  const bool resume = needs_resume_;
  write_mu_.Unlock();
  rocksdb::Status s;
  if (resume) {
    // RocksDB's own recovery is disabled (see NoAutoRecovery): a recovery attempt while the
    // disk is still full fails its memtable switch / flush, and RocksDB 7.8 then escalates the
    // background error to fatal, after which DB::Resume can never succeed. So resume only once
    // the DB directory accepts a synced write again; until then the append fails with the
    // probe's error (ResourceExhausted) and the next one tries again.
    s = ProbeWritable();
    if (s.ok()) s = db_->Resume();
    for (int i = 0; s.IsBusy() && i < 1000; ++i) {  // defensive: Busy = a recovery in progress
      absl::SleepFor(absl::Milliseconds(10));
      s = db_->Resume();
    }
  }
  // The reserve check refuses before anything reaches RocksDB: the DB stays healthy (no
  // resume needed) and the next append succeeds as soon as space was freed.
  bool refused_for_space = false;
  if (s.ok()) {
    s = CheckFreeSpace(static_cast<int64_t>(group->batch.GetDataSize()));
    refused_for_space = !s.ok();
  }
  if (s.ok()) {
    const auto started = std::chrono::steady_clock::now();
    s = db_->Write(WriteOptionsForMode(), &group->batch);
    if (options_.on_commit_write) {
      options_.on_commit_write(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count(),
                               s.ok());
    }
  }
  stat_db_writes_.fetch_add(1, std::memory_order_relaxed);
  write_mu_.Lock();

  std::unique_ptr<CommitGroup> written = std::move(queue_.front());
  queue_.pop_front();
  if (s.ok()) {
    needs_resume_ = false;
    // Published without write_mu_, so appenders queue the next group meanwhile instead of
    // waiting for every record of this one to enter the tail cache. This thread stays the only
    // leader until it hands leadership on below: groups are still published in write order.
    write_mu_.Unlock();
    for (CommitGroup::Publish& pub : written->publishes) {
      Partition* p = pub.partition;
      if (!pub.records.empty()) {
        AddToTail(p, pub.next_offset - static_cast<int64_t>(pub.records.size()), &pub.records,
                  &completions->evicted);
      }
      if (pub.next_offset > p->committed_next.load(std::memory_order_relaxed)) {
        p->committed_bytes.store(pub.cumulative_bytes);
        p->committed_next.store(pub.next_offset);
      }
      if (p->watchers.load() > 0) NotifyPartition(p, &completions->waiters);
    }
    write_mu_.Lock();
    for (Writer* w : written->writers) w->done = true;
    for (auto& w : written->async_writers) completions->writers.push_back(std::move(w));
    // Keep a few written groups to reuse their batch buffers: a large group grown from scratch
    // costs repeated reallocation, copying and page faults on every write.
    if (spare_groups_.size() < kSpareGroups &&
        written->batch.Data().capacity() <= kMaxSpareGroupBytes) {
      written->batch.Clear();
      written->writers.clear();
      written->async_writers.clear();
      written->publishes.clear();
      written->pending_index.clear();
      written->open = true;
      spare_groups_.push_back(std::move(written));
    }
  } else {
    if (!refused_for_space) needs_resume_ = true;
    stat_failed_writes_.fetch_add(1, std::memory_order_relaxed);
    const absl::Status status = FromRocks(s, "append", true);
    for (Writer* w : written->writers) {
      w->status = status;
      w->done = true;
    }
    queue_.push_front(std::move(written));  // roll back its partitions with the rest
    FailQueueLocked(status, completions);
  }
  HandOffLeadershipLocked();
}

void RocksDbEventStore::AddToTail(Partition* p, int64_t first_offset,
                                  std::vector<CachedRecord>* records,
                                  std::vector<CachedRecord>* evicted) {
  int64_t added = 0;  // change of this partition's charge
  bool cached = false;
  {
    absl::MutexLock lock(&p->tail_mu);
    if (p->tail_closed) {
      for (CachedRecord& record : *records) evicted->push_back(std::move(record));
      records->clear();
      return;
    }
    const int64_t base = first_offset;
    if (p->tail.empty() || p->tail_start + static_cast<int64_t>(p->tail.size()) != base) {
      // Not contiguous (first append, or offsets rolled back after a failed write): restart.
      for (CachedRecord& record : p->tail) evicted->push_back(std::move(record));
      p->tail.clear();
      p->tail_start = base;
      added -= p->tail_bytes;
      p->tail_bytes = 0;
    }
    for (CachedRecord& record : *records) {
      p->tail_bytes += record.charge;
      added += record.charge;
      p->tail.push_back(std::move(record));
    }
    const int64_t earliest = p->earliest.load(std::memory_order_relaxed);
    while (!p->tail.empty() &&
           (p->tail_bytes > options_.tail_cache_bytes || p->tail_start < earliest)) {
      added -= p->EvictOldest(evicted);
    }
  }
  records->clear();
  absl::MutexLock lru(&tail_lru_mu_);
  {
    // Read again under tail_lru_mu_: a topic deletion closes the cache holding both locks.
    absl::MutexLock lock(&p->tail_mu);
    cached = !p->tail_closed && !p->tail.empty();
  }
  int64_t total = tail_total_bytes_.load(std::memory_order_relaxed) + added;
  // The most recently appended partition goes to the front of the eviction order (or leaves it
  // when it holds nothing).
  if (cached && p->in_tail_lru) {
    tail_lru_.splice(tail_lru_.begin(), tail_lru_, p->tail_lru_pos);
  } else if (cached) {
    p->tail_lru_pos = tail_lru_.insert(tail_lru_.begin(), p);
    p->in_tail_lru = true;
  } else if (p->in_tail_lru) {
    tail_lru_.erase(p->tail_lru_pos);
    p->in_tail_lru = false;
  }
  // Over the store-wide budget the partitions appended to least recently give up their oldest
  // records (this one last: it is at the front).
  while (total > options_.tail_cache_total_bytes && !tail_lru_.empty()) {
    Partition* victim = tail_lru_.back();
    {
      absl::MutexLock lock(&victim->tail_mu);
      while (!victim->tail.empty() && total > options_.tail_cache_total_bytes) {
        total -= victim->EvictOldest(evicted);
      }
      if (!victim->tail.empty()) break;
    }
    tail_lru_.erase(victim->tail_lru_pos);
    victim->in_tail_lru = false;
  }
  tail_total_bytes_.store(total, std::memory_order_relaxed);
}

void RocksDbEventStore::HandOffLeadershipLocked() {
  if (queue_.empty()) {
    leader_active_ = false;
    return;
  }
  Writer* first = queue_.front()->writers.front();
  if (first->callback != nullptr) {
    async_lead_ = true;  // no thread waits for this writer: a commit thread leads
  } else {
    first->leader = true;
  }
}

void RocksDbEventStore::RunCompletions(Completions* completions) {
  int64_t appends = 0, events = 0;
  for (std::unique_ptr<Writer>& w : completions->writers) {
    if (w->status.ok()) {
      ++appends;
      events += w->events;
    }
  }
  stat_appends_.fetch_add(appends, std::memory_order_relaxed);
  stat_events_.fetch_add(events, std::memory_order_relaxed);
  for (std::unique_ptr<Writer>& w : completions->writers) {
    AppendCallback done = std::move(w->callback);
    if (w->status.ok()) {
      done(std::move(w->result));
    } else {
      done(w->status);
    }
    w.reset();  // release captured state now
  }
  completions->writers.clear();
  for (const std::shared_ptr<AsyncWaiter>& w : completions->waiters) CompleteWaiter(w, false);
  completions->waiters.clear();
  completions->evicted.clear();
}

void RocksDbEventStore::CommitThreadLoop() {
  write_mu_.Lock();
  while (true) {
    write_mu_.Await(absl::Condition(
        +[](RocksDbEventStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return s->async_lead_ || (s->commit_stop_ && !s->leader_active_);
        },
        this));
    if (!async_lead_) break;  // stopping and the queue is drained
    async_lead_ = false;
    Completions completions;
    WriteFrontLocked(&completions);
    // The records the tail cache let go of are freed by the next AppendAsync caller, as a rule
    // the thread that allocated their events: allocations and frees then stay in one thread's
    // allocator cache instead of flowing through the allocator's central lists. When the
    // previous ones were not collected yet (no appends since), these are freed here.
    if (evicted_for_appenders_.empty()) evicted_for_appenders_.swap(completions.evicted);
    write_mu_.Unlock();
    RunCompletions(&completions);
    write_mu_.Lock();
  }
  evicted_for_appenders_.clear();
  write_mu_.Unlock();
}

void RocksDbEventStore::FailQueueLocked(const absl::Status& status, Completions* completions) {
  // Everything queued behind a failed write holds later offsets of the same partitions: fail
  // it too, then roll every touched partition back to its durable state so no gap appears.
  std::vector<Partition*> touched;
  for (auto& group : queue_) {
    for (Writer* w : group->writers) {
      if (!w->done) {
        w->status = absl::Status(status.code(),
                                 absl::StrCat("an earlier write failed: ", status.message()));
        w->done = true;
      }
    }
    for (auto& w : group->async_writers) completions->writers.push_back(std::move(w));
    for (const auto& pub : group->publishes) touched.push_back(pub.partition);
  }
  queue_.clear();
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (Partition* p : touched) {
    p->next_offset = p->committed_next.load();
    p->cumulative_bytes = p->committed_bytes.load();
    p->producers_status = ReloadProducersLocked(p);
  }
}

absl::Status RocksDbEventStore::ReloadProducersLocked(Partition* partition) {
  partition->producers.clear();
  const std::string begin = std::string(keys::kProducerPrefix) +
                            keys::PartitionPrefix(partition->topic_id, partition->index);
  const std::string upper = keys::PrefixSuccessor(begin);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    uint32_t tid = 0, part = 0;
    uint64_t pid = 0;
    std::vector<keys::ProducerBatch> window;
    if (keys::DecodeProducerKey(View(it->key()), &tid, &part, &pid) &&
        keys::DecodeProducerWindow(View(it->value()), &window)) {
      partition->producers[pid] = std::move(window);
    }
  }
  if (!it->status().ok()) {
    partition->producers.clear();
    return FromRocks(it->status(), "reloading producer state after a failed write", false);
  }
  return absl::OkStatus();
}

absl::Status RocksDbEventStore::SubmitBatch(rocksdb::WriteBatch batch) {
  absl::MutexLock lock(&write_mu_);
  return SubmitBatchLocked(std::move(batch));
}

absl::Status RocksDbEventStore::SubmitBatchLocked(rocksdb::WriteBatch batch) {
  Writer writer;
  auto group = std::make_unique<CommitGroup>();
  group->batch = std::move(batch);
  group->open = false;
  group->writers.push_back(&writer);
  queue_.push_back(std::move(group));
  CommitLocked(&writer);
  return writer.status;
}

// ----- append -----------------------------------------------------------------------------------

struct RocksDbEventStore::PreparedAppend {
  std::shared_ptr<Topic> topic;
  Partition* partition = nullptr;
  int64_t count = 0;
  int64_t batch_bytes = 0;
  // Encoded value prefixes (the append time is patched in under the lock) and their ends.
  std::string prefixes;
  absl::InlinedVector<size_t, 16> ends;
  // The records stored together (at most keys::kMaxRecordsPerBatch): the index after each.
  absl::InlinedVector<size_t, 4> batch_ends;
  // Copies for the tail cache (offset and append time set under the lock); empty when it is off.
  std::vector<CachedRecord> cached;
};

absl::StatusOr<RocksDbEventStore::PreparedAppend> RocksDbEventStore::PrepareAppend(
    const AppendRequest& request) const {
  if (closing_) return Closing();
  const AppendLimits& limits = options_.limits;
  const int64_t count = static_cast<int64_t>(request.records.size());
  if (count == 0) return absl::InvalidArgumentError("append batch has no records");
  if (count > limits.max_batch_events) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("append batch has %d events, more than max_batch_events %d", count,
                        limits.max_batch_events));
  }
  int64_t batch_bytes = 0;
  // Stored batches: up to kMaxRecordsPerBatch records, closed once they reach
  // kRecordBatchTargetBytes, so a read that starts inside one skips little.
  absl::InlinedVector<size_t, 4> batch_ends;
  int64_t stored_first = 0, stored_bytes = 0;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t size = keys::EventBytes(request.records[static_cast<size_t>(i)]);
    if (size > limits.max_event_bytes) {
      return absl::InvalidArgumentError(
          absl::StrFormat("event %d of the batch is %d bytes, more than max_event_bytes %d", i,
                          size, limits.max_event_bytes));
    }
    batch_bytes += size;
    if (i > stored_first && (i - stored_first == keys::kMaxRecordsPerBatch ||
                             stored_bytes >= keys::kRecordBatchTargetBytes)) {
      batch_ends.push_back(static_cast<size_t>(i));
      stored_first = i;
      stored_bytes = 0;
    }
    stored_bytes += size;
  }
  batch_ends.push_back(static_cast<size_t>(count));
  if (batch_bytes > limits.max_batch_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("append batch is %d bytes, more than max_batch_bytes %d", batch_bytes,
                        limits.max_batch_bytes));
  }
  if (request.producer_id.has_value() && request.sequence < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("producer sequence must be >= 0, got ", request.sequence));
  }

  absl::StatusOr<std::shared_ptr<Topic>> found = GetTopic(request.topic);
  if (!found.ok()) return found.status();
  const Topic& topic = **found;
  int32_t partition_index = 0;
  switch (request.strategy) {
    case PartitionStrategy::kExplicit:
      partition_index = request.partition;
      break;
    case PartitionStrategy::kKeyHash: {
      const std::string* key = &request.partition_key;
      if (key->empty()) {
        if (!request.records.front().key.has_value()) {
          return absl::InvalidArgumentError(
              "key-hash partitioning needs a partition_key or a key on the first record");
        }
        key = &*request.records.front().key;
      }
      partition_index = keys::PartitionForKey(*key, topic.meta.partitions);
      break;
    }
    case PartitionStrategy::kRoundRobin:
      if (request.producer_id.has_value()) {
        return absl::InvalidArgumentError(
            "idempotent appends need a deterministic partition strategy (explicit or key "
            "hash), not round-robin");
      }
      partition_index = static_cast<int32_t>((*found)->round_robin.fetch_add(1) %
                                             static_cast<uint64_t>(topic.meta.partitions));
      break;
  }
  absl::StatusOr<Partition*> found_partition = GetPartition(topic, partition_index);
  if (!found_partition.ok()) return found_partition.status();

  PreparedAppend prepared;
  prepared.topic = std::move(*found);
  prepared.partition = *found_partition;
  prepared.count = count;
  prepared.batch_bytes = batch_bytes;
  prepared.batch_ends = std::move(batch_ends);
  // The payloads go into the WriteBatch straight from the request. A record stored alone is
  // format 1, records stored together one format-2 batch.
  prepared.prefixes.reserve(static_cast<size_t>(count) * 16);
  size_t begin = 0;
  for (const size_t end : prepared.batch_ends) {
    for (size_t i = begin; i < end; ++i) {
      if (end - begin == 1) {
        keys::EncodeRecordValuePrefix(&prepared.prefixes, 0, request.records[i]);
      } else {
        keys::EncodeBatchedRecordPrefix(&prepared.prefixes, request.records[i]);
      }
      prepared.ends.push_back(prepared.prefixes.size());
    }
    begin = end;
  }
  if (TailCacheOn()) {
    // A record with no key, headers or attachment (the common case) is cached as its payload
    // alone, in one block per append that the append's last such record owns (records leave
    // the cache oldest first, so the block outlives every record that points into it): one
    // allocation and copy for the append, not two per record. The rest take an EventRecord.
    size_t plain_bytes = 0;
    size_t last_plain = 0;
    for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
      const ProducerRecord& from = request.records[i];
      if (IsPlainRecord(from)) {
        plain_bytes += RecordPayload(from).size();
        last_plain = i;
      }
    }
    std::unique_ptr<char[]> block;
    char* fill = nullptr;
    if (plain_bytes > 0) {
      block.reset(new char[plain_bytes]);
      fill = block.get();
    }
    prepared.cached.reserve(static_cast<size_t>(count));
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(count); ++i) {
      const ProducerRecord& from = request.records[i];
      CachedRecord& to = prepared.cached.emplace_back();
      to.attachment = from.attachment;
      int64_t held = 0;  // memory this entry holds besides itself
      if (IsPlainRecord(from)) {
        const absl::string_view payload = RecordPayload(from);
        if (!payload.empty()) std::memcpy(fill, payload.data(), payload.size());
        to.payload = fill;
        to.payload_size = static_cast<uint32_t>(payload.size());
        fill += payload.size();
        held = static_cast<int64_t>(payload.size());
        if (i == last_plain && block != nullptr) {
          to.block = std::move(block);
          held += static_cast<int64_t>(HeapBlockBytes(plain_bytes) - plain_bytes);
        }
      } else {
        if (from.attachment == nullptr || from.key.has_value()) {
          to.rest = std::make_unique<EventRecord>();
          to.rest->key = from.key;
          if (from.attachment == nullptr) {
            to.rest->headers = from.headers;
            to.rest->payload = std::string(RecordPayload(from));
          }
        }
        held = CachedMemoryBytes(to.attachment.get(), to.rest.get());
      }
      to.value_bytes = static_cast<int64_t>(prepared.ends[i] - start + RecordPayload(from).size());
      to.charge = static_cast<int64_t>(sizeof(CachedRecord)) + held;
      start = prepared.ends[i];
    }
  }
  return prepared;
}

bool RocksDbEventStore::EnqueueAppendLocked(const AppendRequest& request, PreparedAppend& prepared,
                                            Writer* writer, absl::StatusOr<AppendResult>* early) {
  Topic& topic = *prepared.topic;
  Partition* p = prepared.partition;
  const int64_t count = prepared.count;
  const int32_t partition_index = p->index;
  if (topic.deleted) {
    *early = absl::NotFoundError(absl::StrCat("topic \"", request.topic, "\" does not exist"));
    return false;
  }
  if (!p->producers_status.ok()) {
    p->producers_status = ReloadProducersLocked(p);
    if (!p->producers_status.ok()) {
      *early = p->producers_status;
      return false;
    }
  }
  AppendResult& result = writer->result;
  result.topic = request.topic;
  result.partition = partition_index;
  std::vector<keys::ProducerBatch>* window = nullptr;
  if (request.producer_id.has_value()) {
    const uint64_t pid = *request.producer_id;
    window = &p->producers[pid];
    if (!window->empty()) {
      const keys::ProducerBatch& last = window->back();
      if (request.sequence <= last.sequence) {
        for (const keys::ProducerBatch& b : *window) {
          if (b.sequence != request.sequence) continue;
          if (b.last_offset - b.base_offset + 1 != count) {
            *early = absl::FailedPreconditionError(absl::StrFormat(
                "sequence %d of producer %d on %s/%d was a batch of %d events, the retry has %d",
                request.sequence, pid, request.topic, partition_index,
                b.last_offset - b.base_offset + 1, count));
            return false;
          }
          if (b.last_offset >= p->committed_next.load()) {
            *early = absl::UnavailableError(
                absl::StrFormat("sequence %d of producer %d on %s/%d is still being written; retry",
                                request.sequence, pid, request.topic, partition_index));
            return false;
          }
          result.base_offset = b.base_offset;
          result.last_offset = b.last_offset;
          result.append_time_ms = b.append_time_ms;
          result.duplicate = true;
          *early = std::move(result);
          return false;
        }
        *early = absl::FailedPreconditionError(absl::StrFormat(
            "sequence %d of producer %d on %s/%d is older than the deduplication window "
            "(oldest remembered sequence %d)",
            request.sequence, pid, request.topic, partition_index, window->front().sequence));
        return false;
      }
      if (request.sequence != last.sequence + 1) {
        *early = absl::FailedPreconditionError(absl::StrFormat(
            "out-of-order sequence %d for producer %d on %s/%d: expected %d", request.sequence, pid,
            request.topic, partition_index, last.sequence + 1));
        return false;
      }
    }
  }

  const int64_t now = std::max(clock_->NowMs(), p->last_append_ms);
  const int64_t base = p->next_offset;
  CommitGroup* group = nullptr;
  if (options_.sync_mode != SyncMode::kAlways && !queue_.empty() && queue_.back()->open &&
      static_cast<int64_t>(queue_.back()->batch.GetDataSize()) < options_.max_commit_group_bytes) {
    group = queue_.back().get();
  } else if (!spare_groups_.empty()) {
    queue_.push_back(std::move(spare_groups_.back()));
    spare_groups_.pop_back();
    group = queue_.back().get();
  } else {
    // Room for this append and a few followers, so the batch rarely reallocates.
    queue_.push_back(std::make_unique<CommitGroup>(
        static_cast<size_t>(prepared.batch_bytes + count * 48) * 2 + 4096));
    group = queue_.back().get();
  }
  // One RocksDB entry per stored batch, keyed by its last offset (keys.h).
  const std::string& prefixes = prepared.prefixes;
  absl::InlinedVector<rocksdb::Slice, 33> parts;
  size_t begin = 0;
  for (const size_t end : prepared.batch_ends) {
    char key[keys::kRecordKeySize];
    keys::StoreRecordKey(key, p->topic_id, static_cast<uint32_t>(p->index),
                         static_cast<uint64_t>(base) + end - 1);
    const rocksdb::Slice key_slice(key, sizeof(key));
    const size_t prefix_start = begin == 0 ? 0 : prepared.ends[begin - 1];
    char header[keys::kMaxRecordBatchHeaderSize];
    parts.clear();
    if (end - begin == 1) {
      keys::PatchRecordAppendTime(&prepared.prefixes[prefix_start], now);
    } else {
      parts.emplace_back(header, keys::StoreRecordBatchHeader(header, now, end - begin));
    }
    size_t start = prefix_start;
    for (size_t i = begin; i < end; ++i) {
      parts.emplace_back(prefixes.data() + start, prepared.ends[i] - start);
      const absl::string_view payload = RecordPayload(request.records[i]);
      parts.emplace_back(payload.data(), payload.size());
      start = prepared.ends[i];
    }
    group->batch
        .Put(records_cf_, rocksdb::SliceParts(&key_slice, 1),
             rocksdb::SliceParts(parts.data(), static_cast<int>(parts.size())))
        .PermitUncheckedError();
    begin = end;
  }
  // One time-index entry per append, or per run of appends to the partition in this group
  // within the same millisecond.
  auto [pending, inserted] = group->pending_index.try_emplace(
      p, CommitGroup::PendingIndex{now,
                                   base,
                                   {p->cumulative_bytes, static_cast<uint32_t>(count),
                                    static_cast<uint64_t>(prepared.batch_bytes)}});
  if (!inserted) {
    CommitGroup::PendingIndex& entry = pending->second;
    if (entry.append_ms == now &&
        entry.base_offset + static_cast<int64_t>(entry.value.events) == base) {
      entry.value.events += static_cast<uint32_t>(count);
      entry.value.bytes += static_cast<uint64_t>(prepared.batch_bytes);
    } else {
      group->PutIndexEntry(time_cf_, *p, entry);
      entry = {now,
               base,
               {p->cumulative_bytes, static_cast<uint32_t>(count),
                static_cast<uint64_t>(prepared.batch_bytes)}};
    }
  }
  if (window != nullptr) {
    window->push_back({request.sequence, base, base + count - 1, now});
    if (window->size() > static_cast<size_t>(options_.producer_window)) {
      window->erase(window->begin());
    }
    group->batch
        .Put(meta_cf_,
             keys::ProducerKey(p->topic_id, static_cast<uint32_t>(p->index), *request.producer_id),
             keys::EncodeProducerWindow(*window))
        .PermitUncheckedError();
  }
  p->next_offset = base + count;
  p->cumulative_bytes += static_cast<uint64_t>(prepared.batch_bytes);
  p->last_append_ms = now;
  for (CachedRecord& cached : prepared.cached) cached.append_time_ms = now;
  group->publishes.push_back({p, p->next_offset, p->cumulative_bytes, std::move(prepared.cached)});
  group->writers.push_back(writer);

  result.base_offset = base;
  result.last_offset = base + count - 1;
  result.append_time_ms = now;
  writer->events = count;
  return true;
}

absl::StatusOr<AppendResult> RocksDbEventStore::Append(const AppendRequest& request) {
  absl::StatusOr<PreparedAppend> prepared = PrepareAppend(request);
  if (!prepared.ok()) return prepared.status();
  Writer writer;
  absl::MutexLock lock(&write_mu_);
  absl::StatusOr<AppendResult> early;
  if (!EnqueueAppendLocked(request, *prepared, &writer, &early)) return early;
  CommitLocked(&writer);
  if (!writer.status.ok()) return writer.status;
  stat_appends_.fetch_add(1, std::memory_order_relaxed);
  stat_events_.fetch_add(writer.events, std::memory_order_relaxed);
  return std::move(writer.result);
}

void RocksDbEventStore::AppendAsync(const AppendRequest& request, AppendCallback done) {
  absl::StatusOr<PreparedAppend> prepared = PrepareAppend(request);
  if (!prepared.ok()) return done(prepared.status());
  auto writer = std::make_unique<Writer>();
  absl::StatusOr<AppendResult> early;
  std::vector<CachedRecord> evicted;  // freed after the lock is released
  {
    absl::MutexLock lock(&write_mu_);
    evicted.swap(evicted_for_appenders_);
    if (commit_stop_) {
      early = Closing();
    } else if (EnqueueAppendLocked(request, *prepared, writer.get(), &early)) {
      writer->callback = std::move(done);
      queue_.back()->async_writers.push_back(std::move(writer));
      if (!leader_active_) {
        leader_active_ = true;
        async_lead_ = true;
      }
      return;
    }
  }
  done(std::move(early));
}

StoreStats RocksDbEventStore::GetStats() const {
  StoreStats stats;
  stats.db_writes = stat_db_writes_.load(std::memory_order_relaxed);
  stats.appends = stat_appends_.load(std::memory_order_relaxed);
  stats.events = stat_events_.load(std::memory_order_relaxed);
  stats.failed_writes = stat_failed_writes_.load(std::memory_order_relaxed);
  stats.waiting_fetches = stat_waiting_fetches_.load();
  stats.parked_async_fetches = stat_parked_async_.load();
  stats.tail_cache_bytes = tail_total_bytes_.load(std::memory_order_relaxed);
  if (range_sync_fs_ != nullptr) stats.wal_range_syncs = range_sync_fs_->background_range_syncs();
  absl::MutexLock lock(&fetch_mu_);
  stats.fetch_deadlines = static_cast<int64_t>(fetch_timers_.size());
  return stats;
}

WriteStallStats RocksDbEventStore::GetWriteStallStats() const {
  const int64_t now = SteadyNanos();
  absl::MutexLock lock(&stall_stats_mu_);
  if (stall_stats_read_ns_ != 0 && now - stall_stats_read_ns_ < 100'000'000) {
    return stall_stats_;  // one read serves a whole scrape (several metrics call this)
  }
  auto number = [](const std::map<std::string, std::string>& values, const std::string& key) {
    uint64_t n = 0;
    auto it = values.find(key);
    if (it == values.end() || !absl::SimpleAtoi(it->second, &n)) return int64_t{0};
    return static_cast<int64_t>(n);
  };
  WriteStallStats stats;
  std::map<std::string, std::string> values;  // GetMapProperty clears it first
  for (rocksdb::ColumnFamilyHandle* family : handles_) {
    if (!db_->GetMapProperty(family, rocksdb::DB::Properties::kCFStats, &values)) continue;
    stats.stops += number(values, "io_stalls.total_stop");
    stats.slowdowns += number(values, "io_stalls.total_slowdown");
  }
  if (db_->GetMapProperty(rocksdb::DB::Properties::kDBStats, &values)) {
    stats.stalled_micros = number(values, "db.user_write_stall_micros");
  }
  uint64_t value = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value)) {
    stats.writes_stopped = value != 0;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &value)) {
    stats.slowdown_rate = static_cast<int64_t>(value);
  }
  stall_stats_ = stats;
  stall_stats_read_ns_ = now;
  return stats;
}

// ----- reads ------------------------------------------------------------------------------------

absl::StatusOr<ReadResult> RocksDbEventStore::ReadPartition(const Topic& topic, Partition* p,
                                                            const ReadRequest& request) {
  if (topic.deleted) {
    return absl::NotFoundError(absl::StrCat("topic \"", topic.name, "\" does not exist"));
  }
  if (request.max_events < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_events must be >= 1, got ", request.max_events));
  }
  if (request.max_bytes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_bytes must be >= 1, got ", request.max_bytes));
  }
  const int64_t earliest = p->earliest.load();
  const int64_t latest = p->committed_next.load();
  auto below = [&](int64_t earliest_now) {
    return OffsetOutOfRange(
        absl::StrFormat("offset %d of %s/%d is below the earliest retained offset %d",
                        request.offset, topic.name, p->index, earliest_now),
        earliest_now, latest);
  };
  if (request.offset < earliest) return below(earliest);
  if (request.offset > latest) {
    return OffsetOutOfRange(absl::StrFormat("offset %d of %s/%d is beyond the latest offset %d",
                                            request.offset, topic.name, p->index, latest),
                            earliest, latest);
  }
  ReadResult result;
  result.earliest_offset = earliest;
  result.latest_offset = latest;
  result.next_offset = request.offset;
  if (request.offset == latest) return result;
  if (TailCacheOn() && ReadFromTail(p, request, latest, &result)) {
    // Retention may have trimmed the range meanwhile: answer as a RocksDB read would.
    if (request.offset < p->earliest.load()) return below(p->earliest.load());
    return result;
  }

  const uint32_t part = static_cast<uint32_t>(p->index);
  const std::string upper = keys::RecordKey(p->topic_id, part, static_cast<uint64_t>(latest));
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, records_cf_));
  int64_t expected = request.offset;
  int64_t bytes = 0;
  bool full = false;
  // The first entry at or after RecordKey(offset) is the batch that holds `offset` (keys.h).
  for (it->Seek(keys::RecordKey(p->topic_id, part, static_cast<uint64_t>(request.offset)));
       it->Valid(); it->Next()) {
    uint64_t last = 0;
    keys::RecordBatchReader batch;
    if (!keys::DecodeRecordKeyOffset(View(it->key()), &last) ||
        !batch.Init(View(it->value()), static_cast<int64_t>(last))) {
      return absl::DataLossError(absl::StrFormat(
          "corrupt record batch ending at offset %d of %s/%d", last, topic.name, p->index));
    }
    if (batch.base_offset() > expected) {
      if (result.records.empty()) return below(p->earliest.load());  // trimmed meanwhile
      break;
    }
    int64_t size = 0;
    while (batch.next_offset() < expected) {  // the part of the batch before the offset asked
      if (!batch.Next(nullptr, &size)) break;
    }
    while (!batch.done()) {
      const int64_t offset = batch.next_offset();
      EventRecord record;
      if (!batch.Next(&record, &size)) {
        return absl::DataLossError(
            absl::StrFormat("corrupt record at offset %d of %s/%d", offset, topic.name, p->index));
      }
      if (!result.records.empty() && bytes + size > request.max_bytes) {
        full = true;
        break;
      }
      result.records.push_back(std::move(record));
      bytes += size;
      expected = offset + 1;
      if (static_cast<int64_t>(result.records.size()) >= request.max_events) {
        full = true;
        break;
      }
    }
    if (batch.next_offset() < expected) {
      return absl::DataLossError(absl::StrFormat(
          "corrupt record batch ending at offset %d of %s/%d", last, topic.name, p->index));
    }
    if (full) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read", false);
  if (result.records.empty()) return below(p->earliest.load());
  result.next_offset = expected;
  return result;
}

bool RocksDbEventStore::ReadFromTail(Partition* p, const ReadRequest& request, int64_t latest,
                                     ReadResult* result) {
  absl::MutexLock lock(&p->tail_mu);
  const int64_t end =
      std::min<int64_t>(p->tail_start + static_cast<int64_t>(p->tail.size()), latest);
  if (request.offset < p->tail_start || request.offset >= end) return false;
  const int64_t available = end - request.offset;
  result->records.reserve(static_cast<size_t>(std::min<int64_t>(available, request.max_events)));
  int64_t bytes = 0;
  int64_t offset = request.offset;
  for (auto it = p->tail.begin() + (request.offset - p->tail_start); offset < end; ++it) {
    if (!result->records.empty() && bytes + it->value_bytes > request.max_bytes) break;
    if (it->attachment != nullptr && !request.attachment_suffices) {
      // Kept without its payload: the records from here on are read from RocksDB.
      if (result->records.empty()) return false;
      break;
    }
    result->records.push_back(it->ToRecord(offset));
    bytes += it->value_bytes;
    ++offset;
    if (static_cast<int64_t>(result->records.size()) >= request.max_events) break;
  }
  result->next_offset = offset;
  return true;
}

absl::StatusOr<ReadResult> RocksDbEventStore::Read(const ReadRequest& request) {
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.topic);
  if (!topic.ok()) return topic.status();
  absl::StatusOr<Partition*> p = GetPartition(**topic, request.partition);
  if (!p.ok()) return p.status();
  return ReadPartition(**topic, *p, request);
}

absl::StatusOr<ReadResult> RocksDbEventStore::Fetch(const FetchRequest& request) {
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.read.topic);
  if (!topic.ok()) return topic.status();
  absl::StatusOr<Partition*> found = GetPartition(**topic, request.read.partition);
  if (!found.ok()) return found.status();
  Partition* p = *found;
  absl::StatusOr<ReadResult> result = ReadPartition(**topic, p, request.read);
  if (!result.ok() || !result->records.empty() || request.max_wait_ms <= 0) return result;

  const absl::Time deadline = absl::Now() + FetchWait(request.max_wait_ms);
  p->watchers.fetch_add(1);
  stat_waiting_fetches_.fetch_add(1);
  {
    absl::MutexLock lock(&p->watch_mu);
    while (p->committed_next.load() <= request.read.offset && !(*topic)->deleted && !closing_) {
      if (p->watch_cv.WaitWithDeadline(&p->watch_mu, deadline)) break;  // timed out
    }
  }
  p->watchers.fetch_sub(1);
  stat_waiting_fetches_.fetch_sub(1);
  if (closing_) return Closing();
  return ReadPartition(**topic, p, request.read);
}

void RocksDbEventStore::FetchAsync(const FetchRequest& request, FetchCallback done) {
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.read.topic);
  if (!topic.ok()) return done(topic.status());
  absl::StatusOr<Partition*> found = GetPartition(**topic, request.read.partition);
  if (!found.ok()) return done(found.status());
  Partition* p = *found;
  if (closing_) return done(Closing());
  absl::StatusOr<ReadResult> result = ReadPartition(**topic, p, request.read);
  if (!result.ok() || !result->records.empty() || request.max_wait_ms <= 0) {
    return done(std::move(result));
  }
  auto waiter = std::make_shared<AsyncWaiter>();
  waiter->request = request;
  waiter->done = std::move(done);
  waiter->topic = *topic;
  waiter->partition = p;
  p->watchers.fetch_add(1);
  bool ready = false;
  {
    absl::MutexLock lock(&p->watch_mu);
    if (p->committed_next.load() > request.read.offset || (*topic)->deleted) {
      ready = true;
    } else {
      stat_parked_async_.fetch_add(1);
      p->async_waiters.push_back(waiter);
    }
  }
  if (ready) {
    p->watchers.fetch_sub(1);
    waiter->claimed = true;
    return waiter->done(ReadPartition(**topic, p, request.read));
  }
  {
    absl::MutexLock lock(&fetch_mu_);
    if (!fetch_stop_) {
      // Already claimed (woken by an append since it was parked): no deadline needed.
      if (waiter->claimed.load()) return;
      const absl::Time deadline = absl::Now() + FetchWait(request.max_wait_ms);
      waiter->timer = fetch_timers_.emplace(deadline, waiter);
      waiter->has_timer = true;
      // Most waiters are claimed by an append long before their deadline: wake the fetch
      // thread only when it would otherwise sleep past this one.
      if (deadline < fetch_wake_at_) fetch_cv_.Signal();
      return;
    }
  }
  CompleteWaiter(waiter, /*timed_out=*/true);  // the store is closing
}

void RocksDbEventStore::NotifyPartition(Partition* p,
                                        std::vector<std::shared_ptr<AsyncWaiter>>* ready_out) {
  std::vector<std::shared_ptr<AsyncWaiter>> ready;
  {
    absl::MutexLock lock(&p->watch_mu);
    p->watch_cv.SignalAll();
    const int64_t latest = p->committed_next.load();
    auto& waiters = p->async_waiters;
    for (auto it = waiters.begin(); it != waiters.end();) {
      if ((*it)->request.read.offset < latest || (*it)->topic->deleted) {
        ready.push_back(std::move(*it));
        it = waiters.erase(it);
        p->watchers.fetch_sub(1);
      } else {
        ++it;
      }
    }
  }
  if (ready.empty()) return;
  if (ready_out != nullptr) {
    for (auto& w : ready) ready_out->push_back(std::move(w));
    return;
  }
  absl::MutexLock lock(&fetch_mu_);
  for (auto& w : ready) fetch_ready_.push_back(std::move(w));
  fetch_cv_.Signal();
}

void RocksDbEventStore::CompleteWaiter(const std::shared_ptr<AsyncWaiter>& waiter, bool timed_out) {
  if (waiter->claimed.exchange(true)) return;
  stat_parked_async_.fetch_sub(1);
  {
    absl::MutexLock lock(&fetch_mu_);
    if (waiter->has_timer) {
      fetch_timers_.erase(waiter->timer);
      waiter->has_timer = false;
    }
  }
  if (timed_out) {
    Partition* p = waiter->partition;
    absl::MutexLock lock(&p->watch_mu);
    auto& waiters = p->async_waiters;
    auto it = std::find(waiters.begin(), waiters.end(), waiter);
    if (it != waiters.end()) {
      waiters.erase(it);
      p->watchers.fetch_sub(1);
    }
  }
  if (closing_) {
    waiter->done(Closing());
  } else {
    waiter->done(ReadPartition(*waiter->topic, waiter->partition, waiter->request.read));
  }
  waiter->done = nullptr;  // release captured state now
}

void RocksDbEventStore::FetchThreadLoop() {
  absl::MutexLock lock(&fetch_mu_);
  while (true) {
    std::vector<std::shared_ptr<AsyncWaiter>> ready;
    ready.swap(fetch_ready_);
    std::vector<std::shared_ptr<AsyncWaiter>> expired;
    const absl::Time now = absl::Now();
    while (!fetch_timers_.empty() && (fetch_stop_ || fetch_timers_.begin()->first <= now)) {
      expired.push_back(std::move(fetch_timers_.begin()->second));
      expired.back()->has_timer = false;
      fetch_timers_.erase(fetch_timers_.begin());
    }
    if (!ready.empty() || !expired.empty()) {
      fetch_mu_.Unlock();
      for (const auto& w : ready) CompleteWaiter(w, false);
      for (const auto& w : expired) CompleteWaiter(w, true);
      fetch_mu_.Lock();
      continue;
    }
    if (fetch_stop_) break;
    // Without deadlines the thread still looks again after kIdleFetchTick, so parking a waiter
    // whose deadline lies beyond that never needs to wake it.
    fetch_wake_at_ = fetch_timers_.empty() ? now + kIdleFetchTick : fetch_timers_.begin()->first;
    fetch_cv_.WaitWithDeadline(&fetch_mu_, fetch_wake_at_);
    fetch_wake_at_ = absl::InfinitePast();
  }
}

absl::StatusOr<OffsetsResult> RocksDbEventStore::GetOffsets(const OffsetsRequest& request) {
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.topic);
  if (!topic.ok()) return topic.status();
  absl::StatusOr<Partition*> p = GetPartition(**topic, request.partition);
  if (!p.ok()) return p.status();
  OffsetsResult result;
  result.earliest_offset = (*p)->earliest.load();
  result.latest_offset = (*p)->committed_next.load();
  return result;
}

absl::StatusOr<SeekTimeResult> RocksDbEventStore::SeekTime(const SeekTimeRequest& request) {
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.topic);
  if (!topic.ok()) return topic.status();
  absl::StatusOr<Partition*> found = GetPartition(**topic, request.partition);
  if (!found.ok()) return found.status();
  Partition* p = *found;
  const int64_t earliest = p->earliest.load();
  const int64_t latest = p->committed_next.load();
  SeekTimeResult result;
  result.offset = latest;
  const std::string prefix = keys::PartitionPrefix(p->topic_id, p->index);
  const std::string upper = keys::PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, time_cf_));
  const uint64_t ts = static_cast<uint64_t>(std::max<int64_t>(0, request.timestamp_ms));
  for (it->Seek(keys::TimeIndexKey(p->topic_id, p->index, ts, 0)); it->Valid(); it->Next()) {
    uint64_t time = 0, base = 0;
    keys::TimeIndexValue tv;
    if (!keys::DecodeTimeIndexKey(View(it->key()), &time, &base) ||
        !keys::DecodeTimeIndexValue(View(it->value()), &tv)) {
      return absl::DataLossError(absl::StrCat("corrupt time index of ", request.topic));
    }
    const int64_t last = static_cast<int64_t>(base + tv.events) - 1;
    if (last < earliest) continue;                    // trimmed by retention
    if (static_cast<int64_t>(base) >= latest) break;  // not yet durable
    result.found = true;
    result.offset = std::max(static_cast<int64_t>(base), earliest);
    result.timestamp_ms = static_cast<int64_t>(time);
    break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "time seek", false);
  return result;
}

// ----- consumer groups --------------------------------------------------------------------------

absl::StatusOr<MemberAssignment> RocksDbEventStore::JoinGroup(const JoinGroupRequest& request) {
  return coordinator_->Join(request);
}

absl::StatusOr<MemberAssignment> RocksDbEventStore::Heartbeat(const HeartbeatRequest& request) {
  return coordinator_->Heartbeat(request);
}

absl::StatusOr<LeaveGroupResult> RocksDbEventStore::LeaveGroup(const LeaveGroupRequest& request) {
  return coordinator_->Leave(request);
}

absl::StatusOr<GroupDescription> RocksDbEventStore::DescribeGroup(
    const DescribeGroupRequest& request) {
  return coordinator_->Describe(request);
}

absl::StatusOr<CommitOffsetsResult> RocksDbEventStore::CommitOffsets(
    const CommitOffsetsRequest& request) {
  if (absl::Status s = ValidateGroupName(request.group); !s.ok()) return s;
  if (request.offsets.empty()) {
    return absl::InvalidArgumentError("CommitOffsets needs at least one offset");
  }
  if (closing_) return Closing();
  absl::MutexLock serial(&offsets_mu_);
  rocksdb::WriteBatch batch;
  int puts = 0;
  for (const CommittedOffset& c : request.offsets) {
    absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(c.topic);
    if (!topic.ok()) return topic.status();
    absl::StatusOr<Partition*> p = GetPartition(**topic, c.partition);
    if (!p.ok()) return p.status();
    if (c.offset < 0) {
      return absl::InvalidArgumentError(absl::StrFormat("committed offset %d for %s/%d is negative",
                                                        c.offset, c.topic, c.partition));
    }
    const std::string key =
        keys::GroupOffsetKey(request.group, (*topic)->meta.id, static_cast<uint32_t>(c.partition));
    if (request.if_absent) {
      std::string existing;
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), groups_cf_, key, &existing);
      if (s.ok()) continue;  // the group has a position here: it stays
      if (!s.IsNotFound()) return FromRocks(s, "reading a committed offset", false);
    }
    batch.Put(groups_cf_, key, keys::EncodeGroupOffset(c.offset, c.metadata))
        .PermitUncheckedError();
    ++puts;
  }
  if (!request.if_absent) {
    if (absl::Status s =
            coordinator_->ValidateCommit(request.group, request.member_id, request.generation);
        !s.ok()) {
      return s;
    }
  }
  if (puts == 0) return CommitOffsetsResult{};
  if (absl::Status s = SubmitBatch(std::move(batch)); !s.ok()) return s;
  return CommitOffsetsResult{};
}

absl::StatusOr<FetchOffsetsResult> RocksDbEventStore::FetchOffsets(
    const FetchOffsetsRequest& request) {
  if (absl::Status s = ValidateGroupName(request.group); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<Topic>> topic = GetTopic(request.topic);
  if (!topic.ok()) return topic.status();
  std::vector<int32_t> partitions = request.partitions;
  if (partitions.empty()) {
    for (int32_t p = 0; p < (*topic)->meta.partitions; ++p) partitions.push_back(p);
  }
  FetchOffsetsResult result;
  for (int32_t partition : partitions) {
    absl::StatusOr<Partition*> p = GetPartition(**topic, partition);
    if (!p.ok()) return p.status();
    CommittedOffset c;
    c.topic = request.topic;
    c.partition = partition;
    c.offset = -1;
    std::string value;
    rocksdb::Status s = db_->Get(
        rocksdb::ReadOptions(), groups_cf_,
        keys::GroupOffsetKey(request.group, (*topic)->meta.id, static_cast<uint32_t>(partition)),
        &value);
    if (s.ok()) {
      if (!keys::DecodeGroupOffset(value, &c.offset, &c.metadata)) {
        return absl::DataLossError("corrupt committed offset");
      }
    } else if (!s.IsNotFound()) {
      return FromRocks(s, "fetching offsets", false);
    }
    result.offsets.push_back(std::move(c));
  }
  return result;
}

// ----- retention --------------------------------------------------------------------------------

absl::Status RocksDbEventStore::TrimPartition(const Topic& topic, Partition* p,
                                              RetentionPassResult* result) {
  const RetentionPolicy& policy = topic.meta.retention;
  const bool by_age = policy.max_age_ms > 0;
  const bool by_bytes = policy.max_bytes > 0;
  if (!by_age && !by_bytes) return absl::OkStatus();
  const int64_t now = clock_->NowMs();
  const int64_t earliest = p->earliest.load();
  const uint64_t end_bytes = p->committed_bytes.load();
  const int64_t latest = p->committed_next.load();
  if (latest <= earliest) return absl::OkStatus();

  const uint32_t part = static_cast<uint32_t>(p->index);
  const std::string prefix = keys::PartitionPrefix(p->topic_id, part);
  const std::string upper = keys::PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, time_cf_));
  int64_t new_earliest = earliest;
  std::string last_deleted_key;
  int64_t remaining = -1;
  int64_t events = 0, bytes = 0;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    uint64_t time = 0, base = 0;
    keys::TimeIndexValue tv;
    if (!keys::DecodeTimeIndexKey(View(it->key()), &time, &base) ||
        !keys::DecodeTimeIndexValue(View(it->value()), &tv)) {
      return absl::DataLossError(absl::StrCat("corrupt time index of ", topic.name));
    }
    if (static_cast<int64_t>(base) >= latest) break;
    if (remaining < 0) remaining = static_cast<int64_t>(end_bytes - tv.cumulative_bytes_before);
    const bool too_old = by_age && static_cast<int64_t>(time) < now - policy.max_age_ms;
    const bool too_big = by_bytes && remaining > policy.max_bytes;
    if (!too_old && !too_big) break;
    remaining -= static_cast<int64_t>(tv.bytes);
    new_earliest = std::max<int64_t>(new_earliest, static_cast<int64_t>(base + tv.events));
    last_deleted_key = it->key().ToString();
    events += tv.events;
    bytes += static_cast<int64_t>(tv.bytes);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "retention scan", false);
  it.reset();
  if (new_earliest <= earliest) return absl::OkStatus();

  const std::string records_end = keys::RecordKey(p->topic_id, part, new_earliest);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(records_cf_, prefix, records_end).PermitUncheckedError();
  batch.DeleteRange(time_cf_, prefix, last_deleted_key + std::string(1, '\0'))
      .PermitUncheckedError();
  batch
      .Put(meta_cf_, keys::LogStartKey(p->topic_id, part),
           EncodeU64(static_cast<uint64_t>(new_earliest)))
      .PermitUncheckedError();
  // Readers stop at the new earliest offset at once; the write follows the queued appends. If
  // it fails the records are still there: readers get them back and the next pass retries.
  p->earliest.store(new_earliest);
  if (absl::Status s = SubmitBatch(std::move(batch)); !s.ok()) {
    p->earliest.store(earliest);
    return s;
  }
  result->partitions_trimmed += 1;
  result->events_deleted += events;
  result->bytes_deleted += bytes;
  if (options_.compact_after_retention) CompactRecordsRange(prefix, records_end);
  return absl::OkStatus();
}

void RocksDbEventStore::CompactRecordsRange(const std::string& begin, const std::string& end) {
  rocksdb::CompactRangeOptions co;
  co.exclusive_manual_compaction = false;
  co.blob_garbage_collection_policy = rocksdb::BlobGarbageCollectionPolicy::kForce;
  co.blob_garbage_collection_age_cutoff = 1.0;
  rocksdb::Slice begin_slice(begin), end_slice(end);
  db_->CompactRange(co, records_cf_, &begin_slice, &end_slice).PermitUncheckedError();
}

void RocksDbEventStore::CompactDeletedTopics() {
  std::vector<std::pair<std::string, std::string>> ranges;
  {
    absl::MutexLock lock(&maintenance_mu_);
    ranges.swap(deleted_ranges_);
  }
  for (const auto& [begin, end] : ranges) {
    if (closing_) return;
    CompactRecordsRange(begin, end);
  }
}

absl::Status RocksDbEventStore::ExpireProducers(Partition* p, RetentionPassResult* result) {
  if (options_.producer_expiry_ms <= 0) return absl::OkStatus();
  const int64_t cutoff = clock_->NowMs() - options_.producer_expiry_ms;
  rocksdb::WriteBatch batch;
  int64_t expired = 0;
  absl::Status written;
  {
    // The delete is queued in the same critical section that forgets the producers: an append
    // by one of them afterwards queues behind it, so its new window is not deleted from disk.
    absl::MutexLock lock(&write_mu_);
    for (auto it = p->producers.begin(); it != p->producers.end();) {
      if (it->second.empty() || it->second.back().append_time_ms < cutoff) {
        batch
            .Delete(meta_cf_,
                    keys::ProducerKey(p->topic_id, static_cast<uint32_t>(p->index), it->first))
            .PermitUncheckedError();
        p->producers.erase(it++);
        ++expired;
      } else {
        ++it;
      }
    }
    if (expired == 0) return absl::OkStatus();
    written = SubmitBatchLocked(std::move(batch));
  }
  if (!written.ok()) return written;
  result->producers_expired += expired;
  return absl::OkStatus();
}

absl::Duration RocksDbEventStore::FetchWait(int64_t max_wait_ms) const {
  return absl::Milliseconds(std::min(max_wait_ms, options_.max_fetch_wait_ms));
}

absl::StatusOr<RetentionPassResult> RocksDbEventStore::RunRetentionOnce() {
  absl::MutexLock pass(&retention_mu_);
  CompactDeletedTopics();
  std::vector<std::shared_ptr<Topic>> topics;
  {
    absl::ReaderMutexLock lock(&topics_mu_);
    for (const auto& [name, topic] : topics_) topics.push_back(topic);
  }
  RetentionPassResult result;
  for (const auto& topic : topics) {
    for (auto& p : topic->partitions) {
      if (closing_ || topic->deleted) break;
      if (absl::Status s = TrimPartition(*topic, p.get(), &result); !s.ok()) return s;
      if (absl::Status s = ExpireProducers(p.get(), &result); !s.ok()) return s;
    }
  }
  return result;
}

void RocksDbEventStore::MaintenanceLoop() {
  absl::MutexLock lock(&maintenance_mu_);
  absl::Time next_pass = absl::Now() + absl::Milliseconds(options_.retention_interval_ms);
  while (!maintenance_stop_) {
    while (!maintenance_stop_ && deleted_ranges_.empty() && absl::Now() < next_pass) {
      maintenance_cv_.WaitWithDeadline(&maintenance_mu_, next_pass);
    }
    if (maintenance_stop_) break;
    if (absl::Now() < next_pass) {
      // Before the pass is due: a deleted topic's records to compact.
      maintenance_mu_.Unlock();
      {
        absl::MutexLock pass(&retention_mu_);
        CompactDeletedTopics();
      }
      maintenance_mu_.Lock();
      continue;
    }
    maintenance_mu_.Unlock();
    RunRetentionOnce().IgnoreError();  // retried on the next pass
    coordinator_->ExpireMembers();
    maintenance_mu_.Lock();
    next_pass = absl::Now() + absl::Milliseconds(options_.retention_interval_ms);
  }
}

}  // namespace eventmesh::store
