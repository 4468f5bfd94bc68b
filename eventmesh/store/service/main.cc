// store_main: the event store service. Opens the RocksDB store, serves it over TCP until SIGTERM
// or SIGINT, then stops gracefully (stop accepting, finish in-flight calls, close RocksDB).
//
//   bazel run //eventmesh/store/service:store_main -- --port=10300 --data_dir=/var/lib/store
//
// Flags --port, --bind, --data_dir, --sync, --max_event_bytes, --max_batch_bytes,
// --max_batch_events, --max_request_fields, --io_threads, --executor_threads, --max_connections,
// --token_file,
// --tls_cert_file, --tls_key_file, --tls_client_ca_file, --handshake_timeout_ms, --metrics_port,
// --metrics_bind (declared in StoreServiceKeyTable(), store_config.cc), also accepted as
// key=value lines in --config (flags given on the command line win). --help prints them.

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/config/secret_file.h"
#include "eventmesh/common/config/values.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/net/metrics_endpoint.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/engine/write_metrics.h"
#include "eventmesh/store/service/store_config.h"
#include "eventmesh/store/service/store_server.h"
#include "glog/logging.h"

namespace eventmesh::store::service {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "store_main: " << status.message() << std::endl;
  return 2;
}

// The engine's own counters and the data directory's size, read at scrape time.
void RegisterEngineMetrics(RocksDbEventStore* store, const std::string& path,
                           metrics::Registry* registry) {
  struct Spec {
    const char* name;
    const char* help;
    int64_t StoreStats::*field;
  };
  const Spec counters[] = {
      {"eventmesh_store_db_writes_total",
       "RocksDB writes of the commit queue (each one fsync unless sync mode none).",
       &StoreStats::db_writes},
      {"eventmesh_store_db_write_failures_total", "RocksDB writes that failed.",
       &StoreStats::failed_writes},
      {"eventmesh_store_engine_appends_total", "Successful appends (batches) in the engine.",
       &StoreStats::appends},
  };
  for (const Spec& spec : counters) {
    const auto field = spec.field;
    absl::Status s = registry->AddCounterCallback(
        spec.name, spec.help, {},
        [store, field](metrics::SampleSink& sink) {
          sink.Add({}, static_cast<double>(store->GetStats().*field));
        },
        store);
    if (!s.ok()) LOG(ERROR) << s;
  }
  // RocksDB's write stalls, read from its statistics at scrape time.
  for (const WriteStallMetric& metric : WriteStallMetrics()) {
    auto value = metric.value;
    auto sample = [store, value](metrics::SampleSink& sink) {
      sink.Add({}, value(store->GetWriteStallStats()));
    };
    absl::Status s = metric.counter
                         ? registry->AddCounterCallback(metric.name, metric.help, {}, sample, store)
                         : registry->AddGaugeCallback(metric.name, metric.help, {}, sample, store);
    if (!s.ok()) LOG(ERROR) << s;
  }
  absl::Status s = registry->AddGaugeCallback(
      "eventmesh_store_fetches_waiting", "Long-poll fetches waiting for events.", {},
      [store](metrics::SampleSink& sink) {
        const StoreStats stats = store->GetStats();
        sink.Add({}, static_cast<double>(stats.waiting_fetches + stats.parked_async_fetches));
      },
      store);
  if (!s.ok()) LOG(ERROR) << s;
  s = registry->AddGaugeCallback(
      "eventmesh_store_tail_cache_bytes",
      "Bytes of recent records kept in memory for reads at the tail (all partitions).", {},
      [store](metrics::SampleSink& sink) {
        sink.Add({}, static_cast<double>(store->GetStats().tail_cache_bytes));
      },
      store);
  if (!s.ok()) LOG(ERROR) << s;
  s = registry->AddGaugeCallback(
      "eventmesh_store_disk_bytes", "Bytes of the files under the data directory.", {},
      [path](metrics::SampleSink& sink) {
        std::error_code ec;
        uintmax_t total = 0;
        for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
          std::error_code size_ec;
          if (it->is_regular_file(size_ec)) {
            const uintmax_t size = it->file_size(size_ec);
            if (!size_ec) total += size;
          }
        }
        sink.Add({}, static_cast<double>(total));
      },
      store);
  if (!s.ok()) LOG(ERROR) << s;
}

