#include "eventmesh/store/engine/event_store.h"

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::store {

absl::StatusOr<SyncMode> ParseSyncMode(absl::string_view text) {
  if (text == "none") return SyncMode::kNone;
  if (text == "batch") return SyncMode::kBatch;
  if (text == "always") return SyncMode::kAlways;
  return absl::InvalidArgumentError(
      absl::StrCat("sync mode must be one of none|batch|always, got \"", text, "\""));
}

absl::string_view SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kNone:
      return "none";
    case SyncMode::kBatch:
      return "batch";
    case SyncMode::kAlways:
      return "always";
  }
  return "unknown";
}

absl::Status ValidateTopicName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("topic name must not be empty");
  if (name.size() > 249) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic name is ", name.size(), " characters long, the maximum is 249"));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("topic name must not be \"", name, "\""));
  }
  // Levels separated by '/' (MQTT topic levels), each non-empty, not "." or "..".
  size_t level_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      absl::string_view level = name.substr(level_start, i - level_start);
      if (level.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "topic name \"", absl::CEscape(name), "\" has an empty level at position ", i,
            "; levels are separated by single '/' and the name neither starts nor ends with '/'"));
      }
      if (level == "." || level == "..") {
        return absl::InvalidArgumentError(
            absl::StrCat("topic name \"", name, "\" must not have a level \"", level, "\""));
      }
      level_start = i + 1;
      continue;
    }
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "topic name \"", absl::CEscape(name), "\" has an invalid character at position ", i,
          "; allowed are [A-Za-z0-9._-] and '/' between levels"));
    }
  }
  return absl::OkStatus();
}

namespace {
std::optional<int64_t> PayloadInt(const absl::Status& status, absl::string_view key) {
  absl::optional<absl::Cord> payload = status.GetPayload(key);
  if (!payload.has_value()) return std::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return std::nullopt;
  return value;
}
}  // namespace

std::optional<int64_t> EarliestOffsetOf(const absl::Status& status) {
  return PayloadInt(status, kEarliestOffsetPayload);
}

std::optional<int64_t> LatestOffsetOf(const absl::Status& status) {
  return PayloadInt(status, kLatestOffsetPayload);
}

absl::Status OffsetOutOfRange(absl::string_view message, int64_t earliest_offset,
                              int64_t latest_offset) {
  absl::Status status = absl::OutOfRangeError(message);
  status.SetPayload(kEarliestOffsetPayload, absl::Cord(absl::StrCat(earliest_offset)));
  status.SetPayload(kLatestOffsetPayload, absl::Cord(absl::StrCat(latest_offset)));
  return status;
}

}  // namespace eventmesh::store
