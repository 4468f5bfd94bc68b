#ifndef EVENTMESH_RUNTIME_TCP_TCP_SERVER_H_
#define EVENTMESH_RUNTIME_TCP_TCP_SERVER_H_

// The TCP front end: a fixed pool of worker threads, each running its own io_context
// (net::IoThreadPool, kPerThread), and a net::Acceptor on 0.0.0.0. Accepted connections are dealt
// round robin to the workers and stay there (all handlers of a connection run on its worker's
// single thread, which serves as its strand). Connections beyond clientMaxNum get
// SERVER_GOODBYE_REQUEST (code 1) and are closed. Thread-safe: Start, Stop and Goodbye may be
// called from any thread (not concurrently with each other). ListSessions, Redirect, RedirectAll,
// WaitForSessionsAtMost and session_count may be called from any thread except a worker thread
// (ListSessions waits for the workers).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "boost/asio.hpp"
#include "eventmesh/net/acceptor.h"
#include "eventmesh/net/io_thread_pool.h"
#include "eventmesh/runtime/tcp/session.h"
#include "eventmesh/runtime/tcp/session_context.h"

namespace eventmesh::runtime::tcp {

// One connection as ListSessions sees it.
struct SessionInfo {
  uint64_t id = 0;
  bool hello_done = false;          // purpose and group are known
  std::string purpose;              // "pub" or "sub" (UserAgent.purpose)
  std::string group;                // UserAgent.group
  int64_t age_ms = 0;               // since the connection was accepted
  int64_t unacked_pushes = 0;       // pushes the client has not acknowledged yet
  int64_t publishes_in_flight = 0;  // publishes the store has not acknowledged yet
  bool redirected = false;          // REDIRECT_TO_CLIENT was sent to it
  std::string peer;                 // "ip:port" of the client
  // From the HELLO's UserAgent (empty before HELLO).
  std::string subsystem;
  std::string env;
  std::string idc;
  std::string path;
  std::string version;
  int pid = 0;
  std::vector<std::string> topics;  // subscribed topics, in subscription order
};

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
  // Sends SERVER_GOODBYE_REQUEST (code 0, `desc`) to every session, which then closes; new
  // connections are still accepted. Returns how many sessions were told.
  size_t GoodbyeEach(const std::string& desc);
  // Sends REDIRECT_TO_CLIENT {"ip","port"} to one session. Errors: NotFound "no session <id>"
  // when it closed or never existed.
  absl::Status Redirect(uint64_t session_id, const std::string& ip, int port);
  // Sends SERVER_GOODBYE_REQUEST (code 0, `desc`) to one session, which then closes. Errors:
  // NotFound "no session <id>" when it closed or never existed.
  absl::Status Goodbye(uint64_t session_id, const std::string& desc);
  // A snapshot of every open session, in id order. The session fields are read on each
  // session's worker thread; a session whose worker does not answer within `timeout_ms` (only
  // when the server is stopping) is left out.
  std::vector<SessionInfo> ListSessions(int64_t timeout_ms = 2000);
  // Waits (up to `timeout_ms`) until at most `count` sessions are open; true when so.
  bool WaitForSessionsAtMost(size_t count, int64_t timeout_ms);

 private:
  void OnAccepted(boost::asio::ip::tcp::socket socket);

  SessionContext* const ctx_;
  // Warnings about clients: a burst of 10 per client IP, then one a second (ctx_->log_limiter).
  common::LogLimiter log_limiter_{1.0, 10};
  // One io_context per worker thread; destroyed after acceptor_ and the sessions' handlers.
  net::IoThreadPool pool_;
  std::unique_ptr<net::Acceptor> acceptor_;
  std::atomic<uint64_t> next_session_id_{0};
  int port_ = 0;
  bool stopped_ = false;

  std::mutex mu_;
  std::condition_variable closed_cv_;
  struct Entry {
    std::weak_ptr<Session> session;
    int64_t accepted_ms = 0;  // steady clock
    bool redirected = false;
    std::string address;  // the peer's IP
  };
  std::map<uint64_t, Entry> sessions_;
  std::map<std::string, int64_t> per_address_;  // open sessions per peer IP
};

}  // namespace eventmesh::runtime::tcp

#endif  // EVENTMESH_RUNTIME_TCP_TCP_SERVER_H_
