#include "tools/chaos/tcp_proxy.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio.hpp"
#include "gtest/gtest.h"

namespace eventmesh::chaos {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A blocking echo server on a loopback port: echoes every connection until it closes. The
// destructor ends every connection and joins its thread before the sockets' io_context goes.
class EchoServer {
 public:
  EchoServer() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    thread_ = std::thread([this] {
      for (;;) {
        auto socket = std::make_shared<tcp::socket>(io_);
        boost::system::error_code ec;
        acceptor_.accept(*socket, ec);
        if (ec || stopping_.load()) return;
        std::lock_guard<std::mutex> lock(mu_);
        sockets_.push_back(socket);
        connections_.emplace_back([socket] {
          std::array<char, 1024> buffer;
          boost::system::error_code ec;
          for (;;) {
            const size_t n = socket->read_some(asio::buffer(buffer), ec);
            if (ec) return;
            asio::write(*socket, asio::buffer(buffer.data(), n), ec);
            if (ec) return;
          }
        });
      }
    });
  }
  ~EchoServer() {
    stopping_.store(true);
    // Unblock accept() with one connection of our own.
    boost::system::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port()), ignored);
    thread_.join();
    acceptor_.close(ignored);
    std::lock_guard<std::mutex> lock(mu_);
    // shutdown(2) on the descriptor ends a blocked read_some on another thread.
    for (auto& socket : sockets_) ::shutdown(socket->native_handle(), SHUT_RDWR);
    for (std::thread& connection : connections_) connection.join();
  }
  int port() {
    if (port_ == 0) port_ = acceptor_.local_endpoint().port();
    return port_;
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> connections_;
};

std::string EchoThrough(tcp::socket& socket, const std::string& text) {
  asio::write(socket, asio::buffer(text));
  std::string back(text.size(), '\0');
  asio::read(socket, asio::buffer(back));
  return back;
}

TEST(TcpProxyTest, RelaysAndCutsEveryConnectionWithAReset) {
  EchoServer echo;
  const int echo_port = echo.port();
  auto proxy = TcpProxy::Start(echo_port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  asio::io_context io;
  tcp::socket a(io), b(io);
  a.connect(tcp::endpoint(asio::ip::address_v4::loopback(), (*proxy)->listen_port()));
  b.connect(tcp::endpoint(asio::ip::address_v4::loopback(), (*proxy)->listen_port()));
  EXPECT_EQ(EchoThrough(a, "hello"), "hello");
  EXPECT_EQ(EchoThrough(b, "world"), "world");

  EXPECT_EQ((*proxy)->Cut(), 2);
  std::array<char, 8> buffer;
  boost::system::error_code ec;
  a.read_some(asio::buffer(buffer), ec);
  EXPECT_EQ(ec, asio::error::connection_reset) << ec.message();

  // New connections are relayed as before.
  tcp::socket c(io);
  c.connect(tcp::endpoint(asio::ip::address_v4::loopback(), (*proxy)->listen_port()));
  EXPECT_EQ(EchoThrough(c, "again"), "again");
  EXPECT_EQ((*proxy)->accepted(), 3u);
}

TEST(TcpProxyTest, AClientOfADeadUpstreamIsReset) {
  int dead_port = 0;
  {
    EchoServer gone;
    dead_port = gone.port();
  }
  auto proxy = TcpProxy::Start(dead_port);
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  asio::io_context io;
  tcp::socket a(io);
  a.connect(tcp::endpoint(asio::ip::address_v4::loopback(), (*proxy)->listen_port()));
  std::array<char, 8> buffer;
  boost::system::error_code ec;
  a.read_some(asio::buffer(buffer), ec);
  EXPECT_TRUE(ec == asio::error::connection_reset || ec == asio::error::eof) << ec.message();
}

}  // namespace
}  // namespace eventmesh::chaos
