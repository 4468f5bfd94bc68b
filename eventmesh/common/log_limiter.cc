#include "eventmesh/common/log_limiter.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace eventmesh::common {

LogLimiter::LogLimiter(double per_second, int burst, size_t max_keys, Clock clock)
    : per_ms_(per_second / 1000.0),
      burst_(std::max(1, burst)),
      max_keys_(std::max<size_t>(1, max_keys)),
      clock_(clock ? std::move(clock) : [] {
        return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
      }) {}

std::optional<int64_t> LogLimiter::Admit(absl::string_view key) {
  const int64_t now = clock_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      buckets_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.emplace_front(key);
    Bucket bucket;
    bucket.tokens = burst_;
    bucket.last_ms = now;
    bucket.lru = lru_.begin();
    it = buckets_.emplace(std::string(key), bucket).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::max<int64_t>(0, now - b.last_ms) * per_ms_);
  b.last_ms = now;
  if (b.tokens < 1.0) {
    ++b.dropped;
    return std::nullopt;
  }
  b.tokens -= 1.0;
  const int64_t dropped = b.dropped;
  b.dropped = 0;
  return dropped;
}

std::string LogLimiter::DroppedNote(int64_t dropped) {
  return dropped > 0 ? absl::StrCat(" (", dropped, " similar messages dropped)") : "";
}

size_t LogLimiter::tracked_keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace eventmesh::common
