#include "eventmesh/runtime/core/request_tracker.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::core {

RequestTracker::RequestTracker()
    : nonce_(static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())) {}

std::string RequestTracker::NewCorrelationId(uint64_t session_id, const std::string& seq) {
  uint64_t n = 0;
  {
    absl::MutexLock lock(&mu_);
    n = ++next_;
  }
  return absl::StrCat(nonce_, "-", session_id, "-", n, "-", seq);
}

void RequestTracker::Register(const std::string& id, ResponseFn on_response) {
  absl::MutexLock lock(&mu_);
  pending_[id] = std::move(on_response);
}

bool RequestTracker::Complete(const std::string& id, const cloudevents::CloudEvent& response) {
  ResponseFn fn;
  {
    absl::MutexLock lock(&mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return false;
    fn = std::move(it->second);
    pending_.erase(it);
  }
  fn(response);
  return true;
}

bool RequestTracker::Cancel(const std::string& id) {
  absl::MutexLock lock(&mu_);
  return pending_.erase(id) > 0;
}

size_t RequestTracker::pending() {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

}  // namespace eventmesh::runtime::core
