#include "eventmesh/store/engine/write_metrics.h"

#include <cstdint>

namespace eventmesh::store {

absl::Status ObserveCommitWrites(metrics::Registry* registry, StoreOptions* options) {
  metrics::FamilyOptions family;
  // Fine where fsyncs fall (a few hundred µs to a few ms), readable bounds.
  family.buckets = {25e-6,  50e-6,  75e-6, 100e-6,  150e-6, 200e-6, 300e-6, 400e-6, 500e-6,
                    600e-6, 800e-6, 1e-3,  1.25e-3, 1.5e-3, 2e-3,   2.5e-3, 3e-3,   4e-3,
                    5e-3,   6e-3,   8e-3,  10e-3,   15e-3,  20e-3,  30e-3,  50e-3,  75e-3,
                    0.1,    0.2,    0.5,   1,       2,      5};
  auto writes = registry->AddHistogram(
      kCommitWriteMetric,
      "Duration of one commit-queue write of the event store (a group of appends, or group "
      "offsets), its fsync included unless the sync mode is none.",
      {}, family);
  if (!writes.ok()) return writes.status();
  metrics::Histogram* histogram = (*writes)->Get();
  options->on_commit_write = [histogram](int64_t nanos, bool) {
    histogram->Observe(static_cast<double>(nanos) / 1e9);
  };
  return absl::OkStatus();
}

absl::Span<const WriteStallMetric> WriteStallMetrics() {
  static constexpr WriteStallMetric kMetrics[] = {
      {"eventmesh_store_write_stops_total",
       "RocksDB's count of column families' write-stall conditions turning into a stop (every "
       "append of the event store waits until a flush or compaction catches up); at least the "
       "number of stops.",
       true, [](const WriteStallStats& s) { return static_cast<double>(s.stops); }},
      {"eventmesh_store_write_slowdowns_total",
       "RocksDB's count of column families' write-stall conditions that slowed the event "
       "store's writes, recounted at every flush or compaction during a slow-down.",
       true, [](const WriteStallStats& s) { return static_cast<double>(s.slowdowns); }},
      {"eventmesh_store_write_stall_seconds_total",
       "Wall time the event store's writes waited stopped or slowed by RocksDB, added as each "
       "wait ends.",
       true, [](const WriteStallStats& s) { return static_cast<double>(s.stalled_micros) / 1e6; }},
      {"eventmesh_store_writes_stopped",
       "1 while RocksDB stops every write of the event store until a flush or compaction "
       "catches up, else 0 (read at most 100 ms before the scrape).",
       false, [](const WriteStallStats& s) { return s.writes_stopped ? 1.0 : 0.0; }},
      {"eventmesh_store_write_slowdown_bytes_per_second",
       "The write rate in bytes/s RocksDB holds the event store's writes to while flushes or "
       "compactions fall behind, 0 when writes are not slowed (read at most 100 ms before the "
       "scrape).",
       false, [](const WriteStallStats& s) { return static_cast<double>(s.slowdown_rate); }},
  };
  return kMetrics;
}

}  // namespace eventmesh::store
