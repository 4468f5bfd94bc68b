#include "eventmesh/runtime/core/rate_limiter.h"

#include <chrono>
#include <utility>

namespace eventmesh::runtime::core {

RateLimiter::RateLimiter(int64_t limit, std::string refusal, NowMs now_ms)
    : limit_(limit), refusal_(std::move(refusal)), now_ms_(std::move(now_ms)) {}

bool RateLimiter::TryAcquire(int64_t count) {
  if (limit_ <= 0) return true;
  const int64_t now_ms = now_ms_ ? now_ms_()
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now().time_since_epoch())
                                       .count();
  const int64_t now = now_ms / 1000;
  int64_t window = window_.load(std::memory_order_relaxed);
  if (window != now && window_.compare_exchange_strong(window, now)) {
    count_.store(0, std::memory_order_relaxed);
  }
  const int64_t before = count_.fetch_add(count, std::memory_order_relaxed);
  if (before + count <= limit_) return true;
  count_.fetch_sub(count, std::memory_order_relaxed);  // all or none
  return false;
}

}  // namespace eventmesh::runtime::core
