#include "eventmesh/runtime/tcp/tcp_frontend.h"

#include <utility>

#include "eventmesh/runtime/tcp/session.h"

namespace eventmesh::runtime::tcp {

TcpFrontend::TcpFrontend(const frontend::FrontendServices& services)
    : config_(services.config),
      rate_limiter_(services.config->msg_req_num_per_second, kTpsOverloadDesc) {
  context_.config = services.config;
  context_.topics = services.topics;
  context_.consumers = services.consumers;
  context_.publish = services.publish;
  context_.requests = services.requests;
  context_.rate_limiter = &rate_limiter_;
  context_.acl = services.acl;
  context_.recommend = services.recommend;
  server_ = std::make_unique<TcpServer>(&context_, services.config->worker_threads);
}

TcpFrontend::~TcpFrontend() { Stop(); }

absl::Status TcpFrontend::Start() { return server_->Start(config_->tcp_port); }

absl::Status RegisterTcpFrontend(frontend::FrontendRegistry* registry) {
  return registry->Register("tcp",
                            [](const frontend::FrontendServices& services)
                                -> absl::StatusOr<std::unique_ptr<frontend::Frontend>> {
                              return std::unique_ptr<frontend::Frontend>(new TcpFrontend(services));
                            });
}

}  // namespace eventmesh::runtime::tcp
