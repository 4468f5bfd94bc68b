#ifndef EVENTMESH_STORE_TESTING_STORE_TEST_UTIL_H_
#define EVENTMESH_STORE_TESTING_STORE_TEST_UTIL_H_

// Helpers shared by the store's tests (engine, service, client): a fresh directory under
// $TEST_TMPDIR and terse builders for append requests. Test-only.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/store/engine/event_store.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"

namespace eventmesh::store::test_util {

// Creates a new empty directory under $TEST_TMPDIR (or /tmp) named <prefix>_XXXXXX.
// Adds a test failure when it cannot.
std::string MakeTempDir(absl::string_view prefix = "store");

// A RocksDB store in a new directory named after `prefix` (no retention thread), with a topic
// `topic` of one partition unless `topic` is empty. Adds a test failure and returns nullptr when
// it cannot.
std::unique_ptr<RocksDbEventStore> OpenTestStore(absl::string_view prefix,
                                                 const std::string& topic = "");

// One producer record.
ProducerRecord Rec(std::string payload, std::optional<std::string> key = std::nullopt,
                   std::map<std::string, std::string> headers = {});

// An append of `records` to an explicit partition.
AppendRequest ToPartition(const std::string& topic, int32_t partition,
                          std::vector<ProducerRecord> records);

}  // namespace eventmesh::store::test_util

#endif  // EVENTMESH_STORE_TESTING_STORE_TEST_UTIL_H_
