#include "eventmesh/protocol/mqtt/topic.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventmesh/protocol/mqtt/codec.h"

namespace eventmesh::protocol::mqtt {
namespace {

absl::Status BadName(absl::string_view topic, absl::string_view why) {
  return WithReasonCode(absl::InvalidArgumentError(absl::StrCat("invalid topic name \"",
                                                                absl::CEscape(topic), "\": ", why)),
                        reason::kTopicNameInvalid);
}
absl::Status BadFilter(absl::string_view filter, absl::string_view why) {
  return WithReasonCode(absl::InvalidArgumentError(absl::StrCat(
                            "invalid topic filter \"", absl::CEscape(filter), "\": ", why)),
                        reason::kTopicFilterInvalid);
}

}  // namespace

absl::Status ValidateTopicName(absl::string_view topic) {
  if (topic.empty()) return BadName(topic, "empty");
  if (topic.size() > 65535) return BadName(topic.substr(0, 64), "longer than 65535 bytes");
  if (!IsValidMqttUtf8(topic)) return BadName(topic, "not valid UTF-8");
  if (topic.find_first_of("+#") != absl::string_view::npos) {
    return BadName(topic, "wildcards '+' and '#' are not allowed in a topic name");
  }
  return absl::OkStatus();
}

absl::Status ValidateTopicFilter(absl::string_view filter) {
  if (filter.empty()) return BadFilter(filter, "empty");
  if (filter.size() > 65535) return BadFilter(filter.substr(0, 64), "longer than 65535 bytes");
  if (!IsValidMqttUtf8(filter)) return BadFilter(filter, "not valid UTF-8");
  std::vector<absl::string_view> levels = absl::StrSplit(filter, '/');
  for (size_t i = 0; i < levels.size(); ++i) {
    absl::string_view level = levels[i];
    if (level.find('#') != absl::string_view::npos) {
      if (level != "#") return BadFilter(filter, "'#' must fill a whole level");
      if (i + 1 != levels.size()) return BadFilter(filter, "'#' must be the last level");
    }
    if (level.find('+') != absl::string_view::npos && level != "+") {
      return BadFilter(filter, "'+' must fill a whole level");
    }
  }
  return absl::OkStatus();
}

bool HasWildcard(absl::string_view filter) {
  return filter.find_first_of("+#") != absl::string_view::npos;
}

bool TopicMatches(absl::string_view filter, absl::string_view topic) {
  if (!topic.empty() && topic[0] == '$' && !filter.empty() &&
      (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  size_t f = 0;
  size_t t = 0;
  for (;;) {
    const size_t f_end = std::min(filter.find('/', f), filter.size());
    absl::string_view flevel = filter.substr(f, f_end - f);
    if (flevel == "#") return true;      // the parent level and everything below
    if (t > topic.size()) return false;  // the topic has fewer levels
    const size_t t_end = std::min(topic.find('/', t), topic.size());
    absl::string_view tlevel = topic.substr(t, t_end - t);
    if (flevel != "+" && flevel != tlevel) return false;
    const bool f_last = f_end == filter.size();
    const bool t_last = t_end == topic.size();
    if (f_last && t_last) return true;
    if (f_last) return false;
    if (t_last) {
      // "a/#" matches "a": the only filter level left may be "#".
      return filter.substr(f_end + 1) == "#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

absl::StatusOr<SharedFilter> ParseSharedFilter(absl::string_view filter) {
  constexpr absl::string_view kPrefix = "$share/";
  SharedFilter shared;
  if (filter.substr(0, kPrefix.size()) != kPrefix) {
    shared.filter = std::string(filter);
    return shared;
  }
  absl::string_view rest = filter.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash == 0) {
    return BadFilter(filter, "a shared subscription is $share/<group>/<filter>");
  }
  absl::string_view group = rest.substr(0, slash);
  if (group.find_first_of("+#") != absl::string_view::npos) {
    return BadFilter(filter, "a share name must not contain '+' or '#'");
  }
  absl::string_view inner = rest.substr(slash + 1);
  if (absl::Status s = ValidateTopicFilter(inner); !s.ok()) return s;
  shared.group = std::string(group);
  shared.filter = std::string(inner);
  return shared;
}

}  // namespace eventmesh::protocol::mqtt
