#ifndef EVENTMESH_RUNTIME_TCP_TCP_SERVER_H_
#define EVENTMESH_RUNTIME_TCP_TCP_SERVER_H_

// The TCP front end: a fixed pool of worker threads, each running its own io_context, and an
// acceptor. Accepted connections are dealt round robin to the workers and stay there (all
// handlers of a connection run on its worker's single thread, which serves as its strand).
// Connections beyond clientMaxNum get SERVER_GOODBYE_REQUEST (code 1) and are closed.
// Thread-safe: Start, Stop and Goodbye may be called from any thread (not concurrently with
// each other).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "boost/asio.hpp"
#include "eventmesh/runtime/tcp/session.h"
#include "eventmesh/runtime/tcp/session_context.h"

namespace eventmesh::runtime::tcp {

class TcpServer {
 public:
  // `context` must outlive the server; its on_closed is set by the server.
  TcpServer(SessionContext* context, int worker_threads);
  ~TcpServer();

  // Binds 0.0.0.0:port (0 = any free port) and starts accepting.
  // Errors: Unavailable with the OS reason (e.g. address in use).
  absl::Status Start(int port);
  int port() const { return port_; }

  // Stops accepting new connections.
  void StopAccepting();
  // Sends SERVER_GOODBYE_REQUEST to every session and waits (up to `timeout_ms`) until every
  // session finished its in-flight publishes and closed.
  void GoodbyeAll(int64_t timeout_ms);
  // Stops the workers (after GoodbyeAll). Idempotent.
  void Stop();
  size_t session_count();
  // Sends REDIRECT_TO_CLIENT to every session; returns how many were asked.
  size_t RedirectAll(const std::string& ip, int port);

 private:
  void DoAccept();

  SessionContext* const ctx_;
  std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::atomic<size_t> next_worker_{0};
  std::atomic<uint64_t> next_session_id_{0};
  int port_ = 0;
  bool stopped_ = false;

  std::mutex mu_;
  std::condition_variable closed_cv_;
  std::map<uint64_t, std::weak_ptr<Session>> sessions_;
};

}  // namespace eventmesh::runtime::tcp

#endif  // EVENTMESH_RUNTIME_TCP_TCP_SERVER_H_
