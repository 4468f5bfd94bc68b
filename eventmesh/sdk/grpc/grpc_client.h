#ifndef EVENTMESH_SDK_GRPC_GRPC_CLIENT_H_
#define EVENTMESH_SDK_GRPC_GRPC_CLIENT_H_

// EventMeshGrpcClient: the C++ client of the runtime's gRPC port (Apache EventMesh's
// CloudEvent-based gRPC API, default port 10205), beside EventMeshTcpClient and
// EventMeshHttpClient. One HTTP/2 channel per client:
//   * Publish / PublishBatch (and their Async forms): unary publish / batchPublish, OK once
//     the runtime stored the event(s) durably; refusals come back with Apache's status code in
//     the message and mapped to an absl code (6/7 InvalidArgument, 20 PermissionDenied,
//     21 ResourceExhausted, others Internal/Unavailable);
//   * Request: unary requestReply, the answer is the responder's reply (DeadlineExceeded when
//     nobody answered within the timeout);
//   * Subscribe: the first call opens the bidirectional subscribeStream; pushes reach the
//     handler as GrpcDelivery objects. With client_acks (the default) every delivery must be
//     Ack()ed: the group's position moves only then, and what a closed client did not
//     acknowledge is delivered again to another member. SYNC subscriptions receive requests;
//     answer them with Reply.
// Thread-safe: all methods may be called from any thread. The handler runs on the client's
// stream reader thread, one delivery at a time in arrival order (per partition, publish order).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk {

struct GrpcClientOptions {
  std::string host = "127.0.0.1";
  int port = 10205;
  // The client identity every call carries (Apache's header attributes).
  std::string env = "env";
  std::string idc = "default";
  std::string sys = "sys123";
  std::string username = "username";  // checked when the runtime's security is on
  std::string password = "passwd";
  std::string producer_group = "DefaultProducerGroup";
  std::string consumer_group = "DefaultConsumerGroup";
  int64_t ttl_ms = 4000;  // ttl of published events without one
  // TLS: the runtime's eventMesh.server.grpc.tls.*. ca_file "" = the system's CAs;
  // cert_file/key_file for mutual TLS; server_name overrides the name checked in the
  // certificate (default: host).
  bool use_tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  // true: deliveries are acknowledged by GrpcDelivery::Ack (at-least-once across client
  // crashes); false: the runtime counts an event delivered once written to the stream.
  bool client_acks = true;
  absl::Duration call_timeout = absl::Seconds(10);
};

class GrpcClientCore;

// One pushed event. Ack and Reply may be called from any thread, also after the handler
// returned.
class GrpcDelivery {
 public:
  GrpcDelivery(std::weak_ptr<GrpcClientCore> core, ReceivedEvent event, std::string push_seq,
               std::shared_ptr<void> wire);
  const ReceivedEvent& event() const { return event_; }
  // Acknowledges the event (no-op without client_acks, or the second time).
  void Ack();
  // Answers a request (a SYNC subscription's push); also acknowledges it.
  absl::Status Reply(const Event& reply);

 private:
  std::weak_ptr<GrpcClientCore> core_;
  ReceivedEvent event_;
  std::string push_seq_;
  std::shared_ptr<void> wire_;  // the pushed wire event (replies copy its attributes)
  bool acked_ = false;
};

using GrpcHandler = std::function<void(std::shared_ptr<GrpcDelivery>)>;

class EventMeshGrpcClient {
 public:
  // Creates the channel (connection happens on the first call). Errors: InvalidArgument
  // (unreadable TLS files).
  static absl::StatusOr<std::unique_ptr<EventMeshGrpcClient>> Connect(GrpcClientOptions options);
  ~EventMeshGrpcClient();
  EventMeshGrpcClient(const EventMeshGrpcClient&) = delete;
  EventMeshGrpcClient& operator=(const EventMeshGrpcClient&) = delete;

  absl::Status Publish(const Event& event);
  // Publish without blocking: `done` runs once on a gRPC thread with Publish's result. Many
  // may be in flight on the one channel (HTTP/2 streams).
  void PublishAsync(const Event& event, std::function<void(absl::Status)> done);
  // One batchPublish of all `events`: OK once the runtime stored every one of them durably.
  // Far cheaper per event than Publish when many are sent at once.
  absl::Status PublishBatch(const std::vector<Event>& events);
  // PublishBatch without blocking: `done` runs once on a gRPC thread with PublishBatch's result.
  void PublishBatchAsync(const std::vector<Event>& events, std::function<void(absl::Status)> done);
  absl::StatusOr<ReceivedEvent> Request(const Event& event, absl::Duration timeout);

  // Set before Subscribe.
  void SetHandler(GrpcHandler handler);
  // Subscribes on the client's stream (opened by the first call) and waits for the answer.
  absl::Status Subscribe(const std::vector<SubscriptionItem>& items);
  // Ends this client's subscriptions of `topics` (other members of the group keep theirs).
  absl::Status Unsubscribe(const std::vector<std::string>& topics);
  // Tells the runtime the client's stream subscriptions are alive. FailedPrecondition
  // "client needs to resubscribe." when the runtime does not know one of them. OK without
  // subscriptions.
  absl::Status Heartbeat();
  // Half-closes the stream and waits (bounded) for the runtime to end it. Idempotent.
  void Close();

 private:
  explicit EventMeshGrpcClient(std::shared_ptr<GrpcClientCore> core) : core_(std::move(core)) {}
  std::shared_ptr<GrpcClientCore> core_;
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_GRPC_GRPC_CLIENT_H_
