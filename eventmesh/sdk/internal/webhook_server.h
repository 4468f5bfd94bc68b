#ifndef EVENTMESH_SDK_INTERNAL_WEBHOOK_SERVER_H_
#define EVENTMESH_SDK_INTERNAL_WEBHOOK_SERVER_H_

// WebhookServer: a small HTTP/1.1 server (Boost.Beast) that runs inside an application to
// receive the runtime's webhook pushes. It knows nothing about EventMesh: every complete
// request is handed to the RequestHandler, whose ServerResponse is written back.
//
// Promises: keep-alive connections; every read has a timeout (read_timeout) and a body cap
// (max_body_bytes; larger bodies get 413 and the connection is closed); malformed HTTP gets
// 400 and the connection is closed. Requests of one connection are handled in order.
// Threading: `threads` io threads run the sockets and call the handler (concurrently for
// different connections; the handler must be thread-safe and should not block for long).
// Stop() (also run by the destructor) closes the listener and every connection and joins the
// threads; it must not be called from the handler. Start/Stop are not thread-safe with each
// other; port()/url() are.
// Errors: Start returns InvalidArgument (bad address/options) or Unavailable ("cannot listen
// on <addr>:<port>: <reason>").

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace eventmesh::sdk::http {

struct WebhookServerOptions {
  // Address to listen on. Default loopback; "0.0.0.0" / "::" for every interface.
  std::string address = "127.0.0.1";
  // TCP port; 0 = any free port (see port()).
  int port = 0;
  // io threads. Default 1.
  int threads = 1;
  // Largest accepted request body, bytes. Default 4 MiB (the runtime's event size limit).
  size_t max_body_bytes = 4 * 1024 * 1024;
  // Longest wait for one complete request on a connection (also the idle keep-alive limit).
  // Default 30 s.
  absl::Duration read_timeout = absl::Seconds(30);
};

struct ServerRequest {
  std::string method;                                        // "POST", "OPTIONS", ...
  std::string target;                                        // path + query as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;
  std::string peer;  // "ip:port" of the sender

  // The first header named `name` (case-insensitive); nullptr when absent.
  const std::string* Header(absl::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

using RequestHandler = std::function<ServerResponse(const ServerRequest&)>;

class WebhookServer {
 public:
  static absl::StatusOr<std::unique_ptr<WebhookServer>> Start(WebhookServerOptions options,
                                                              RequestHandler handler);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  // The bound port (the real one when options.port was 0).
  int port() const;
  // The bound address as given in the options.
  const std::string& address() const;
  // Requests handled so far (answered by the handler).
  uint64_t requests_handled() const;

  // Idempotent.
  void Stop();

  class Impl;

 private:
  explicit WebhookServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_WEBHOOK_SERVER_H_
