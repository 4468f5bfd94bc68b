#ifndef TOOLS_LOADGEN_LOAD_RUN_H_
#define TOOLS_LOADGEN_LOAD_RUN_H_

// One load run against an EventMesh runtime, as a library: the loadgen binary and `emctl bench`
// both call RunLoad.
//
// RunLoad connects `subscribers` subscribers (first, so nothing published is missed) and
// `publishers` publishers, each its own EventMeshTcpClient (or EventMeshGrpcClient with protocol
// "grpc") and connection, publishes for warmup + duration, waits up to `drain` for the
// outstanding deliveries, closes every client and returns the figures. Every event carries, as
// message properties, its publisher index (loadgenpub), sequence number (loadgenseq) and send
// time in ns since the epoch (loadgents); subscribers compute the publish->deliver latency on
// arrival (same host clock). Figures cover the measured window [warmup, warmup + duration).
//
// Thread-safety: RunLoad blocks its caller; `progress` runs on a helper thread of the run, about
// every progress_interval, and must not block for long.
// Errors: InvalidArgument (bad options, message names the flag), Unavailable / the SDK's errors
// prefixed with "subscriber N: " / "publisher N: " when a client cannot connect or subscribe.
// Lost events are not an error: LoadReport::lost says how many.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/tcp_client.h"
#include "tools/loadgen/load_stats.h"

namespace eventmesh::loadgen {

// What to run. Every field states its default.
struct LoadOptions {
  std::string protocol = "tcp";  // "tcp" or "grpc"
  // Runtime address (the gRPC port with protocol "grpc"). Default 127.0.0.1:10000.
  std::string host = "127.0.0.1";
  int port = sdk::kDefaultTcpPort;
  // TCP only: find the runtime in the mesh registry instead of host:port. Default unset.
  std::optional<sdk::RegistryOptions> registry;
  // Subscribers' runtime when it differs (another mesh measures cross-mesh forwarding).
  // Default "" / 0 = host / port.
  std::string subscribe_host;
  int subscribe_port = 0;
  // TCP credentials sent with HELLO (empty = not sent).
  std::string username;
  std::string password;
  std::string token;
  // gRPC subscribers acknowledge every event. Default true.
  bool grpc_client_acks = true;
  int publishers = 1;   // publisher connections, >= 1
  int subscribers = 1;  // subscriber connections, >= 0
  std::string topic;    // "" = loadgen-<unix time>
  // "clustering" (one group, each event to one subscriber) or "broadcasting" (to all).
  std::string mode = "clustering";
  int size = 256;   // payload bytes per event
  double rate = 0;  // offered events/s over all publishers; 0 = as fast as possible
  absl::Duration duration = absl::Seconds(10);  // measured publishing time, > 0
  absl::Duration warmup = absl::Seconds(2);     // publishing before the measured window
  absl::Duration drain = absl::Seconds(10);     // wait for outstanding deliveries afterwards
  int max_in_flight = 90;                       // unacknowledged publishes per publisher, >= 1
  // Events per publish call: > 1 sends them in one batchPublish (protocol "grpc" only), each
  // publisher filling a batch before sending it. 1 <= batch <= max_in_flight. Default 1.
  int batch = 1;
  // Period of the progress callback. Default 1 s.
  absl::Duration progress_interval = absl::Seconds(1);
  // When set and it becomes true (e.g. on Ctrl-C), publishing and the drain end early; the
  // report covers what happened until then. Default unset. Not owned.
  const std::atomic<bool>* cancel = nullptr;

  // InvalidArgument naming the bad field (loadgen's flag names).
  absl::Status Validate() const;
};

// A snapshot while the run goes on.
struct LoadProgress {
  std::string phase;  // "warm-up", "measuring" or "draining"
  absl::Duration elapsed;
  uint64_t sent = 0;
  uint64_t acked = 0;
  uint64_t errors = 0;
  uint64_t delivered = 0;  // first deliveries
};

// The figures of a finished run.
struct LoadReport {
  std::string topic;
  double measured_seconds = 0;
  uint64_t sent = 0;
  uint64_t sent_in_window = 0;
  uint64_t acked = 0;
  uint64_t acked_in_window = 0;
  uint64_t errors = 0;
  std::map<std::string, uint64_t> error_texts;  // status text -> count
  uint64_t delivered = 0;                       // first deliveries
  uint64_t delivered_in_window = 0;
  uint64_t duplicates = 0;  // redeliveries
  uint64_t malformed = 0;   // events without the loadgen properties (ignored)
  // Acknowledged events (times subscribers when broadcasting) not delivered after the drain.
  uint64_t lost = 0;
  // With lost > 0: first deliveries were still arriving in the drain's last second, so the
  // undelivered events are more likely a backlog the subscribers had not reached than a loss
  // (a longer drain tells).
  bool still_arriving = false;
  bool delivery_checked = false;  // false with 0 subscribers
  bool broadcast = false;
  Percentiles latency;  // publish->deliver of events sent in the window, ns

  double sent_rate() const { return sent_in_window / measured_seconds; }
  double acked_rate() const { return acked_in_window / measured_seconds; }
  double delivered_rate() const { return delivered_in_window / measured_seconds; }
};

using ProgressCallback = std::function<void(const LoadProgress&)>;

absl::StatusOr<LoadReport> RunLoad(LoadOptions options, ProgressCallback progress = nullptr);

// The line loadgen prints before a run ("loadgen: tcp, 1 publisher(s), ...").
std::string DescribeLoad(const LoadOptions& options);
// loadgen's summary of a report: sent/acked/errors/delivered/latency lines and the RESULT line.
std::string FormatLoadReport(const LoadOptions& options, const LoadReport& report);

}  // namespace eventmesh::loadgen

#endif  // TOOLS_LOADGEN_LOAD_RUN_H_
