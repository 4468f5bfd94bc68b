#ifndef EVENTMESH_STORE_CLIENT_REMOTE_EVENT_STORE_H_
#define EVENTMESH_STORE_CLIENT_REMOTE_EVENT_STORE_H_

// RemoteEventStore: the EventStore interface over a StoreClient, so code written against the
// embedded engine (eventmesh/store/engine/event_store.h) uses a shared store service unchanged.
//
// Every method is the client's blocking call with the client's default timeout (Fetch: plus
// max_wait_ms); AppendAsync's and FetchAsync's callbacks run on the client's network thread.
// Besides the engine's errors, any call may fail with Unavailable (connection lost / server down)
// or DeadlineExceeded (timeout). Owns its StoreClient. Thread-safe.

#include <memory>
#include <optional>

#include "eventmesh/store/client/store_client.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::store::client {

class RemoteEventStore final : public EventStore {
 public:
  // Errors: as StoreClient::Create.
  static absl::StatusOr<std::unique_ptr<RemoteEventStore>> Connect(
      const StoreClientOptions& options);
  explicit RemoteEventStore(std::unique_ptr<StoreClient> client) : client_(std::move(client)) {}

  // Deadline of Heartbeat calls (default: the client's call timeout). A group member's heartbeat
  // must fail well within its session timeout — a store call that hangs must not outlast the
  // session it is meant to keep alive. Set before use; not thread-safe with calls in flight.
  void set_heartbeat_timeout(absl::Duration timeout) { heartbeat_timeout_ = timeout; }

  absl::StatusOr<TopicDescription> CreateTopic(const CreateTopicRequest& request) override {
    return client_->CreateTopic(request);
  }
  absl::StatusOr<TopicDescription> DescribeTopic(const DescribeTopicRequest& request) override {
    return client_->DescribeTopic(request);
  }
  absl::StatusOr<ListTopicsResult> ListTopics(const ListTopicsRequest& request) override {
    return client_->ListTopics(request);
  }
  absl::StatusOr<DeleteTopicResult> DeleteTopic(const DeleteTopicRequest& request) override {
    return client_->DeleteTopic(request);
  }
  absl::StatusOr<AppendResult> Append(const AppendRequest& request) override {
    return client_->Append(request);
  }
  // Pipelined: any number of appends in flight on the one connection; `done` runs on the
  // client's network thread (or inline when rejected before sending).
  void AppendAsync(const AppendRequest& request, AppendCallback done) override {
    client_->AppendAsync(request, std::move(done));
  }
  absl::StatusOr<ReadResult> Read(const ReadRequest& request) override {
    return client_->Read(request);
  }
  absl::StatusOr<ReadResult> Fetch(const FetchRequest& request) override {
    return client_->Fetch(request);
  }
  void FetchAsync(const FetchRequest& request, FetchCallback done) override {
    client_->FetchAsync(request, std::move(done));
  }
  absl::StatusOr<OffsetsResult> GetOffsets(const OffsetsRequest& request) override {
    return client_->GetOffsets(request);
  }
  absl::StatusOr<SeekTimeResult> SeekTime(const SeekTimeRequest& request) override {
    return client_->SeekTime(request);
  }
  absl::StatusOr<MemberAssignment> JoinGroup(const JoinGroupRequest& request) override {
    return client_->JoinGroup(request);
  }
  absl::StatusOr<MemberAssignment> Heartbeat(const HeartbeatRequest& request) override {
    CallOptions options;
    options.timeout = heartbeat_timeout_;
    return client_->Heartbeat(request, options);
  }
  absl::StatusOr<LeaveGroupResult> LeaveGroup(const LeaveGroupRequest& request) override {
    return client_->LeaveGroup(request);
  }
  absl::StatusOr<GroupDescription> DescribeGroup(const DescribeGroupRequest& request) override {
    return client_->DescribeGroup(request);
  }
  absl::StatusOr<CommitOffsetsResult> CommitOffsets(const CommitOffsetsRequest& request) override {
    return client_->CommitOffsets(request);
  }
  absl::StatusOr<FetchOffsetsResult> FetchOffsets(const FetchOffsetsRequest& request) override {
    return client_->FetchOffsets(request);
  }
  absl::StatusOr<RetentionPassResult> RunRetentionOnce() override {
    return client_->RunRetention();
  }

  StoreClient& client() { return *client_; }

 private:
  std::unique_ptr<StoreClient> client_;
  std::optional<absl::Duration> heartbeat_timeout_;
};

inline absl::StatusOr<std::unique_ptr<RemoteEventStore>> RemoteEventStore::Connect(
    const StoreClientOptions& options) {
  absl::StatusOr<std::unique_ptr<StoreClient>> client = StoreClient::Create(options);
  if (!client.ok()) return client.status();
  return std::make_unique<RemoteEventStore>(std::move(*client));
}

}  // namespace eventmesh::store::client

#endif  // EVENTMESH_STORE_CLIENT_REMOTE_EVENT_STORE_H_
