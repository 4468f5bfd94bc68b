#ifndef EVENTMESH_RUNTIME_CORE_AUTHENTICATOR_H_
#define EVENTMESH_RUNTIME_CORE_AUTHENTICATOR_H_

// The one login check of every protocol (TCP HELLO, HTTP headers, gRPC, MQTT CONNECT), in one
// order: the client address's failed-login throttle -> a signed token when one is given, else
// username and password -> the group the client declares, against the user's "groups".
// A token names its ACL user in "sub"; a username sent beside it must be the same user. Every
// refusal counts as a failed login for the throttle. Thread-safe; the ACL, throttle and
// verifier are owned by the caller (the Server) and outlive the Authenticator.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/runtime/core/access_token.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/core/login_throttle.h"

namespace eventmesh::runtime::core {

struct Credentials {
  absl::string_view username;
  absl::string_view password;
  absl::string_view token;    // "" = none
  absl::string_view group;    // the producer/consumer group the client declares; "" = none
  absl::string_view address;  // the client's IP (throttling)
};

class Authenticator {
 public:
  using NowS = std::function<int64_t()>;
  // `throttle` and `tokens` may be null (no throttling; tokens refused). `now_s` defaults to
  // the wall clock (token expiry is wall-clock time).
  Authenticator(const Acl* acl, LoginThrottle* throttle, const TokenVerifier* tokens,
                NowS now_s = {});

  // The logged-in user. Errors (messages are safe to show the client):
  //   ResourceExhausted "too many failed logins from <address>; retry in <n> s (...)";
  //   PermissionDenied "authentication failed for user \"x\"", "token ...: <reason>",
  //     "tokens are not accepted (no eventMesh.server.security.token.* key is set)",
  //     "user \"x\" may not use group \"g\"".
  absl::StatusOr<const AclUser*> Login(const Credentials& credentials) const;

 private:
  const Acl* const acl_;
  LoginThrottle* const throttle_;
  const TokenVerifier* const tokens_;
  const NowS now_s_;
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_AUTHENTICATOR_H_
