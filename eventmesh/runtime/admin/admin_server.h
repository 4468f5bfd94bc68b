#ifndef EVENTMESH_RUNTIME_ADMIN_ADMIN_SERVER_H_
#define EVENTMESH_RUNTIME_ADMIN_ADMIN_SERVER_H_

// The runtime's admin port (Apache EventMesh's 10106): Prometheus metrics, liveness and
// readiness, the effective configuration, and a versioned JSON API over clients, topics and
// consumer groups (with their lag), plus Apache EventMesh's admin endpoints with Apache's paths
// and answer shapes (/clientManage/* in plain text; /client/{tcp,http,grpc}, /topic, /event,
// /meta, /configuration, /v2/configuration, /eventMesh/recommend), each mapped onto the same
// implementation as its /v1 counterpart. Every endpoint and answer is listed in README.md.
//
// Rules every endpoint follows: state changes only by POST/PUT/DELETE (any other method gets 405
// with an Allow header); unknown paths 404; bad input 400 with a message naming the field;
// answers are JSON ({"error": "..."} on failure; Apache's {"data": null, "message": "..."} on
// Apache's JSON paths) except /metrics, /clientManage/* and /eventMesh/recommend.
// Authentication: /health and /ready are always open. Every other endpoint needs
// "Authorization: Bearer <eventMesh.server.admin.token>" when a token is configured (401
// otherwise); with security (eventMesh.server.security.enabled) on and no token configured they
// answer 403, so an ACL-protected runtime never exposes its clients or topics anonymously.
//
// Lifecycle: Start (binds, registers its scrape-time gauges on the metrics registry) -> Stop
// (idempotent; also by the destructor; unregisters the gauges). The AdminContext's pointers and
// callbacks must stay valid until Stop returned. Handlers run on the admin server's own threads
// (net::HttpServer), never on the protocol frontends' workers; they may block briefly on the
// connector (offsets, topic admin). Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"
#include "eventmesh/common/log_limiter.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/net/http_server.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime::admin {

// The runtime's version in /v1/info and eventmesh_build_info.
inline constexpr char kRuntimeVersion[] = "0.1.0";

// One connected client of any protocol.
struct ClientInfo {
  std::string protocol;  // "tcp", "http" (webhook subscriber), "grpc", "mqtt"
  std::string id;        // session id (tcp) or URL (http)
  std::string group;
  std::string purpose;  // "pub", "sub"
  std::string address;  // ip:port (tcp), URL (http)
  std::string subsystem;
  std::string env;
  std::string idc;
  std::string path;
  std::string version;
  int pid = 0;
  std::vector<std::string> topics;  // subscriptions
  int64_t unacked = 0;              // pushes not acknowledged yet (tcp)
  int64_t age_ms = 0;               // since the connection was accepted (tcp)
};

// One runtime endpoint of the mesh, as Apache's /meta lists it (its EventMeshDataInfo).
struct MeshInstance {
  std::string cluster;         // eventMeshClusterName: the mesh (eventMesh.server.cluster)
  std::string name;            // eventMeshName: "<instance id>-<PROTOCOL>"
  std::string endpoint;        // "host:port" of that protocol
  int64_t last_update_ms = 0;  // ms since the epoch; 0 when the registry does not say
  std::map<std::string, std::string> metadata;
};

// What the admin port reads and acts on; owned by the Server.
struct AdminContext {
  const RuntimeConfig* config = nullptr;
  connectors::Connector* connector = nullptr;
  core::TopicRegistry* topics = nullptr;
  core::ConsumerManager* consumers = nullptr;
  metrics::Registry* metrics = nullptr;
  std::string runtime_id;
  // True once every frontend listens and the connector is open (GET /ready).
  std::function<bool()> ready;
  // Every connected client (TCP sessions after HELLO, webhook subscribers).
  std::function<std::vector<ClientInfo>()> clients;
  // Connected clients per protocol name (eventmesh_sessions).
  std::function<std::vector<std::pair<std::string, size_t>>()> sessions_by_protocol;
  // SERVER_GOODBYE to every TCP client; returns how many were told.
  std::function<size_t()> reject_all_clients;
  // SERVER_GOODBYE to one TCP client (ClientInfo::id). Errors: NotFound.
  std::function<absl::Status(const std::string& id)> reject_client;
  // REDIRECT_TO_CLIENT ip:port to one TCP client (ClientInfo::id). Errors: NotFound.
  std::function<absl::Status(const std::string& id, const std::string& ip, int port)>
      redirect_client;
  // The runtime's publish path (dead-letter republishing, POST /event); nullptr = they answer
  // 501.
  core::PublishService* publisher = nullptr;
  // Ends the connection of one non-TCP client (ClientInfo protocol and id) the way its frontend
  // says goodbye (DELETE /client/grpc {"host"}). Errors: NotFound, Unimplemented.
  std::function<absl::Status(const std::string& protocol, const std::string& id)> disconnect_client;
  // Webhook registrations (DELETE /client/http removes them); nullptr = webhooks are off.
  webhook::WebhookService* webhooks = nullptr;
  // The "ip:port" a client of (group, purpose) should connect to ("" before start); unset =
  // /eventMesh/recommend answers 501.
  std::function<std::string(const std::string& group, const std::string& purpose)> recommend;
  // The runtimes of the mesh (the registry's, or this runtime alone without a registry).
  // Errors: the registry's (Unavailable). Unset = /meta lists nothing.
  std::function<absl::StatusOr<std::vector<MeshInstance>>()> mesh_instances;
};

struct AdminOptions {
  std::string address = "127.0.0.1";
  int port = kDefaultAdminPort;  // 0 = any free port
  int threads = 1;
  // Set: HTTPS only (eventMesh.server.admin.tls.*).
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class AdminServer {
 public:
  // Errors: Unavailable "cannot listen on <addr>:<port>: ..." (from net::HttpServer),
  // AlreadyExists (the gauges were registered twice on the registry).
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(const AdminOptions& options,
                                                            AdminContext context);
  ~AdminServer();

  int port() const;
  void Stop();

  // Answers one request (what the HTTP server calls; exposed for tests). Logs every state
  // change (method, path, client, answer) and refused credentials (rate-limited per client IP).
  net::ServerResponse Handle(const net::ServerRequest& request);

 private:
  net::ServerResponse Route(const net::ServerRequest& request);
  common::LogLimiter log_limiter_{1.0, 10};
  explicit AdminServer(AdminContext context) : context_(std::move(context)) {}
  absl::Status RegisterGauges();

  const AdminContext context_;
  std::unique_ptr<net::HttpServer> http_;
  bool gauges_registered_ = false;
};

// The secret-looking keys /v1/config masks: names containing password, passwd, token, secret
// or credential (case-insensitive), or ending in "key".
bool IsSecretKey(const std::string& key);

}  // namespace eventmesh::runtime::admin

#endif  // EVENTMESH_RUNTIME_ADMIN_ADMIN_SERVER_H_
