#ifndef EVENTMESH_RUNTIME_CORE_RUNTIME_METRICS_H_
#define EVENTMESH_RUNTIME_CORE_RUNTIME_METRICS_H_

// The runtime's instruments on the publish and delivery paths, registered once on a
// metrics::Registry (the admin port's /metrics shows them). Series are looked up at creation, so
// every method below is a few relaxed atomic operations (no lock, no allocation). Labels are
// bounded by construction: protocol (tcp, http, internal) x result (a fixed list) — never topics
// or groups (per-group values are computed at scrape time by the admin package, capped).
// Thread-safe. The Registry must outlive this object; the services that hold a pointer to it
// must not outlive it (the Server owns both).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/metrics/metrics.h"

namespace eventmesh::runtime::core {

// Who published, for the metrics' protocol label.
enum class Protocol : int { kInternal = 0, kTcp = 1, kHttp = 2, kGrpc = 3, kMqtt = 4 };
inline constexpr int kProtocolCount = 5;
absl::string_view ProtocolName(Protocol protocol);

// What became of a publish: ok (durable), failed (the connector reported an error), or why the
// policy refused it (PublishService's steps; flow_control includes the per-session in-flight
// bound).
enum class PublishResultClass : int {
  kOk = 0,
  kFailed,
  kDenied,       // reserved topic or ACL
  kFlowControl,  // rate limits, in-flight bounds
  kTooLarge,     // event or batch size
  kInvalid,      // no topic, malformed
  kNoTopic,      // the topic does not exist / cannot be created
};
inline constexpr int kPublishResultCount = 7;
absl::string_view PublishResultName(PublishResultClass result);
// The class of a refusal status from PublishService::Admit/AdmitAll.
PublishResultClass ClassifyRefusal(const absl::Status& status);

// Monotonic nanoseconds (steady clock), the time base of the latency histograms.
inline int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class RuntimeMetrics {
 public:
  // Registers the families (names in the runtime README's metrics table). Errors: the
  // registry's (a name registered twice).
  static absl::StatusOr<std::unique_ptr<RuntimeMetrics>> Create(metrics::Registry* registry);

  // Publishes: `count` events refused by the policy, or finished with `ok` (latency from
  // `start_ns`, SteadyNowNs at admission, to the connector's durable callback).
  void PublishRefused(Protocol protocol, const absl::Status& status, uint64_t count = 1) {
    Publishes(protocol, ClassifyRefusal(status))->Increment(count);
  }
  void PublishRefused(Protocol protocol, PublishResultClass result, uint64_t count = 1) {
    Publishes(protocol, result)->Increment(count);
  }
  void PublishDone(Protocol protocol, bool ok, int64_t start_ns) {
    Publishes(protocol, ok ? PublishResultClass::kOk : PublishResultClass::kFailed)->Increment();
    if (ok) durable_latency_[static_cast<int>(protocol)]->Observe(Seconds(start_ns));
  }

  // Deliveries (GroupConsumer): pushes (first deliveries and redeliveries), redeliveries
  // (requeued after an ack timeout or a closed target), acks, dead letters.
  void Pushed(uint64_t n = 1) { pushes_->Increment(n); }
  void Redelivered(uint64_t n = 1) { redeliveries_->Increment(n); }
  void Acked(int64_t pushed_ns, int64_t now_ns) {
    acks_->Increment();
    ack_latency_->Observe(static_cast<double>(now_ns - pushed_ns) / 1e9);
  }
  void DeadLettered(uint64_t n = 1) { dead_letters_->Increment(n); }

 private:
  RuntimeMetrics() = default;
  metrics::Counter* Publishes(Protocol protocol, PublishResultClass result) {
    return publishes_[static_cast<int>(protocol)][static_cast<int>(result)];
  }
  static double Seconds(int64_t start_ns) {
    return static_cast<double>(SteadyNowNs() - start_ns) / 1e9;
  }

  std::array<std::array<metrics::Counter*, kPublishResultCount>, kProtocolCount> publishes_{};
  std::array<metrics::Histogram*, kProtocolCount> durable_latency_{};
  metrics::Counter* pushes_ = nullptr;
  metrics::Counter* redeliveries_ = nullptr;
  metrics::Counter* acks_ = nullptr;
  metrics::Counter* dead_letters_ = nullptr;
  metrics::Histogram* ack_latency_ = nullptr;
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_RUNTIME_METRICS_H_
