#ifndef EVENTMESH_CLI_EMCTL_H_
#define EVENTMESH_CLI_EMCTL_H_

// emctl, the command-line client of a runtime's admin API: status, topics, consumer groups
// (lag, replay), clients, events and dead letters, as readable tables or (--json) the API's
// JSON. RunEmctl is the whole program minus main(): it parses `args` (without the program
// name), calls the API and writes to `out` / `err`. Exit codes: 0 done, 1 the API refused or is
// unreachable (the message says why), 2 bad usage. Usage text: kEmctlUsage.

#include <ostream>
#include <string>
#include <vector>

namespace eventmesh::cli {

extern const char kEmctlUsage[];

// Defaults taken from the environment (EMCTL_ADMIN, EMCTL_TOKEN); flags override them.
struct EmctlEnvironment {
  std::string admin;
  std::string token;
};

int RunEmctl(const std::vector<std::string>& args, const EmctlEnvironment& env, std::ostream& out,
             std::ostream& err);

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_EMCTL_H_
