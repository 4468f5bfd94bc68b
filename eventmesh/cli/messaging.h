#ifndef EVENTMESH_CLI_MESSAGING_H_
#define EVENTMESH_CLI_MESSAGING_H_

// emctl's messaging commands, over the C++ SDK's TCP client (//eventmesh/sdk:tcp_client) or
// HTTP client and webhook subscriber (//eventmesh/sdk/http), against one runtime (--server) or
// a runtime of the mesh picked through the registry (--registry):
//   pub <topic> [data]       publishes data (or each line of stdin) and waits for each ack;
//   sub <topic>...           prints events as they arrive until Ctrl-C, --count or --timeout,
//                            acknowledging each printed event (unless --ack=false);
//   request <topic> <data>   sends a request and prints the reply.
// Each takes `args` as parsed by ParseArgs (positional[0] is the command), writes results to
// `out` (a line per event, or with --json / --output=json one JSON object per event or result)
// and errors to `err`, and returns the exit code: 0 done, 1 unreachable / refused / failed,
// 2 bad usage. The commands block their caller until they are done.

#include <ostream>

#include "eventmesh/cli/command_line.h"

namespace eventmesh::cli {

int RunPub(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
           std::ostream& err);
int RunSub(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
           std::ostream& err);
int RunRequest(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
               std::ostream& err);

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_MESSAGING_H_
