#ifndef EVENTMESH_RUNTIME_CORE_RATE_LIMITER_H_
#define EVENTMESH_RUNTIME_CORE_RATE_LIMITER_H_

// An events-per-second limit over one-second windows of a steady clock, lock-free.
//
// TryAcquire(n) takes n permits of the current window, all or none; a limit <= 0 never refuses.
// Each limiter carries the refusal text its users answer with (it names the configuration key,
// e.g. "... (eventMesh.server.http.msgReqnumPerSecond)"). The clock is injectable so tests can
// step through windows exactly. Thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace eventmesh::runtime::core {

class RateLimiter {
 public:
  using NowMs = std::function<int64_t()>;

  // `limit` permits per second (<= 0: unlimited); `refusal` is what a refused caller is told.
  RateLimiter(int64_t limit, std::string refusal, NowMs now_ms = {});

  // True when `count` permits were taken from the current one-second window.
  bool TryAcquire(int64_t count = 1);

  int64_t limit() const { return limit_; }
  const std::string& refusal() const { return refusal_; }

 private:
  const int64_t limit_;
  const std::string refusal_;
  const NowMs now_ms_;  // empty: the steady clock
  std::atomic<int64_t> window_{-1};
  std::atomic<int64_t> count_{0};
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_RATE_LIMITER_H_
