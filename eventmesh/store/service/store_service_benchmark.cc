// Load tool: append throughput of 256-byte events through the store service over loopback with
// pipelining, next to the same workload on the embedded engine.
//
//   bazel run -c opt //eventmesh/store/service:store_service_benchmark -- --duration_ms=2000
//
// For each sync mode (none, batch), producer count (1, 8) and batch size (1, 16, 256) (flags
// --syncs, --producers, --batches): a new store (removed afterwards) and server with one topic
// of 8 partitions; producer i appends to partition i. "service": each producer is its own
// StoreClient connection keeping --depth appends in flight (callbacks re-issue; the server calls
// AppendAsync, no thread per append; appends queued together share a MultiAppendRequest).
// "service1": the same with StoreClientOptions::coalesce_appends off (one request per append).
// "embedded": each producer is a thread calling RocksDbEventStore::Append (blocking, one in flight
// per thread). "async": each producer keeps
// --depth RocksDbEventStore::AppendAsync calls in flight (callbacks re-issue).
// Prints events/s and MB/s (payload bytes) measured over --duration_ms after --warmup_ms.

#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/store/client/store_client.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"

ABSL_FLAG(int64_t, duration_ms, 2000, "measured time per configuration");
ABSL_FLAG(int64_t, warmup_ms, 300, "unmeasured time before each measurement");
ABSL_FLAG(int32_t, depth, 1024, "appends in flight per service / async producer");
ABSL_FLAG(std::string, modes, "service,service1,embedded,async",
          "comma-separated: service, service1, embedded, async");
ABSL_FLAG(std::string, batches, "1,16,256", "comma-separated events per append");
ABSL_FLAG(std::string, syncs, "none,batch", "comma-separated sync modes");
ABSL_FLAG(std::string, producers, "1,8", "comma-separated producer counts");
ABSL_FLAG(int64_t, tail_cache_bytes, eventmesh::store::StoreOptions{}.tail_cache_bytes,
          "the store's per-partition tail cache (StoreOptions::tail_cache_bytes)");
ABSL_FLAG(int32_t, executor_threads,
          eventmesh::store::service::StoreServerOptions{}.executor_threads,
          "server threads running blocking engine calls");
ABSL_FLAG(int32_t, io_threads, eventmesh::store::service::StoreServerOptions{}.io_threads,
          "server io threads (StoreServerOptions::io_threads)");
ABSL_FLAG(std::string, dir, "", "parent directory for the stores (default $TEST_TMPDIR or /tmp)");

namespace eventmesh::store::service {
namespace {

constexpr int kEventBytes = 256;
constexpr int kPartitions = 8;

struct Counters {
  std::atomic<int64_t> events{0};
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  absl::Mutex mu;
  int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
};

AppendRequest MakeBatch(const std::string& topic, int partition, int batch) {
  AppendRequest request;
  request.topic = topic;
  request.partition = partition;
  for (int i = 0; i < batch; ++i) {
    ProducerRecord record;
    record.payload.resize(kEventBytes);
    for (int b = 0; b < kEventBytes; ++b) record.payload[b] = static_cast<char>('a' + (b + i) % 26);
    request.records.push_back(std::move(record));
  }
  return request;
}

// One pipelined producer: keeps `depth` appends in flight until counters->stop, through a
// StoreClient (service) or EventStore::AppendAsync (async).
class PipelinedProducer {
 public:
  using AppendFn = std::function<void(const AppendRequest&, EventStore::AppendCallback)>;
  PipelinedProducer(AppendFn append, AppendRequest request, Counters* counters)
      : append_(std::move(append)), request_(std::move(request)), counters_(counters) {}

  void Issue() {
    {
      absl::MutexLock lock(&counters_->mu);
      ++counters_->in_flight;
    }
    append_(request_, [this](absl::StatusOr<AppendResult> result) {
      if (result.ok()) {
        counters_->events.fetch_add(static_cast<int64_t>(request_.records.size()));
      } else {
        counters_->errors.fetch_add(1);
      }
      if (!counters_->stop.load()) Issue();
      absl::MutexLock lock(&counters_->mu);
      --counters_->in_flight;
    });
  }

