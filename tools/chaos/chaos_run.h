#ifndef TOOLS_CHAOS_CHAOS_RUN_H_
#define TOOLS_CHAOS_CHAOS_RUN_H_

// One chaos run: real processes (the runtime binary, and for the "store" configurations the store
// service binary), a publisher that records every acknowledged event, consumers of one group that
// record every event they processed, and a schedule of faults injected between stretches of
// traffic. At the end traffic stops, the consumers drain, and the Ledger says what was lost (must
// be nothing), duplicated (allowed, reported) or unexpected (must be nothing).
//
// Faults (each chosen at random among those that apply to the configuration):
//   kill-runtime     SIGKILL the runtime, restart it on the same ports and data directory
//   stop-runtime     SIGSTOP the runtime longer than the clients' timeouts, then SIGCONT
//   kill-store       SIGKILL the store service, restart it (store configurations)
//   stop-store       SIGSTOP the store service longer than its sessions' timeout, then SIGCONT
//   cut-connections  reset every client connection at once, wherever a frame stands
//   crash-consumer   a consumer stops acknowledging, then leaves; a new one joins
// Every client reaches the runtime through a TcpProxy (for cut-connections).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/chaos/ledger.h"

namespace eventmesh::chaos {

struct ChaosConfig {
  std::string name;            // e.g. "embedded-batch"
  bool store_service = false;  // runtime on the store service (else the embedded store)
  std::string sync = "batch";  // none | batch | always
};

// "embedded-batch" → {embedded, batch}; "store-always" → {store service, always}.
absl::StatusOr<ChaosConfig> ParseChaosConfig(const std::string& name);

struct ChaosOptions {
  std::string runtime_binary;
  std::string store_binary;
  std::string work_dir;  // one subdirectory per configuration
  int faults = 50;
  std::vector<std::string> fault_kinds;        // empty = every kind that applies
  absl::Duration interval = absl::Seconds(1);  // traffic between faults
  int rate = 2000;                             // publishes per second
  int max_in_flight = 128;
  int consumers = 2;
  absl::Duration stop_time = absl::Milliseconds(2500);  // SIGSTOP length
  absl::Duration drain_timeout = absl::Seconds(90);
  uint64_t seed = 1;
};

struct ChaosResult {
  ChaosConfig config;
  Ledger::Report report;
  std::vector<std::string> faults;  // what was injected, in order
  absl::Duration duration;
  std::string failure;  // non-empty when the run could not be completed (a process failed)
  bool ok() const { return failure.empty() && report.ok(); }
};

// Runs one configuration to the end. Never throws; problems end up in ChaosResult::failure.
ChaosResult RunChaos(const ChaosConfig& config, const ChaosOptions& options);

}  // namespace eventmesh::chaos

#endif  // TOOLS_CHAOS_CHAOS_RUN_H_
