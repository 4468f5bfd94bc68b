#ifndef EVENTMESH_RUNTIME_TCP_TCP_FRONTEND_H_
#define EVENTMESH_RUNTIME_TCP_TCP_FRONTEND_H_

// The EventMesh TCP protocol as a frontend::Frontend ("tcp"): owns the TcpServer, its session
// context and the TCP publish rate limit (eventMesh.server.tcp.msgReqnumPerSecond). Drain sends
// SERVER_GOODBYE to every session after its in-flight publishes were acknowledged.
// TCP-only features (sessions, redirects) are reached through server(). Same threading as
// frontend::Frontend.

#include <memory>

#include "eventmesh/runtime/core/rate_limiter.h"
#include "eventmesh/runtime/frontend/frontend.h"
#include "eventmesh/runtime/tcp/session_context.h"
#include "eventmesh/runtime/tcp/tcp_server.h"

namespace eventmesh::runtime::tcp {

class TcpFrontend final : public frontend::Frontend {
 public:
  // `tls`: the TCP port's TLS context (eventMesh.server.tcp.tls.*), nullptr for plain TCP.
  TcpFrontend(const frontend::FrontendServices& services,
              std::shared_ptr<boost::asio::ssl::context> tls);
  ~TcpFrontend() override;

  absl::string_view name() const override { return "tcp"; }
  absl::Status Start() override;
  int port() const override { return server_->port(); }
  void StopAccepting() override { server_->StopAccepting(); }
  void Drain(int64_t timeout_ms) override { server_->GoodbyeAll(timeout_ms); }
  void Stop() override { server_->Stop(); }
  size_t connected_clients() const override { return server_->session_count(); }

  TcpServer* server() { return server_.get(); }

 private:
  const RuntimeConfig* const config_;
  core::RateLimiter rate_limiter_;
  SessionContext context_;
  std::unique_ptr<TcpServer> server_;
};

// Registers "tcp".
absl::Status RegisterTcpFrontend(frontend::FrontendRegistry* registry);

}  // namespace eventmesh::runtime::tcp

#endif  // EVENTMESH_RUNTIME_TCP_TCP_FRONTEND_H_
