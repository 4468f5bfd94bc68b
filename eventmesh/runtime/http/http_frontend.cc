#include "eventmesh/runtime/http/http_frontend.h"

#include <utility>

namespace eventmesh::runtime::http {

HttpFrontend::HttpFrontend(const frontend::FrontendServices& services)
    : rate_limiter_(services.config->http_msg_req_num_per_second,
                    "http message send over limit (eventMesh.server.http.msgReqnumPerSecond)") {
  services_.config = services.config;
  services_.connector = services.connector;
  services_.publish = services.publish;
  services_.requests = services.requests;
  services_.acl = services.acl;
  services_.authenticator = services.authenticator;
  services_.rate_limiter = &rate_limiter_;
  services_.log_limiter = &log_limiter_;
  services_.webhook = services.webhook;
  server_ =
      std::make_unique<HttpServer>(&services_, HttpServerOptions::FromConfig(*services.config));
}

HttpFrontend::~HttpFrontend() { Stop(); }

absl::Status RegisterHttpFrontend(frontend::FrontendRegistry* registry) {
  return registry->Register(
      "http",
      [](const frontend::FrontendServices& services)
          -> absl::StatusOr<std::unique_ptr<frontend::Frontend>> {
        return std::unique_ptr<frontend::Frontend>(new HttpFrontend(services));
      });
}

}  // namespace eventmesh::runtime::http
