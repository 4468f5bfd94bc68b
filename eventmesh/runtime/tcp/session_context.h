#ifndef EVENTMESH_RUNTIME_TCP_SESSION_CONTEXT_H_
#define EVENTMESH_RUNTIME_TCP_SESSION_CONTEXT_H_

// The services a TCP session uses, owned by the Server and shared (not owned) by every session.
// All members are thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "boost/asio/ssl.hpp"
#include "eventmesh/common/log_limiter.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/core/authenticator.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/rate_limiter.h"
#include "eventmesh/runtime/core/request_reply_service.h"
#include "eventmesh/runtime/core/topic_registry.h"

namespace eventmesh::runtime::tcp {

struct SessionContext {
  const RuntimeConfig* config = nullptr;
  core::TopicRegistry* topics = nullptr;
  core::ConsumerManager* consumers = nullptr;
  core::PublishService* publish = nullptr;
  core::RequestReplyService* requests = nullptr;
  core::RateLimiter* rate_limiter = nullptr;           // eventMesh.server.tcp.msgReqnumPerSecond
  const core::Acl* acl = nullptr;                      // nullptr: security disabled
  const core::Authenticator* authenticator = nullptr;  // set with acl
  // TLS (eventMesh.server.tcp.tls.*): every session handshakes before its first frame.
  // nullptr: plain TCP.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // The "ip:port" a client of (group, purpose) should connect to (RECOMMEND_REQUEST). Unset: the
  // request is answered with code 1.
  std::function<std::string(const std::string& group, const std::string& purpose)> recommend;
  // Rate-limits the warnings about clients (refused requests, bad frames), per client IP; set
  // by the TcpServer. nullptr: every warning is logged.
  common::LogLimiter* log_limiter = nullptr;
  // Called once when a session closed (to drop it from the server's registry).
  std::function<void(uint64_t session_id)> on_closed;
};

}  // namespace eventmesh::runtime::tcp

#endif  // EVENTMESH_RUNTIME_TCP_SESSION_CONTEXT_H_
