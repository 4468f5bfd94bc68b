#include "eventmesh/runtime/builtin_frontends.h"

#include "eventmesh/runtime/grpc/grpc_frontend.h"
#include "eventmesh/runtime/http/http_frontend.h"
#include "eventmesh/runtime/mqtt/mqtt_frontend.h"
#include "eventmesh/runtime/tcp/tcp_frontend.h"

namespace eventmesh::runtime {

absl::Status RegisterBuiltinFrontends(frontend::FrontendRegistry* registry) {
  if (absl::Status s = tcp::RegisterTcpFrontend(registry); !s.ok()) return s;
  if (absl::Status s = http::RegisterHttpFrontend(registry); !s.ok()) return s;
  if (absl::Status s = grpc::RegisterGrpcFrontend(registry); !s.ok()) return s;
  return mqtt::RegisterMqttFrontend(registry);
}

}  // namespace eventmesh::runtime
