// store_main: the event store service. Opens the RocksDB store, serves it over TCP until SIGTERM
// or SIGINT, then stops gracefully (stop accepting, finish in-flight calls, close RocksDB).
//
//   bazel run //eventmesh/store/service:store_main -- --port=10300 --data_dir=/var/lib/store
//
// Flags (also accepted as key=value lines in --config; flags given on the command line win):
//   --port, --bind, --data_dir, --sync, --max_event_bytes, --max_batch_bytes,
//   --max_batch_events, --io_threads, --executor_threads.

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "eventmesh/common/config/values.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"
#include "glog/logging.h"

ABSL_FLAG(uint16_t, port, eventmesh::store::service::kDefaultStorePort,
          "TCP port to listen on (0 = any free port)");
ABSL_FLAG(std::string, bind, "127.0.0.1", "address to bind (0.0.0.0 = every interface)");
ABSL_FLAG(std::string, data_dir, "",
          "RocksDB directory (default $XDG_DATA_HOME/eventmesh/store, else "
          "$HOME/.local/share/eventmesh/store)");
ABSL_FLAG(std::string, sync, "batch", "durability of appends: none | batch | always");
ABSL_FLAG(int64_t, max_event_bytes, eventmesh::store::AppendLimits{}.max_event_bytes,
          "largest event (payload + key + headers), bytes");
ABSL_FLAG(int64_t, max_batch_bytes, eventmesh::store::AppendLimits{}.max_batch_bytes,
          "largest append batch, bytes");
ABSL_FLAG(int64_t, max_batch_events, eventmesh::store::AppendLimits{}.max_batch_events,
          "most events per append batch");
ABSL_FLAG(int32_t, io_threads, 2, "network threads");
ABSL_FLAG(int32_t, executor_threads, 32, "threads running blocking engine calls");
ABSL_FLAG(std::string, config, "",
          "optional key=value file with the flags above; command-line flags override it");

namespace eventmesh::store::service {
namespace {

constexpr const char* kConfigKeys[] = {"port",
                                       "bind",
                                       "data_dir",
                                       "sync",
                                       "max_event_bytes",
                                       "max_batch_bytes",
                                       "max_batch_events",
                                       "io_threads",
                                       "executor_threads"};

// Applies `path` (key=value lines, '#' comments) to the flags. Runs before the command line is
// parsed, so flags given there override the file.
absl::Status ApplyConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    const size_t eq = text.find('=');
    const std::string where = absl::StrCat(path, ":", number, ": ");
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected key=value, got \"", text, "\""));
    }
    const std::string key(absl::StripAsciiWhitespace(text.substr(0, eq)));
    const absl::string_view value = absl::StripAsciiWhitespace(text.substr(eq + 1));
    bool known = false;
    for (const char* k : kConfigKeys) known = known || key == k;
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(where, "unknown key \"", key, "\""));
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(key);
    if (flag == nullptr) return absl::InternalError(absl::StrCat("flag --", key, " missing"));
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "bad value \"", value, "\" for ", key, ": ", error));
    }
  }
  return absl::OkStatus();
}

int Fail(const absl::Status& status) {
  std::cerr << "store_main: " << status.message() << std::endl;
  return 2;
}

// The value of --config in argv ("--config=x", "-config=x", "--config x"), or "".
std::string FindConfigArg(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (absl::ConsumePrefix(&arg, "config=")) return std::string(arg);
    if (arg == "config" && i + 1 < argc) return argv[i + 1];
  }
  return "";
}

int Run() {
  StoreOptions store_options;
  store_options.path = absl::GetFlag(FLAGS_data_dir);
  if (store_options.path.empty()) store_options.path = config::DefaultDataDir("store");
  absl::StatusOr<SyncMode> sync = ParseSyncMode(absl::GetFlag(FLAGS_sync));
  if (!sync.ok())
    return Fail(absl::InvalidArgumentError(absl::StrCat("--sync: ", sync.status().message())));
  store_options.sync_mode = *sync;
  store_options.limits.max_event_bytes = absl::GetFlag(FLAGS_max_event_bytes);
  store_options.limits.max_batch_bytes = absl::GetFlag(FLAGS_max_batch_bytes);
  store_options.limits.max_batch_events = absl::GetFlag(FLAGS_max_batch_events);
  if (store_options.limits.max_event_bytes <= 0 || store_options.limits.max_batch_bytes <= 0 ||
      store_options.limits.max_batch_events <= 0) {
    return Fail(absl::InvalidArgumentError(
        "--max_event_bytes, --max_batch_bytes and --max_batch_events must be positive"));
  }
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

  absl::StatusOr<std::unique_ptr<RocksDbEventStore>> store = RocksDbEventStore::Open(store_options);
  if (!store.ok()) {
    return Fail(absl::Status(
        store.status().code(),
        absl::StrCat("cannot open store in ", store_options.path, ": ", store.status().message())));
  }
  StoreServerOptions server_options;
  server_options.bind_address = absl::GetFlag(FLAGS_bind);
  server_options.port = absl::GetFlag(FLAGS_port);
  server_options.io_threads = absl::GetFlag(FLAGS_io_threads);
  server_options.executor_threads = absl::GetFlag(FLAGS_executor_threads);
  absl::StatusOr<std::unique_ptr<StoreServer>> server =
      StoreServer::Start(store->get(), server_options);
  if (!server.ok()) return Fail(server.status());

  std::cout << "eventmesh store listening on " << (*server)->address() << " (data_dir "
            << store_options.path << ", sync " << SyncModeName(store_options.sync_mode) << ")"
            << std::endl;

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cout << "eventmesh store: signal " << signal_number << ", shutting down" << std::endl;
  (*server)->Stop();
  server->reset();
  store->reset();  // closes RocksDB (flushes, joins its threads)
  std::cout << "eventmesh store: stopped" << std::endl;
  return 0;
}

}  // namespace
}  // namespace eventmesh::store::service

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  const std::string config = eventmesh::store::service::FindConfigArg(argc, argv);
  if (!config.empty()) {
    absl::Status applied = eventmesh::store::service::ApplyConfigFile(config);
    if (!applied.ok()) return eventmesh::store::service::Fail(applied);
  }
  absl::ParseCommandLine(argc, argv);
  return eventmesh::store::service::Run();
}
