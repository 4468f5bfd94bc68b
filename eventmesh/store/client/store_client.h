#ifndef EVENTMESH_STORE_CLIENT_STORE_CLIENT_H_
#define EVENTMESH_STORE_CLIENT_STORE_CLIENT_H_

// StoreClient: a connection to the event store service (eventmesh/store/service).
//
// Every engine operation is available as
//   XxxAsync(request, callback, options)  -- returns at once; `callback` runs exactly once, on
//                                           the client's network thread (must not block; a
//                                           blocking call on this client from there fails with
//                                           FailedPrecondition), or inline on the calling thread
//                                           when the request is rejected before sending
//                                           (InvalidArgument, ResourceExhausted when
//                                           max_calls_in_flight are in flight, or Unavailable
//                                           after destruction)
//   Xxx(request, options)                 -- blocking wrapper
// with the request/result structs of the engine (eventmesh/store/engine/event_store.h), so a
// remote store is used like the embedded one (see RemoteEventStore).
//
// One TCP connection; any number of calls in flight on it at once (pipelining, matched by
// request_id; appends waiting for the socket together share one request, see
// StoreClientOptions::coalesce_appends). Each call has a deadline (CallOptions::timeout, default
// StoreClientOptions::call_timeout; Fetch adds its max_wait_ms): DeadlineExceeded when it
// passes. When the connection is lost every call in flight fails with Unavailable; the client
// reconnects in the background with exponential backoff (initial_backoff doubling up to
// max_backoff, each delay jittered to 50-100%), and calls made while disconnected wait for the
// next connection attempt (Unavailable if it fails, DeadlineExceeded if their deadline passes
// first). Server-side errors come back with the engine's codes and messages (OutOfRange keeps
// its earliest/latest offsets: EarliestOffsetOf(status)).
//
// Thread-safe: all methods may be called from any thread. Owns one network thread. Destroying
// the client fails the calls still in flight with Unavailable "store client closed" (also calls
// racing the destruction). It must not be destroyed from one of its own callbacks (that would
// wait for its own thread: the process aborts with a message instead of deadlocking).

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::store::client {

// TLS to a store service started with --tls_cert_file (PEM files).
struct StoreClientTls {
  std::string ca_file;    // CAs trusted for the service's certificate ("" = the system's)
  std::string cert_file;  // client certificate, for a service with --tls_client_ca_file
  std::string key_file;
  std::string server_name;  // name its certificate must carry ("" = host)
};

struct StoreClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 10300;
  absl::Duration call_timeout = absl::Seconds(30);    // per call unless CallOptions says
  absl::Duration connect_timeout = absl::Seconds(5);  // one connection attempt
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
  uint32_t max_frame_size = 16u << 20;  // response frames; larger prefixes drop the connection
  // Calls in flight (sent or waiting to be sent) at most; beyond, a call fails at once with
  // RESOURCE_EXHAUSTED "store client has N calls in flight" (bounds the client's memory).
  int64_t max_calls_in_flight = 1 << 16;
  // The service's token (store_main --token_file): sent as the first request of every
  // connection. "" = none. A refused token fails the calls waiting for that connection with
  // UNAUTHENTICATED "store at host:port refused the token: ...".
  std::string token;
  // Unset: plain TCP. Set: TLS with the service's certificate verified (chain and name).
  std::optional<StoreClientTls> tls;
  // Appends queued while the connection is busy writing go out together, up to 256 (and 64 KiB)
  // in one MultiAppendRequest (each still has its own result, deadline and callback). A service that
  // predates MultiAppend is detected on the first one and then sent one append per request.
  // false: always one append per request.
  bool coalesce_appends = true;
};

struct CallOptions {
  std::optional<absl::Duration> timeout;  // unset: StoreClientOptions::call_timeout
};

class StoreClient {
 public:
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;
  using RawCallback = std::function<void(absl::StatusOr<v1::StoreResponse>)>;

  // Starts the network thread and the first connection attempt (does not wait for it).
  // Errors: InvalidArgument (empty host, non-positive durations).
  static absl::StatusOr<std::unique_ptr<StoreClient>> Create(const StoreClientOptions& options);
  ~StoreClient();
  StoreClient(const StoreClient&) = delete;
  StoreClient& operator=(const StoreClient&) = delete;

