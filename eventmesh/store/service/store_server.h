#ifndef EVENTMESH_STORE_SERVICE_STORE_SERVER_H_
#define EVENTMESH_STORE_SERVICE_STORE_SERVER_H_

// StoreServer: the event store as a TCP service. Speaks StoreRequest / StoreResponse
// (eventmesh/protocol/proto/store.proto) in length-prefixed frames (eventmesh/protocol/rpc).
//
// Threads: `io_threads` io_context workers; every connection runs on its own strand. Append
// uses EventStore::AppendAsync from the strand and long-poll Fetch uses EventStore::FetchAsync;
// both post their result back to the strand, so no thread waits for an fsync or a fetch and all
// appends in flight can share one commit group. The other engine calls run on a separate
// bounded executor of `executor_threads`. Many requests may be in flight per connection
// (pipelining); responses carry the request's request_id and may complete out of order.
// Back-pressure: a connection with `max_in_flight_per_connection` requests in flight or more than
// `max_write_queue_bytes` of unsent responses, reads' possible responses and appends' request
// bytes not yet durable is not read from until that drops.
//
// Bad input: an unparseable frame is answered with request_id 0 and INVALID_ARGUMENT
// "malformed protobuf frame" (the stream stays in sync); a request without a known operation
// gets INVALID_ARGUMENT with its request_id; engine errors are returned as the engine gave them;
// an oversize length prefix gets RESOURCE_EXHAUSTED (request_id 0) and the connection is closed
// once its in-flight requests are answered. Every close is logged (glog) with its reason; other
// connections are unaffected.
//
// Ownership: the server does not own the store; the store must outlive the server (Stop()
// returns only when the server no longer calls it, after which the store can be closed).
// Thread-safe: Stop() may be called from any thread (e.g. a signal-waiting main thread).

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/ssl.hpp"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::store::service {

// Default TCP port of the store service (the EventMesh runtime uses 10000/10105/10205).
inline constexpr uint16_t kDefaultStorePort = 10300;

struct StoreServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = kDefaultStorePort;  // 0 = an ephemeral port (see StoreServer::port())
  int io_threads = 2;
  // Threads running blocking engine calls (everything but Append and Fetch, which are async).
  int executor_threads = 32;
  size_t max_queued_calls = 1 << 16;  // beyond: RESOURCE_EXHAUSTED "store server is overloaded"
  int max_in_flight_per_connection = 1024;
  // Per connection: unsent response bytes, plus the (capped) max_bytes of its Reads/Fetches and
  // the request bytes of its appends in flight. Beyond it the connection is not read from.
  size_t max_write_queue_bytes = 32u << 20;
  uint32_t max_frame_size = 16u << 20;  // request frames; larger prefixes close the conn
  // A request with more fields than this (records, header entries, any field at any depth) is
  // answered RESOURCE_EXHAUSTED without being parsed: parsed, a field of 2 bytes can take
  // 100 bytes and more of memory, so a full frame of them a gigabyte. 131,072 bound one
  // request's parsed form to about 20 MB; the store client sends at most a few thousand per
  // request (its MultiAppends stay under 64 KiB).
  size_t max_request_fields = 1u << 17;
  int64_t max_fetch_wait_ms = 60'000;  // Fetch.max_wait_ms is capped to this
  // Read/Fetch max_bytes and max_events are capped to these (a response must fit in a frame;
  // max_read_bytes should stay well below max_frame_size since one event may exceed it).
  // Every Read/Fetch in flight counts its (capped) max_bytes against max_write_queue_bytes, so a
  // connection stops being read once its possible response bytes exceed that.
  int64_t max_read_bytes = 8 << 20;
  int32_t max_read_events = 10'000;
  absl::Duration stop_timeout = absl::Seconds(10);  // Stop() waits this long for in-flight calls
  // Connections open at once; more are accepted and closed at once (0 = unbounded).
  size_t max_connections = 10'000;
  // Non-empty: a connection must open with Authenticate{token} (store.proto); anything else, or
  // a wrong token, is answered UNAUTHENTICATED and the connection closed.
  std::string token;
  // Set: every connection is TLS (handshake first); see net/tls.h for client certificates.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // A connection that has not completed its TLS handshake (and, with a token, its
  // Authenticate) within this time is closed.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Where the server registers its instruments (requests by operation, append latency, events
  // appended and fetched, connections, calls in flight); nullptr = none. Must outlive the
  // server. Registering the same names twice fails Start with AlreadyExists.
  metrics::Registry* metrics = nullptr;
};

class StoreServer {
 public:
  // Binds, listens and starts the threads.
  // Errors: InvalidArgument (bad address / options, max_read_bytes / max_read_events < 1),
  // Unavailable (bind/listen failed, e.g. the
  // port is in use).
  static absl::StatusOr<std::unique_ptr<StoreServer>> Start(EventStore* store,
                                                            const StoreServerOptions& options);
  ~StoreServer();  // Stop()
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;

  // The bound port (the real one when options.port was 0).
  uint16_t port() const { return port_; }
  // "address:port" as bound.
  std::string address() const;

  // Graceful stop: stop accepting; stop reading requests; answer waiting long-poll fetches with
  // UNAVAILABLE "store server is shutting down"; wait up to stop_timeout for the other in-flight
  // calls to be answered (then calls still queued for the executor are answered UNAVAILABLE
  // instead of run; calls already inside the engine are waited for); close every connection;
  // join all threads. Idempotent.
  void Stop();

  struct Core;  // shared with connections (defined in the .cc)

 private:
  explicit StoreServer(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  static absl::Status RegisterMetrics(const std::shared_ptr<Core>& core,
                                      metrics::Registry* registry);

  std::shared_ptr<Core> core_;
  uint16_t port_ = 0;
  // Held for the whole of Stop(): a concurrent second call waits for the first to finish.
  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
};

}  // namespace eventmesh::store::service

#endif  // EVENTMESH_STORE_SERVICE_STORE_SERVER_H_
