#ifndef EVENTMESH_NET_HTTP_SERVER_H_
#define EVENTMESH_NET_HTTP_SERVER_H_

// HttpServer: a small inbound HTTP/1.1 server on Boost.Beast for the mesh's own HTTP/JSON
// services (the registry's API, webhook endpoints in applications). It knows no protocol: each
// complete request is handed to a handler, which answers at once (Handler) or later from any
// thread (AsyncHandler + Responder: long polls).
//
// Promises: keep-alive connections; every read has a deadline (read_timeout, also the idle
// keep-alive limit) and a body cap (max_body_bytes: larger bodies get 413 and the connection
// is closed); malformed HTTP gets 400 and the connection is closed; at most max_connections
// connections are open at once (more are accepted and closed at once, counted in
// refused_connections()). Requests of one connection are answered in order (the next request
// is read only after the previous answer was written).
// Threading: `threads` io threads run the sockets and call the handler (concurrently for
// different connections; handlers must be thread-safe and must not block). Stop() (also run
// by the destructor) closes the listener and every connection and joins the threads; it must
// not be called from a handler. A Responder may outlive the server (then it does nothing).
// Errors: Start returns InvalidArgument (bad address/options) or Unavailable ("cannot listen
// on <addr>:<port>: <step>: <reason>", from net::Acceptor).
// Sockets: a net::IoThreadPool (one io_context, `threads` threads named em-net-http-<i>, a strand
// per connection) and a net::Acceptor, which also enforces max_connections.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/ssl/context.hpp"

namespace eventmesh::net {

struct HttpServerOptions {
  // Address to listen on. Default loopback; "0.0.0.0" / "::" for every interface.
  std::string address = "127.0.0.1";
  // TCP port; 0 = any free port (see port()).
  int port = 0;
  // io threads. Default 1.
  int threads = 1;
  // Largest accepted request body, bytes. Default 4 MiB.
  size_t max_body_bytes = 4 * 1024 * 1024;
  // Longest wait for one complete request on a connection (also the idle keep-alive limit).
  absl::Duration read_timeout = absl::Seconds(30);
  // Connections open at once; 0 = unbounded.
  size_t max_connections = 10'000;
  // Set: HTTPS only (each connection's TLS handshake must finish within read_timeout); make it
  // with net::MakeServerTlsContext (client certificates optional). Unset: plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

struct ServerRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path + query as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;
  std::string peer;  // "ip:port" of the sender

  // The first header named `name` (case-insensitive); nullptr when absent.
  const std::string* Header(absl::string_view name) const;
  // The path of the target (before '?') and the raw query (after it; "" when none).
  absl::string_view path() const;
  absl::string_view query() const;
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // A response with Content-Type application/json.
  static ServerResponse Json(int status, std::string body);
};

// Answers one request; call exactly once (later calls do nothing). Copyable, thread-safe.
using Responder = std::function<void(ServerResponse)>;
using Handler = std::function<ServerResponse(const ServerRequest&)>;
using AsyncHandler = std::function<void(ServerRequest, Responder)>;

class HttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           Handler handler);
  static absl::StatusOr<std::unique_ptr<HttpServer>> StartAsync(HttpServerOptions options,
                                                                AsyncHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the real one when options.port was 0).
  int port() const;
  // The bound address as given in the options.
  const std::string& address() const;
  // Requests answered so far.
  uint64_t requests_handled() const;
  // Connections closed at once because max_connections were open.
  uint64_t refused_connections() const;
  // Connections open now.
  size_t open_connections() const;

  // Idempotent.
  void Stop();

 private:
  class Impl;
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_HTTP_SERVER_H_
