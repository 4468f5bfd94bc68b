// Publish -> deliver -> ack through an EventStoreConnector over an embedded RocksDbEventStore
// (syncMode none, appends on the caller's thread as the embedded connector does), one
// subscription acknowledging every event: the connector and store share of the runtime's
// per-event cost, without sockets. Args: the store's tail_cache_bytes (0 = every delivery is
// read from RocksDB and decoded) and write_buffer_bytes in MiB.
//   bazel run -c opt //eventmesh/connectors/eventstore:event_store_connector_benchmark

#include <stdlib.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "eventmesh/connectors/eventstore/event_store_connector.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "glog/logging.h"

namespace eventmesh::connectors {
namespace {

cloudevents::CloudEvent MakeEvent(int64_t i) {
  cloudevents::CloudEvent event;
  event.set_id(absl::StrCat("id-", i));
  event.set_source("/loadgen");
  event.set_type("eventmesh.bench");
  event.set_subject("bench");
  event.set_data_content_type("text/plain");
  event.set_data(std::string(256, 'x'), cloudevents::DataEncoding::kText);
  event.SetExtension("protocoltype", "eventmeshmessage");
  event.SetExtension("loadgenpub", "0");
  event.SetExtension("loadgenseq", absl::StrCat(i));
  event.SetExtension("loadgents", "1795853375000000000");
  return event;
}

void BM_PublishDeliverAck(benchmark::State& state) {
  char dir_template[] = "/tmp/esc_bench_XXXXXX";
  CHECK(mkdtemp(dir_template) != nullptr);
  store::StoreOptions store_options;
  store_options.path = dir_template;
  store_options.sync_mode = store::SyncMode::kNone;
  store_options.retention_interval_ms = 0;
  store_options.tail_cache_bytes = state.range(0);
  store_options.write_buffer_bytes = state.range(1) << 20;
  auto store = store::RocksDbEventStore::Open(store_options);
  CHECK(store.ok()) << store.status();
  EventStoreConnectorOptions options;
  options.append_on_caller_thread = true;
  options.durable = false;
  auto connector = EventStoreConnector::Create(std::move(*store), options);
  CHECK(connector->CreateTopic("bench", 1).ok());

  absl::Mutex mu;
  int64_t delivered = 0;
  std::unique_ptr<Subscription> subscription;
  SubscribeOptions sub;
  sub.group = "g";
  sub.topic = "bench";
  sub.max_unacked = 1000;
  Subscription* sub_ptr = nullptr;
  auto subscribed = connector->Subscribe(sub, [&](std::vector<DeliveredEvent>* events) {
    std::vector<Position> positions;
    positions.reserve(events->size());
    for (auto& e : *events) positions.push_back(e.position);
    sub_ptr->AckAll(positions);
    absl::MutexLock lock(&mu);
    delivered += static_cast<int64_t>(events->size());
  });
  CHECK(subscribed.ok()) << subscribed.status();
  subscription = std::move(*subscribed);
  sub_ptr = subscription.get();

  constexpr int kBatch = 32;
  int64_t published = 0;
  std::atomic<int64_t> acked{0};
  for (auto _ : state) {
    std::vector<Connector::PendingPublish> batch;
    batch.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      batch.push_back({MakeEvent(published + i), [&acked](absl::StatusOr<PublishResult> r) {
                         CHECK(r.ok()) << r.status();
                         acked.fetch_add(1);
                       }});
    }
    connector->PublishBatch(&batch);
    published += kBatch;
    // Keep the subscriber within a few batches of the publisher (a caught-up consumer).
    std::pair<int64_t*, int64_t> wait{&delivered, published};
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::pair<int64_t*, int64_t>* p) { return *p->first + 4 * kBatch >= p->second; },
        &wait));
  }
  {
    std::pair<int64_t*, int64_t> wait{&delivered, published};
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::pair<int64_t*, int64_t>* p) { return *p->first >= p->second; }, &wait));
  }
  state.SetItemsProcessed(published);
  subscription->Close();
  connector->Shutdown();
}
BENCHMARK(BM_PublishDeliverAck)
    ->ArgNames({"tail_cache_bytes", "memtable_mib"})
    ->Args({0, 64})
    ->Args({4 << 20, 64})
    ->Args({4 << 20, 8})
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace
}  // namespace eventmesh::connectors
