#ifndef EVENTMESH_RUNTIME_SERVER_H_
#define EVENTMESH_RUNTIME_SERVER_H_

// The mesh runtime: wires the connector (chosen by eventMesh.storage.plugin.type from a
// ConnectorRegistry), the topic registry, the consumer manager, the TCP server, the HTTP server
// and (optionally) the webhook subscription service.
//
// Start order: connector -> topic registry -> consumer manager -> webhook service -> TCP server
// -> HTTP server. Shutdown (graceful, idempotent): stop accepting (TCP and HTTP), let HTTP
// requests being handled finish, let in-flight publishes finish, SERVER_GOODBYE_REQUEST to every
// TCP client, close consumers (acknowledged positions committed), stop the workers, destroy the
// webhook service, shut the connector down (its store is closed when the Server is destroyed).
// Thread-safety: Start and Shutdown from one controlling thread.

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/request_tracker.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/http/handler_context.h"
#include "eventmesh/runtime/http/http_server.h"
#include "eventmesh/runtime/tcp/session_context.h"
#include "eventmesh/runtime/tcp/tcp_server.h"
#include "eventmesh/runtime/webhook/webhook_manager.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime {

// The Server parts a webhook service is built from (all owned by the Server, valid until the
// service is destroyed, which happens before the connector shuts down).
struct WebhookServiceDeps {
  const RuntimeConfig* config = nullptr;
  connectors::Connector* connector = nullptr;
  core::TopicRegistry* topics = nullptr;
};

// Builds the webhook subscription service once, in Server::Create. Errors fail Create.
using WebhookServiceFactory =
    std::function<absl::StatusOr<std::unique_ptr<webhook::WebhookService>>(
        const WebhookServiceDeps& deps)>;

struct ServerOptions {
  // Replaces the built-in webhook delivery (webhook::WebhookManager, configured by
  // eventMesh.server.http.webhook.*). Without a factory and with
  // eventMesh.server.http.webhook.enabled=false, webhook subscriptions are disabled (HTTP
  // 206/207/203-SUB answer retCode 19/20/21 "webhook subscriptions are not enabled").
  WebhookServiceFactory webhook_service_factory;
};

class Server {
 public:
  // Creates the connector, loads the credentials file when security is enabled and builds the
  // webhook service when options name a factory.
  // Errors: the registry's (unknown connector, bad connector config), the ACL loader's, the
  // webhook factory's.
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const RuntimeConfig& config, const connectors::ConnectorRegistry& registry,
      ServerOptions options = {});
  ~Server();

  // Restores persisted webhook subscriptions, then starts listening (TCP, then HTTP). Errors:
  // Unavailable (port in use), InvalidArgument (TLS files unusable), DataLoss (unreadable
  // webhook registrations file).
  absl::Status Start();
  int tcp_port() const { return tcp_->port(); }
  int http_port() const { return http_->port(); }
  http::HttpServer* http_server() { return http_.get(); }
  void Shutdown();
  // Asks every connected client to reconnect to ip:port (REDIRECT_TO_CLIENT); returns how many
  // sessions were asked. A hook for rebalancing/admin; nothing calls it automatically yet.
  size_t RedirectAll(const std::string& ip, int port) { return tcp_->RedirectAll(ip, port); }

  connectors::Connector* connector() { return connector_.get(); }
  const RuntimeConfig& config() const { return config_; }

 private:
  Server(const RuntimeConfig& config, std::unique_ptr<connectors::Connector> connector,
         std::unique_ptr<core::Acl> acl);

  const RuntimeConfig config_;
  std::unique_ptr<connectors::Connector> connector_;
  std::unique_ptr<core::TopicRegistry> topics_;
  std::unique_ptr<core::ConsumerManager> consumers_;
  std::unique_ptr<tcp::RateLimiter> rate_limiter_;
  core::RequestTracker requests_;
  std::unique_ptr<core::Acl> acl_;
  tcp::SessionContext context_;
  std::unique_ptr<tcp::TcpServer> tcp_;
  std::unique_ptr<webhook::WebhookService> webhook_;
  webhook::WebhookManager* webhook_manager_ = nullptr;  // webhook_ when it is the built-in one
  std::unique_ptr<tcp::RateLimiter> http_rate_limiter_;
  http::HttpServices http_services_;
  std::unique_ptr<http::HttpServer> http_;
  bool shut_down_ = false;
};

}  // namespace eventmesh::runtime

#endif  // EVENTMESH_RUNTIME_SERVER_H_
