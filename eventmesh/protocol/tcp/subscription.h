#ifndef EVENTMESH_PROTOCOL_TCP_SUBSCRIPTION_H_
#define EVENTMESH_PROTOCOL_TCP_SUBSCRIPTION_H_

// Body of SUBSCRIBE_REQUEST / UNSUBSCRIBE_REQUEST (Java `Subscription`):
//   {"topicList":[{"topic":"T","mode":"CLUSTERING","type":"ASYNC"}, ...]}
// Enum values travel as their Java names. UNRECOGNIZED (the Java fallback value) is
// accepted and kept; any other name is an error naming it. A missing topicList is an
// empty list. Value types. Errors: InvalidArgument.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::tcp {

enum class SubscriptionMode { kClustering, kBroadcasting, kUnrecognized };
enum class SubscriptionType { kAsync, kSync, kUnrecognized };

absl::string_view SubscriptionModeName(SubscriptionMode mode);  // "CLUSTERING", ...
absl::string_view SubscriptionTypeName(SubscriptionType type);  // "ASYNC", ...
absl::StatusOr<SubscriptionMode> ParseSubscriptionMode(absl::string_view name);
absl::StatusOr<SubscriptionType> ParseSubscriptionType(absl::string_view name);

struct SubscriptionItem {
  std::string topic;
  SubscriptionMode mode = SubscriptionMode::kClustering;
  SubscriptionType type = SubscriptionType::kAsync;

  bool operator==(const SubscriptionItem& o) const {
    return topic == o.topic && mode == o.mode && type == o.type;
  }
};

struct Subscription {
  std::vector<SubscriptionItem> topic_list;

  // Errors: malformed JSON, not an object, topicList not an array, an item that is not
  // an object / has no topic / no mode / no type, unknown mode or type
  // ("unknown subscription mode \"X\"").
  static absl::StatusOr<Subscription> FromJson(absl::string_view json);
  std::string ToJson() const;

  bool operator==(const Subscription& o) const { return topic_list == o.topic_list; }
};

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_SUBSCRIPTION_H_
