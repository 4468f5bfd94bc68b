#ifndef EVENTMESH_RUNTIME_CORE_ACL_H_
#define EVENTMESH_RUNTIME_CORE_ACL_H_

// Username/password check at HELLO and per-user topic permissions, from a JSON credentials file:
//   {"users": [{"username": "alice", "password": "s3cret",
//               "publish": ["orders", "audit.*"], "subscribe": ["*"]}]}
// A pattern is an exact topic name, a prefix ending in '*' ("audit.*"), or "*" (every topic).
// A missing list grants nothing. Immutable after loading; thread-safe.
// Errors (Load): NotFound (unreadable file), InvalidArgument naming the file and the problem
// (malformed JSON with offset, missing username/password, duplicate user, non-string pattern).

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::runtime::core {

struct AclUser {
  std::string username;
  std::string password;
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
};

class Acl {
 public:
  static absl::StatusOr<Acl> Load(const std::string& path);
  static absl::StatusOr<Acl> Parse(absl::string_view json, absl::string_view what);

  // The user when the credentials match, nullptr otherwise.
  const AclUser* Authenticate(absl::string_view username, absl::string_view password) const;
  static bool CanPublish(const AclUser& user, absl::string_view topic);
  static bool CanSubscribe(const AclUser& user, absl::string_view topic);

 private:
  std::map<std::string, AclUser, std::less<>> users_;
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_ACL_H_