  // Topics.
  void CreateTopicAsync(const CreateTopicRequest& r, Callback<TopicDescription> done,
                        CallOptions o = {});
  absl::StatusOr<TopicDescription> CreateTopic(const CreateTopicRequest& r, CallOptions o = {});
  void DescribeTopicAsync(const DescribeTopicRequest& r, Callback<TopicDescription> done,
                          CallOptions o = {});
  absl::StatusOr<TopicDescription> DescribeTopic(const DescribeTopicRequest& r, CallOptions o = {});
  void ListTopicsAsync(const ListTopicsRequest& r, Callback<ListTopicsResult> done,
                       CallOptions o = {});
  absl::StatusOr<ListTopicsResult> ListTopics(const ListTopicsRequest& r, CallOptions o = {});
  void DeleteTopicAsync(const DeleteTopicRequest& r, Callback<DeleteTopicResult> done,
                        CallOptions o = {});
  absl::StatusOr<DeleteTopicResult> DeleteTopic(const DeleteTopicRequest& r, CallOptions o = {});

  // Records.
  void AppendAsync(const AppendRequest& r, Callback<AppendResult> done, CallOptions o = {});
  absl::StatusOr<AppendResult> Append(const AppendRequest& r, CallOptions o = {});
  void ReadAsync(const ReadRequest& r, Callback<ReadResult> done, CallOptions o = {});
  absl::StatusOr<ReadResult> Read(const ReadRequest& r, CallOptions o = {});
  // Long poll: the call's deadline is the timeout plus r.max_wait_ms.
  void FetchAsync(const FetchRequest& r, Callback<ReadResult> done, CallOptions o = {});
  absl::StatusOr<ReadResult> Fetch(const FetchRequest& r, CallOptions o = {});
  void GetOffsetsAsync(const OffsetsRequest& r, Callback<OffsetsResult> done, CallOptions o = {});
  absl::StatusOr<OffsetsResult> GetOffsets(const OffsetsRequest& r, CallOptions o = {});
  void SeekTimeAsync(const SeekTimeRequest& r, Callback<SeekTimeResult> done, CallOptions o = {});
  absl::StatusOr<SeekTimeResult> SeekTime(const SeekTimeRequest& r, CallOptions o = {});

  // Consumer groups.
  void JoinGroupAsync(const JoinGroupRequest& r, Callback<MemberAssignment> done,
                      CallOptions o = {});
  absl::StatusOr<MemberAssignment> JoinGroup(const JoinGroupRequest& r, CallOptions o = {});
  void HeartbeatAsync(const HeartbeatRequest& r, Callback<MemberAssignment> done,
                      CallOptions o = {});
  absl::StatusOr<MemberAssignment> Heartbeat(const HeartbeatRequest& r, CallOptions o = {});
  void LeaveGroupAsync(const LeaveGroupRequest& r, Callback<LeaveGroupResult> done,
                       CallOptions o = {});
  absl::StatusOr<LeaveGroupResult> LeaveGroup(const LeaveGroupRequest& r, CallOptions o = {});
  void DescribeGroupAsync(const DescribeGroupRequest& r, Callback<GroupDescription> done,
                          CallOptions o = {});
  absl::StatusOr<GroupDescription> DescribeGroup(const DescribeGroupRequest& r, CallOptions o = {});
  void CommitOffsetsAsync(const CommitOffsetsRequest& r, Callback<CommitOffsetsResult> done,
                          CallOptions o = {});
  absl::StatusOr<CommitOffsetsResult> CommitOffsets(const CommitOffsetsRequest& r,
                                                    CallOptions o = {});
  void FetchOffsetsAsync(const FetchOffsetsRequest& r, Callback<FetchOffsetsResult> done,
                         CallOptions o = {});
  absl::StatusOr<FetchOffsetsResult> FetchOffsets(const FetchOffsetsRequest& r, CallOptions o = {});

  // Maintenance.
  void RunRetentionAsync(Callback<RetentionPassResult> done, CallOptions o = {});
  absl::StatusOr<RetentionPassResult> RunRetention(CallOptions o = {});

  // Low level: sends any request (its request_id is replaced by the client's own) and returns
  // the raw response; transport failures are the returned status, the response's own status
  // is left to the caller.
  void CallAsync(v1::StoreRequest request, absl::Duration timeout, RawCallback done);
  std::future<absl::StatusOr<v1::StoreResponse>> Call(v1::StoreRequest request,
                                                      absl::Duration timeout);

  // True while a connection is established.
  bool connected() const;
  // "host:port".
  std::string address() const;

  class Impl;

 private:
  explicit StoreClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace eventmesh::store::client

#endif  // EVENTMESH_STORE_CLIENT_STORE_CLIENT_H_
