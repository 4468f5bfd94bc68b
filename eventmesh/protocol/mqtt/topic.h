#ifndef EVENTMESH_PROTOCOL_MQTT_TOPIC_H_
#define EVENTMESH_PROTOCOL_MQTT_TOPIC_H_

// MQTT topic names and filters (MQTT 5.0 section 4.7, the same rules in 3.1.1): validation,
// wildcard matching and shared-subscription parsing. Pure functions; thread-safe.
//
//  - a topic name has no wildcard ('+', '#'), is non-empty and at most 65,535 bytes;
//  - a filter is non-empty; '+' fills a whole level, '#' fills a whole level and is the last;
//  - TopicMatches follows 4.7.1: '+' matches one level (also an empty one), '#' matches the
//    parent level and every level below; a filter starting with a wildcard does not match
//    topic names starting with '$';
//  - "$share/<group>/<filter>" is a shared subscription (MQTT 5); the group is non-empty and has
//    no '/', '+' or '#'.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::mqtt {

// Errors: InvalidArgument naming the rule, with reason code 0x90 Topic Name invalid.
absl::Status ValidateTopicName(absl::string_view topic);
// Errors: InvalidArgument naming the rule, with reason code 0x8F Topic Filter invalid.
absl::Status ValidateTopicFilter(absl::string_view filter);
// True when `filter` contains a wildcard level.
bool HasWildcard(absl::string_view filter);
// REQUIRES: `filter` valid, `topic` valid.
bool TopicMatches(absl::string_view filter, absl::string_view topic);

struct SharedFilter {
  std::string group;   // empty: not a shared subscription
  std::string filter;  // the filter without the "$share/<group>/" prefix
};
// Splits a shared subscription; a filter not starting with "$share/" comes back unchanged with
// an empty group. Errors: InvalidArgument (reason 0x8F) for a malformed "$share/..." filter.
absl::StatusOr<SharedFilter> ParseSharedFilter(absl::string_view filter);

}  // namespace eventmesh::protocol::mqtt

#endif  // EVENTMESH_PROTOCOL_MQTT_TOPIC_H_
