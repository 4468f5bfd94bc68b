#ifndef EVENTMESH_NET_HTTP_PIPELINE_H_
#define EVENTMESH_NET_HTTP_PIPELINE_H_

// HttpPipeline: one outbound HTTP/1.1 connection to one origin (plain or TLS) on which requests
// are pipelined: each request is written as soon as the one before it is written, without
// waiting for its answer, and the answers are matched to the requests in order (HTTP/1.1
// pipelining, RFC 9112 section 9.3.2). For a caller that sends an ordered stream of requests
// (cross-mesh forwarding) and cannot afford one round trip per request.
//
// Promises:
//   * Requests are written in the order Send was called, all on one connection (opened, and
//     for https verified with the given TLS context and the host name or IP address of the
//     origin, when the first request comes).
//   * Every `done` runs exactly once, on the pipeline's strand, in the order of the Sends.
//   * Requests queued while an earlier write is under way go out together in one write (one
//     system call and few TCP segments for a burst of small requests).
//   * Fail-stop: the first failure (resolve, connect, TLS handshake or certificate, write,
//     read, a request older than `timeout` still unanswered, the server answering with
//     "Connection: close", Close()) closes the connection and fails every unanswered request,
//     oldest first, with that error; later Sends fail at once with it (usable() turns false).
//     The caller opens a new pipeline to go on. A server that processes a connection's requests
//     one after another therefore never sees request N+1 on this pipeline after failing to
//     answer request N on it.
//   * Two failures say the request was not processed and may be sent again at once, with
//     Aborted: the requests behind an answer carrying "Connection: close" (RFC 9112 section 9.6:
//     the server processes nothing more on the connection), and the requests written to a
//     connection that had fallen idle when it breaks before any byte of their answers arrives
//     (the server had closed the idle connection; as with HttpClient, a server that crashed
//     after processing such a request without answering looks the same, so a caller sends
//     such a request again at most once).
// Errors (in `done`): InvalidArgument (URL of another origin, unknown method), Unavailable
// (resolve, connect, TLS handshake, "certificate verification
// failed: <reason>", connection closed, pipeline closed), Aborted (not processed, see above),
// the address filter's error, DeadlineExceeded (no answer within `timeout` of its Send),
// ResourceExhausted (answer larger than max_response_bytes). An HTTP error status is an
// answer, not an error.
// Thread-safe: Send and Close may be called from any thread, also from a `done` callback.
// Owned by shared_ptr; the io_context must be run by the caller and outlive the pipeline.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ssl/context.hpp"
#include "eventmesh/net/http_client.h"

namespace eventmesh::net {

struct HttpPipelineOptions {
  absl::Duration timeout = absl::Seconds(10);  // per request, from Send to the whole answer
  int64_t max_response_bytes = 8 << 20;        // header + body of one answer, bytes
  std::string user_agent = "eventmesh-cpp";    // User-Agent header value
  // Checks every address the connection is about to be opened to; when all are refused the
  // pipeline fails with the filter's first error. Unset: every address.
  AddressFilter address_filter;
};

class HttpPipeline {
 public:
  // `origin` is "http://host:port" or "https://host:port" (a path is ignored). `tls` is required
  // for https (net::MakeClientTlsContext) and unused for http.
  // Errors: InvalidArgument (bad URL, https without a TLS context, bad option).
  static absl::StatusOr<std::shared_ptr<HttpPipeline>> Create(
      boost::asio::io_context& io, absl::string_view origin,
      std::shared_ptr<boost::asio::ssl::context> tls, HttpPipelineOptions options = {});
  virtual ~HttpPipeline() = default;

  // Queues `request` (request.url: a path such as "/a/b", or an absolute URL of this origin).
  virtual void Send(HttpRequest request, HttpCallback done) = 0;
  // Fails every unanswered request with Unavailable "<why>" and closes the connection.
  // Idempotent (the first reason stays).
  virtual void Close(absl::string_view why = "pipeline closed") = 0;
  // "scheme://host:port".
  virtual const std::string& origin() const = 0;
  // Requests sent and not yet answered or failed.
  virtual int64_t pending() const = 0;
  // False once the pipeline has failed or been closed (every later Send fails at once).
  virtual bool usable() const = 0;
};

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_HTTP_PIPELINE_H_
