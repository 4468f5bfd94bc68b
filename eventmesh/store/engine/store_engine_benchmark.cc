// Append and fetch throughput of the RocksDB event store, next to the ceiling: raw RocksDB
// WriteBatch puts of the same record bytes with the same WAL/sync settings.
//
//   bazel run -c opt //eventmesh/store:store_engine_benchmark -- --benchmark_min_time=0.5
//
// Args: {sync mode (0 none, 1 batch, 2 always), events per append}. Threads(8) = 8 concurrent
// producers, each on its own partition. items_per_second = events/s of 256-byte payloads.
// BM_EngineAppend calls the blocking Append (one append in flight per producer);
// BM_EngineAppendAsync keeps a window of AppendAsync calls in flight per producer.

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace eventmesh::store {
namespace {

constexpr int kPayloadBytes = 256;
constexpr int kPartitions = 8;

SyncMode ModeOf(int64_t arg) {
  return arg == 0 ? SyncMode::kNone : arg == 1 ? SyncMode::kBatch : SyncMode::kAlways;
}

// Databases live under one temporary directory removed at exit.
class BenchDirs {
 public:
  static BenchDirs& Get() {
    static BenchDirs* dirs = new BenchDirs();
    return *dirs;
  }
  std::string NewDir(const std::string& name) { return root_ + "/" + name; }
  ~BenchDirs() = default;

 private:
  BenchDirs() {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_bench_XXXXXX").string();
    root_ = mkdtemp(pattern.data()) ? pattern : "/tmp/store_bench";
    std::atexit([] { std::filesystem::remove_all(BenchDirs::Get().root_); });
  }
  std::string root_;
};

// One store per sync mode, shared by the benchmark threads, kept for the whole run.
RocksDbEventStore* StoreFor(SyncMode mode) {
  static std::mutex mu;
  static auto* stores = new std::map<SyncMode, std::unique_ptr<RocksDbEventStore>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = (*stores)[mode];
  if (slot == nullptr) {
    StoreOptions options;
    options.path = BenchDirs::Get().NewDir(absl::StrCat("engine_", SyncModeName(mode)));
    options.sync_mode = mode;
    options.retention_interval_ms = 0;
    auto store = RocksDbEventStore::Open(options);
    if (!store.ok()) std::abort();
    if (!(*store)->CreateTopic({"bench", kPartitions, {0, -1}}).ok()) std::abort();
    slot = std::move(*store);
  }
  return slot.get();
}

void BM_EngineAppend(benchmark::State& state) {
  RocksDbEventStore* store = StoreFor(ModeOf(state.range(0)));
  AppendRequest request;
  request.topic = "bench";
  request.partition = state.thread_index() % kPartitions;
  ProducerRecord record;
  record.payload = std::string(kPayloadBytes, 'x');
  request.records.assign(static_cast<size_t>(state.range(1)), record);
  const StoreStats before = store->GetStats();
  for (auto _ : state) {
    auto result = store->Append(request);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      break;
    }
  }
  if (state.thread_index() == 0) {
    // Events per RocksDB write (= per fsync in batch/always) while all threads were running.
    const StoreStats after = store->GetStats();
    const int64_t writes = after.db_writes - before.db_writes;
    state.counters["events_per_write"] =
        writes > 0 ? static_cast<double>(after.events - before.events) / writes : 0;
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetBytesProcessed(state.iterations() * state.range(1) * kPayloadBytes);
}

// AppendAsync with up to `window` appends in flight per producer (the callback frees a slot).
// Args: {sync mode, events per append, window}.
void BM_EngineAppendAsync(benchmark::State& state) {
  RocksDbEventStore* store = StoreFor(ModeOf(state.range(0)));
  AppendRequest request;
  request.topic = "bench";
  request.partition = state.thread_index() % kPartitions;
  ProducerRecord record;
  record.payload = std::string(kPayloadBytes, 'x');
  request.records.assign(static_cast<size_t>(state.range(1)), record);
  const int64_t window = state.range(2);
  struct Window {
    absl::Mutex mu;
    int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
    int64_t errors ABSL_GUARDED_BY(mu) = 0;
    int64_t completed ABSL_GUARDED_BY(mu) = 0;
    std::string first_error ABSL_GUARDED_BY(mu);
  } slots;
  auto has_room = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return slots.in_flight < window; };
  auto done = [&slots](absl::StatusOr<AppendResult> result) {
    absl::MutexLock lock(&slots.mu);
    --slots.in_flight;
    ++slots.completed;
    if (!result.ok() && slots.errors++ == 0) slots.first_error = result.status().ToString();
  };
  const StoreStats before = store->GetStats();
  for (auto _ : state) {
    {
      absl::MutexLock lock(&slots.mu, absl::Condition(&has_room));
      ++slots.in_flight;
    }
    store->AppendAsync(request, done);
  }
  // Only appends completed (durable) within the timed loop count; the rest are drained after.
  int64_t completed = 0;
  {
    absl::MutexLock lock(&slots.mu);
    completed = slots.completed;
    slots.mu.Await(absl::Condition(
        +[](int64_t* n) { return *n == 0; }, &slots.in_flight));
    if (slots.errors > 0) state.SkipWithError(slots.first_error.c_str());
  }
  if (state.thread_index() == 0) {
    const StoreStats after = store->GetStats();
    const int64_t writes = after.db_writes - before.db_writes;
    state.counters["events_per_write"] =
        writes > 0 ? static_cast<double>(after.events - before.events) / writes : 0;
  }
  state.SetItemsProcessed(completed * state.range(1));
  state.SetBytesProcessed(completed * state.range(1) * kPayloadBytes);
}

void AsyncArgs(benchmark::internal::Benchmark* b) {
  for (int mode : {0, 1, 2}) {
    for (int batch : {1, 16}) b->Args({mode, batch, 1024});
  }
  b->ArgNames({"sync", "batch", "window"});
  b->Threads(1)->Threads(8)->UseRealTime();
}

BENCHMARK(BM_EngineAppendAsync)->Apply(AsyncArgs);

// The ceiling: the same record bytes as WriteBatch puts straight into RocksDB, one
// DB::Write per append (RocksDB's own write group merges concurrent sync writers).
rocksdb::DB* RawDbFor(SyncMode mode) {
  static std::mutex mu;
  static auto* dbs = new std::map<SyncMode, rocksdb::DB*>();
  std::lock_guard<std::mutex> lock(mu);
  rocksdb::DB*& db = (*dbs)[mode];
  if (db == nullptr) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.max_background_jobs = 2;
    options.write_buffer_size = 64 << 20;
    if (!rocksdb::DB::Open(options,
                           BenchDirs::Get().NewDir(absl::StrCat("raw_", SyncModeName(mode))), &db)
             .ok()) {
      std::abort();
    }
  }
  return db;
}

