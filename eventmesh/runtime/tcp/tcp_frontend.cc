#include "eventmesh/runtime/tcp/tcp_frontend.h"

#include <utility>

#include "eventmesh/net/tls.h"
#include "eventmesh/runtime/tcp/session.h"

namespace eventmesh::runtime::tcp {

TcpFrontend::TcpFrontend(const frontend::FrontendServices& services,
                         std::shared_ptr<boost::asio::ssl::context> tls)
    : config_(services.config),
      rate_limiter_(services.config->msg_req_num_per_second, kTpsOverloadDesc) {
  context_.config = services.config;
  context_.topics = services.topics;
  context_.consumers = services.consumers;
  context_.publish = services.publish;
  context_.requests = services.requests;
  context_.rate_limiter = &rate_limiter_;
  context_.acl = services.acl;
  context_.authenticator = services.authenticator;
  context_.recommend = services.recommend;
  context_.tls = std::move(tls);
  server_ = std::make_unique<TcpServer>(&context_, services.config->worker_threads);
}

TcpFrontend::~TcpFrontend() { Stop(); }

absl::Status TcpFrontend::Start() { return server_->Start(config_->tcp_port); }

absl::Status RegisterTcpFrontend(frontend::FrontendRegistry* registry) {
  return registry->Register(
      "tcp",
      [](const frontend::FrontendServices& services)
          -> absl::StatusOr<std::unique_ptr<frontend::Frontend>> {
        std::shared_ptr<boost::asio::ssl::context> tls;
        const RuntimeConfig& c = *services.config;
        if (c.tcp_tls_enabled) {
          auto context = net::MakeServerTlsContext(
              {c.tcp_tls_cert_file, c.tcp_tls_key_file, c.tcp_tls_client_ca_file},
              {"eventMesh.server.tcp.tls.certFile", "eventMesh.server.tcp.tls.keyFile",
               "eventMesh.server.tcp.tls.clientCaFile"});
          if (!context.ok()) return context.status();
          tls = *std::move(context);
        }
        return std::unique_ptr<frontend::Frontend>(new TcpFrontend(services, std::move(tls)));
      });
}

}  // namespace eventmesh::runtime::tcp
