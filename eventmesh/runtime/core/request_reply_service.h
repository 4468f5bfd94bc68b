#ifndef EVENTMESH_RUNTIME_CORE_REQUEST_REPLY_SERVICE_H_
#define EVENTMESH_RUNTIME_CORE_REQUEST_REPLY_SERVICE_H_

// The one request-reply path of the runtime, used by every protocol frontend.
//
// Request() publishes a request event through the publish policy (PublishService::Admit) with a
// correlation id (kCorrelationExtension), the effective ttl (extension "ttl") and, when the
// store is shared by several runtimes, this runtime's reply topic (kReplyTopicExtension), then
// waits for the response. Its `done` runs exactly once with:
//   - the response event;
//   - InvalidArgument: a ttl outside 1..max_ttl_ms (the message names the key);
//   - the publish policy's refusal (PermissionDenied, ResourceExhausted, ...);
//   - ResourceExhausted: the owner already has max_pending_per_owner requests waiting;
//   - DeadlineExceeded "request timed out: no response within <ttl> ms (ttl)";
//   - "publish failed: ..." when the store refused the request;
//   - Cancelled: the owner went away (CancelOwner) or the runtime shuts down (CancelAll).
// An owner is one client of one frontend: a TCP session ({"tcp", session id}; its requests are
// cancelled and their timers stopped when it closes) or an HTTP client address ({"http", hash of
// the peer address}: HTTP requests are short-lived and a client may open many connections).
//
// Respond() takes a responder's answer: it completes the local request, or forwards the answer
// to the requester runtime's reply topic. It accepts only answers to requests that are really
// pending here, or whose reply topic is a mesh reply topic ("eventmesh-reply-<16 hex>"); a
// client cannot steer an answer to any other topic.
//
// Thread-safe. The services given to it must outlive it; timers run on the executor each
// request names.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/steady_timer.hpp"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/request_tracker.h"

namespace eventmesh::runtime::core {

struct RequestReplyOptions {
  int64_t default_ttl_ms = 3000;
  int64_t max_ttl_ms = 600'000;          // eventMesh.server.requestReply.maxTtlMs
  int64_t max_pending_per_owner = 1000;  // eventMesh.server.requestReply.maxPendingPerClient
};

// One client connection of one frontend.
struct RequestOwner {
  std::string frontend;  // "tcp", "http", ...
  uint64_t id = 0;       // the frontend's client id
  bool operator==(const RequestOwner& o) const { return id == o.id && frontend == o.frontend; }
  template <typename H>
  friend H AbslHashValue(H h, const RequestOwner& o) {
    return H::combine(std::move(h), o.frontend, o.id);
  }
};

class RequestReplyService {
 public:
  using ReplyFn = std::function<void(absl::StatusOr<cloudevents::CloudEvent>)>;

  RequestReplyService(PublishService* publish, RequestTracker* tracker,
                      RequestReplyOptions options);
  ~RequestReplyService();

  // See the file comment. `seq` (the frontend's request number) is part of the correlation id;
  // `ttl_ms` unset means default_ttl_ms. `done` may run before Request returns.
  void Request(const Publisher& publisher, const RequestOwner& owner, const std::string& seq,
               cloudevents::CloudEvent request, std::optional<int64_t> ttl_ms,
               boost::asio::any_io_executor timer_executor, ReplyFn done);

  // Errors: InvalidArgument (no kCorrelationExtension), PermissionDenied (the answer names a
  // reply topic that is not a mesh reply topic), NotFound (not pending here, no reply topic:
  // answered already, timed out, or never asked).
  absl::Status Respond(cloudevents::CloudEvent response);

  void CancelOwner(const RequestOwner& owner);
  // Cancels the requests of every owner of `frontend` (the frontend stops).
  void CancelFrontend(absl::string_view frontend);
  void CancelAll();
  size_t pending();

  const RequestReplyOptions& options() const { return options_; }

 private:
  struct Pending {
    RequestOwner owner;
    ReplyFn done;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };
  // Removes and returns the pending request `id`, if any.
  std::optional<Pending> Take(const std::string& id);
  void Finish(const std::string& id, absl::StatusOr<cloudevents::CloudEvent> result);

  PublishService* const publish_;
  RequestTracker* const tracker_;
  const RequestReplyOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<RequestOwner, absl::flat_hash_set<std::string>> by_owner_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_REQUEST_REPLY_SERVICE_H_
