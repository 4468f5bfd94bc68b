#ifndef EVENTMESH_COMMON_CONFIG_VALUES_H_
#define EVENTMESH_COMMON_CONFIG_VALUES_H_

// Value parsers shared by every configurable component (runtime, connectors, store service):
// one wording for every error, always naming the key. Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::config {

// Any `max` at or above this counts as "no upper bound" in error messages.
inline constexpr int64_t kUnbounded = int64_t{1} << 60;

// A decimal integer in [min, max]. Error: InvalidArgument
// "invalid value \"v\" for key K: expected an integer in [min, max]" (or "... >= min" when max is
// kUnbounded or more).
absl::StatusOr<int64_t> ParseInt(absl::string_view key, absl::string_view value, int64_t min,
                                 int64_t max);

// "true" or "false". Error: "invalid value \"v\" for key K: expected true or false".
absl::StatusOr<bool> ParseBool(absl::string_view key, absl::string_view value);

// A comma-separated list; blanks around items are dropped, empty items skipped.
std::vector<std::string> ParseList(absl::string_view value);

// "host", "host:port" or "[v6]:port". `port` is 0 when absent; with `require_port` a missing
// port is an error. Error: "invalid value \"v\" for key K: expected host:port" (or host or
// host:port).
struct HostPort {
  std::string host;
  int port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(absl::string_view key, absl::string_view value,
                                       bool require_port);

// Java-properties text: key=value or key: value, '#'/'!' comments, blanks around keys and values
// trimmed. Error: InvalidArgument "line N: ..." for a line without '=' or ':' or with an empty
// key.
absl::StatusOr<std::map<std::string, std::string>> ParseProperties(absl::string_view text);

// Reads and parses a properties file. Errors: NotFound naming the file; ParseProperties' errors
// prefixed with the path.
absl::StatusOr<std::map<std::string, std::string>> LoadPropertiesFile(const std::string& path);

// The default data directory of `component`: $XDG_DATA_HOME/eventmesh/<component>, else
// $HOME/.local/share/eventmesh/<component>, else /tmp/eventmesh/<component>.
std::string DefaultDataDir(absl::string_view component);

}  // namespace eventmesh::config

#endif  // EVENTMESH_COMMON_CONFIG_VALUES_H_
