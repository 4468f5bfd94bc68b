#ifndef EVENTMESH_RUNTIME_CORE_REQUEST_TRACKER_H_
#define EVENTMESH_RUNTIME_CORE_REQUEST_TRACKER_H_

// Correlates request-reply traffic, inside one runtime and across runtimes sharing a store.
//
// REQUEST_TO_SERVER registers a pending request under a correlation id that travels with the
// request event as extension kCorrelationExtension; the responder's RESPONSE_TO_SERVER carries it
// back (responders must return the request's properties unchanged, as with Apache EventMesh).
// RouteResponse() hands a response to the local requester when the id is pending here (the
// fast in-process path). Across runtimes: when the connector's store is shared
// (Capabilities::shared_store), EnsureReplyChannel() gives this runtime a reply topic
// "eventmesh-reply-<runtime id>" (created on first use, 1 partition, read by a BROADCASTING
// subscription of this tracker) and the request carries it as extension kReplyTopicExtension;
// a runtime that receives a response whose id is not pending locally publishes it to the
// reply topic it names (its subject kept in kReplySubjectExtension), and the requester's
// runtime completes the request when the response arrives there. Cancel() removes a request
// that timed out or failed; a response arriving later is dropped.
//
// Thread-safe. Shutdown() (also run by the destructor) closes the reply subscription and deletes
// the reply topic; it must run before the connector is destroyed.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"

namespace eventmesh::runtime::core {

inline constexpr char kCorrelationExtension[] = "rrcorrelationid";
// The reply topic of the requester's runtime (set on requests when the store is shared).
inline constexpr char kReplyTopicExtension[] = "rrreplytopic";
// The response's own subject while it travels on a reply topic.
inline constexpr char kReplySubjectExtension[] = "rrsubject";

class RequestTracker {
 public:
  using ResponseFn = std::function<void(const cloudevents::CloudEvent& response)>;

  RequestTracker();
  ~RequestTracker();

  // A random id of this tracker (one per runtime), 16 hex digits.
  const std::string& runtime_id() const { return runtime_id_; }
  // "eventmesh-reply-<runtime id>".
  const std::string& reply_topic() const { return reply_topic_; }

  // A process-unique id for (session, request seq).
  std::string NewCorrelationId(uint64_t session_id, const std::string& seq);
  void Register(const std::string& id, ResponseFn on_response);
  // Runs the requester's callback (outside the lock) and forgets the request. False when the
  // id is unknown (already answered, timed out, or from another runtime).
  bool Complete(const std::string& id, const cloudevents::CloudEvent& response);
  // Forgets the request; true when it was still pending.
  bool Cancel(const std::string& id);
  size_t pending();

  // The reply topic to put on requests as kReplyTopicExtension: "" when `connector`'s store is
  // not shared (responses can only come back through this runtime), otherwise reply_topic(),
  // creating it and subscribing to it on first use (a failure is returned and retried on the
  // next call). Blocks on the connector the first time. Errors: the connector's; Unavailable
  // after Shutdown.
  absl::StatusOr<std::string> EnsureReplyChannel(connectors::Connector* connector);

  enum class Route {
    kLocal,    // completed here
    kForward,  // published to the requester runtime's reply topic
    kUnknown,  // not pending here and no other runtime to send it to (e.g. timed out)
    kRefused,  // not pending here and its reply topic is not a mesh reply topic
  };
  // True for "eventmesh-reply-" followed by 16 lowercase hex digits (a runtime's reply topic).
  static bool IsReplyTopic(absl::string_view topic);
  // Delivers a RESPONSE_TO_SERVER event (its kCorrelationExtension is `id`). Only a mesh reply
  // topic (IsReplyTopic) is forwarded to. A forwarded response whose publish fails is logged
  // (the requester times out).
  Route RouteResponse(connectors::Connector* connector, const std::string& id,
                      cloudevents::CloudEvent response);

  // Closes the reply subscription and deletes the reply topic (when they exist). Idempotent.
  void Shutdown();

 private:
  void OnReplies(std::vector<connectors::DeliveredEvent>* events);

  const uint64_t nonce_;
  const std::string runtime_id_;
  const std::string reply_topic_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, ResponseFn> pending_ ABSL_GUARDED_BY(mu_);

  // The reply channel. channel_mu_ serializes setting it up and tearing it down.
  std::mutex channel_mu_;
  connectors::Connector* channel_connector_ = nullptr;            // guarded by channel_mu_
  std::unique_ptr<connectors::Subscription> reply_subscription_;  // guarded by channel_mu_
  bool shut_down_ = false;                                        // guarded by channel_mu_
  // Positions delivered on the reply topic, acknowledged through ack_target_.
  absl::Mutex ack_mu_;
  connectors::Subscription* ack_target_ ABSL_GUARDED_BY(ack_mu_) = nullptr;
  std::vector<connectors::Position> early_acks_ ABSL_GUARDED_BY(ack_mu_);
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_REQUEST_TRACKER_H_
