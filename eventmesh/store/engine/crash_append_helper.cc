// Child process of crash_test: opens the store and appends from several threads forever,
// writing one line "<partition> <offset> <fnv64 hex of payload>\n" to stdout for every record
// whose append was acknowledged, with one write(2) per batch (atomic on a pipe), until it is
// killed. Usage: crash_append_helper <path> <none|batch|always> <threads> <round>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"

namespace {

uint64_t Fnv1a64(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace eventmesh::store;  // NOLINT
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <path> <none|batch|always> <threads> <round>\n", argv[0]);
    return 2;
  }
  StoreOptions options;
  options.path = argv[1];
  absl::StatusOr<SyncMode> mode = ParseSyncMode(argv[2]);
  if (!mode.ok()) {
    std::fprintf(stderr, "%s\n", mode.status().ToString().c_str());
    return 2;
  }
  options.sync_mode = *mode;
  options.retention_interval_ms = 0;
  const int threads = std::atoi(argv[3]);
  const std::string round = argv[4];
  auto store = RocksDbEventStore::Open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  auto topic = (*store)->DescribeTopic({"crash"});
  if (!topic.ok()) {
    std::fprintf(stderr, "describe: %s\n", topic.status().ToString().c_str());
    return 1;
  }
  const int partitions = topic->partitions;
  std::mutex out_mu;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int64_t i = 0;; ++i) {
        AppendRequest req;
        req.topic = "crash";
        req.partition = static_cast<int32_t>((t + i) % partitions);
        const int batch = 1 + static_cast<int>(i % 5);
        for (int j = 0; j < batch; ++j) {
          ProducerRecord r;
          r.payload = absl::StrCat("r", round, "-t", t, "-i", i, "-k", j, "|",
                                   std::string(static_cast<size_t>(50 + (i * 7 + j) % 200),
                                               static_cast<char>('a' + (i + j) % 26)));
          req.records.push_back(std::move(r));
        }
        auto result = (*store)->Append(req);
        if (!result.ok()) {
          std::fprintf(stderr, "append: %s\n", result.status().ToString().c_str());
          std::_Exit(1);
        }
        std::string lines;
        for (int j = 0; j < batch; ++j) {
          absl::StrAppendFormat(&lines, "%d %d %016x\n", result->partition, result->base_offset + j,
                                Fnv1a64(req.records[j].payload));
        }
        std::lock_guard<std::mutex> lock(out_mu);
        if (write(STDOUT_FILENO, lines.data(), lines.size()) !=
            static_cast<ssize_t>(lines.size())) {
          std::_Exit(1);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}
