#ifndef EVENTMESH_RUNTIME_MQTT_MQTT_CONTEXT_H_
#define EVENTMESH_RUNTIME_MQTT_MQTT_CONTEXT_H_

// What every MQTT session of one frontend shares: the runtime's configuration and core
// services, the persisted state, and the server's session registry. Owned by the MqttServer;
// outlives its sessions' io threads.

#include <memory>
#include <string>

#include "boost/asio/ssl.hpp"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/core/authenticator.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/rate_limiter.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/mqtt/state_store.h"

namespace eventmesh::runtime::mqtt {

class MqttSession;

// The server side of sessions: client-id ownership, wildcard watchers, connection counting.
// Thread-safe.
class SessionRegistry {
 public:
  virtual ~SessionRegistry() = default;
  // Makes `session` the owner of `client_id`; returns the previous owner (to be taken over),
  // or nullptr.
  virtual std::shared_ptr<MqttSession> Claim(const std::string& client_id,
                                             const std::shared_ptr<MqttSession>& session) = 0;
  // Sessions with wildcard filters are told about new topics (MqttSession::OnTopicCreated).
  virtual void WatchTopics(const std::shared_ptr<MqttSession>& session) = 0;
  // The session closed: drops its client-id ownership (if still its own) and its watch.
  virtual void Closed(const std::string& client_id, uint64_t session_id) = 0;
};

struct MqttContext {
  const RuntimeConfig* config = nullptr;
  connectors::Connector* connector = nullptr;
  core::TopicRegistry* topics = nullptr;
  core::ConsumerManager* consumers = nullptr;
  core::PublishService* publish = nullptr;
  const core::Acl* acl = nullptr;                      // nullptr: security off
  const core::Authenticator* authenticator = nullptr;  // with acl
  core::RateLimiter* rate_limiter = nullptr;           // the frontend's publish limit, or nullptr
  StateStore* state = nullptr;
  SessionRegistry* registry = nullptr;
  std::shared_ptr<boost::asio::ssl::context> tls;  // nullptr: plain TCP
};

}  // namespace eventmesh::runtime::mqtt

#endif  // EVENTMESH_RUNTIME_MQTT_MQTT_CONTEXT_H_
