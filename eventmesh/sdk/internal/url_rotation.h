#ifndef EVENTMESH_SDK_INTERNAL_URL_ROTATION_H_
#define EVENTMESH_SDK_INTERNAL_URL_ROTATION_H_

// UrlRotation: which runtime URL the HTTP client sends its next request to. Round-robin over
// the list, passing over the URLs whose last request did not reach the runtime (connect failed,
// connection lost, no answer in time) while others have not failed; when every URL failed,
// round-robin over all of them again. Replace() swaps in a new list (a registry refresh) and
// forgets the failures; reports about picks from an older list are ignored.
// A pure decision with no I/O; thread-safe.

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/sdk/internal/http_client_options.h"

namespace eventmesh::sdk::http {

class UrlRotation {
 public:
  struct Pick {
    RuntimeUrl url;
    size_t index = 0;
    uint64_t version = 0;
  };

  // REQUIRES: `urls` not empty.
  explicit UrlRotation(std::vector<RuntimeUrl> urls);

  Pick Next();
  // The outcome of the request sent to `pick`: reached = the runtime answered (whatever it said).
  void Report(const Pick& pick, bool reached);
  // Every URL of the current list failed its last request.
  bool AllFailed() const;
  // REQUIRES: `urls` not empty.
  void Replace(std::vector<RuntimeUrl> urls);
  std::vector<RuntimeUrl> urls() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<RuntimeUrl> urls_ ABSL_GUARDED_BY(mu_);
  std::vector<bool> failed_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_URL_ROTATION_H_