int Run(const StoreServiceConfig& config) {
  StoreOptions store_options;
  store_options.path = config.data_dir;
  if (store_options.path.empty()) store_options.path = config::DefaultDataDir("store");
  store_options.sync_mode = config.sync;
  store_options.limits.max_event_bytes = config.max_event_bytes;
  store_options.limits.max_batch_bytes = config.max_batch_bytes;
  store_options.limits.max_batch_events = config.max_batch_events;
  store_options.min_free_disk_bytes = config.min_free_disk_bytes;
  store_options.sync_interval_us = config.sync_interval_us;
  store_options.tail_cache_bytes = config.tail_cache_bytes;
  store_options.tail_cache_total_bytes = config.tail_cache_total_bytes;
  std::error_code ec;
  std::filesystem::create_directories(store_options.path, ec);
  if (ec) {
    return Fail(absl::UnavailableError(
        absl::StrCat("cannot create --data_dir ", store_options.path, ": ", ec.message())));
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  metrics::Registry registry;
  // The commit queue's DB writes (fsync included unless --sync=none): the disk's share of the
  // append latency.
  if (absl::Status s = ObserveCommitWrites(&registry, &store_options); !s.ok()) return Fail(s);
  absl::StatusOr<std::unique_ptr<RocksDbEventStore>> store = RocksDbEventStore::Open(store_options);
  if (!store.ok()) {
    return Fail(absl::Status(
        store.status().code(),
        absl::StrCat("cannot open store in ", store_options.path, ": ", store.status().message())));
  }
  RegisterEngineMetrics(store->get(), store_options.path, &registry);
  StoreServerOptions server_options;
  server_options.metrics = &registry;
  server_options.bind_address = config.bind;
  server_options.port = config.port;
  server_options.io_threads = config.io_threads;
  server_options.max_connections = static_cast<size_t>(config.max_connections);
  server_options.max_request_fields = static_cast<size_t>(config.max_request_fields);
  server_options.executor_threads = config.executor_threads;
  server_options.handshake_timeout = absl::Milliseconds(config.handshake_timeout_ms);
  if (!config.token_file.empty()) {
    auto token = config::ReadSecretFile("--token_file", config.token_file);
    if (!token.ok()) return Fail(token.status());
    server_options.token = *std::move(token);
  }
  if (!config.tls_cert_file.empty() || !config.tls_key_file.empty()) {
    auto tls = net::MakeServerTlsContext(
        {config.tls_cert_file, config.tls_key_file, config.tls_client_ca_file},
        {"--tls_cert_file", "--tls_key_file", "--tls_client_ca_file"});
    if (!tls.ok()) return Fail(tls.status());
    server_options.tls = *std::move(tls);
  } else if (!config.tls_client_ca_file.empty()) {
    return Fail(absl::InvalidArgumentError(
        "--tls_client_ca_file needs --tls_cert_file and --tls_key_file"));
  }
  absl::StatusOr<std::unique_ptr<StoreServer>> server =
      StoreServer::Start(store->get(), server_options);
  if (!server.ok()) return Fail(server.status());

  std::cout << "eventmesh store listening on " << (*server)->address() << " (data_dir "
            << store_options.path << ", sync " << SyncModeName(store_options.sync_mode)
            << (server_options.tls ? ", TLS" : "")
            << (server_options.token.empty() ? "" : ", token required") << ")" << std::endl;
  std::unique_ptr<net::HttpServer> metrics_endpoint;
  if (config.metrics_port >= 0) {
    net::HttpServerOptions http;
    http.address = config.metrics_bind;
    http.port = config.metrics_port;
    auto started = net::StartMetricsEndpoint(http, &registry);
    if (!started.ok()) return Fail(started.status());
    metrics_endpoint = std::move(*started);
    std::cout << "eventmesh store metrics on " << config.metrics_bind << ":"
              << metrics_endpoint->port() << "/metrics" << std::endl;
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cout << "eventmesh store: signal " << signal_number << ", shutting down" << std::endl;
  if (metrics_endpoint != nullptr) metrics_endpoint->Stop();
  (*server)->Stop();
  server->reset();
  store->reset();  // closes RocksDB (flushes, joins its threads)
  std::cout << "eventmesh store: stopped" << std::endl;
  return 0;
}

}  // namespace
}  // namespace eventmesh::store::service

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: store_main [--config=file] [--<key>=value ...]\n\n"
              << eventmesh::store::service::StoreServiceKeyTable().Markdown();
    return 0;
  }
  auto config = eventmesh::store::service::ParseStoreServiceArgs(args);
  if (!config.ok()) return eventmesh::store::service::Fail(config.status());
  return eventmesh::store::service::Run(*config);
}
