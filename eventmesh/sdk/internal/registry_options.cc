#include "eventmesh/sdk/internal/registry_options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::sdk {

absl::Status RegistryOptions::Validate(const std::string& prefix) const {
  if (type != "eventmesh" && type != "etcd") {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "type must be eventmesh or etcd, got '", type, "'"));
  }
  if (addresses.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "addresses is required"));
  }
  for (const auto& address : addresses) {
    if (absl::StripAsciiWhitespace(address).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, "addresses has an empty entry"));
    }
  }
  if (absl::StripAsciiWhitespace(mesh).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "mesh is required"));
  }
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "timeout must be positive"));
  }
  if (watch_wait <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "watch_wait must be positive"));
  }
  if (watch_max_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "watch_max_backoff must be positive"));
  }
  return absl::OkStatus();
}

}  // namespace eventmesh::sdk
