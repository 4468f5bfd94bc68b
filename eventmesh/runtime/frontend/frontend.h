#ifndef EVENTMESH_RUNTIME_FRONTEND_FRONTEND_H_
#define EVENTMESH_RUNTIME_FRONTEND_FRONTEND_H_

// A protocol frontend: a listener that decodes its protocol, calls the core services and encodes
// their answers (TCP and HTTP today; gRPC and MQTT are added the same way). The Server starts
// the frontends named by eventMesh.server.provide.protocols, each built by its factory from the
// shared FrontendServices; adding a protocol is a new folder with a Frontend and one
// registration line in builtin_frontends.cc.
//
// Lifecycle, driven by the Server from one thread: Start -> (serving) -> StopAccepting ->
// Drain(timeout) (finish or hand off what is in flight; say goodbye) -> Stop (threads joined).
// The FrontendRegistry is filled before use and read-only afterwards (thread-safe to read).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/core/authenticator.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/request_reply_service.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime::frontend {

// The runtime's shared services, owned by the Server and valid until every frontend stopped.
struct FrontendServices {
  const RuntimeConfig* config = nullptr;
  connectors::Connector* connector = nullptr;
  core::TopicRegistry* topics = nullptr;
  core::ConsumerManager* consumers = nullptr;
  core::PublishService* publish = nullptr;
  core::RequestReplyService* requests = nullptr;
  const core::Acl* acl = nullptr;                      // nullptr: security disabled
  const core::Authenticator* authenticator = nullptr;  // set with acl: every login goes here
  webhook::WebhookService* webhook = nullptr;          // nullptr: webhook subscriptions disabled
  // The "ip:port" a client of (group, purpose) should connect to; "" before Start.
  std::function<std::string(const std::string& group, const std::string& purpose)> recommend;
};

// One connected client as its frontend sees it (admin port /v1/clients, dashboard, emctl).
struct ConnectedClient {
  std::string id;       // unique within the frontend (MQTT client id, gRPC stream number)
  std::string group;    // consumer group of its first subscription; "" when it only publishes
  std::string purpose;  // "sub" with a subscription, else "pub"
  std::string address;  // the peer's ip[:port]
  std::string version;  // protocol version when the protocol has several ("3.1.1", "5")
  int pid = 0;
  std::vector<std::string> topics;  // subscriptions (topic filters for MQTT)
  int64_t unacked = 0;              // pushes not acknowledged yet
  int64_t age_ms = 0;               // since the connection was accepted
};

class Frontend {
 public:
  virtual ~Frontend() = default;
  // The protocol's name as configured, lower case ("tcp", "http").
  virtual absl::string_view name() const = 0;
  // Binds and serves. Errors: Unavailable (port in use), InvalidArgument (bad TLS files), ...
  virtual absl::Status Start() = 0;
  // The bound port (after Start).
  virtual int port() const = 0;
  virtual void StopAccepting() = 0;
  // Lets work in flight finish and tells clients the runtime is leaving, for at most
  // `timeout_ms`.
  virtual void Drain(int64_t timeout_ms) = 0;
  // Closes every connection and joins the worker threads. Idempotent.
  virtual void Stop() = 0;
  // Clients connected now (sessions of connection-oriented protocols; 0 for request-based
  // ones). Reported to the registry as load. Any thread.
  virtual size_t connected_clients() const { return 0; }
  // The connected clients, for frontends that list them beside the Server's own TCP sessions
  // and webhook registrations (gRPC streams, MQTT connections); empty by default. Any thread.
  virtual std::vector<ConnectedClient> Clients() const { return {}; }
  // Ends the connection of one client listed by Clients() (its ConnectedClient::id) the way the
  // protocol says goodbye (the admin port's DELETE /client/grpc). Any thread.
  // Errors: NotFound (no such client now), Unimplemented (the frontend cannot; the default).
  virtual absl::Status Disconnect(const std::string& id) {
    return absl::UnimplementedError(
        absl::StrCat("the ", name(), " frontend cannot close a single client"));
  }
};

using FrontendFactory =
    std::function<absl::StatusOr<std::unique_ptr<Frontend>>(const FrontendServices& services)>;

class FrontendRegistry {
 public:
  // Errors: AlreadyExists, InvalidArgument (empty name or factory).
  absl::Status Register(const std::string& name, FrontendFactory factory);
  std::vector<std::string> Names() const;
  // Errors: NotFound "protocol \"x\" is not available (available: http, tcp)"; the factory's.
  absl::StatusOr<std::unique_ptr<Frontend>> Create(const std::string& name,
                                                   const FrontendServices& services) const;

 private:
  std::map<std::string, FrontendFactory> factories_;
};

}  // namespace eventmesh::runtime::frontend

#endif  // EVENTMESH_RUNTIME_FRONTEND_FRONTEND_H_
