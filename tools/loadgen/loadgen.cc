// loadgen: drives an EventMesh runtime over TCP (or gRPC, --protocol=grpc) with N publishers
// and M subscribers (each its own EventMeshTcpClient / EventMeshGrpcClient and connection) and
// reports throughput and publish->deliver latency. The run itself is the :load_run library
// (also behind `emctl bench`); this file maps flags to LoadOptions and prints the report.
// See tools/loadgen/README.md.
//
// Exit status: 0 when every acknowledged event was delivered (to every subscriber in
// broadcasting mode) within the drain period, 1 when some were lost, 2 on a setup error.

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/common/release_tuning.h"
#include "tools/loadgen/load_run.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10000, "runtime TCP port (the gRPC port with --protocol=grpc)");
ABSL_FLAG(std::string, protocol, "tcp",
          "tcp (EventMeshTcpClient) or grpc (EventMeshGrpcClient: unary publish, "
          "subscribeStream with client acks)");
ABSL_FLAG(std::string, subscribe_host, "",
          "runtime host of the subscribers (default --host; another mesh's runtime measures "
          "cross-mesh forwarding)");
ABSL_FLAG(int, subscribe_port, 0, "runtime TCP port of the subscribers (default --port)");
ABSL_FLAG(bool, grpc_client_acks, true,
          "--protocol=grpc: subscribers acknowledge each event (false: the runtime counts an event "
          "delivered once written to the stream, as for Apache clients)");
ABSL_FLAG(int, publishers, 1, "number of publisher connections");
ABSL_FLAG(int, subscribers, 1, "number of subscriber connections");
ABSL_FLAG(std::string, topic, "", "topic (default: loadgen-<unix time>, fresh per run)");
ABSL_FLAG(std::string, mode, "clustering",
          "clustering (one group, each event to one subscriber) or broadcasting (to all)");
ABSL_FLAG(int, size, 256, "event payload (body) size in bytes");
ABSL_FLAG(double, rate, 0, "offered rate in events/s over all publishers; 0 = as fast as possible");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured publishing time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "publishing time before measuring");
ABSL_FLAG(absl::Duration, drain, absl::Seconds(10),
          "after publishing stops, how long to wait for outstanding deliveries");
ABSL_FLAG(int, max_in_flight, 90,
          "unacknowledged publishes per publisher (keep below the runtime's "
          "eventMesh.server.session.upstreamBufferSize)");
ABSL_FLAG(int, batch, 1,
          "events per publish call; > 1 sends each publisher's events in batchPublish calls of "
          "this many (--protocol=grpc only; at most --max_in_flight)");

namespace eventmesh::loadgen {
namespace {

int Main() {
  LoadOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.protocol = absl::GetFlag(FLAGS_protocol);
  options.subscribe_host = absl::GetFlag(FLAGS_subscribe_host);
  options.subscribe_port = absl::GetFlag(FLAGS_subscribe_port);
  options.grpc_client_acks = absl::GetFlag(FLAGS_grpc_client_acks);
  options.publishers = absl::GetFlag(FLAGS_publishers);
  options.subscribers = absl::GetFlag(FLAGS_subscribers);
  options.topic = absl::GetFlag(FLAGS_topic);
  options.mode = absl::GetFlag(FLAGS_mode);
  options.size = absl::GetFlag(FLAGS_size);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.drain = absl::GetFlag(FLAGS_drain);
  options.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  options.batch = absl::GetFlag(FLAGS_batch);
  if (options.topic.empty()) {
    options.topic = absl::StrCat("loadgen-", absl::ToUnixSeconds(absl::Now()));
  }
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    std::fprintf(stderr, "%s\n", std::string(valid.message()).c_str());
    return 2;
  }
  std::printf("%s", DescribeLoad(options).c_str());
  std::fflush(stdout);
  absl::StatusOr<LoadReport> report = RunLoad(options);
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
    return 2;
  }
  std::printf("%s", FormatLoadReport(options, *report).c_str());
  return report->delivery_checked && report->lost > 0 ? 1 : 0;
}

}  // namespace
}  // namespace eventmesh::loadgen

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  absl::ParseCommandLine(argc, argv);
  return eventmesh::loadgen::Main();
}