void BM_RawRocksDbWriteBatch(benchmark::State& state) {
  const SyncMode mode = ModeOf(state.range(0));
  rocksdb::DB* db = RawDbFor(mode);
  rocksdb::WriteOptions wo;
  wo.sync = mode != SyncMode::kNone;
  const std::string value(kPayloadBytes + 10, 'x');  // payload + the engine's value header
  uint64_t counter = 0;
  char key[16];
  StoreBigEndian32(key, 1);
  StoreBigEndian32(key + 4, static_cast<uint32_t>(state.thread_index()));
  static std::atomic<uint64_t> run{0};
  const uint64_t base = run.fetch_add(1) << 40;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int64_t i = 0; i < state.range(1); ++i) {
      StoreBigEndian64(key + 8, base + counter++);
      batch.Put(rocksdb::Slice(key, sizeof(key)), value).PermitUncheckedError();
    }
    rocksdb::Status s = db->Write(wo, &batch);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetBytesProcessed(state.iterations() * state.range(1) * kPayloadBytes);
}

void AppendArgs(benchmark::internal::Benchmark* b) {
  for (int mode : {0, 1, 2}) {
    for (int batch : {1, 16, 256}) b->Args({mode, batch});
  }
  b->ArgNames({"sync", "batch"});
  b->Threads(1)->Threads(8)->UseRealTime();
}

BENCHMARK(BM_EngineAppend)->Apply(AppendArgs);
BENCHMARK(BM_RawRocksDbWriteBatch)->Apply(AppendArgs);

// A store holding 200,000 256-byte events in one partition, opened once per configuration.
// With small memtables (`flushed`) nearly all of them have been flushed to table and blob files
// when the reads start, as for a consumer catching up; otherwise they are still in the memtable.
RocksDbEventStore* OpenReadStore(bool flushed) {
  StoreOptions options;
  options.path = BenchDirs::Get().NewDir(flushed ? "engine_read_flushed" : "engine_read");
  options.sync_mode = SyncMode::kNone;
  options.retention_interval_ms = 0;
  if (flushed) options.write_buffer_bytes = 4 << 20;
  auto opened = RocksDbEventStore::Open(options);
  if (!opened.ok() || !(*opened)->CreateTopic({"read", 1, {0, -1}}).ok()) std::abort();
  AppendRequest request;
  request.topic = "read";
  ProducerRecord record;
  record.payload = std::string(kPayloadBytes, 'r');
  request.records.assign(1000, record);
  for (int i = 0; i < 200; ++i) {
    if (!(*opened)->Append(request).ok()) std::abort();
  }
  return opened->release();
}

RocksDbEventStore* ReadStore(bool flushed) {
  static RocksDbEventStore* stores[2] = {nullptr, nullptr};  // benchmarks run one at a time
  RocksDbEventStore*& store = stores[flushed ? 1 : 0];
  if (store == nullptr) store = OpenReadStore(flushed);
  return store;
}

// Sequential reads of 256-byte events, max_events per Read; the second argument 1 reads events
// flushed to files (below the tail cache and the memtable).
void BM_EngineRead(benchmark::State& state) {
  RocksDbEventStore* store = ReadStore(state.range(1) == 1);
  ReadRequest request;
  request.topic = "read";
  request.max_events = static_cast<int32_t>(state.range(0));
  request.max_bytes = 64 << 20;
  int64_t events = 0;
  for (auto _ : state) {
    auto result = store->Read(request);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      break;
    }
    events += static_cast<int64_t>(result->records.size());
    request.offset = result->next_offset >= result->latest_offset ? 0 : result->next_offset;
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(events * kPayloadBytes);
}
BENCHMARK(BM_EngineRead)
    ->ArgsProduct({{1, 100, 500}, {0, 1}})
    ->ArgNames({"max_events", "flushed"})
    ->UseRealTime();

}  // namespace
}  // namespace eventmesh::store
