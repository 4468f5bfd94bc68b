#ifndef EVENTMESH_NET_ACCEPTOR_H_
#define EVENTMESH_NET_ACCEPTOR_H_

// Acceptor: one listening TCP socket on an IoThreadPool and its accept loop, shared by every
// server of the mesh (the runtime's TCP and HTTP frontends, the store service, net::HttpServer).
//
// Promises:
//  * Listen() parses the address, opens, sets SO_REUSEADDR, binds and listens (backlog: the
//    system maximum) before returning, so a taken port is an error of Listen, not of a thread.
//    Errors: InvalidArgument "invalid listen address '<addr>': <reason>" or "port must be in
//    0..65535, got <port>"; Unavailable "cannot listen on <addr>:<port>: <step>: <reason>"
//    (step: open, setsockopt, bind, listen). `failure`, when given, receives the step and the
//    OS reason, for servers that keep a message of their own.
//  * Start() begins accepting. Each accepted socket is created on pool->NextExecutor() (a strand
//    of its own, or the next worker's context) and handed to the accept handler, which runs on
//    the acceptor's strand and should only hand the socket on (no blocking).
//  * After an accept error the loop re-arms: at once for errors of one connection (aborted,
//    reset, interrupted, try again), after `error_backoff` for the others (EMFILE, ENFILE,
//    ENOBUFS, ENOMEM...), so a full file table does not make the loop spin. Each error is also
//    given to the error handler, if any.
//  * Connection cap: every accepted socket comes with a ConnectionSlot; open_connections() counts
//    the slots alive. With max_connections > 0, a connection arriving while that many slots are
//    alive goes to the refuse handler instead (default: closed at once) and is counted in
//    refused_connections(). Servers whose refusal is protocol-specific keep max_connections 0
//    and decide in their accept handler.
// Lifetime: handlers run on the pool's threads and capture the acceptor by pointer: destroy it
// only after the pool stopped (or never started), and before the pool is destroyed.
// Thread-safety: Close, port, open_connections and refused_connections from any thread; Start
// once.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "eventmesh/net/io_thread_pool.h"

namespace eventmesh::net {

struct AcceptorOptions {
  // IPv4 or IPv6 address to listen on. Default every IPv4 interface.
  std::string address = "0.0.0.0";
  // TCP port; 0 = any free port (see Acceptor::port()).
  int port = 0;
  // Connections open at once (ConnectionSlots alive); 0 = unbounded (the default).
  size_t max_connections = 0;
  // Wait before accepting again after a resource error (EMFILE...). Default 100 ms.
  absl::Duration error_backoff = absl::Milliseconds(100);
};

// Why Listen failed: the step ("address", "port", "open", "setsockopt", "bind", "listen") and
// the OS reason (e.g. "Address already in use").
struct ListenFailure {
  std::string step;
  std::string reason;
};

// Counts one accepted connection toward the acceptor's open_connections() while alive. Movable;
// may outlive the acceptor and the pool. A default-constructed slot counts nothing.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ~ConnectionSlot() { Release(); }

  // Stops counting now (idempotent).
  void Release();

 private:
  friend class Acceptor;
  explicit ConnectionSlot(std::shared_ptr<std::atomic<size_t>> open) : open_(std::move(open)) {}
  std::shared_ptr<std::atomic<size_t>> open_;
};

class Acceptor {
 public:
  using AcceptHandler = std::function<void(boost::asio::ip::tcp::socket, ConnectionSlot)>;
  using RefuseHandler = std::function<void(boost::asio::ip::tcp::socket)>;
  using ErrorHandler = std::function<void(const boost::system::error_code&)>;

  // `pool` must outlive the acceptor. The listening socket runs on a strand of pool->context(0).
  static absl::StatusOr<std::unique_ptr<Acceptor>> Listen(IoThreadPool* pool,
                                                          const AcceptorOptions& options,
                                                          ListenFailure* failure = nullptr);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Starts the accept loop (it runs once the pool runs). `on_refused` defaults to closing the
  // socket; `on_error` (optional) sees every accept error, e.g. to log it.
  void Start(AcceptHandler on_accept, RefuseHandler on_refused = nullptr,
             ErrorHandler on_error = nullptr);

  // Closes the listening socket (pending accept ends, no more connections; accepted ones are
  // untouched). When the pool runs, the close runs on the acceptor's strand and Close waits for
  // it (up to 5 s). Idempotent.
  void Close();

  // The bound port (the real one when options.port was 0).
  int port() const { return port_; }
  // The address as given in the options.
  const std::string& address() const { return options_.address; }
  size_t open_connections() const { return open_->load(); }
  uint64_t refused_connections() const { return refused_.load(); }

 private:
  Acceptor(IoThreadPool* pool, const AcceptorOptions& options);
  void DoAccept();
  void OnAccept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void CloseOnStrand();

  IoThreadPool* const pool_;
  const AcceptorOptions options_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  int port_ = 0;
  AcceptHandler on_accept_;
  RefuseHandler on_refused_;
  ErrorHandler on_error_;
  std::atomic<bool> closed_{false};
  const std::shared_ptr<std::atomic<size_t>> open_ = std::make_shared<std::atomic<size_t>>(0);
  std::atomic<uint64_t> refused_{0};
};

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_ACCEPTOR_H_
