#include "eventmesh/connectors/api/delivery_metadata.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace eventmesh::connectors {
namespace {
constexpr absl::string_view kPrefix = "deliveries=";
}  // namespace

std::string EncodeDeliveriesMetadata(int64_t offset, int32_t deliveries) {
  return absl::StrCat(kPrefix, offset, ":", deliveries);
}

int32_t DecodeDeliveriesMetadata(absl::string_view metadata, int64_t offset) {
  if (!absl::ConsumePrefix(&metadata, kPrefix)) return 0;
  const size_t colon = metadata.find(':');
  int64_t at = 0;
  int32_t count = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(metadata.substr(0, colon), &at) ||
      !absl::SimpleAtoi(metadata.substr(colon + 1), &count) || at != offset || count < 0) {
    return 0;
  }
  return count;
}

}  // namespace eventmesh::connectors
