#ifndef EVENTMESH_RUNTIME_SERVER_H_
#define EVENTMESH_RUNTIME_SERVER_H_

// The mesh runtime: wires the connector (chosen by eventMesh.storage.plugin.type from a
// ConnectorRegistry), the core services (topic registry, consumer manager, publish and
// request-reply services), (optionally) the webhook subscription service, and the protocol
// frontends named by eventMesh.server.provide.protocols (from a frontend::FrontendRegistry; the
// built-ins are tcp and http).
//
// Start order: connector -> core services -> webhook service -> frontends in the configured
// order -> admin port (eventMesh.server.admin.*; admin/README.md) -> cluster rebalancer (TCP
// clients only; (only when the connector's store is shared, Capabilities::shared_store, and
// eventMesh.server.tcp.RebalanceIntervalInMills > 0; see cluster/rebalancer.h). Shutdown (graceful,
// idempotent): every frontend stops accepting; with the rebalancer, announce leaving, redirect
// every TCP client to the least-loaded live peer and wait up to 5 s for them to go; each frontend
// drains (TCP: in-flight publishes finish, then SERVER_GOODBYE_REQUEST to every remaining client;
// HTTP: requests being handled finish); stop webhook pushes, close consumers (acknowledged
// positions committed), stop the frontends' workers, destroy the webhook service, shut the
// connector down (its store is closed when the Server is destroyed). The admin port reports ready
// from the end of a successful Start until Shutdown begins; it stops (after the frontends drained)
// before the consumers close. Thread-safety: Start and Shutdown from one controlling thread.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/connectors/api/connector_registry.h"
#include "eventmesh/runtime/admin/admin_server.h"
#include "eventmesh/runtime/cluster/rebalancer.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/access_token.h"
#include "eventmesh/runtime/core/authenticator.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/login_throttle.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/request_reply_service.h"
#include "eventmesh/runtime/core/request_tracker.h"
#include "eventmesh/runtime/core/runtime_metrics.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/discovery/published_topics.h"
#include "eventmesh/runtime/discovery/registry_agent.h"
#include "eventmesh/runtime/federation/mesh_forwarder.h"
#include "eventmesh/runtime/frontend/frontend.h"
#include "eventmesh/runtime/http/http_frontend.h"
#include "eventmesh/runtime/tcp/tcp_frontend.h"
#include "eventmesh/runtime/webhook/webhook_manager.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime {

// The Server parts a webhook service is built from (all owned by the Server, valid until the
// service is destroyed, which happens before the connector shuts down).
struct WebhookServiceDeps {
  const RuntimeConfig* config = nullptr;
  connectors::Connector* connector = nullptr;
  core::TopicRegistry* topics = nullptr;
  core::ConsumerManager* consumers = nullptr;
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
  // The protocols the runtime can start; nullptr = the built-in ones (RegisterBuiltinFrontends).
  const frontend::FrontendRegistry* frontends = nullptr;
};

