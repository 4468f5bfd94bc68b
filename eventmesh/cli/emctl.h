#ifndef EVENTMESH_CLI_EMCTL_H_
#define EVENTMESH_CLI_EMCTL_H_

// emctl, the command-line client of the mesh: over a runtime's admin API status, topics,
// consumer groups (lag, replay), clients, events and dead letters, as readable tables or
// (--json / --output=json) the API's JSON; over its TCP or HTTP port (the C++ SDK) pub, sub,
// request (messaging.h) and bench (bench.h, the load tool's library). RunEmctl is the whole
// program minus main(): it parses `args` (without the program name), runs the command and
// writes to `out` / `err`. Exit codes: 0 done, 1 the runtime refused or is unreachable (the
// message says why), 2 bad usage. Usage text: kEmctlUsage.

#include <ostream>
#include <string>
#include <vector>

#include "eventmesh/cli/command_line.h"

namespace eventmesh::cli {

extern const char kEmctlUsage[];

int RunEmctl(const std::vector<std::string>& args, const EmctlEnvironment& env, std::ostream& out,
             std::ostream& err);

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_EMCTL_H_
