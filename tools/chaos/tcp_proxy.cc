#include "tools/chaos/tcp_proxy.h"

#include <algorithm>
#include <array>
#include <future>

#include "absl/strings/str_cat.h"

namespace eventmesh::chaos {

namespace asio = boost::asio;
using asio::ip::tcp;

// One client connection and its upstream connection. Owned by the handlers in flight.
struct TcpProxy::Pair : std::enable_shared_from_this<Pair> {
  explicit Pair(asio::io_context& io) : client(io), upstream(io) {}

  void Relay(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buffer) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                   boost::system::error_code ec, size_t n) {
      if (ec) return self->Close(false);
      asio::async_write(to, asio::buffer(buffer.data(), n),
                        [self, &from, &to, &buffer](boost::system::error_code ec, size_t) {
                          if (ec) return self->Close(false);
                          self->Relay(from, to, buffer);
                        });
    });
  }

  void Start() {
    Relay(client, upstream, up_buffer);
    Relay(upstream, client, down_buffer);
  }

  // reset: SO_LINGER 0 so the close sends RST.
  void Close(bool reset) {
    boost::system::error_code ignored;
    for (tcp::socket* socket : {&client, &upstream}) {
      if (!socket->is_open()) continue;
      if (reset) socket->set_option(asio::socket_base::linger(true, 0), ignored);
      socket->close(ignored);
    }
  }

  tcp::socket client;
  tcp::socket upstream;
  std::array<char, 16384> up_buffer;
  std::array<char, 16384> down_buffer;
};

TcpProxy::TcpProxy(int upstream_port) : acceptor_(io_), upstream_port_(upstream_port) {}

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int upstream_port) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy(upstream_port));
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
  proxy->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) proxy->acceptor_.bind(endpoint, ec);
  if (!ec) proxy->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("proxy cannot listen: ", ec.message()));
  proxy->listen_port_ = proxy->acceptor_.local_endpoint().port();
  proxy->Accept();
  proxy->thread_ = std::thread([p = proxy.get()] { p->io_.run(); });
  return proxy;
}

TcpProxy::~TcpProxy() { Stop(); }

void TcpProxy::Accept() {
  auto pair = std::make_shared<Pair>(io_);
  acceptor_.async_accept(pair->client, [this, pair](boost::system::error_code ec) {
    if (stopped_) return;
    if (!ec) {
      ++accepted_;
      pairs_.push_back(pair);
      pair->upstream.async_connect(
          tcp::endpoint(asio::ip::address_v4::loopback(), upstream_port_),
          [pair](boost::system::error_code ec) {
            if (ec) return pair->Close(true);  // upstream down: the client sees a reset
            pair->Start();
          });
    }
    // Forget pairs that are gone so the list stays short.
    pairs_.erase(std::remove_if(pairs_.begin(), pairs_.end(),
                                [](const std::weak_ptr<Pair>& p) { return p.expired(); }),
                 pairs_.end());
    Accept();
  });
}

int TcpProxy::Cut() {
  std::promise<int> cut;
  asio::post(io_, [this, &cut] {
    int count = 0;
    for (auto& weak : pairs_) {
      if (auto pair = weak.lock()) {
        if (pair->client.is_open()) ++count;
        pair->Close(true);
      }
    }
    pairs_.clear();
    cut.set_value(count);
  });
  return cut.get_future().get();
}

uint64_t TcpProxy::accepted() const { return accepted_.load(); }

void TcpProxy::Stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : pairs_) {
      if (auto pair = weak.lock()) pair->Close(true);
    }
    pairs_.clear();
  });
  thread_.join();
}

}  // namespace eventmesh::chaos
