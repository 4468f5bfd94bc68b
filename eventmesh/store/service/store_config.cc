#include "eventmesh/store/service/store_config.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace eventmesh::store::service {
namespace {

config::KeyTable<StoreServiceConfig> BuildKeyTable() {
  config::KeyTable<StoreServiceConfig> table;
  table
      .Int("port", &StoreServiceConfig::port, 0, 65535, "",
           "TCP port (0 = any free port; the real one is printed)")
      .String("bind", &StoreServiceConfig::bind, "address to bind; 0.0.0.0 for every interface",
              /*non_empty=*/true)
      .Custom("data_dir", "$XDG_DATA_HOME/eventmesh/store", "",
              "RocksDB directory (else $HOME/.local/share/eventmesh/store), created if missing, "
              "printed at start",
              [](const std::string&, const std::string& value, StoreServiceConfig* c) {
                c->data_dir = value;  // "" = the default
                return absl::OkStatus();
              })
      .Custom(
          "sync", std::string(SyncModeName(StoreServiceConfig{}.sync)), "",
          "none (WAL, no fsync: survives a process crash, not power loss), batch (group "
          "commit: one write + one fsync shared by concurrent appends), always (one fsync "
          "per append)",
          [](const std::string& key, const std::string& value, StoreServiceConfig* c) {
            absl::StatusOr<SyncMode> mode = ParseSyncMode(value);
            if (!mode.ok()) {
              return absl::InvalidArgumentError(absl::StrCat(key, ": ", mode.status().message()));
            }
            c->sync = *mode;
            return absl::OkStatus();
          })
      .Int("min_free_disk_bytes", &StoreServiceConfig::min_free_disk_bytes, 0, INT64_MAX, "bytes",
           "free space kept on the data directory's filesystem: appends that would use it fail "
           "at once (disk full, nothing written) and succeed again when space is freed (0 = no "
           "reserve)")
      .Int("sync_interval_us", &StoreServiceConfig::sync_interval_us, 0, kMaxSyncIntervalUs, "us",
           "sync batch: least time between the starts of two fsynced writes; appends arriving "
           "meanwhile share the next fsync (fewer, fuller fsyncs under load; an append after a "
           "quiet interval is written at once; 0 = write as soon as the previous write ended)")
      .Int("tail_cache_bytes", &StoreServiceConfig::tail_cache_bytes, 0, INT64_MAX, "bytes",
           "per partition, memory for the newest records, kept so fetches at the tail need no "
           "disk read (0 = none)")
      .Int("tail_cache_total_bytes", &StoreServiceConfig::tail_cache_total_bytes, 0, INT64_MAX,
           "bytes",
           "memory of all partitions' tail caches together; beyond it the partitions appended "
           "to least recently give up their oldest records first (0 = no cache)")
      .Int("max_event_bytes", &StoreServiceConfig::max_event_bytes, 1, INT64_MAX, "bytes",
           "largest event (payload + key + headers); InvalidArgument beyond")
      .Int("max_batch_bytes", &StoreServiceConfig::max_batch_bytes, 1, INT64_MAX, "bytes",
           "largest append batch; ResourceExhausted beyond")
      .Int("max_batch_events", &StoreServiceConfig::max_batch_events, 1, INT64_MAX, "events",
           "most events per append batch; ResourceExhausted beyond")
      .Int("max_request_fields", &StoreServiceConfig::max_request_fields, 1, INT64_MAX, "",
           "most fields in one request (records, header entries and the like, counted before "
           "parsing); ResourceExhausted beyond. At least 2 x max_batch_events + 16")
      .Int("io_threads", &StoreServiceConfig::io_threads, 1, 1024, "", "network threads")
      .Int("executor_threads", &StoreServiceConfig::executor_threads, 1, 65536, "",
           "threads running blocking engine calls other than Append and Fetch")
      .Int("max_connections", &StoreServiceConfig::max_connections, 1, 1'000'000, "",
           "client connections open at once; more are closed at once")
      .String("token_file", &StoreServiceConfig::token_file,
              "file holding the token clients must present (Authenticate) before any request; "
              "\"\" = no authentication (bind to loopback only)")
      .String("tls_cert_file", &StoreServiceConfig::tls_cert_file,
              "PEM server certificate (chain); set = every connection is TLS")
      .String("tls_key_file", &StoreServiceConfig::tls_key_file,
              "PEM private key; required with tls_cert_file")
      .String("tls_client_ca_file", &StoreServiceConfig::tls_client_ca_file,
              "PEM CA bundle; when set, clients must present a certificate it signed")
      .Int("handshake_timeout_ms", &StoreServiceConfig::handshake_timeout_ms, 1, 3'600'000, "ms",
           "a connection must finish its TLS handshake and Authenticate within this time")
      .Int("metrics_port", &StoreServiceConfig::metrics_port, -1, 65535, "",
           "HTTP port of GET /metrics (Prometheus) and GET /health (-1 = off, 0 = any free port)")
      .String("metrics_bind", &StoreServiceConfig::metrics_bind,
              "address the metrics port listens on", /*non_empty=*/true);
  return table;
}

}  // namespace

const config::KeyTable<StoreServiceConfig>& StoreServiceKeyTable() {
  static const config::KeyTable<StoreServiceConfig>* const table = new auto(BuildKeyTable());
  return *table;
}

absl::Status ApplyStoreServiceConfigText(const std::string& path, const std::string& text,
                                         StoreServiceConfig* config) {
  const auto& table = StoreServiceKeyTable();
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = absl::StrCat(path, ":", number, ": ");
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected key=value, got \"", line, "\""));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (absl::Status status = table.Apply(key, value, config); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, status.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreServiceConfig> ParseStoreServiceArgs(const std::vector<std::string>& args) {
  // Flags as (name, value) pairs, in order; --config is taken out.
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") {
      if (i + 1 < args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected argument \"", args[i + 1], "\""));
      }
      break;
    }
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\": expected --<key>=value"));
    }
    std::string name;
    std::string value;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      name = std::string(arg);
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("missing value for flag --", arg));
    }
    if (name == "config") {
      config_file = value;
    } else {
      flags.emplace_back(std::move(name), std::move(value));
    }
  }
  StoreServiceConfig config;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", config_file));
    std::stringstream text;
    text << in.rdbuf();
    if (absl::Status status = ApplyStoreServiceConfigText(config_file, text.str(), &config);
        !status.ok()) {
      return status;
    }
  }
  const auto& table = StoreServiceKeyTable();
  for (const auto& [name, value] : flags) {
    absl::Status status = table.Apply(name, value, &config, "--");
    if (!status.ok()) return absl::InvalidArgumentError(status.message());
  }
  // A full batch of plain events (a record and its payload each) must fit in one request.
  if (config.max_batch_events <= (INT64_MAX - 16) / 2 &&
      config.max_request_fields < 2 * config.max_batch_events + 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_request_fields (", config.max_request_fields,
                     ") must be at least 2 x max_batch_events + 16 (",
                     2 * config.max_batch_events + 16, ") so a full batch fits in one request"));
  }
  return config;
}

}  // namespace eventmesh::store::service
