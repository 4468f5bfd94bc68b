// HttpServer over raw sockets: request/response basics, keep-alive, the read timeout, the
// body cap, malformed requests, Stop() closing idle connections, bad options.

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "eventmesh/net/http_server.h"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class RawConnection {
 public:
  explicit RawConnection(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void Send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Reads until the peer closes the connection; returns everything received.
  std::string ReadToEof() {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (true) {
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }
  // Reads until `marker` was received (or the connection closed).
  std::string ReadUntil(const std::string& marker) {
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    while (out.find(marker) == std::string::npos) {
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
    return out;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

std::unique_ptr<HttpServer> Echo(HttpServerOptions options = {}) {
  auto server = HttpServer::Start(options, [](const ServerRequest& r) {
    ServerResponse response;
    response.status = 201;
    response.headers.emplace_back("X-Method", r.method);
    const std::string* custom = r.Header("x-custom");
    response.body = absl::StrCat(r.target, "|", r.body, "|", custom ? *custom : "none");
    return response;
  });
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(HttpServerSocketTest, AnswersAndKeepsTheConnectionAlive) {
  auto server = Echo();
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
  RawConnection c(server->port());
  c.Send("POST /hook?a=1 HTTP/1.1\r\nHost: x\r\nX-Custom: yes\r\nContent-Length: 5\r\n\r\nhello");
  std::string first = c.ReadUntil("hello|yes");
  EXPECT_TRUE(absl::StartsWith(first, "HTTP/1.1 201")) << first;
  EXPECT_TRUE(absl::StrContains(first, "X-Method: POST")) << first;
  EXPECT_TRUE(absl::StrContains(first, "/hook?a=1|hello|yes")) << first;
  c.Send("POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::string second = c.ReadToEof();
  EXPECT_TRUE(absl::StrContains(second, "/second||none")) << second;
  EXPECT_EQ(server->requests_handled(), 2u);
}

TEST(HttpServerSocketTest, SlowClientIsDisconnectedAfterTheReadTimeout) {
  HttpServerOptions o;
  o.read_timeout = absl::Milliseconds(200);
  auto server = Echo(o);
  RawConnection c(server->port());
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");  // never completes
  EXPECT_EQ(c.ReadToEof(), "");
  EXPECT_EQ(server->requests_handled(), 0u);
}

TEST(HttpServerSocketTest, OversizedAndMalformedRequests) {
  HttpServerOptions o;
  o.max_body_bytes = 8;
  auto server = Echo(o);
  RawConnection big(server->port());
  big.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  std::string r = big.ReadToEof();
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 413")) << r;
  EXPECT_TRUE(absl::StrContains(r, "request body exceeds 8 bytes")) << r;

  RawConnection bad(server->port());
  bad.Send("THIS IS NOT HTTP\r\n\r\n");
  std::string b = bad.ReadToEof();
  EXPECT_TRUE(absl::StartsWith(b, "HTTP/1.1 400")) << b;
  EXPECT_TRUE(absl::StrContains(b, "malformed HTTP request: ")) << b;
  EXPECT_EQ(server->requests_handled(), 0u);
}

TEST(HttpServerSocketTest, StopClosesIdleConnectionsAndTheListener) {
  auto server = Echo();
  const int port = server->port();
  RawConnection c(port);
  c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  c.ReadUntil("||none");
  server->Stop();
  EXPECT_EQ(c.ReadToEof(), "");  // the idle keep-alive connection was closed
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec) << "the listener still accepts after Stop()";
  server->Stop();  // idempotent
}

TEST(HttpServerSocketTest, BadOptions) {
  auto handler = [](const ServerRequest&) { return ServerResponse(); };
  HttpServerOptions o;
  o.port = 70000;
  EXPECT_EQ(HttpServer::Start(o, handler).status().message(),
            "port must be in 0..65535, got 70000");
  o = HttpServerOptions();
  o.threads = 0;
  EXPECT_EQ(HttpServer::Start(o, handler).status().message(), "threads must be at least 1, got 0");
  o = HttpServerOptions();
  o.address = "nope";
  EXPECT_TRUE(absl::StartsWith(HttpServer::Start(o, handler).status().message(),
                               "invalid listen address 'nope': "));
  EXPECT_EQ(HttpServer::Start(HttpServerOptions(), nullptr).status().message(),
            "a request handler is required");
  auto first = Echo();
  o = HttpServerOptions();
  o.port = first->port();
  auto second = HttpServer::Start(o, handler);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(
      absl::StartsWith(second.status().message(),
                       absl::StrCat("cannot listen on 127.0.0.1:", first->port(), ": bind: ")))
      << second.status();
}

}  // namespace
}  // namespace eventmesh::net
