#ifndef EVENTMESH_RUNTIME_CORE_REQUEST_TRACKER_H_
#define EVENTMESH_RUNTIME_CORE_REQUEST_TRACKER_H_

// Correlates request-reply traffic inside one runtime: REQUEST_TO_SERVER registers a pending
// request under a correlation id that travels with the request event as extension
// kCorrelationExtension; the responder's RESPONSE_TO_SERVER carries it back (responders must
// return the request's properties unchanged, as with Apache EventMesh) and Complete() hands the
// response to the requester. Cancel() removes a request that timed out or failed.
// Thread-safe (one small mutex, taken only on the request-reply path).

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"

namespace eventmesh::runtime::core {

inline constexpr char kCorrelationExtension[] = "rrcorrelationid";

class RequestTracker {
 public:
  using ResponseFn = std::function<void(const cloudevents::CloudEvent& response)>;

  RequestTracker();
  // A process-unique id for (session, request seq).
  std::string NewCorrelationId(uint64_t session_id, const std::string& seq);
  void Register(const std::string& id, ResponseFn on_response);
  // Runs the requester's callback (outside the lock) and forgets the request. False when the
  // id is unknown (already answered, timed out, or from another runtime).
  bool Complete(const std::string& id, const cloudevents::CloudEvent& response);
  // Forgets the request; true when it was still pending.
  bool Cancel(const std::string& id);
  size_t pending();

 private:
  const uint64_t nonce_;
  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, ResponseFn> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_REQUEST_TRACKER_H_
