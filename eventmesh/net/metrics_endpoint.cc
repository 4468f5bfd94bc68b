#include "eventmesh/net/metrics_endpoint.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/metrics/prometheus_text.h"

namespace eventmesh::net {

ServerResponse HandleMetricsRequest(const ServerRequest& request, const metrics::Registry& registry,
                                    const std::string& token) {
  const absl::string_view path = request.path();
  if (path != "/metrics" && path != "/health") {
    return ServerResponse::Json(404, absl::StrCat("{\"error\":\"no such resource\"}"));
  }
  if (request.method != "GET") {
    ServerResponse response =
        ServerResponse::Json(405, "{\"error\":\"method not allowed (allowed: GET)\"}");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  if (path == "/health") return ServerResponse::Json(200, "{\"status\":\"UP\"}");
  if (!token.empty()) {
    const std::string* header = request.Header("Authorization");
    if (header == nullptr || *header != absl::StrCat("Bearer ", token)) {
      ServerResponse response =
          ServerResponse::Json(401, "{\"error\":\"Authorization: Bearer <token> required\"}");
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
  }
  ServerResponse response;
  response.headers.emplace_back("Content-Type", metrics::kPrometheusTextContentType);
  metrics::AppendPrometheusText(registry, &response.body);
  return response;
}

absl::StatusOr<std::unique_ptr<HttpServer>> StartMetricsEndpoint(HttpServerOptions options,
                                                                 const metrics::Registry* registry,
                                                                 std::string token) {
  return HttpServer::Start(std::move(options),
                           [registry, token = std::move(token)](const ServerRequest& request) {
                             return HandleMetricsRequest(request, *registry, token);
                           });
}

}  // namespace eventmesh::net