 private:
  AppendFn append_;
  const AppendRequest request_;
  Counters* counters_;
};

struct Figures {
  double events_per_s = 0;
  double mb_per_s = 0;
  int64_t errors = 0;
};

Figures Measure(Counters& counters) {
  absl::SleepFor(absl::Milliseconds(absl::GetFlag(FLAGS_warmup_ms)));
  const int64_t e0 = counters.events.load();
  const absl::Time t0 = absl::Now();
  absl::SleepFor(absl::Milliseconds(absl::GetFlag(FLAGS_duration_ms)));
  const int64_t e1 = counters.events.load();
  const absl::Time t1 = absl::Now();
  counters.stop.store(true);
  Figures f;
  const double seconds = absl::ToDoubleSeconds(t1 - t0);
  f.events_per_s = static_cast<double>(e1 - e0) / seconds;
  f.mb_per_s = f.events_per_s * kEventBytes / 1e6;
  return f;
}

// Starts `depth` appends per producer, measures, then waits for the in-flight ones.
Figures RunPipelined(std::vector<std::unique_ptr<PipelinedProducer>>& workers, Counters& counters) {
  for (auto& w : workers) {
    for (int i = 0; i < absl::GetFlag(FLAGS_depth); ++i) w->Issue();
  }
  Figures f = Measure(counters);
  {
    absl::MutexLock lock(&counters.mu);
    counters.mu.AwaitWithTimeout(absl::Condition(
                                     +[](int64_t* n) { return *n == 0; }, &counters.in_flight),
                                 absl::Seconds(60));
  }
  f.errors = counters.errors.load();
  return f;
}

Figures RunService(EventStore* store, uint16_t port, const std::string& topic, int producers,
                   int batch, bool coalesce) {
  Counters counters;
  std::vector<std::unique_ptr<client::StoreClient>> clients;
  std::vector<std::unique_ptr<PipelinedProducer>> workers;
  for (int p = 0; p < producers; ++p) {
    client::StoreClientOptions options;
    options.port = port;
    options.coalesce_appends = coalesce;
    clients.push_back(std::move(*client::StoreClient::Create(options)));
    client::StoreClient* c = clients.back().get();
    workers.push_back(std::make_unique<PipelinedProducer>(
        [c](const AppendRequest& r, EventStore::AppendCallback done) {
          c->AppendAsync(r, std::move(done));
        },
        MakeBatch(topic, p % kPartitions, batch), &counters));
  }
  Figures f = RunPipelined(workers, counters);
  clients.clear();
  return f;
}

Figures RunAsync(EventStore* store, const std::string& topic, int producers, int batch) {
  Counters counters;
  std::vector<std::unique_ptr<PipelinedProducer>> workers;
  for (int p = 0; p < producers; ++p) {
    workers.push_back(std::make_unique<PipelinedProducer>(
        [store](const AppendRequest& r, EventStore::AppendCallback done) {
          store->AppendAsync(r, std::move(done));
        },
        MakeBatch(topic, p % kPartitions, batch), &counters));
  }
  return RunPipelined(workers, counters);
}

Figures RunEmbedded(EventStore* store, const std::string& topic, int producers, int batch) {
  Counters counters;
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      const AppendRequest request = MakeBatch(topic, p % kPartitions, batch);
      while (!counters.stop.load()) {
        if (store->Append(request).ok()) {
          counters.events.fetch_add(batch);
        } else {
          counters.errors.fetch_add(1);
        }
      }
    });
  }
  Figures f = Measure(counters);
  for (auto& t : threads) t.join();
  f.errors = counters.errors.load();
  return f;
}

