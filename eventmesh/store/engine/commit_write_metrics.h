#ifndef EVENTMESH_STORE_ENGINE_COMMIT_WRITE_METRICS_H_
#define EVENTMESH_STORE_ENGINE_COMMIT_WRITE_METRICS_H_

#include "absl/status/status.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"

namespace eventmesh::store {

// The histogram of the engine's commit-queue writes, shared by every process that runs the
// engine (the store service, and the runtime with its embedded store).
inline constexpr char kCommitWriteMetric[] = "eventmesh_store_commit_write_seconds";

// Registers kCommitWriteMetric in `registry` and sets options->on_commit_write to observe every
// commit-queue write of the store opened with `options`: the duration of one RocksDB write of a
// group of appends, its fsync included unless the sync mode is none (the disk's share of an
// append's latency, as the appends of that group waited for it). Buckets from 25 µs (fsyncs of a
// fast disk take a few hundred). `registry` must outlive that store. Errors: the registry's
// (AlreadyExists when the name is registered as another type).
absl::Status ObserveCommitWrites(metrics::Registry* registry, StoreOptions* options);

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_COMMIT_WRITE_METRICS_H_
