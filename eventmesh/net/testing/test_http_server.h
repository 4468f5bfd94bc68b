#ifndef EVENTMESH_NET_TESTING_TEST_HTTP_SERVER_H_
#define EVENTMESH_NET_TESTING_TEST_HTTP_SERVER_H_

// A small HTTP/1.1 server for tests (Boost.Beast, synchronous, one thread per connection) on
// 127.0.0.1 and a free port, optionally over TLS. Every request is passed to the handler,
// whose answer is sent back; connections are kept alive unless the response says close.
// The handler runs on the connection's thread and may block (a "hanging" endpoint), but it
// must return before Stop() is called (Stop joins the connection threads).
// Thread-safe; Stop() is idempotent and also runs in the destructor.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::net::testing {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct TestRequest {
  std::string method;
  std::string target;
  TestHeaders headers;
  std::string body;
  int64_t connection = 0;  // 1 for the first accepted connection, 2 for the next, ...
  // First value of `name` (case-insensitive), or "" when absent.
  std::string header(absl::string_view name) const;
};

struct TestResponse {
  int status = 200;
  TestHeaders headers;
  std::string body;
  // Answer with Connection: close and close the connection (lingering: what the client had
  // already sent is read and dropped first).
  bool close = false;
  // Answer as keep-alive, then close the connection anyway (a server dropping an idle
  // connection; the client finds out on its next request).
  bool drop_after = false;
};

using TestHandler = std::function<TestResponse(const TestRequest&)>;

struct TestTls {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
};

class TestHttpServer {
 public:
  // Listens on 127.0.0.1:0. Errors: Internal (bind/listen or TLS file failure).
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(TestHandler handler,
                                                               const TestTls* tls = nullptr);
  ~TestHttpServer();

  int port() const { return port_; }
  // "http(s)://127.0.0.1:<port><path>"
  std::string Url(absl::string_view path = "/") const;
  int64_t connections_accepted() const { return accepted_.load(); }
  int64_t requests() const { return requests_.load(); }
  void Stop();

  class Impl;

 private:
  TestHttpServer() = default;
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
  bool tls_ = false;
  std::atomic<int64_t> accepted_{0};
  std::atomic<int64_t> requests_{0};
  friend class Impl;
};

}  // namespace eventmesh::net::testing

#endif  // EVENTMESH_NET_TESTING_TEST_HTTP_SERVER_H_
