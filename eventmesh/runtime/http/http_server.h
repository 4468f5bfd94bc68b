#ifndef EVENTMESH_RUNTIME_HTTP_HTTP_SERVER_H_
#define EVENTMESH_RUNTIME_HTTP_HTTP_SERVER_H_

// The HTTP (optionally HTTPS) front end of the runtime, on Boost.Beast.
//
// A fixed pool of worker threads, each running its own io_context (net::IoThreadPool, kPerThread),
// and a net::Acceptor on 0.0.0.0; an accepted connection stays on one worker (its strand). HTTP/1.1
// keep-alive; a connection handles one request at a time and reads the next (pipelined) request
// only after the answer was written, so answers leave strictly in request order. Limits, each with
// a precise answer:
//   * body larger than max_body_size                 -> 413, retCode 8, connection closed
//   * headers larger than 64 KiB                     -> 431, retCode 6, connection closed
//   * malformed HTTP                                 -> 400, retCode 6, connection closed
//   * a request (or the TLS handshake, or an idle keep-alive wait) not complete within
//     read_timeout_ms                                -> connection closed (slowloris guard)
//   * more than max_connections connections          -> 503 (plain HTTP) and close
//   * more than max_in_flight requests being handled -> 503, retCode 1 (no queue)
// Requests are handled by the Router (code-based protocol, URI endpoints, CloudEvents).
// Shutdown: StopAccepting(), then Drain() (idle connections close, busy ones close after their
// answer), then Stop() (workers joined); the destructor calls Stop().
// Thread-safety: Start/StopAccepting/Drain/Stop from one controlling thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "boost/asio.hpp"
#include "eventmesh/net/acceptor.h"
#include "eventmesh/net/io_thread_pool.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/http/handler_context.h"
#include "eventmesh/runtime/http/router.h"

namespace eventmesh::runtime::http {

// The server's limits and TLS files (see config.h for the keys and defaults). Value type.
struct HttpServerOptions {
  int port = kDefaultHttpPort;  // 0 = any free port
  int worker_threads = 2;
  int64_t max_body_size = 4 * 1024 * 1024;
  int64_t read_timeout_ms = 30'000;
  int64_t max_connections = 20'000;
  int64_t max_in_flight = 10'000;
  bool tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;  // set: mutual TLS

  static HttpServerOptions FromConfig(const RuntimeConfig& config);
};

struct ServerState;  // shared with the connections (http_connection.h)

class HttpServer {
 public:
  // `services` must outlive the server.
  HttpServer(const HttpServices* services, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds 0.0.0.0:port and starts serving. Errors: Unavailable "cannot listen on
  // 0.0.0.0:<port>: <step>: <OS reason>", InvalidArgument (TLS files unusable, naming the key;
  // port out of range).
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }

  void StopAccepting();
  // Closes idle connections, lets requests being handled finish (their connections close after
  // the answer) and waits until every connection is gone or `timeout_ms` passed.
  void Drain(int64_t timeout_ms);
  // Drops 101 requests still waiting for replies, stops and joins the workers. Idempotent.
  void Stop();

  size_t connection_count() const;
  int64_t requests_in_flight() const;

 private:
  void OnAccepted(boost::asio::ip::tcp::socket socket);

  Router router_;
  std::shared_ptr<ServerState> state_;
  // One io_context per worker thread; destroyed after acceptor_, before state_ and router_.
  net::IoThreadPool pool_;
  std::unique_ptr<net::Acceptor> acceptor_;
  std::atomic<uint64_t> next_connection_id_{0};
  int port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_HTTP_SERVER_H_
