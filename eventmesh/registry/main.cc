// The registry server: `bazel run //eventmesh/registry -- --port=10200`. Runtimes register
// here, clients discover them, and meshes learn who wants which topic (README.md).

#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/config/secret_file.h"
#include "eventmesh/common/config/values.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/registry/registry_server.h"
#include "glog/logging.h"

ABSL_FLAG(int32_t, port, 10200, "HTTP port of the registry API (0 = any free port)");
ABSL_FLAG(std::string, bind, "127.0.0.1", "address to bind (0.0.0.0 = every interface)");
ABSL_FLAG(std::string, data_dir, "",
          "directory of the persisted state: registry-state.json (snapshot) and "
          "registry-state.json.journal (default: $XDG_DATA_HOME/eventmesh/registry or "
          "~/.local/share/eventmesh/registry)");
ABSL_FLAG(std::string, token_file, "",
          "file whose first line is the token that registration and removal need "
          "(Authorization: Bearer <token>); empty = no token");
ABSL_FLAG(int64_t, lease_default_ms, 30'000, "lease when a runtime asks for none, ms");
ABSL_FLAG(int64_t, lease_min_ms, 500, "shortest lease granted, ms");
ABSL_FLAG(int64_t, lease_max_ms, 300'000, "longest lease granted, ms");
ABSL_FLAG(int64_t, max_instances, 10'000, "instances held at most");
ABSL_FLAG(int64_t, max_watchers, 10'000, "long polls waiting at most");
ABSL_FLAG(int64_t, journal_max_records, 10'000,
          "journal records after which the state is compacted into a new snapshot");
ABSL_FLAG(int64_t, journal_max_bytes, 8 << 20,
          "journal size (bytes) after which the state is compacted into a new snapshot");
ABSL_FLAG(int64_t, max_connections, 10'000, "HTTP connections open at most");
ABSL_FLAG(int32_t, threads, 2, "io threads");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM server certificate (chain); set = HTTPS only");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key; required with --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle; when set, clients must present a certificate it signed");

namespace eventmesh::registry {
namespace {

int Fail(const absl::Status& status) {
  std::cerr << "eventmesh registry: " << status.message() << std::endl;
  return 1;
}

int Run() {
  RegistryServerOptions options;
  options.http.address = absl::GetFlag(FLAGS_bind);
  options.http.port = absl::GetFlag(FLAGS_port);
  options.http.threads = absl::GetFlag(FLAGS_threads);
  if (const std::string cert = absl::GetFlag(FLAGS_tls_cert_file); !cert.empty()) {
    auto tls = net::MakeServerTlsContext(
        {cert, absl::GetFlag(FLAGS_tls_key_file), absl::GetFlag(FLAGS_tls_client_ca_file)},
        {"--tls_cert_file", "--tls_key_file", "--tls_client_ca_file"});
    if (!tls.ok()) return Fail(tls.status());
    options.http.tls = *std::move(tls);
  }
  options.http.max_body_bytes = 4 << 20;
  if (absl::GetFlag(FLAGS_max_connections) < 1) {
    return Fail(absl::InvalidArgumentError("--max_connections must be at least 1"));
  }
  options.http.max_connections = static_cast<size_t>(absl::GetFlag(FLAGS_max_connections));
  options.state.default_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_lease_default_ms));
  options.state.min_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_lease_min_ms));
  options.state.max_ttl = absl::Milliseconds(absl::GetFlag(FLAGS_lease_max_ms));
  if (absl::GetFlag(FLAGS_max_instances) < 1 || absl::GetFlag(FLAGS_max_watchers) < 1) {
    return Fail(absl::InvalidArgumentError("--max_instances and --max_watchers must be positive"));
  }
  options.state.max_instances = static_cast<size_t>(absl::GetFlag(FLAGS_max_instances));
  options.state.max_watchers = static_cast<size_t>(absl::GetFlag(FLAGS_max_watchers));
  if (absl::GetFlag(FLAGS_journal_max_records) < 1 || absl::GetFlag(FLAGS_journal_max_bytes) < 1) {
    return Fail(absl::InvalidArgumentError(
        "--journal_max_records and --journal_max_bytes must be positive"));
  }
  options.state.journal_max_records = static_cast<size_t>(absl::GetFlag(FLAGS_journal_max_records));
  options.state.journal_max_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_journal_max_bytes));
  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) data_dir = config::DefaultDataDir("registry");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail(absl::UnavailableError(
        absl::StrCat("cannot create --data_dir ", data_dir, ": ", ec.message())));
  }
  options.state.state_file = (std::filesystem::path(data_dir) / "registry-state.json").string();
  if (const std::string path = absl::GetFlag(FLAGS_token_file); !path.empty()) {
    auto token = config::ReadSecretFile("--token_file", path);
    if (!token.ok()) return Fail(token.status());
    options.token = *std::move(token);
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = RegistryServer::Start(options);
  if (!server.ok()) return Fail(server.status());
  std::cout << "eventmesh registry listening on " << (*server)->url() << " (state "
            << options.state.state_file << (options.token.empty() ? "" : ", token required") << ")"
            << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cout << "eventmesh registry: signal " << signal_number << ", shutting down" << std::endl;
  server->reset();
  return 0;
}

}  // namespace
}  // namespace eventmesh::registry

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  absl::ParseCommandLine(argc, argv);
  return eventmesh::registry::Run();
}
