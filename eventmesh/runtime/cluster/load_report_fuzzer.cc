// Fuzz target: arbitrary bytes as the data of a load report (what every runtime reads from the
// shared topic eventmesh-runtimes, written by its peers).
//
// Properties, any violation aborts: FromJson either fails with InvalidArgument or yields a
// report within the documented limits (non-empty runtimeId and ip, port 1-65535, positive
// session counts) whose ToJson() parses back to an equal report and serializes to the same
// bytes, and which also survives ToCloudEvent / FromCloudEvent. The balancer's decisions
// (liveness, recommendation, rebalance and drain plans) then run on it as a peer.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/runtime/cluster/balancer.h"
#include "eventmesh/runtime/cluster/load_report.h"

namespace {

namespace cluster = eventmesh::runtime::cluster;
using cluster::LoadReport;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "load_report_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

bool Same(const LoadReport& a, const LoadReport& b) {
  return a.load.runtime_id == b.load.runtime_id && a.load.ip == b.load.ip &&
         a.load.port == b.load.port && a.load.sessions == b.load.sessions &&
         a.timestamp_ms == b.timestamp_ms && a.interval_ms == b.interval_ms &&
         a.leaving == b.leaving;
}

void RunBalancer(const LoadReport& peer) {
  std::vector<cluster::LocalSession> local;
  for (const auto& [pool, count] : peer.load.sessions) {
    for (int i = 0; i < 3; ++i) {
      cluster::LocalSession s;
      s.id = local.size() + 1;
      s.group = pool.group;
      s.purpose = pool.purpose;
      s.age_ms = 60'000;
      local.push_back(s);
    }
    if (local.size() > 30) break;
  }
  const std::vector<cluster::RuntimeLoad> peers = {peer.load};
  const cluster::RuntimeLoad self = cluster::CountSessions("self", "127.0.0.1", 10000, local);
  (void)cluster::PlanRebalance("self", local, peers, cluster::BalancePolicy{});
  (void)cluster::PlanDrain(local, peers);
  for (const auto& [pool, count] : peer.load.sessions) (void)cluster::Recommend(self, peers, pool);
  const int64_t interval = std::max<int64_t>(30'000, peer.interval_ms);
  (void)cluster::IsLive(/*received_ms=*/1'000, interval, peer.leaving, /*now_ms=*/2'000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<LoadReport> report = LoadReport::FromJson(input);
  if (!report.ok()) {
    if (!absl::IsInvalidArgument(report.status())) {
      Fail("unexpected error code", report.status().ToString());
    }
    return 0;
  }
  if (report->load.runtime_id.empty() || report->load.ip.empty()) Fail("empty id or ip", "");
  if (report->load.port <= 0 || report->load.port > 65535) Fail("port out of range", "");
  for (const auto& [pool, count] : report->load.sessions) {
    if (count <= 0) Fail("non-positive session count kept", pool.group);
  }

  const std::string json = report->ToJson();
  absl::StatusOr<LoadReport> again = LoadReport::FromJson(json);
  if (!again.ok()) Fail("re-parse failed", again.status().ToString() + "\n" + json);
  if (!Same(*again, *report)) Fail("re-parsed report differs", json);
  if (again->ToJson() != json) Fail("serialization not stable", json);

  absl::StatusOr<LoadReport> from_event =
      LoadReport::FromCloudEvent(report->ToCloudEvent(static_cast<int64_t>(size)));
  if (!from_event.ok() || !Same(*from_event, *report)) Fail("CloudEvent round trip differs", json);

  RunBalancer(*report);
  return 0;
}
