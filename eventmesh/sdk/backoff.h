#ifndef EVENTMESH_SDK_BACKOFF_H_
#define EVENTMESH_SDK_BACKOFF_H_

// Exponential reconnect backoff: initial, 2x initial, 4x initial, ... capped at `max`.
// Deterministic (no jitter) so that tests can state the exact sequence. A value type; not
// thread-safe (the client uses it from its io thread only).

#include "absl/time/time.h"

namespace eventmesh::sdk {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max) {}

  // The delay before the next attempt; each call doubles the following one up to max.
  absl::Duration Next() {
    absl::Duration delay = current_ < absl::ZeroDuration() ? initial_ : current_;
    if (delay > max_) delay = max_;
    current_ = delay * 2 > max_ ? max_ : delay * 2;
    return delay;
  }

  // Back to the initial delay (after a successful connection).
  void Reset() { current_ = -absl::Nanoseconds(1); }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration current_ = -absl::Nanoseconds(1);
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_BACKOFF_H_
