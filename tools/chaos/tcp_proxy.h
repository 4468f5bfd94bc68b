#ifndef TOOLS_CHAOS_TCP_PROXY_H_
#define TOOLS_CHAOS_TCP_PROXY_H_

// TcpProxy: a loopback TCP relay that can cut every connection at once, wherever the bytes in
// flight stand (a frame may be cut in its middle). Clients connect to listen_port(); each
// connection is relayed to 127.0.0.1:upstream_port. Cut() resets every relayed connection on both
// sides (SO_LINGER 0: the peers see a reset, not an orderly close); new connections keep being
// accepted. One io thread; every public method is thread-safe. Stop() (or the destructor) closes
// everything and joins the thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio.hpp"

namespace eventmesh::chaos {

class TcpProxy {
 public:
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int listen_port() const { return listen_port_; }
  // Resets every connection relayed now; returns how many were cut.
  int Cut();
  // Connections relayed so far (monotonic).
  uint64_t accepted() const;
  void Stop();

 private:
  struct Pair;
  explicit TcpProxy(int upstream_port);
  void Accept();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const int upstream_port_;
  int listen_port_ = 0;
  std::thread thread_;
  // Touched only on the io thread.
  std::vector<std::weak_ptr<Pair>> pairs_;
  std::atomic<uint64_t> accepted_{0};
  bool stopped_ = false;
};

}  // namespace eventmesh::chaos

#endif  // TOOLS_CHAOS_TCP_PROXY_H_
