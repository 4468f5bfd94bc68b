#include "eventmesh/store/engine/commit_write_metrics.h"

#include <cstdint>

namespace eventmesh::store {

absl::Status ObserveCommitWrites(metrics::Registry* registry, StoreOptions* options) {
  metrics::FamilyOptions family;
  family.buckets = metrics::ExponentialBuckets(25e-6, 2, 20);  // 25 µs .. ~13 s
  auto writes = registry->AddHistogram(
      kCommitWriteMetric,
      "Duration of one commit-queue write of the event store (a group of appends), its fsync "
      "included unless the sync mode is none.",
      {}, family);
  if (!writes.ok()) return writes.status();
  metrics::Histogram* histogram = (*writes)->Get();
  options->on_commit_write = [histogram](int64_t nanos, bool) {
    histogram->Observe(static_cast<double>(nanos) / 1e9);
  };
  return absl::OkStatus();
}

}  // namespace eventmesh::store
