#ifndef EVENTMESH_RUNTIME_FEDERATION_FORWARD_TARGET_H_
#define EVENTMESH_RUNTIME_FEDERATION_FORWARD_TARGET_H_

// ForwardTarget: the delivery target that carries one topic's events from this mesh to another
// mesh. It is added to a consumer group of the local store ("eventmesh-forward-<mesh>") like a
// subscriber, and publishes what it receives to a runtime of the other mesh over HTTP or HTTPS
// (POST /eventmesh/publish/<topic>, application/cloudevents-batch+json), so the other mesh
// stores the events and delivers them to its own subscribers.
//
// Batches travel on one pipelined connection (net::HttpPipeline): up to `batches_in_flight`
// batches are sent before the first is answered. Each request carries "eventmesh-ordered: 1",
// so the receiving runtime (which handles a connection's requests one after another) closes
// the connection after a request it failed instead of going on with the ones behind it.
//
// Promises:
//   * At least once: an event is acknowledged to the local group (which then commits its
//     position) only after the other mesh answered that its batch is stored (retCode 0). The
//     answers come in batch order and are acknowledged in that order, so the committed position
//     never passes a batch that is not acknowledged together with every batch before it.
//   * On any failure (an error answer, a refused connection, a TLS or certificate error, a
//     timeout, a runtime that went away) every batch after the last acknowledged one is sent
//     again, in order, on a new connection (the next runtime of the other mesh), after a backoff,
//     forever: forwarded events never time out and are never dead-lettered
//     (TargetSettings.ack_timeout is off); closing the target hands the unacknowledged ones back
//     to the group. Duplicates are possible, loss is not.
//   * Publish order per partition is kept for the first delivery of every event: a connection
//     stores a prefix of what was sent on it, and a re-send starts again from the first batch
//     not acknowledged.
//   * No loops: each forwarded event carries the extension "eventmeshorigin" = the mesh it was
//     first published in; events whose origin is another mesh are not forwarded again (they are
//     acknowledged without sending).
// Thread-safe; lock order: GroupConsumer -> ForwardTarget::mu_ (the consumer is called only with
// mu_ released). One thread at a time encodes and sends (Pump), so batches leave in order.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "eventmesh/common/backoff.h"
#include "eventmesh/net/http_pipeline.h"
#include "eventmesh/runtime/core/delivery_target.h"
#include "eventmesh/runtime/core/group_consumer.h"
#include "eventmesh/runtime/core/publish_service.h"

namespace eventmesh::runtime::federation {

// The extension naming the mesh an event was first published in.
inline constexpr const char* kOriginExtension = core::kMeshOriginExtension;

struct ForwardOptions {
  std::string self_mesh;
  std::string target_mesh;
  std::string topic;
  int32_t window = 1000;          // unacknowledged events held by the target
  int32_t batch_events = 100;     // events per POST
  int32_t batches_in_flight = 4;  // POSTs sent and not yet answered (pipelined, in order)
  absl::Duration request_timeout = absl::Seconds(10);
  absl::Duration max_backoff = absl::Seconds(5);
  // A connection without a batch in flight for this long is replaced before the next batch
  // (so a runtime's idle-connection timeout is not met mid-send).
  absl::Duration max_idle = absl::Seconds(5);
  // Sent as the username / passwd headers when the other mesh checks an ACL.
  std::string username;
  std::string password;
};

struct ForwardStats {
  int64_t forwarded = 0;       // events stored by the other mesh
  int64_t skipped = 0;         // events from a third mesh, not forwarded again
  int64_t batches = 0;         // successful POSTs
  int64_t failures = 0;        // failures (each re-sends every batch not yet acknowledged)
  int64_t resent = 0;          // batches sent again after a failure
  int64_t connections = 0;     // connections opened to the other mesh
  int64_t peak_in_flight = 0;  // most batches sent and unanswered at once
  std::string last_error;
};

class ForwardTarget : public core::DeliveryTarget,
                      public std::enable_shared_from_this<ForwardTarget> {
 public:
  // `io` (run by the caller) must outlive the target. `tls` verifies https runtimes (and may
  // carry a client certificate); nullptr: https endpoints fail with a clear error.
  ForwardTarget(uint64_t id, ForwardOptions options, boost::asio::io_context* io,
                std::shared_ptr<boost::asio::ssl::context> tls);

  // The runtimes of the other mesh as "http://host:port" or "https://host:port", best first.
  // Replaces the list; a batch waiting for a runtime is sent at once. Batches already in flight
  // finish on their connection; the next connection goes to the new list.
  void SetEndpoints(std::vector<std::string> base_urls);

  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override;
  void ReleaseSlot() override { slots_.fetch_sub(1); }
  void ReleaseSlots(int64_t n) override { slots_.fetch_sub(n); }
  core::PushResult Push(const cloudevents::CloudEvent& event, core::PushKind kind,
                        const std::string& seq,
                        const std::shared_ptr<core::GroupConsumer>& consumer) override;
  void Forget(const std::string& seq) override;
  void FlushPushes() override { Pump(); }

  // Stops forwarding: queued and in-flight events are dropped here (the group delivers them
  // again after RemoveTarget/Unsubscribe), timers are cancelled, late answers are ignored.
  void Close();
  ForwardStats stats() const;
  const ForwardOptions& options() const { return options_; }

 private:
  struct Delivery {
    cloudevents::CloudEvent event;
    uint64_t seq = 0;
    std::shared_ptr<core::GroupConsumer> consumer;
    bool cancelled = false;  // mu_
  };
  struct Batch {
    uint64_t number = 0;
    std::vector<std::shared_ptr<Delivery>> deliveries;
  };
  void Pump();
  void OnResult(uint64_t generation, uint64_t number,
                const absl::StatusOr<net::HttpResponse>& result);
  net::HttpRequest Encode(const Batch& batch) const;

  const uint64_t id_;
  const ForwardOptions options_;
  boost::asio::io_context* const io_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::shared_ptr<boost::asio::steady_timer> retry_timer_;  // strand_ only

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> slots_{0};
  mutable std::mutex mu_;
  std::vector<std::string> endpoints_;
  size_t next_endpoint_ = 0;
  Backoff backoff_;
  bool waiting_retry_ = false;  // after a failure, until the backoff passed
  bool failing_ = false;        // failed since the last acknowledged batch (logging)
  bool pumping_ = false;        // a thread is in Pump's send loop
  bool pump_again_ = false;     // more to do for that thread
  // The connection batches go on; replaced after a failure or when idle. Its generation tells
  // answers of a replaced connection (ignored: their batches were queued again) from current ones.
  std::shared_ptr<net::HttpPipeline> pipeline_;
  std::string pipeline_endpoint_;
  uint64_t generation_ = 0;
  absl::Time last_answer_;
  uint64_t next_batch_ = 0;
  std::deque<std::shared_ptr<Delivery>> ready_;     // not yet in a batch
  std::deque<Batch> in_flight_;                     // sent (or being sent), oldest first
  std::deque<Batch> resend_;                        // failed batches to send again, oldest first
  std::vector<std::shared_ptr<Delivery>> skipped_;  // from a third mesh: acked, not sent
  std::map<uint64_t, std::shared_ptr<Delivery>> deliveries_;
  ForwardStats stats_;
};

}  // namespace eventmesh::runtime::federation

#endif  // EVENTMESH_RUNTIME_FEDERATION_FORWARD_TARGET_H_
