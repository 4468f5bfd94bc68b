#ifndef EVENTMESH_NET_HTTP_CLIENT_H_
#define EVENTMESH_NET_HTTP_CLIENT_H_

// Outbound HTTP/1.1 client on Boost.Beast/Asio: URL parsing, asynchronous requests with a
// deadline, a keep-alive connection pool per (scheme, host, port) and verified TLS for https.
//
// HttpClient promises:
//   * Send() never blocks; `done` runs exactly once, on an io thread of the client (or inline
//     with Unavailable after Shutdown / InvalidArgument for a bad URL or method).
//   * At most `max_connections_per_host` connections per (scheme, host, port); requests beyond
//     that wait (their deadline keeps running) for a connection to come back.
//   * A connection is reused when the response allowed keep-alive; an idle connection older
//     than `idle_timeout_ms` is closed instead of reused. A request that fails on a reused
//     connection before any response byte arrived (the server closed the idle connection) is
//     retried once on a fresh connection.
//   * https: the peer certificate is verified against `ca_file` (or the system's default
//     paths when empty, loaded by the first https connection: a client that only speaks
//     http never parses the system's CA bundle), the host name (or IP address) of the URL
//     must match the certificate, and SNI is sent for host names.
// Errors (absl::Status in `done`): InvalidArgument (malformed URL, unsupported scheme, unknown
// method), DeadlineExceeded (no complete response within the timeout, including the time spent
// waiting for a pooled connection), Unavailable (name resolution, connect, TLS handshake or
// certificate verification failure, connection closed, client shut down), ResourceExhausted
// (response larger than max_response_bytes). An HTTP error status is not an error: it is a
// Response with that status.
// Threads: owns `threads` io_contexts, each run by one thread, and deals new connections to them
// round robin (a connection's exchanges run on its context), unless an io_context is passed to
// Create (then the caller runs it and must keep it alive until the client is destroyed).
// Thread-safe: every method may be called from any thread, also from a `done` callback.
// Destroying the client shuts it down (Shutdown), which must not happen on one of its own
// io threads when it owns them.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/system/error_code.hpp"

namespace eventmesh::net {

// A parsed absolute http(s) URL.
struct Url {
  std::string scheme;  // "http" or "https" (lowercase)
  std::string host;    // name or IP literal; IPv6 without brackets; lowercase
  uint16_t port = 0;   // explicit or the scheme's default (80 / 443)
  std::string target;  // path and query ("/" when empty); the fragment is dropped

  bool tls() const { return scheme == "https"; }
  bool host_is_ip() const;
  // Value of the Host header: host (bracketed for IPv6) plus ":port" unless default.
  std::string HostHeader() const;
  // "scheme://host:port", the connection pool key.
  std::string Origin() const;
  // The URL re-assembled (scheme://HostHeader target).
  std::string ToString() const;
};

// Errors: InvalidArgument naming the problem and the URL, e.g.
//   "URL 'ftp://x/' has unsupported scheme 'ftp' (expected http or https)",
//   "URL 'example.com' has no scheme (expected http:// or https://)",
//   "URL 'http:///x' has an empty host", "URL 'http://h:99999/' has an invalid port '99999'",
//   "URL 'http://u@h/' must not contain user info", "URL '...' contains whitespace or a
//   control character".
absl::StatusOr<Url> ParseUrl(absl::string_view url);

// Whether a request written to a kept-alive connection failed with `ec` because the server had
// closed the connection meanwhile (end of stream, reset, broken pipe).
bool IsStaleConnectionError(const boost::system::error_code& ec);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The first header value named `name` (case-insensitive), or nullptr.
const std::string* FindHeader(const HttpHeaders& headers, absl::string_view name);

struct HttpRequest {
  std::string method = "POST";  // any standard method name (GET, POST, OPTIONS, ...)
  std::string url;              // absolute http(s) URL
  HttpHeaders headers;          // Host, Content-Length and User-Agent are set by the client
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  const std::string* header(absl::string_view name) const { return FindHeader(headers, name); }
};

using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

// Called for every address a new outbound connection is about to be opened to (after name
// resolution, and for IP literals); an error refuses that address. Must be thread-safe and must
// not block.
using AddressFilter =
    std::function<absl::Status(const Url& url, const boost::asio::ip::address& address)>;

// Removes from `endpoints` the addresses `filter` refuses (nothing when unset). Errors: the
// filter's first refusal when it refuses every address.
absl::Status ApplyAddressFilter(const AddressFilter& filter, const Url& url,
                                std::vector<boost::asio::ip::tcp::endpoint>* endpoints);

struct HttpClientOptions {
  int threads = 2;                       // io threads (one io_context each) when owned
  int max_connections_per_host = 64;     // per (scheme, host, port)
  int64_t idle_timeout_ms = 30'000;      // idle pooled connections older than this close
  int64_t max_response_bytes = 8 << 20;  // header + body, bytes
  std::string ca_file;                   // PEM CA bundle for https; empty: system default
  // PEM client certificate (chain) and private key presented to https servers that ask for one
  // (mutual TLS). Both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  std::string user_agent = "eventmesh-cpp";  // User-Agent header value
  // Every address a new connection is about to be opened to; when every address of the host is
  // refused the request fails with the first error. Unset: every address. Pooled connections
  // are not re-checked.
  AddressFilter address_filter;
};

class HttpClient {
 public:
  // Errors: InvalidArgument (ca_file or the client certificate/key cannot be loaded, only one of
  // them given, bad option), Internal (TLS setup).
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(HttpClientOptions options,
                                                            boost::asio::io_context* io = nullptr);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`; `done` gets the response or an error (see the class comment).
  void Send(HttpRequest request, absl::Duration timeout, HttpCallback done);

  // Fails waiting requests and aborts in-flight ones with Unavailable, closes every
  // connection and, when the client owns its io_contexts, joins their threads. Idempotent.
  void Shutdown();

  // The client's first io_context (for timers of callers that share it).
  boost::asio::io_context& io_context();
  // Its io_contexts round robin (the same one always when the caller passed it): for a caller
  // that spreads its own work (strands, pipelined connections) over the client's threads.
  boost::asio::io_context& NextIoContext();

  // Connections opened since creation (for tests and metrics).
  int64_t connections_opened() const;

  class Impl;

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_HTTP_CLIENT_H_
