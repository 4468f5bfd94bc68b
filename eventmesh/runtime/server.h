#ifndef EVENTMESH_RUNTIME_SERVER_H_
#define EVENTMESH_RUNTIME_SERVER_H_

// The mesh runtime: wires the connector (chosen by eventMesh.storage.plugin.type from a
// ConnectorRegistry), the topic registry, the consumer manager and the TCP server.
//
// Start order: connector -> topic registry -> consumer manager -> TCP server. Shutdown (graceful,
// idempotent): stop accepting, let in-flight publishes finish, SERVER_GOODBYE_REQUEST to every
// client, close consumers (acknowledged positions committed), stop the workers, shut the
// connector down (its store is closed when the Server is destroyed).
// Thread-safety: Start and Shutdown from one controlling thread.

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/request_tracker.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/tcp/session_context.h"
#include "eventmesh/runtime/tcp/tcp_server.h"

namespace eventmesh::runtime {

class Server {
 public:
  // Creates the connector and loads the credentials file when security is enabled.
  // Errors: the registry's (unknown connector, bad connector config), the ACL loader's.
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const RuntimeConfig& config, const connectors::ConnectorRegistry& registry);
  ~Server();

  // Starts listening. Errors: Unavailable (port in use).
  absl::Status Start();
  int tcp_port() const { return tcp_->port(); }
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
  bool shut_down_ = false;
};

}  // namespace eventmesh::runtime

#endif  // EVENTMESH_RUNTIME_SERVER_H_
