#include "eventmesh/sdk/internal/tcp_client_options.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::sdk {

absl::Status TcpClientOptions::Validate() const {
  if (host.empty()) return absl::InvalidArgumentError("host is required");
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port must be in 1..65535, got ", port));
  }
  if (absl::StripAsciiWhitespace(group).empty()) {
    return absl::InvalidArgumentError("group is required");
  }
  if (version.empty()) return absl::InvalidArgumentError("version is required");
  const std::pair<const char*, absl::Duration> durations[] = {
      {"heartbeat_interval", heartbeat_interval},
      {"request_timeout", request_timeout},
      {"connect_timeout", connect_timeout},
      {"reconnect_initial_backoff", reconnect_initial_backoff},
      {"reconnect_max_backoff", reconnect_max_backoff},
  };
  for (const auto& [name, value] : durations) {
    if (value <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be positive"));
    }
  }
  if (registry.has_value()) return registry->Validate("registry.");
  return absl::OkStatus();
}

}  // namespace eventmesh::sdk
