#ifndef EVENTMESH_REGISTRY_CLIENT_BLOCKING_CALLS_H_
#define EVENTMESH_REGISTRY_CLIENT_BLOCKING_CALLS_H_

// BlockingCalls: net::HttpClient requests as blocking calls (what the registry clients make)
// that Shutdown() ends at once. A call waits for its response or deadline; Shutdown answers
// every call in flight with Unavailable "registry client shut down" (a long poll does not wait
// out its wait, and no call can be left waiting on a request the HTTP client dropped while it
// shut down), refuses later calls the same way, and shuts the HTTP client down.
// Thread-safe.

#include <memory>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/net/http_client.h"

namespace eventmesh::registry {

class BlockingCalls {
 public:
  // `http` must outlive this object.
  explicit BlockingCalls(net::HttpClient* http) : http_(http) {}

  absl::StatusOr<net::HttpResponse> Send(net::HttpRequest request, absl::Duration timeout);
  // Idempotent; any thread.
  void Shutdown();

 private:
  struct Call;
  net::HttpClient* const http_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_CLIENT_BLOCKING_CALLS_H_
