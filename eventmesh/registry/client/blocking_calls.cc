#include "eventmesh/registry/client/blocking_calls.h"

#include <atomic>
#include <future>
#include <utility>

namespace eventmesh::registry {

// One call's result, set once: by the HTTP client's callback or by Shutdown.
struct BlockingCalls::Call {
  std::atomic<bool> done{false};
  std::promise<absl::StatusOr<net::HttpResponse>> promise;

  void Set(absl::StatusOr<net::HttpResponse> r) {
    if (done.exchange(true)) return;
    promise.set_value(std::move(r));
  }
};

absl::StatusOr<net::HttpResponse> BlockingCalls::Send(net::HttpRequest request,
                                                      absl::Duration timeout) {
  auto call = std::make_shared<Call>();
  auto future = call->promise.get_future();
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return absl::UnavailableError("registry client shut down");
    calls_.insert(call);
  }
  http_->Send(std::move(request), timeout,
              [call](absl::StatusOr<net::HttpResponse> r) { call->Set(std::move(r)); });
  auto result = future.get();
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
