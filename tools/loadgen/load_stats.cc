#include "tools/loadgen/load_stats.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace eventmesh::loadgen {

void LatencySamples::Add(int64_t latency_ns) {
  absl::MutexLock lock(&mu_);
  if (samples_.size() >= max_samples_) {
    ++dropped_;
    return;
  }
  samples_.push_back(latency_ns);
}

size_t LatencySamples::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

int64_t NearestRank(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  if (rank > sorted.size()) rank = sorted.size();
  return sorted[rank - 1];
}

Percentiles LatencySamples::Compute() const {
  std::vector<int64_t> sorted;
  {
    absl::MutexLock lock(&mu_);
    sorted = samples_;
  }
  std::sort(sorted.begin(), sorted.end());
  Percentiles p;
  p.count = sorted.size();
  p.p50 = NearestRank(sorted, 0.50);
  p.p99 = NearestRank(sorted, 0.99);
  p.p999 = NearestRank(sorted, 0.999);
  p.max = sorted.empty() ? 0 : sorted.back();
  return p;
}

bool DeliveryTracker::Record(int publisher, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  if (publisher < 0 || static_cast<size_t>(publisher) >= seen_.size()) return false;
  auto& seen = seen_[publisher];
  if (seq >= seen.size()) seen.resize(std::max<size_t>(seq + 1, seen.size() * 2), false);
  if (seen[seq]) {
    ++duplicates_;
    return false;
  }
  seen[seq] = true;
  ++unique_;
  return true;
}

bool DeliveryTracker::Seen(int publisher, uint64_t seq) const {
  absl::MutexLock lock(&mu_);
  if (publisher < 0 || static_cast<size_t>(publisher) >= seen_.size()) return false;
  const auto& seen = seen_[publisher];
  return seq < seen.size() && seen[seq];
}

uint64_t DeliveryTracker::unique() const {
  absl::MutexLock lock(&mu_);
  return unique_;
}

uint64_t DeliveryTracker::duplicates() const {
  absl::MutexLock lock(&mu_);
  return duplicates_;
}

std::string FormatMs(int64_t ns) { return absl::StrFormat("%.3f ms", ns / 1e6); }

}  // namespace eventmesh::loadgen
