#include "eventmesh/runtime/core/login_throttle.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::core {

LoginThrottle::LoginThrottle(Options options, NowMs now_ms)
    : options_(options), now_ms_(std::move(now_ms)) {}

int64_t LoginThrottle::Now() const {
  if (now_ms_) return now_ms_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void LoginThrottle::Refill(Bucket* bucket, int64_t now) const {
  const double refill =
      static_cast<double>(now - bucket->updated_ms) * options_.failures_per_minute / 60'000.0;
  bucket->tokens = std::min<double>(options_.burst, bucket->tokens + std::max(0.0, refill));
  bucket->updated_ms = now;
}

absl::Status LoginThrottle::Admit(absl::string_view address) {
  if (options_.failures_per_minute <= 0) return absl::OkStatus();
  const int64_t now = Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return absl::OkStatus();
  Bucket bucket = it->second;  // only failures change the stored bucket (and its age)
  Refill(&bucket, now);
  if (bucket.tokens >= 1) return absl::OkStatus();
  const int64_t wait_s =
      static_cast<int64_t>(std::ceil((1 - bucket.tokens) * 60.0 / options_.failures_per_minute));
  return absl::ResourceExhaustedError(absl::StrCat(
      "too many failed logins from ", address, "; retry in ", std::max<int64_t>(1, wait_s),
      " s (eventMesh.server.security.loginFailuresPerMinute)"));
}

void LoginThrottle::Failed(absl::string_view address) {
  if (options_.failures_per_minute <= 0) return;
  const int64_t now = Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_addresses) {
      auto oldest = std::min_element(
          buckets_.begin(), buckets_.end(),
          [](const auto& a, const auto& b) { return a.second.updated_ms < b.second.updated_ms; });
      if (oldest != buckets_.end()) buckets_.erase(oldest);
    }
    it = buckets_.emplace(std::string(address), Bucket{static_cast<double>(options_.burst), now})
             .first;
  }
  Refill(&it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1);
}

}  // namespace eventmesh::runtime::core
