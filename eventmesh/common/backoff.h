#ifndef EVENTMESH_COMMON_BACKOFF_H_
#define EVENTMESH_COMMON_BACKOFF_H_

// The one retry/reconnect backoff policy of the project: attempt 1 waits `initial`, each next
// attempt doubles the wait, capped at `max`. With Jitter::kEqual the wait d becomes a uniform
// value in [d/2, d] ("equal jitter": half fixed so a retry never comes too early, half random
// so many clients retrying at once spread out). The random source is injectable (a function
// returning a uniform double in [0, 1)), so tests can state exact delays.
// Users: the SDK's reconnects (no jitter), the store client's reconnects and webhook retries
// (equal jitter), the connector's fetch retries (no jitter).
// A value type; not thread-safe (each user keeps its own).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <utility>

#include "absl/time/time.h"

namespace eventmesh {

class Backoff {
 public:
  enum class Jitter { kNone, kEqual };
  using Uniform01 = std::function<double()>;

  Backoff(absl::Duration initial, absl::Duration max, Jitter jitter = Jitter::kNone,
          Uniform01 uniform01 = {})
      : initial_(std::min(initial, max)),
        max_(max),
        jitter_(jitter),
        uniform01_(std::move(uniform01)) {}

  // The wait before the next attempt; each call doubles the following one up to max.
  absl::Duration Next() { return Jittered(DelayFor(++attempts_)); }

  // Back to the initial wait (after a success).
  void Reset() { attempts_ = 0; }

  // The wait before attempt `attempt` (1-based), jittered, without touching the sequence (for
  // users that keep an attempt count per item, such as webhook retries per event). Safe to call
  // from several threads when no random source was injected.
  absl::Duration NextFor(int64_t attempt) const { return Jittered(DelayFor(attempt)); }

  // The un-jittered wait before attempt `attempt` (1-based).
  absl::Duration DelayFor(int64_t attempt) const {
    absl::Duration delay = initial_;
    for (int64_t i = 1; i < attempt && delay < max_; ++i) delay *= 2;
    return std::min(delay, max_);
  }

 private:
  absl::Duration Jittered(absl::Duration delay) const {
    if (jitter_ == Jitter::kNone || delay <= absl::ZeroDuration()) return delay;
    double u = 0;
    if (uniform01_) {
      u = uniform01_();
    } else {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    }
    return delay / 2 + (delay - delay / 2) * u;
  }

  absl::Duration initial_;
  absl::Duration max_;
  Jitter jitter_;
  Uniform01 uniform01_;
  int64_t attempts_ = 0;
};

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_BACKOFF_H_
