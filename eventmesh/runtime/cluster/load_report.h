#ifndef EVENTMESH_RUNTIME_CLUSTER_LOAD_REPORT_H_
#define EVENTMESH_RUNTIME_CLUSTER_LOAD_REPORT_H_

// The load report a runtime publishes to topic kLoadTopic ("eventmesh-runtimes") every
// rebalance interval, as a CloudEvent (type kLoadReportType, source "/eventmesh/runtime/<id>",
// datacontenttype application/json) whose data is:
//   {"runtimeId":"3f2a...","ip":"10.0.0.5","port":10000,"timestamp":1764316800000,
//    "intervalMs":30000,"leaving":false,"sessions":{"pub":1,"sub":9},
//    "groups":{"orders":{"pub":1,"sub":9}}}
// "timestamp" is the reporter's wall clock (ms since the epoch, informative only: liveness is
// judged by the receiver's clock), "sessions" the totals by purpose, "groups" the per-group
// session counts by purpose (groups without sessions are left out), "leaving" true in the
// last report of a runtime that shuts down.
// A value type. Errors (FromJson / FromCloudEvent): InvalidArgument naming the problem.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/runtime/cluster/balancer.h"

namespace eventmesh::runtime::cluster {

inline constexpr char kLoadTopic[] = "eventmesh-runtimes";
inline constexpr char kLoadReportType[] = "org.apache.eventmesh.runtime.load";

// Upper bounds FromJson enforces on what a peer reports, so that the sums and interval
// arithmetic of the receiver (totals per purpose, IsLive's 3 x interval) cannot overflow.
inline constexpr int64_t kMaxReportedSessions = 2147483647;  // per group and purpose
inline constexpr int64_t kMaxReportIntervalMs = 2147483647;  // "intervalMs", as the config's int

struct LoadReport {
  RuntimeLoad load;  // runtime id, advertised ip:port, session counts per pool
  int64_t timestamp_ms = 0;
  int64_t interval_ms = 0;
  bool leaving = false;

  std::string ToJson() const;
  // Errors: InvalidArgument "load report: ..." (malformed JSON, missing runtimeId/ip/port,
  // counts outside 0..kMaxReportedSessions, intervalMs outside 0..kMaxReportIntervalMs).
  static absl::StatusOr<LoadReport> FromJson(absl::string_view json);

  cloudevents::CloudEvent ToCloudEvent(int64_t sequence) const;
  // Errors: InvalidArgument "not a load report: type \"T\"" for other event types, else
  // FromJson's.
  static absl::StatusOr<LoadReport> FromCloudEvent(const cloudevents::CloudEvent& event);
};

}  // namespace eventmesh::runtime::cluster

#endif  // EVENTMESH_RUNTIME_CLUSTER_LOAD_REPORT_H_
