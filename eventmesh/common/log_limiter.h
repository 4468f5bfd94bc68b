#ifndef EVENTMESH_COMMON_LOG_LIMITER_H_
#define EVENTMESH_COMMON_LOG_LIMITER_H_

// Rate-limited logging, so that one misbehaving client cannot flood the log: a token bucket per
// key (a client address), `burst` messages at once, refilled at `per_second`. A message that
// gets through reports how many of that key's messages were dropped since the last one:
//
//   if (auto dropped = limiter.Admit(ip)) {
//     LOG(WARNING) << "session " << peer << ": " << reason << LogLimiter::DroppedNote(*dropped);
//   }
//
// At most `max_keys` keys are tracked; when full, the least recently admitted key is forgotten
// (its bucket starts full again), so memory stays bounded whatever the clients do.
// Thread-safe (one mutex; Admit does no I/O).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/strings/string_view.h"

namespace eventmesh::common {

class LogLimiter {
 public:
  // Milliseconds of a monotonic clock (tests pass their own).
  using Clock = std::function<int64_t()>;

  // `per_second` > 0, `burst` >= 1, `max_keys` >= 1. Default clock: std::chrono::steady_clock.
  LogLimiter(double per_second, int burst, size_t max_keys = 4096, Clock clock = nullptr);

  // nullopt: drop this message. Otherwise log it; the value is how many messages of `key` were
  // dropped since the last one admitted (0 usually).
  std::optional<int64_t> Admit(absl::string_view key);

  // " (N similar messages dropped)" for N > 0, "" otherwise.
  static std::string DroppedNote(int64_t dropped);

  size_t tracked_keys() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ms = 0;
    int64_t dropped = 0;
    std::list<std::string>::iterator lru;
  };

  const double per_ms_;
  const double burst_;
  const size_t max_keys_;
  const Clock clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
  std::list<std::string> lru_;                       // most recent first; guarded by mu_
};

}  // namespace eventmesh::common

#endif  // EVENTMESH_COMMON_LOG_LIMITER_H_
