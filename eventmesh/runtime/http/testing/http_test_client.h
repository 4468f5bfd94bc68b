#ifndef EVENTMESH_RUNTIME_HTTP_TESTING_HTTP_TEST_CLIENT_H_
#define EVENTMESH_RUNTIME_HTTP_TESTING_HTTP_TEST_CLIENT_H_

// Blocking HTTP/1.1 helpers for tests of the HTTP server: one request per connection
// (HttpCall), a keep-alive connection (HttpConnection), and the parsed {retCode, retMsg} of an
// answer. Every socket operation is bounded by a 10 s timeout. Thread-compatible.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace eventmesh::runtime::http::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int64_t ret_code = -1;  // -1 when the body has no retCode
  std::string ret_msg;
};

// Fills ret_code/ret_msg from a {retCode, retMsg} body.
void ParseRetCode(HttpReply* reply);

// Converts a Beast response.
HttpReply ToReply(const boost::beast::http::response<boost::beast::http::string_body>& response);

// Builds a request (Host set, Content-Length prepared).
boost::beast::http::request<boost::beast::http::string_body> MakeRequest(const std::string& method,
                                                                         const std::string& target,
                                                                         const Headers& headers,
                                                                         const std::string& body);

class HttpConnection {
 public:
  static absl::StatusOr<std::unique_ptr<HttpConnection>> Connect(int port);
  absl::StatusOr<HttpReply> Send(const std::string& method, const std::string& target,
                                 const Headers& headers = {}, const std::string& body = "");
  // Reads one answer (after raw writes); `head_request`: the answer to a HEAD request (a
  // header without body, whatever its Content-Length says).
  absl::StatusOr<HttpReply> Read(bool head_request = false);
  absl::Status WriteRaw(const std::string& bytes);
  // True once the server closed the connection (read returns EOF/error) within `timeout_ms`.
  bool WaitClosed(int64_t timeout_ms);

 private:
  HttpConnection() : stream_(io_) {}
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

// One request on a fresh connection.
absl::StatusOr<HttpReply> HttpCall(int port, const std::string& method, const std::string& target,
                                   const Headers& headers = {}, const std::string& body = "");

// Headers of a code-based request with the client identity (idc, sys, pid) set.
Headers CodeHeaders(int code, Headers extra = {});

}  // namespace eventmesh::runtime::http::testing

#endif  // EVENTMESH_RUNTIME_HTTP_TESTING_HTTP_TEST_CLIENT_H_
