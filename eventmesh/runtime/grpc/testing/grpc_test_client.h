#ifndef EVENTMESH_RUNTIME_GRPC_TESTING_GRPC_TEST_CLIENT_H_
#define EVENTMESH_RUNTIME_GRPC_TESTING_GRPC_TEST_CLIENT_H_

// Raw gRPC helpers for tests of the gRPC frontend: well-formed CloudEvents with Apache's
// attributes (what the Java SDK sends), unary calls with a deadline, and a subscribeStream
// client whose reader thread queues every incoming message. Every wait is bounded.
// Thread-compatible: use one StreamClient from one test thread (Send is thread-safe).

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/grpc/eventmesh_service.grpc.pb.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "grpcpp/grpcpp.h"

namespace eventmesh::runtime::grpc::testing {

namespace pb = ::org::apache::eventmesh::cloudevents::v1;

// The client header attributes (H) plus protocoltype/protocolversion/protocoldesc.
void SetClientHeader(pb::CloudEvent* event, const std::string& pid = "4242");
// A complete text/plain event for `topic` (what a Java publisher sends).
pb::CloudEvent TextEvent(const std::string& topic, const std::string& text,
                         const std::string& ttl = "4000");
// A stream/webhook subscription for `items` of `group` ("" url: stream form).
pb::CloudEvent SubscriptionEvent(const std::string& group,
                                 const std::vector<protocol::grpc::SubscriptionItem>& items,
                                 const std::string& url = "", bool client_acks = false);

std::shared_ptr<::grpc::Channel> Channel(int port);

// Unary calls (10 s deadline). The gRPC status when it is not OK.
absl::StatusOr<pb::CloudEvent> Publish(const std::shared_ptr<::grpc::Channel>& channel,
                                       const pb::CloudEvent& event);
absl::StatusOr<pb::CloudEvent> RequestReply(const std::shared_ptr<::grpc::Channel>& channel,
                                            const pb::CloudEvent& event);
absl::StatusOr<pb::CloudEvent> BatchPublish(const std::shared_ptr<::grpc::Channel>& channel,
                                            const pb::CloudEventBatch& batch);
absl::StatusOr<pb::CloudEvent> Subscribe(const std::shared_ptr<::grpc::Channel>& channel,
                                         const pb::CloudEvent& event);
absl::StatusOr<pb::CloudEvent> Unsubscribe(const std::shared_ptr<::grpc::Channel>& channel,
                                           const pb::CloudEvent& event);
absl::StatusOr<pb::CloudEvent> Heartbeat(const std::shared_ptr<::grpc::Channel>& channel,
                                         const pb::CloudEvent& event);
absl::Status ToStatus(const ::grpc::Status& status);

// The prefix of every method's full name ("/org.apache.eventmesh.cloudevents.v1.").
extern const char kServicePrefix[];
// A unary call of `method` ("PublisherService/publish") whose request is `bytes` as they are
// (not necessarily a message), with a 30 s deadline. `while_waiting` (if set) runs after the
// call started, before the answer is awaited. Returns the call's status.
::grpc::Status RawUnaryCall(const std::shared_ptr<::grpc::Channel>& channel,
                            const std::string& method, const std::string& bytes,
                            const std::function<void()>& while_waiting = {});

class StreamClient {
 public:
  explicit StreamClient(std::shared_ptr<::grpc::Channel> channel);
  ~StreamClient();

  bool Send(const pb::CloudEvent& message);
  // Sends the subscription and waits for its answer (a message with statuscode and no pushseq).
  absl::StatusOr<pb::CloudEvent> Subscribe(const pb::CloudEvent& subscription);
  // The next pushed event (a message with pushseq), in arrival order.
  absl::StatusOr<pb::CloudEvent> NextEvent(absl::Duration timeout = absl::Seconds(20));
  // The next response (statuscode, no pushseq).
  absl::StatusOr<pb::CloudEvent> NextResponse(absl::Duration timeout = absl::Seconds(20));
  // subscription_ack for `event`'s pushseq.
  bool Ack(const pb::CloudEvent& event);
  // The reply to a pushed request (Java SDK style: the request's attributes, then ours).
  bool Reply(const pb::CloudEvent& request, const std::string& text);
  // Half-closes and waits for the server to end the call; returns its status.
  ::grpc::Status Close();
  // True once the server ended the call (within `timeout`).
  bool WaitEnded(absl::Duration timeout = absl::Seconds(20));

 private:
  absl::StatusOr<pb::CloudEvent> Next(bool event, absl::Duration timeout);
  void ReadLoop();

  std::unique_ptr<pb::ConsumerService::Stub> stub_;
  ::grpc::ClientContext context_;
  std::unique_ptr<::grpc::ClientReaderWriter<pb::CloudEvent, pb::CloudEvent>> stream_;
  std::thread reader_;
  absl::Mutex write_mu_;
  bool half_closed_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Mutex mu_;
  std::deque<pb::CloudEvent> events_ ABSL_GUARDED_BY(mu_);
  std::deque<pb::CloudEvent> responses_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  ::grpc::Status status_;
};

}  // namespace eventmesh::runtime::grpc::testing

#endif  // EVENTMESH_RUNTIME_GRPC_TESTING_GRPC_TEST_CLIENT_H_
