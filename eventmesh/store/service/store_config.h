#ifndef EVENTMESH_STORE_SERVICE_STORE_CONFIG_H_
#define EVENTMESH_STORE_SERVICE_STORE_CONFIG_H_

// store_main's configuration: command-line flags `--<key>=value` (also `-<key>=value` and
// `--<key> value`) and an optional `--config=<file>` of `key=value` lines ('#' comments, blanks
// around keys and values trimmed) with the same keys; flags given on the command line win over
// the file. Every key is declared once, in StoreServiceKeyTable() (store_config.cc), with its
// default, unit, range and description; eventmesh/store/service/README.md carries the rendered
// reference (`bazel run //eventmesh/store/service:config_reference`; config_reference_test
// fails when they differ).
//
// Errors (InvalidArgument unless said otherwise): an unknown flag or file key ("unknown
// configuration key --prot (did you mean --port?)", "<file>:2: unknown configuration key
// bogus_key"), a bad value naming the key ("invalid value \"x\" for key --port: expected an
// integer in [0, 65535]"; file errors are prefixed with "<file>:<line>: "), a line without '=',
// a missing value after the last flag, a positional argument; NotFound for an unreadable file.
// Pure functions (besides reading the file); thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/store/engine/event_store.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"

namespace eventmesh::store::service {

struct StoreServiceConfig {
  uint16_t port = kDefaultStorePort;
  std::string bind = "127.0.0.1";
  std::string data_dir;  // "" = config::DefaultDataDir("store")
  SyncMode sync = SyncMode::kBatch;
  int64_t max_event_bytes = AppendLimits{}.max_event_bytes;
  int64_t max_batch_bytes = AppendLimits{}.max_batch_bytes;
  int64_t max_batch_events = AppendLimits{}.max_batch_events;
  // StoreServerOptions::max_request_fields; at least 2 * max_batch_events + 16 (checked).
  int64_t max_request_fields = 1 << 17;
  int64_t min_free_disk_bytes = int64_t{64} << 20;             // StoreOptions::min_free_disk_bytes
  int64_t sync_interval_us = StoreOptions{}.sync_interval_us;  // StoreOptions::sync_interval_us
  int64_t tail_cache_bytes = StoreOptions{}.tail_cache_bytes;  // StoreOptions::tail_cache_bytes
  // StoreOptions::tail_cache_total_bytes
  int64_t tail_cache_total_bytes = StoreOptions{}.tail_cache_total_bytes;
  int32_t io_threads = 2;
  int32_t executor_threads = 32;
  int64_t max_connections = 10'000;
  std::string token_file;     // "" = no authentication
  std::string tls_cert_file;  // "" = plain TCP
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int64_t handshake_timeout_ms = 10'000;
  int32_t metrics_port = -1;  // -1 = no metrics endpoint
  std::string metrics_bind = "127.0.0.1";
};

// The keys (flag names without the dashes; the same names in the --config file).
const config::KeyTable<StoreServiceConfig>& StoreServiceKeyTable();

// Parses the command-line arguments (without the program name): the --config file first, then
// the flags. `--help` is not handled here.
absl::StatusOr<StoreServiceConfig> ParseStoreServiceArgs(const std::vector<std::string>& args);

// Applies a --config file's `text` (named `path` in messages) to `config`.
absl::Status ApplyStoreServiceConfigText(const std::string& path, const std::string& text,
                                         StoreServiceConfig* config);

}  // namespace eventmesh::store::service

#endif  // EVENTMESH_STORE_SERVICE_STORE_CONFIG_H_
