#include "eventmesh/net/testing/test_http_server.h"

#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace eventmesh::net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::string TestRequest::header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

class TestHttpServer::Impl {
 public:
  Impl(TestHttpServer* owner, TestHandler handler)
      : owner_(owner),
        handler_(std::move(handler)),
        acceptor_(io_),
        ssl_(asio::ssl::context::tls_server) {}

  absl::Status Listen(const TestTls* tls) {
    boost::system::error_code ec;
    if (tls != nullptr) {
      ssl_.use_certificate_chain_file(tls->cert_file, ec);
      if (!ec) ssl_.use_private_key_file(tls->key_file, asio::ssl::context::pem, ec);
      if (ec) return absl::InternalError(absl::StrCat("test server TLS files: ", ec.message()));
      tls_ = true;
    }
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(64, ec);
    if (ec) return absl::InternalError(absl::StrCat("test server listen: ", ec.message()));
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return absl::OkStatus();
  }

  void AcceptLoop() {
    while (true) {
      auto socket = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      if (ec) continue;
      const int64_t id = ++owner_->accepted_;
      sockets_.push_back(socket);
      threads_.emplace_back([this, socket, id] { Serve(socket, id); });
    }
  }

  void Serve(std::shared_ptr<tcp::socket> socket, int64_t id) {
    if (tls_) {
      asio::ssl::stream<tcp::socket&> stream(*socket, ssl_);
      boost::system::error_code ec;
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) return;
      Loop(stream, id);
    } else {
      Loop(*socket, id);
    }
  }

  template <typename Stream>
  void Loop(Stream& stream, int64_t id) {
    beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      TestRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& f : req) {
        request.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      request.body = req.body();
      request.connection = id;
      ++owner_->requests_;
      TestResponse response = handler_(request);
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) return;
      }
      http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
      for (const auto& [k, v] : response.headers) res.insert(k, v);
      res.body() = response.body;
      res.keep_alive(!response.close && req.keep_alive());
      res.prepare_payload();
      http::write(stream, res, ec);
      if (!ec && response.close) return LingeringClose(stream_fd(stream));
      if (ec || response.drop_after || !req.keep_alive()) {
        ::shutdown(stream_fd(stream), SHUT_RDWR);
        return;
      }
    }
  }

  // Closes as a careful server does (RFC 9112 section 9.6): stops sending, reads and drops what
  // the client had already sent (pipelined requests) until it closes its side (at most ~2 s),
  // then closes; an immediate close with unread data would reset the connection and could
  // destroy the answer just written.
  static void LingeringClose(int fd) {
    ::shutdown(fd, SHUT_WR);
    timeval tv{0, 100'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char sink[4096];
    for (int i = 0; i < 20; ++i) {
      const ssize_t n = ::recv(fd, sink, sizeof(sink), 0);
      if (n == 0) break;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
    }
    ::shutdown(fd, SHUT_RDWR);
  }

  static int stream_fd(tcp::socket& s) { return s.native_handle(); }
  static int stream_fd(asio::ssl::stream<tcp::socket&>& s) {
    return s.next_layer().native_handle();
  }

  void Stop() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
      for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
    }
    if (accept_thread_.joinable()) accept_thread_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    boost::system::error_code ignored;
    for (auto& s : sockets_) s->close(ignored);
    acceptor_.close(ignored);
  }

  int port_ = 0;
  bool tls_ = false;

 private:
  TestHttpServer* const owner_;
  const TestHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::ssl::context ssl_;
  std::thread accept_thread_;
  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
};

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(TestHandler handler,
                                                                      const TestTls* tls) {
  std::unique_ptr<TestHttpServer> server(new TestHttpServer());
  server->impl_ = std::make_shared<Impl>(server.get(), std::move(handler));
  absl::Status listening = server->impl_->Listen(tls);
  if (!listening.ok()) return listening;
  server->port_ = server->impl_->port_;
  server->tls_ = tls != nullptr;
  return server;
}

TestHttpServer::~TestHttpServer() { Stop(); }

void TestHttpServer::Stop() {
  if (impl_) impl_->Stop();
}

std::string TestHttpServer::Url(absl::string_view path) const {
  return absl::StrCat(tls_ ? "https" : "http", "://127.0.0.1:", port_, path);
}

}  // namespace eventmesh::net::testing
