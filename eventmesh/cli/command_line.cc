#include "eventmesh/cli/command_line.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::cli {
namespace {

// Flags that take a value; every other known flag is boolean.
const std::set<std::string>& ValueFlags() {
  static const auto* const flags = new std::set<std::string>{
      // admin commands
      "admin", "token", "ca-file", "partitions", "topic", "to", "partition", "from", "count",
      "offset", "protocol", "group", "id", "address", "path", "timeout", "subsystem", "output",
      "retention", "retention-bytes",
      // pub / sub / request / bench
      "server", "registry", "registry-type", "mesh", "idc", "user", "password", "type", "source",
      "mode", "listen", "advertise", "rate", "duration", "warmup", "drain", "publishers",
      "subscribers", "size", "max-in-flight"};
  return *flags;
}
const std::set<std::string>& BoolFlags() {
  static const auto* const flags = new std::set<std::string>{"json", "help", "ack", "tls"};
  return *flags;
}
const std::set<std::string>& RepeatedFlags() {
  static const auto* const flags = new std::set<std::string>{"property"};
  return *flags;
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end()) return std::nullopt;
  return it->second;
}

bool ParsedArgs::Bool(const std::string& name, bool fallback) const {
  auto it = flags.find(name);
  return it == flags.end() ? fallback : it->second == "true";
}

std::vector<std::string> ParsedArgs::All(const std::string& name) const {
  auto it = repeated.find(name);
  return it == repeated.end() ? std::vector<std::string>{} : it->second;
}

bool ParsedArgs::JsonOutput() const { return Bool("json") || Get("output") == "json"; }

ParsedArgs ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) parsed.positional.push_back(args[i]);
      break;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      parsed.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (BoolFlags().count(name) > 0) {
      if (value.has_value() && *value != "true" && *value != "false") {
        parsed.error = absl::StrCat("--", name, " takes no value");
        return parsed;
      }
      parsed.flags[name] = value.value_or("true");
      continue;
    }
    const bool repeated = RepeatedFlags().count(name) > 0;
    if (ValueFlags().count(name) == 0 && !repeated) {
      parsed.error = absl::StrCat("unknown flag --", name);
      return parsed;
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        parsed.error = absl::StrCat("--", name, " needs a value");
        return parsed;
      }
      value = args[++i];
    }
    if (repeated) {
      parsed.repeated[name].push_back(*value);
    } else {
      parsed.flags[name] = *value;
    }
  }
  return parsed;
}

int Usage(std::ostream& err, const std::string& message) {
  err << "emctl: " << message << " (emctl --help lists the commands and flags)\n";
  return kExitUsage;
}

int Fail(std::ostream& err, const std::string& message) {
  err << "emctl: " << message << "\n";
  return kExitFailed;
}

}  // namespace eventmesh::cli
