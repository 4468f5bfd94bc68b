#include "eventmesh/runtime/core/authenticator.h"

#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::core {

Authenticator::Authenticator(const Acl* acl, LoginThrottle* throttle, const TokenVerifier* tokens,
                             NowS now_s)
    : acl_(acl), throttle_(throttle), tokens_(tokens), now_s_(std::move(now_s)) {}

absl::StatusOr<const AclUser*> Authenticator::Login(const Credentials& credentials) const {
  if (throttle_ != nullptr) {
    if (absl::Status admitted = throttle_->Admit(credentials.address); !admitted.ok()) {
      return admitted;
    }
  }
  auto refuse = [&](std::string message) -> absl::Status {
    if (throttle_ != nullptr) throttle_->Failed(credentials.address);
    return absl::PermissionDeniedError(std::move(message));
  };
  const AclUser* user = nullptr;
  if (!credentials.token.empty()) {
    if (tokens_ == nullptr) {
      return refuse("tokens are not accepted (no eventMesh.server.security.token.* key is set)");
    }
    const int64_t now = now_s_ ? now_s_() : static_cast<int64_t>(std::time(nullptr));
    auto claims = tokens_->Verify(credentials.token, now);
    if (!claims.ok()) return refuse(std::string(claims.status().message()));
    if (!credentials.username.empty() && credentials.username != claims->subject) {
      return refuse(absl::StrCat("token is for user \"", claims->subject, "\", not \"",
                                 credentials.username, "\""));
    }
    user = acl_->Find(claims->subject);
    if (user == nullptr) {
      return refuse(
          absl::StrCat("token user \"", claims->subject, "\" is not in the credentials file"));
    }
  } else {
    user = acl_->Authenticate(credentials.username, credentials.password);
    if (user == nullptr) {
      return refuse(absl::StrCat("authentication failed for user \"", credentials.username, "\""));
    }
  }
  if (!credentials.group.empty() && !Acl::CanUseGroup(*user, credentials.group)) {
    return refuse(absl::StrCat("user \"", user->username, "\" may not use group \"",
                               credentials.group, "\""));
  }
  return user;
}

}  // namespace eventmesh::runtime::core
