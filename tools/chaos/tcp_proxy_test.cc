#include "tools/chaos/tcp_proxy.h"

#include <array>
#include <string>
#include <thread>

#include "boost/asio.hpp"
#include "gtest/gtest.h"

namespace eventmesh::chaos {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A blocking echo server on a loopback port: echoes every connection until it closes.
class EchoServer {
 public:
  EchoServer() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    thread_ = std::thread([this] {
      for (;;) {
        auto socket = std::make_shared<tcp::socket>(io_);
        boost::system::error_code ec;
        acceptor_.accept(*socket, ec);
        if (ec) return;
        std::thread([socket] {
          std::array<char, 1024> buffer;
          boost::system::error_code ec;
          for (;;) {
            const size_t n = socket->read_some(asio::buffer(buffer), ec);
            if (ec) return;
            asio::write(*socket, asio::buffer(buffer.data(), n), ec);
            if (ec) return;
          }
        }).detach();
      }
    });
  }
  ~EchoServer() {
    boost::system::error_code ignored;
    acceptor_.cancel(ignored);
    acceptor_.close(ignored);
    // Unblock accept() with one connection of our own.
    tcp::socket poke(io_);
    poke.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_), ignored);
    thread_.join();
  }
  int port() {
    if (port_ == 0) port_ = acceptor_.local_endpoint().port();
    return port_;
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;
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
