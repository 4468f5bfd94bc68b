#include "eventmesh/runtime/builtin_frontends.h"

#include "eventmesh/runtime/http/http_frontend.h"
#include "eventmesh/runtime/tcp/tcp_frontend.h"

namespace eventmesh::runtime {

absl::Status RegisterBuiltinFrontends(frontend::FrontendRegistry* registry) {
  if (absl::Status s = tcp::RegisterTcpFrontend(registry); !s.ok()) return s;
  return http::RegisterHttpFrontend(registry);
}

}  // namespace eventmesh::runtime
