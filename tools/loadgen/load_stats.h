#ifndef TOOLS_LOADGEN_LOAD_STATS_H_
#define TOOLS_LOADGEN_LOAD_STATS_H_

// Bookkeeping of a load run, shared by the publisher and subscriber threads.
//
// LatencySamples keeps every publish->deliver latency (ns) and reports exact percentiles
// from the sorted samples (nearest-rank). DeliveryTracker records which events (publisher,
// sequence number) were delivered, so that duplicates (redeliveries) are not counted twice
// and lost events can be counted after the drain period.
// Thread-safety: both classes are thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace eventmesh::loadgen {

struct Percentiles {
  size_t count = 0;
  int64_t p50 = 0;
  int64_t p99 = 0;
  int64_t p999 = 0;
  int64_t max = 0;
};

class LatencySamples {
 public:
  explicit LatencySamples(size_t max_samples = 50'000'000) : max_samples_(max_samples) {}

  void Add(int64_t latency_ns);
  // Nearest-rank percentiles of everything added so far; zeros when empty.
  Percentiles Compute() const;
  size_t dropped() const;

 private:
  const size_t max_samples_;
  mutable absl::Mutex mu_;
  std::vector<int64_t> samples_ ABSL_GUARDED_BY(mu_);
  size_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

// The nearest-rank percentile q (0 < q <= 1) of sorted `values`; 0 when empty.
int64_t NearestRank(const std::vector<int64_t>& sorted, double q);

class DeliveryTracker {
 public:
  explicit DeliveryTracker(int publishers) : seen_(publishers) {}

  // Records a delivery of event `seq` of `publisher`; true when it is the first one.
  // Out-of-range publishers are ignored (false).
  bool Record(int publisher, uint64_t seq);
  // Whether event `seq` of `publisher` was delivered.
  bool Seen(int publisher, uint64_t seq) const;
  // Distinct events delivered.
  uint64_t unique() const;
  uint64_t duplicates() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::vector<bool>> seen_ ABSL_GUARDED_BY(mu_);
  uint64_t unique_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
};

// "1.23 ms"-style rendering of a nanosecond value with 3 decimals, in ms.
std::string FormatMs(int64_t ns);

}  // namespace eventmesh::loadgen

#endif  // TOOLS_LOADGEN_LOAD_STATS_H_
