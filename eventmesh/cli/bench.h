#ifndef EVENTMESH_CLI_BENCH_H_
#define EVENTMESH_CLI_BENCH_H_

// `emctl bench [topic]`: one load run of //tools/loadgen:load_run (publishers and subscribers
// of the SDK's TCP or gRPC client against --server, or a TCP runtime of the mesh through
// --registry) and its figures: rates, publish->deliver latency p50/p99/p99.9/max, errors and
// lost events; with --json / --output=json one JSON object. While it runs, a progress line on
// the error stream when env.progress (a terminal). Exit code: 0 every acknowledged event
// delivered, 1 events lost or the runtime unreachable, 2 bad usage. Blocks its caller; Ctrl-C
// (env.catch_interrupts) ends the run early with the figures so far.

#include <ostream>

#include "eventmesh/cli/command_line.h"

namespace eventmesh::cli {

int RunBench(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
             std::ostream& err);

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_BENCH_H_
