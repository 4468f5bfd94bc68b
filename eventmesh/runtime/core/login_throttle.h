#ifndef EVENTMESH_RUNTIME_CORE_LOGIN_THROTTLE_H_
#define EVENTMESH_RUNTIME_CORE_LOGIN_THROTTLE_H_

// Failed-login throttling per client address, shared by every protocol (TCP HELLO, HTTP
// username/passwd headers). Each address has a bucket of `burst` failures that refills at
// `failures_per_minute`; while it is empty, logins from that address are refused before the
// credentials are checked, so a password guesser neither learns anything nor makes the runtime
// spend its (deliberately costly) hash checks. Successful logins do not refill the bucket.
// At most `max_addresses` addresses are tracked; when full, the one idle longest is forgotten.
// The clock is injectable so tests step through time exactly. Thread-safe.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace eventmesh::runtime::core {

class LoginThrottle {
 public:
  using NowMs = std::function<int64_t()>;
  struct Options {
    int64_t burst = 10;                // failures allowed at once
    int64_t failures_per_minute = 10;  // refill rate; <= 0 disables throttling
    size_t max_addresses = 100'000;
  };

  explicit LoginThrottle(Options options, NowMs now_ms = {});

  // OK, or ResourceExhausted "too many failed logins from <address>; retry in <n> s
  // (eventMesh.server.security.loginFailuresPerMinute)".
  absl::Status Admit(absl::string_view address);
  // Records one failed login from `address`.
  void Failed(absl::string_view address);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
  };
  int64_t Now() const;
  void Refill(Bucket* bucket, int64_t now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const NowMs now_ms_;  // empty: the steady clock
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_LOGIN_THROTTLE_H_
