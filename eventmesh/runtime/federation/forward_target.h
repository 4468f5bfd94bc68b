#ifndef EVENTMESH_RUNTIME_FEDERATION_FORWARD_TARGET_H_
#define EVENTMESH_RUNTIME_FEDERATION_FORWARD_TARGET_H_

// ForwardTarget: the delivery target that carries one topic's events from this mesh to another
// mesh. It is added to a consumer group of the local store ("eventmesh-forward-<mesh>") like a
// subscriber, and publishes what it receives to a runtime of the other mesh over HTTP
// (POST /eventmesh/publish/<topic>, application/cloudevents-batch+json, in order, one batch in
// flight), so the other mesh stores the events and delivers them to its own subscribers.
//
// Promises:
//   * At least once: an event is acknowledged to the local group (which then commits its
//     position) only after the other mesh answered that the whole batch is stored (retCode 0).
//     A failed batch is retried, with backoff, on the next runtime of the other mesh, forever:
//     forwarded events never time out and are never dead-lettered (TargetSettings.ack_timeout
//     is off); closing the target hands the unacknowledged ones back to the group.
//   * No loops: each forwarded event carries the extension "eventmeshorigin" = the mesh it was
//     first published in; events whose origin is another mesh are not forwarded again (they are
//     acknowledged without sending).
//   * Publish order per partition is kept (one batch at a time, retries first).
// Thread-safe; lock order: GroupConsumer -> ForwardTarget::mu_ (the consumer is called only with
// mu_ released).

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "eventmesh/common/backoff.h"
#include "eventmesh/net/http_client.h"
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
  int32_t window = 1000;       // unacknowledged events held by the target
  int32_t batch_events = 100;  // events per POST
  absl::Duration request_timeout = absl::Seconds(10);
  absl::Duration max_backoff = absl::Seconds(5);
  // Sent as the username / passwd headers when the other mesh checks an ACL.
  std::string username;
  std::string password;
};

struct ForwardStats {
  int64_t forwarded = 0;  // events stored by the other mesh
  int64_t skipped = 0;    // events from a third mesh, not forwarded again
  int64_t batches = 0;    // successful POSTs
  int64_t failures = 0;   // failed POSTs (then retried)
  std::string last_error;
};

class ForwardTarget : public core::DeliveryTarget,
                      public std::enable_shared_from_this<ForwardTarget> {
 public:
  // `client` must outlive the target.
  ForwardTarget(uint64_t id, ForwardOptions options, net::HttpClient* client);

  // The runtimes of the other mesh as "http://host:port", best first. Replaces the list; a
  // batch waiting for a runtime is sent at once.
  void SetEndpoints(std::vector<std::string> base_urls);

  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override;
  void ReleaseSlot() override { slots_.fetch_sub(1); }
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
  void Pump();
  void OnResult(std::vector<std::shared_ptr<Delivery>> batch,
                const absl::StatusOr<net::HttpResponse>& result);

  const uint64_t id_;
  const ForwardOptions options_;
  net::HttpClient* const client_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::shared_ptr<boost::asio::steady_timer> retry_timer_;  // strand_ only

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> slots_{0};
  mutable std::mutex mu_;
  std::vector<std::string> endpoints_;
  size_t next_endpoint_ = 0;
  Backoff backoff_;
  bool in_flight_ = false;  // a batch is being sent or waiting for its retry
  std::deque<std::shared_ptr<Delivery>> ready_;
  std::vector<std::shared_ptr<Delivery>> skipped_;  // from a third mesh: acked, not sent
  std::map<uint64_t, std::shared_ptr<Delivery>> deliveries_;
  ForwardStats stats_;
};

}  // namespace eventmesh::runtime::federation

#endif  // EVENTMESH_RUNTIME_FEDERATION_FORWARD_TARGET_H_
