#ifndef EVENTMESH_RUNTIME_HTTP_HTTP_FRONTEND_H_
#define EVENTMESH_RUNTIME_HTTP_HTTP_FRONTEND_H_

// The HTTP port as a frontend::Frontend ("http"): owns the HttpServer, its HttpServices and the
// HTTP publish rate limit (eventMesh.server.http.msgReqnumPerSecond). Drain lets requests being
// handled finish. Same threading as frontend::Frontend.

#include <memory>

#include "eventmesh/runtime/core/rate_limiter.h"
#include "eventmesh/runtime/frontend/frontend.h"
#include "eventmesh/runtime/http/handler_context.h"
#include "eventmesh/runtime/http/http_server.h"

namespace eventmesh::runtime::http {

class HttpFrontend final : public frontend::Frontend {
 public:
  explicit HttpFrontend(const frontend::FrontendServices& services);
  ~HttpFrontend() override;

  absl::string_view name() const override { return "http"; }
  absl::Status Start() override { return server_->Start(); }
  int port() const override { return server_->port(); }
  void StopAccepting() override { server_->StopAccepting(); }
  void Drain(int64_t timeout_ms) override { server_->Drain(timeout_ms); }
  void Stop() override { server_->Stop(); }

  HttpServer* server() { return server_.get(); }

 private:
  core::RateLimiter rate_limiter_;
  // Refusal warnings: a burst of 10 per client IP, then one a second.
  common::LogLimiter log_limiter_{1.0, 10};
  HttpServices services_;
  std::unique_ptr<HttpServer> server_;
};

// Registers "http".
absl::Status RegisterHttpFrontend(frontend::FrontendRegistry* registry);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_HTTP_FRONTEND_H_
