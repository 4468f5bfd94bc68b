#ifndef EVENTMESH_NET_METRICS_ENDPOINT_H_
#define EVENTMESH_NET_METRICS_ENDPOINT_H_

// A minimal HTTP endpoint for processes without an admin API of their own (the store service,
// the registry server): GET /metrics answers the registry in the Prometheus text format,
// GET /health answers {"status":"UP"}; other methods get 405 (Allow: GET), other paths 404.
// With a non-empty `token`, /metrics needs "Authorization: Bearer <token>" (401 otherwise).
// The registry must outlive the returned server. Thread-safe (net::HttpServer).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/net/http_server.h"

namespace eventmesh::net {

// The answer for one request (what the server calls; exposed for tests and for servers that
// route /metrics themselves).
ServerResponse HandleMetricsRequest(const ServerRequest& request, const metrics::Registry& registry,
                                    const std::string& token);

// Starts the endpoint. Errors: those of HttpServer::Start.
absl::StatusOr<std::unique_ptr<HttpServer>> StartMetricsEndpoint(HttpServerOptions options,
                                                                 const metrics::Registry* registry,
                                                                 std::string token = "");

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_METRICS_ENDPOINT_H_