class Server {
 public:
  // Creates the connector, loads the credentials file when security is enabled, builds the
  // webhook service when options name a factory, and builds the configured frontends.
  // Errors: the registry's (unknown connector, bad connector config), the ACL loader's, the
  // webhook factory's, the frontend registry's (NotFound naming an unavailable protocol).
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      const RuntimeConfig& config, const connectors::ConnectorRegistry& registry,
      ServerOptions options = {});
  ~Server();

  // Restores persisted webhook subscriptions, starts listening (TCP, then HTTP) and the
  // rebalancer (see above). Errors: Unavailable (port in use), InvalidArgument (TLS files
  // unusable), DataLoss (unreadable webhook registrations file); the rebalancer's (cannot create
  // or subscribe to the load topic).
  absl::Status Start();
  // The bound ports (0 when the protocol is not enabled).
  int tcp_port() const { return tcp_ != nullptr ? tcp_->port() : 0; }
  int http_port() const { return http_ != nullptr ? http_->port() : 0; }
  // The consumer groups' delivery state (valid while the Server lives).
  core::ConsumerManager* consumers() { return consumers_.get(); }
  // Requests waiting for replies (valid while the Server lives).
  core::RequestReplyService* requests() { return requests_.get(); }
  // The bound port of the frontend named `protocol` ("grpc", ...); 0 when it is not enabled.
  int port_of(absl::string_view protocol) const;
  // The admin port (0 when eventMesh.server.admin.enabled=false or before Start).
  int admin_port() const { return admin_ != nullptr ? admin_->port() : 0; }
  // The runtime's metrics (what GET /metrics on the admin port shows). Valid while the Server
  // lives; other components may register their own families on it.
  metrics::Registry* metrics_registry() { return metrics_registry_.get(); }
  // Every connected client of every protocol (TCP sessions after HELLO, webhook subscribers).
  std::vector<admin::ClientInfo> Clients();
  // nullptr when HTTP is not enabled.
  http::HttpServer* http_server() { return http_ != nullptr ? http_->server() : nullptr; }
  void Shutdown();
  // Asks every connected TCP client to reconnect to ip:port (REDIRECT_TO_CLIENT); returns how
  // many sessions were asked. A hook for admin use.
  size_t RedirectAll(const std::string& ip, int port) {
    return tcp_ != nullptr ? tcp_->server()->RedirectAll(ip, port) : 0;
  }
  // Asks one TCP session to reconnect to ip:port. Errors: NotFound "no session <id>".
  absl::Status Redirect(uint64_t session_id, const std::string& ip, int port) {
    if (tcp_ == nullptr) return absl::NotFoundError("the tcp protocol is not enabled");
    return tcp_->server()->Redirect(session_id, ip, port);
  }
  // The "host:port" a new client of (group, purpose) should use: the least-loaded live runtime
  // for that pool, this one included (cluster::Recommend), or this runtime's advertised address
  // when rebalancing is off. What RECOMMEND_REQUEST should answer. After Start; any thread.
  std::string Recommend(const std::string& group, const std::string& purpose);
  // The open TCP sessions (see TcpServer::ListSessions).
  std::vector<tcp::SessionInfo> Sessions() {
    return tcp_ != nullptr ? tcp_->server()->ListSessions() : std::vector<tcp::SessionInfo>{};
  }
  // nullptr unless rebalancing runs (shared store, interval > 0, after Start).
  cluster::ClusterRebalancer* rebalancer() { return rebalancer_.get(); }
  // nullptr unless eventMesh.registry.plugin.enabled (after Start).
  discovery::RegistryAgent* registry_agent() { return registry_agent_.get(); }
  // nullptr unless the registry and eventMesh.federation.enabled are on (after Start).
  federation::MeshForwarder* forwarder() { return forwarder_.get(); }
  // The address peers redirect clients to (resolved at Start; see
  // eventMesh.server.tcp.advertisedAddress).
  const std::string& advertised_host() const { return advertised_host_; }
  int advertised_port() const { return advertised_port_; }

  connectors::Connector* connector() { return connector_.get(); }
  const RuntimeConfig& config() const { return config_; }

 private:
  Server(const RuntimeConfig& config, std::unique_ptr<metrics::Registry> metrics_registry,
         std::unique_ptr<connectors::Connector> connector, std::unique_ptr<core::Acl> acl);
  absl::Status CreateFrontends(const frontend::FrontendRegistry& registry);
  // This runtime's id in the mesh registry: eventMesh.registry.instanceId, else
  // "<advertised host>-<TCP port, else HTTP port>" in the registry's alphabet. After Start.
  std::string InstanceId();
  // The runtimes of the mesh for the admin port's /meta: the registry's (every mesh), or this
  // runtime alone when no registry is configured. Errors: the registry's.
  absl::StatusOr<std::vector<admin::MeshInstance>> MeshInstances();
  absl::Status StartRegistryAgent();
  absl::Status StartAdmin();

  const RuntimeConfig config_;
  // Declared first: the services and the connector keep pointers to the instruments (the
  // connector gets it through ConnectorContext::metrics, before this object exists).
  std::unique_ptr<metrics::Registry> metrics_registry_;
  std::unique_ptr<core::RuntimeMetrics> metrics_;
  std::unique_ptr<connectors::Connector> connector_;
  std::unique_ptr<core::TopicRegistry> topics_;
  std::unique_ptr<core::ConsumerManager> consumers_;
  std::unique_ptr<core::PublishService> publish_;
  core::RequestTracker tracker_;
  std::unique_ptr<core::RequestReplyService> requests_;
  std::unique_ptr<core::Acl> acl_;
  std::unique_ptr<core::LoginThrottle> login_throttle_;  // with acl_
  std::unique_ptr<core::TokenVerifier> token_verifier_;  // with acl_ and a token key
  std::unique_ptr<core::Authenticator> authenticator_;   // with acl_
  std::unique_ptr<webhook::WebhookService> webhook_;
  webhook::WebhookManager* webhook_manager_ = nullptr;  // webhook_ when it is the built-in one
  // In the configured order; destroyed (threads joined) before the services they use.
  std::vector<std::unique_ptr<frontend::Frontend>> frontends_;
  tcp::TcpFrontend* tcp_ = nullptr;     // frontends_' "tcp", when enabled
  http::HttpFrontend* http_ = nullptr;  // frontends_' "http", when enabled
  // Written in Start, read by RECOMMEND_REQUESTs from session threads.
  absl::Mutex recommend_mu_;
  std::unique_ptr<cluster::ClusterRebalancer> rebalancer_;
  std::string advertised_host_;
  int advertised_port_ = 0;
  // The mesh registry client and the agent keeping this runtime registered (when enabled).
  std::unique_ptr<registry::Registry> registry_;
  // registry_ once it exists, for the admin port's /meta (which starts before it).
  std::atomic<registry::Registry*> mesh_registry_{nullptr};
  // Read by the registry agent's reports: declared before it, so it outlives the agent.
  std::unique_ptr<discovery::PublishedTopics> published_topics_;
  std::unique_ptr<discovery::RegistryAgent> registry_agent_;
  std::unique_ptr<federation::MeshForwarder> forwarder_;
  std::unique_ptr<admin::AdminServer> admin_;
  std::atomic<bool> ready_{false};
  bool shut_down_ = false;
};

}  // namespace eventmesh::runtime

#endif  // EVENTMESH_RUNTIME_SERVER_H_
