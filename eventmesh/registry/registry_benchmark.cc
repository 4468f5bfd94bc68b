// Registry server latency with many registered runtimes, over real loopback HTTP:
//   BM_List/N         — GET the runtimes of one mesh (100 per mesh) while N are registered
//   BM_ListAll/N      — GET every runtime
//   BM_WatchWake/N    — from a registration to the moment a waiting watcher has the new list
//   BM_Renew/N        — one lease renewal
//   BM_Register/N/P   — one registration that changes a record (a new report), P=1 with the
//                       state persisted on disk (the server's own setting), P=0 in memory only
// Every fixture but BM_Register/N/0 persists its state in a fresh temporary directory, as the
// registry binary does under --data_dir.
// bazel run -c opt //eventmesh/registry:registry_benchmark

#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"

namespace eventmesh::registry {
namespace {

Instance Runtime(int i) {
  Instance in;
  in.mesh = absl::StrCat("mesh-", i / 100);
  in.id = absl::StrCat("rt-", i);
  in.idc = absl::StrCat("idc-", i % 3);
  in.endpoints = {{"tcp", "10.0.0.1", 10000 + i % 1000}, {"http", "10.0.0.1", 11000 + i % 1000}};
  in.load.clients = i % 50;
  in.topics = {{absl::StrCat("topic-", i % 20), "pub", ""},
               {absl::StrCat("topic-", (i + 1) % 20), "sub", "group"}};
  return in;
}

struct Fixture {
  explicit Fixture(int instances, bool persist = true) {
    RegistryServerOptions options;
    options.state.max_ttl = absl::Minutes(10);
    if (persist) {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "registry-benchmark-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) std::abort();
      dir = pattern;
      options.state.state_file = dir + "/registry-state.json";
    }
    server = std::move(RegistryServer::Start(options)).value();
    HttpRegistryOptions client_options;
    client_options.addresses = {absl::StrCat("127.0.0.1:", server->port())};
    client = std::move(HttpRegistry::Create(client_options)).value();
    for (int i = 0; i < instances; ++i) {
      if (!client->Register(Runtime(i), absl::Minutes(10)).ok()) std::abort();
    }
  }
  ~Fixture() {
    client.reset();
    server.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<RegistryServer> server;
  std::unique_ptr<HttpRegistry> client;
};

void BM_List(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto listed = f.client->List("mesh-0");
    if (!listed.ok() || listed->instances.size() != 100) std::abort();
    benchmark::DoNotOptimize(listed);
  }
}
BENCHMARK(BM_List)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_ListAll(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto listed = f.client->List("");
    if (!listed.ok()) std::abort();
    benchmark::DoNotOptimize(listed);
  }
}
BENCHMARK(BM_ListAll)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Renew(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    if (!f.client->Renew("mesh-0", "rt-7").ok()) std::abort();
  }
}
BENCHMARK(BM_Renew)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Register(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)), state.range(1) != 0);
  Instance changing = Runtime(7);
  for (auto _ : state) {
    changing.load.clients += 1;  // a different report: a change the state records
    if (!f.client->Register(changing, absl::Minutes(10)).ok()) std::abort();
  }
}
BENCHMARK(BM_Register)->Args({1000, 1})->Args({1000, 0})->Unit(benchmark::kMicrosecond);

void BM_WatchWake(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  HttpRegistryOptions watcher_options;
  watcher_options.addresses = {absl::StrCat("127.0.0.1:", f.server->port())};
  auto watcher = std::move(HttpRegistry::Create(watcher_options)).value();
  std::mutex mu;
  std::condition_variable cv;
  uint64_t seen = f.client->List("mesh-0")->index;
  std::atomic<bool> stop{false};
  std::thread watching([&] {
    uint64_t index = seen;
    while (!stop.load()) {
      auto watched = watcher->Watch("mesh-0", index, absl::Milliseconds(200));
      if (!watched.ok()) continue;
      index = watched->index;
      std::lock_guard<std::mutex> lock(mu);
      seen = index;
      cv.notify_all();
    }
  });
  Instance changing = Runtime(0);
  for (auto _ : state) {
    changing.load.clients += 1;  // a different report: a change
    const auto start = std::chrono::steady_clock::now();
    if (!f.client->Register(changing, absl::Minutes(10)).ok()) std::abort();
    const uint64_t target = f.server->state().index();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return seen >= target; });
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  stop = true;
  watching.join();
}
BENCHMARK(BM_WatchWake)->Arg(1000)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace eventmesh::registry
