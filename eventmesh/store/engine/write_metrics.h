#ifndef EVENTMESH_STORE_ENGINE_WRITE_METRICS_H_
#define EVENTMESH_STORE_ENGINE_WRITE_METRICS_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"

namespace eventmesh::store {

// The engine's write metrics, shared by every process that runs the engine (the store service,
// and the runtime with its embedded store).
//
// The histogram of the engine's commit-queue writes.
inline constexpr char kCommitWriteMetric[] = "eventmesh_store_commit_write_seconds";

// Registers kCommitWriteMetric in `registry` and sets options->on_commit_write to observe every
// commit-queue write of the store opened with `options`: the duration of one RocksDB write (a
// group of appends, or the group offsets and trims the engine writes the same way), its fsync
// included unless the sync mode is none: the disk's share of an append's latency. Buckets from
// 25 µs, fine up to a few ms (fsyncs of a fast disk take a few hundred µs). A second store
// registered in the same registry shares the histogram. `registry` must outlive that store.
// Errors: the registry's (AlreadyExists when the name is registered as another type).
absl::Status ObserveCommitWrites(metrics::Registry* registry, StoreOptions* options);

// RocksDB's write stalls (RocksDbEventStore::GetWriteStallStats) as Prometheus metrics, for a
// process to register with callbacks read at scrape time: while flushes or compactions fall
// behind, RocksDB stops or slows the writes and every append of the store waits.
struct WriteStallMetric {
  const char* name;
  const char* help;
  bool counter;  // a Prometheus counter (monotonic); otherwise a gauge
  double (*value)(const WriteStallStats& stats);
};
// The same table on every call, in a fixed order: the counters of stops, slow-downs and stalled
// time, then the gauges of whether writes are stopped and the rate they are slowed to.
absl::Span<const WriteStallMetric> WriteStallMetrics();

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_WRITE_METRICS_H_
