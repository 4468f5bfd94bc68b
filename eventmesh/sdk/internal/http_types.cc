#include "eventmesh/sdk/internal/http_types.h"

#include <string>

#include "absl/strings/numbers.h"

namespace eventmesh::sdk::http {

std::optional<int64_t> RetCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetCodePayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return std::nullopt;
  return value;
}

}  // namespace eventmesh::sdk::http
