#ifndef EVENTMESH_SDK_TCP_CLIENT_H_
#define EVENTMESH_SDK_TCP_CLIENT_H_

// EventMeshTcpClient: a client of the EventMesh TCP protocol (the Java SDK's
// EventMeshTCPClient, as one class for publishers and subscribers).
//
// Lifecycle: Connect() opens the connection, sends HELLO with the options' UserAgent and
// returns once HELLO_RESPONSE says success. While connected the client sends
// HEARTBEAT_REQUEST every heartbeat_interval. Close() (also run by the destructor) sends
// CLIENT_GOODBYE_REQUEST, waits for the response and stops the client.
//
// Publishing: Publish / Broadcast send ASYNC_MESSAGE_TO_SERVER / BROADCAST_MESSAGE_TO_SERVER
// and complete when the runtime's ack with the same seq arrives (any number may be in
// flight: they are pipelined on the one connection). Request sends REQUEST_TO_SERVER and
// completes with the RESPONSE_TO_CLIENT of the same seq (then acknowledges it).
//
// Subscribing: SetHandler(), then Subscribe() per topic, then Listen(). Pushed events
// (ASYNC_MESSAGE_TO_CLIENT, BROADCAST_MESSAGE_TO_CLIENT, REQUEST_TO_CLIENT) reach the handler
// as a Delivery; it is acknowledged (echoing the push's seq) after the handler returns
// (AckMode::kAuto) or when the application calls Delivery::Ack() (AckMode::kManual). A
// REQUEST_TO_CLIENT (SYNC subscription) is answered with Delivery::Reply().
//
// Reconnect: when the connection is lost, the runtime says SERVER_GOODBYE, or a heartbeat
// goes unanswered, the client reconnects with exponential backoff and re-sends HELLO, every
// subscription and LISTEN (when Listen() had been called). REDIRECT_TO_CLIENT makes it
// reconnect at once to the given ip:port (after 3 failed attempts there in a row it returns
// to the configured host:port). Requests in flight when the connection drops fail
// with Unavailable; requests made while reconnecting fail at once with Unavailable
// ("not connected to <host:port> (reconnecting)"). Acks of deliveries received on an older
// connection are dropped (the runtime redelivers those events).
//
// Registry (options.registry set): instead of host:port, Connect() lists the runtimes of
// registry->mesh in the registry and tries their "tcp" endpoints in the registry's order for
// the client (registry->idc first, then fewest clients), the next one when a connect or HELLO
// fails. Once connected, the client keeps a live view of the mesh (registry->watch, default
// on): a long poll on the registry's change index (Registry::Watch, for the registry server and
// etcd alike) on a thread of its own, never the io thread. Every reconnect takes the runtimes
// from that view when it is fresh (its last watch succeeded), without waiting for a lookup,
// and otherwise asks the registry on a helper thread; either way the runtime just lost is tried
// last, then HELLO, subscriptions and LISTEN are re-sent as above; a redirect target is tried
// first, and when the registry cannot be reached the last runtime is tried again. When the
// runtime the client is connected to disappears from the view (it deregistered on a graceful
// shutdown, or its lease ran out) while another runtime is registered, the client moves at
// once, as on a failover: requests in flight fail with Unavailable (publish again), pushes not
// acknowledged yet are delivered again by the runtimes (at least once), acknowledged ones are
// not lost. Watch errors are retried after a backoff doubling from 100 ms up to
// registry->watch_max_backoff and logged (glog WARNING); the view is stale meanwhile and
// reconnects look up instead. Close() stops the view and ends a lookup in flight at once.
// Connect errors: Unavailable
// "no runtime of mesh \"m\" with a tcp endpoint is registered", the registry's errors
// ("registry lookup for mesh \"m\": ..."), and "no runtime of mesh \"m\" could be reached; the
// last one tried: ..." (with the last attempt's code).
//
// Threading: one io thread per client runs the socket, the timers and every callback
// (publish callbacks, the event handler). All public methods are thread-safe. Callbacks must
// not block; the blocking methods (Connect, Close, Subscribe, Unsubscribe, Listen, Request,
// and .get() on a returned future) called from a callback return FailedPrecondition instead
// of deadlocking (for futures: do not wait on them in a callback). Do not destroy the client
// inside one of its own callbacks.
//
// Errors: InvalidArgument (bad options or event), Unavailable (no connection),
// DeadlineExceeded (no reply within the timeout), Cancelled (client closed), and for
// replies with a non-zero code the runtime's desc: PermissionDenied (ACL), ResourceExhausted
// (flow control), DeadlineExceeded (a request nobody answered within its ttl), Internal
// (anything else).
//
// Events are the SDK model of message.h: send a Message or a CloudEvent (Event); pushes and
// replies arrive as ReceivedEvent (kind kAsync / kBroadcast / kRequest / kResponse, transport
// kTcp). Message fields without a TCP field of their own (biz_seq_no, unique_id, tag, ttl_ms)
// travel as the properties "bizseqno", "uniqueid", "tag" and "ttl".

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/internal/tcp_client_options.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk {

namespace internal {
class ClientCore;
}  // namespace internal

// One pushed event handed to the handler. Shared ownership: keep the shared_ptr to
// acknowledge later (AckMode::kManual). Thread-safe. Outliving the client is allowed
// (Ack/Reply then do nothing / return Cancelled).
class Delivery {
 public:
  Delivery(std::weak_ptr<internal::ClientCore> core, uint64_t generation, ReceivedEvent event);
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  const ReceivedEvent& event() const { return event_; }

  // Sends the ack (ASYNC_MESSAGE_TO_CLIENT_ACK, BROADCAST_MESSAGE_TO_CLIENT_ACK or
  // REQUEST_TO_CLIENT_ACK with the push's seq). Idempotent; only the first call sends. Does
  // nothing when the connection that delivered the event is gone.
  void Ack();
  bool acked() const;

  // Answers a REQUEST_TO_CLIENT with RESPONSE_TO_SERVER carrying the push's seq and `reply`.
  // Properties of the request that the reply does not set are copied into it (the runtime
  // correlates the reply through them). Errors: FailedPrecondition "Reply is only for
  // REQUEST_TO_CLIENT deliveries", Unavailable (connection gone), Cancelled (client
  // closed), InvalidArgument (bad reply event).
  absl::Status Reply(Event reply);

 private:
  std::weak_ptr<internal::ClientCore> core_;
  const uint64_t generation_;
  const ReceivedEvent event_;
  std::atomic<bool> acked_{false};
};

using EventHandler = std::function<void(std::shared_ptr<Delivery>)>;
using StatusCallback = std::function<void(absl::Status)>;
using ReplyCallback = std::function<void(absl::StatusOr<ReceivedEvent>)>;

// Counters of one client; all monotonic but registry_view_runtimes.
struct ClientStats {
  uint64_t connects = 0;            // Successful HELLOs (1 + reconnects).
  uint64_t server_goodbyes = 0;     // SERVER_GOODBYE_REQUESTs received.
  uint64_t redirects = 0;           // REDIRECT_TO_CLIENTs followed.
  uint64_t events_received = 0;     // Pushes handed to the handler.
  uint64_t undecodable_events = 0;  // Pushes whose body could not be decoded (not acked).
  uint64_t registry_lookups = 0;    // Registry lookups (Connect and reconnects; with a registry).
  uint64_t registry_lookup_failures = 0;  // Lookups that failed or found no runtime.
  // The live view of the registry (with a registry and registry->watch):
  uint64_t registry_view_changes = 0;   // Snapshots of the mesh it received.
  uint64_t registry_view_runtimes = 0;  // Runtimes with a tcp endpoint in its latest snapshot.
  uint64_t registry_view_picks = 0;     // Reconnects that took their runtimes from it (no lookup).
  uint64_t registry_moves = 0;          // Moves because the connected runtime left the registry.
  uint64_t registry_watch_errors = 0;   // Failed watch calls (each retried after a backoff).
};

class EventMeshTcpClient {
 public:
  // Validates the options, connects and completes HELLO. Errors: InvalidArgument (options),
  // Unavailable ("cannot connect to host:port: <reason>"), DeadlineExceeded (connect or
  // HELLO timed out), the runtime's HELLO_RESPONSE desc (Internal / PermissionDenied).
  static absl::StatusOr<std::unique_ptr<EventMeshTcpClient>> Connect(TcpClientOptions options);

  ~EventMeshTcpClient();
  EventMeshTcpClient(const EventMeshTcpClient&) = delete;
  EventMeshTcpClient& operator=(const EventMeshTcpClient&) = delete;

  // Publish (ASYNC_MESSAGE_TO_SERVER). `done` runs on the io thread with the ack's result.
  void PublishAsync(const Event& event, StatusCallback done);
  std::future<absl::Status> Publish(const Event& event);

  // Broadcast (BROADCAST_MESSAGE_TO_SERVER), acknowledged like Publish.
  void BroadcastAsync(const Event& event, StatusCallback done);
  std::future<absl::Status> Broadcast(const Event& event);

  // Request-reply (REQUEST_TO_SERVER). The event gets the property/extension "ttl" = timeout
  // in ms unless it has one. DeadlineExceeded when no RESPONSE_TO_CLIENT arrives in time.
  void RequestAsync(const Event& event, absl::Duration timeout, ReplyCallback done);
  absl::StatusOr<ReceivedEvent> Request(const Event& event, absl::Duration timeout);

  // The handler for pushed events; set it before Listen(). Runs on the io thread.
  void SetHandler(EventHandler handler);

  // SUBSCRIBE_REQUEST for one topic; remembered and re-sent after a reconnect.
  absl::Status Subscribe(const std::string& topic, SubscriptionMode mode, SubscriptionType type);
  // UNSUBSCRIBE_REQUEST for the given topics (the runtime may drop all of the session's).
  absl::Status Unsubscribe(const std::string& topic);
  // LISTEN_REQUEST: starts delivery. Remembered and re-sent after a reconnect.
  absl::Status Listen();

  // CLIENT_GOODBYE_REQUEST, then stops the client; later calls fail with Cancelled.
  // Idempotent. Returns the goodbye's result (OK when CLIENT_GOODBYE_RESPONSE arrived; the
  // client is stopped in every case).
  absl::Status Close();

  bool connected() const;
  // The address currently used ("host:port"; changes after a redirect).
  std::string server_address() const;
  ClientStats stats() const;

 private:
  explicit EventMeshTcpClient(std::shared_ptr<internal::ClientCore> core);
  std::shared_ptr<internal::ClientCore> core_;
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_TCP_CLIENT_H_