// A store and a server on it, in a new directory removed on destruction.
class Fixture {
 public:
  static std::unique_ptr<Fixture> Open(const std::string& parent, SyncMode sync) {
    auto fixture = std::unique_ptr<Fixture>(new Fixture);
    std::string pattern = parent + "/store_service_benchmark_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "mkdtemp %s failed\n", pattern.c_str());
      return nullptr;
    }
    fixture->dir_ = pattern;
    StoreOptions store_options;
    store_options.path = pattern;
    store_options.sync_mode = sync;
    store_options.tail_cache_bytes = absl::GetFlag(FLAGS_tail_cache_bytes);
    store_options.retention_interval_ms = 0;
    auto store = RocksDbEventStore::Open(store_options);
    if (!store.ok()) {
      std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
      return nullptr;
    }
    fixture->store_ = std::move(*store);
    StoreServerOptions server_options;
    server_options.port = 0;
    server_options.executor_threads = absl::GetFlag(FLAGS_executor_threads);
    server_options.io_threads = absl::GetFlag(FLAGS_io_threads);
    auto server = StoreServer::Start(fixture->store_.get(), server_options);
    if (!server.ok()) {
      std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
      return nullptr;
    }
    fixture->server_ = std::move(*server);
    return fixture;
  }

  ~Fixture() {
    if (server_ != nullptr) server_->Stop();
    server_.reset();
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  EventStore* store() { return store_.get(); }
  uint16_t port() const { return server_->port(); }

 private:
  Fixture() = default;
  std::string dir_;
  std::unique_ptr<RocksDbEventStore> store_;
  std::unique_ptr<StoreServer> server_;
};

int Main() {
  std::string parent = absl::GetFlag(FLAGS_dir);
  if (parent.empty()) {
    const char* tmp = getenv("TEST_TMPDIR");
    parent = tmp ? tmp : "/tmp";
  }
  std::printf("%-9s %-6s %9s %6s %14s %10s %7s\n", "mode", "sync", "producers", "batch", "events/s",
              "MB/s", "errors");
  for (absl::string_view sync_name : absl::StrSplit(absl::GetFlag(FLAGS_syncs), ',')) {
    auto sync = ParseSyncMode(sync_name);
    if (!sync.ok()) {
      std::fprintf(stderr, "%s\n", std::string(sync.status().message()).c_str());
      return 2;
    }
    for (absl::string_view mode : absl::StrSplit(absl::GetFlag(FLAGS_modes), ',')) {
      for (absl::string_view producers_text : absl::StrSplit(absl::GetFlag(FLAGS_producers), ',')) {
        int producers = 0;
        if (!absl::SimpleAtoi(producers_text, &producers) || producers < 1 || producers > 256) {
          std::fprintf(stderr, "bad --producers entry \"%s\" (1 to 256)\n",
                       std::string(producers_text).c_str());
          return 2;
        }
        for (absl::string_view batch_text : absl::StrSplit(absl::GetFlag(FLAGS_batches), ',')) {
          int batch = 0;
          if (!absl::SimpleAtoi(batch_text, &batch) || batch < 1) {
            std::fprintf(stderr, "bad --batches entry \"%s\"\n", std::string(batch_text).c_str());
            return 2;
          }
          // A new store per configuration: the flushes and compactions of one configuration's
          // data would otherwise run during the next one's measurement.
          std::unique_ptr<Fixture> fixture = Fixture::Open(parent, *sync);
          if (fixture == nullptr) return 2;
          CreateTopicRequest create;
          create.topic = "bench";
          create.partitions = kPartitions;
          if (!fixture->store()->CreateTopic(create).ok()) return 2;
          Figures f;
          if (mode == "service" || mode == "service1") {
            f = RunService(fixture->store(), fixture->port(), create.topic, producers, batch,
                           /*coalesce=*/mode == "service");
          } else if (mode == "async") {
            f = RunAsync(fixture->store(), create.topic, producers, batch);
          } else if (mode == "embedded") {
            f = RunEmbedded(fixture->store(), create.topic, producers, batch);
          } else {
            std::fprintf(stderr, "unknown mode \"%s\"\n", std::string(mode).c_str());
            return 2;
          }
          std::printf("%-9s %-6s %9d %6d %14.0f %10.1f %7lld\n", std::string(mode).c_str(),
                      std::string(sync_name).c_str(), producers, batch, f.events_per_s, f.mb_per_s,
                      static_cast<long long>(f.errors));
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace eventmesh::store::service

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  absl::ParseCommandLine(argc, argv);
  return eventmesh::store::service::Main();
}
