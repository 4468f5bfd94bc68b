#include "eventmesh/registry/client/blocking_calls.h"

#include <utility>

namespace eventmesh::registry {

// One call's result, set once: by the HTTP client's callback or by Shutdown.
struct BlockingCalls::Call {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::StatusOr<net::HttpResponse> result ABSL_GUARDED_BY(mu);

  void Set(absl::StatusOr<net::HttpResponse> r) {
    absl::MutexLock lock(&mu);
    if (done) return;
    done = true;
    result = std::move(r);
  }
  absl::StatusOr<net::HttpResponse> Wait() {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
    return std::move(result);
  }
};

absl::StatusOr<net::HttpResponse> BlockingCalls::Send(net::HttpRequest request,
                                                      absl::Duration timeout) {
  auto call = std::make_shared<Call>();
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return absl::UnavailableError("registry client shut down");
    calls_.insert(call);
  }
  http_->Send(std::move(request), timeout,
              [call](absl::StatusOr<net::HttpResponse> r) { call->Set(std::move(r)); });
  auto result = call->Wait();
  absl::MutexLock lock(&mu_);
  calls_.erase(call);
  return result;
}

void BlockingCalls::Shutdown() {
  std::set<std::shared_ptr<Call>> calls;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    calls = calls_;
  }
  for (const auto& call : calls) call->Set(absl::UnavailableError("registry client shut down"));
  http_->Shutdown();
}

}  // namespace eventmesh::registry
