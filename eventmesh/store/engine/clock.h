#ifndef EVENTMESH_STORE_ENGINE_CLOCK_H_
#define EVENTMESH_STORE_ENGINE_CLOCK_H_

// Millisecond wall clock used by the event store for append times, retention ages and group
// session timeouts. Injected so tests can move time without sleeping.
// Implementations must be thread-safe; NowMs() is called on the append path.

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace eventmesh::store {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
};

// The real wall clock (absl::Now()). Stateless; use the shared instance.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override { return absl::ToUnixMillis(absl::Now()); }
  static SystemClock* Get() {
    static SystemClock* clock = new SystemClock();
    return clock;
  }
};

// A clock that only moves when told to. Thread-safe (atomic). For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_acquire); }
  void AdvanceMs(int64_t delta_ms) { now_ms_.fetch_add(delta_ms, std::memory_order_acq_rel); }
  void SetMs(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_release); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_CLOCK_H_
