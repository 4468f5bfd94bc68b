#ifndef EVENTMESH_CLI_COMMAND_LINE_H_
#define EVENTMESH_CLI_COMMAND_LINE_H_

// What every emctl command receives: the parsed command line (ParsedArgs), the environment
// main() read (EmctlEnvironment), the exit codes and the two ways a command ends badly (Usage,
// Fail). Value types; not thread-safe.

#include <atomic>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace eventmesh::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the runtime refused or could not be reached
inline constexpr int kExitUsage = 2;   // bad command line

// Defaults taken from the environment and the terminal; flags override them.
struct EmctlEnvironment {
  std::string admin;   // EMCTL_ADMIN: the admin port (default 127.0.0.1:10106)
  std::string token;   // EMCTL_TOKEN: the admin token
  std::string server;  // EMCTL_SERVER: the runtime of pub/sub/request/bench ("" = the default)
  // Standard input, read by `pub` without a data argument. nullptr = none.
  std::istream* in = nullptr;
  // Called by the long-running commands (sub, bench) before they start: returns a flag that
  // becomes true on Ctrl-C (main installs the signal handler only then). Unset = never.
  std::function<const std::atomic<bool>*()> catch_interrupts;
  // Show progress on the error stream (main: when it is a terminal).
  bool progress = false;
};

// The command line: positional arguments and flags, in any order.
struct ParsedArgs {
  std::vector<std::string> positional;
  // The last value of each flag given; "true"/"false" for boolean flags.
  std::map<std::string, std::string> flags;
  // Every value of the repeatable flags (--property).
  std::map<std::string, std::vector<std::string>> repeated;
  // Set when the command line is malformed (unknown flag, missing value).
  std::optional<std::string> error;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  // A boolean flag: `fallback` when absent.
  bool Bool(const std::string& name, bool fallback = false) const;
  std::vector<std::string> All(const std::string& name) const;
  // --json or --output=json.
  bool JsonOutput() const;
};

// Parses `args` (without the program name). "--" ends the flags. Flags take their value as
// --name=value or --name value; boolean flags (--json, --help, --ack, --tls) take none or
// =true/=false.
ParsedArgs ParseArgs(const std::vector<std::string>& args);

// Writes "emctl: <message> (emctl --help lists the commands and flags)"; returns kExitUsage.
int Usage(std::ostream& err, const std::string& message);
// Writes "emctl: <message>"; returns kExitFailed.
int Fail(std::ostream& err, const std::string& message);

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_COMMAND_LINE_H_
