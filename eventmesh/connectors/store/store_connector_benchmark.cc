// Publish throughput of the "store" connector against an in-process StoreServer over loopback,
// next to the "embedded" connector on the same engine settings, for reference.
//   bazel run -c opt //eventmesh/connectors/store:store_connector_benchmark -- --events=100000
// Prints events/s for each connector (all publishes outstanding at once, 200-byte payloads).

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "eventmesh/connectors/store/store_connector.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"

ABSL_FLAG(int, events, 100000, "events to publish per connector");
ABSL_FLAG(std::string, sync, "none", "engine sync mode: none | batch | always");

namespace {

using eventmesh::connectors::Connector;

double Run(Connector* connector, int events) {
  if (!connector->CreateTopic("bench", 4).ok()) return -1;
  absl::Mutex mu;
  int done = 0;
  std::atomic<int> failed{0};
  const absl::Time start = absl::Now();
  for (int i = 0; i < events; ++i) {
    eventmesh::cloudevents::CloudEvent event;
    event.set_id(std::to_string(i));
    event.set_source("/bench");
    event.set_type("bench");
    event.set_subject("bench");
    event.set_data(std::string(200, 'x'), eventmesh::cloudevents::DataEncoding::kText);
    connector->Publish(std::move(event),
                       [&](absl::StatusOr<eventmesh::connectors::PublishResult> r) {
                         if (!r.ok()) failed.fetch_add(1);
                         absl::MutexLock lock(&mu);
                         ++done;
                       });
  }
  absl::MutexLock lock(&mu);
  auto all = [&] { return done == events; };
  mu.AwaitWithTimeout(absl::Condition(&all), absl::Minutes(5));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (failed.load() > 0) std::printf("  %d publishes failed\n", failed.load());
  return events / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  absl::ParseCommandLine(argc, argv);
  const int events = absl::GetFlag(FLAGS_events);
  const std::string base = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                        "/store_connector_bench_", getpid());
  std::filesystem::create_directories(base);
  auto sync = eventmesh::store::ParseSyncMode(absl::GetFlag(FLAGS_sync));
  if (!sync.ok()) return 2;
  {
    eventmesh::connectors::EmbeddedOptions options;
    options.store.path = base + "/embedded";
    options.store.sync_mode = *sync;
    auto connector = eventmesh::connectors::OpenEmbeddedConnector(options);
    if (!connector.ok()) {
      std::fprintf(stderr, "%s\n", connector.status().ToString().c_str());
      return 1;
    }
    std::printf("embedded: %.0f events/s\n", Run(connector->get(), events));
  }
  {
    eventmesh::store::StoreOptions options;
    options.path = base + "/service";
    options.sync_mode = *sync;
    auto engine = eventmesh::store::RocksDbEventStore::Open(options);
    if (!engine.ok()) return 1;
    eventmesh::store::service::StoreServerOptions server_options;
    server_options.port = 0;
    auto server = eventmesh::store::service::StoreServer::Start(engine->get(), server_options);
    if (!server.ok()) return 1;
    auto parsed = eventmesh::connectors::ParseStoreConfig(
        {{"address", absl::StrCat("127.0.0.1:", (*server)->port())}});
    auto connector = eventmesh::connectors::OpenStoreConnector(*parsed);
    if (!connector.ok()) return 1;
    std::printf("store:    %.0f events/s\n", Run(connector->get(), events));
    connector->reset();
    (*server)->Stop();
  }
  std::filesystem::remove_all(base);
  return 0;
}
