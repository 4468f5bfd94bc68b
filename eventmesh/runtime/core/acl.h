#ifndef EVENTMESH_RUNTIME_CORE_ACL_H_
#define EVENTMESH_RUNTIME_CORE_ACL_H_

// Username/password check at HELLO and per-user topic permissions, from a JSON credentials file:
//   {"users": [{"username": "alice", "password": "s3cret",
//               "publish": ["orders", "audit.*"], "subscribe": ["*"]},
//              {"username": "bob",
//               "passwordHash": "pbkdf2-sha256$600000$<salt hex>$<derived key hex>",
//               "admin": true},
//              {"username": "billing", "groups": ["billing-*"], "subscribe": ["orders"]}]}
// A user has "password" (clear text), "passwordHash" (PBKDF2-HMAC-SHA256; make one with
//   openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt pass:<password>
//     -kdfopt hexsalt:<16+ random bytes in hex> -kdfopt iter:600000 PBKDF2   (one line)
// whose colon-separated output may be pasted as is), or neither: such a user logs in only with a
// signed token naming it (see access_token.h and Authenticator). Comparisons take the same time
// whether the user exists or not, and do not stop at the first differing byte. A pattern is an
// exact topic name, a prefix ending in '*' ("audit.*"), or "*" (every topic). A missing list grants
// nothing. "groups" (optional) lists the producer/consumer groups the user may act as, with the
// same patterns; without it the user may use any group. "admin" (default false) is the right to
// create and delete topics and to see and remove other users' webhook registrations. Immutable
// after loading; thread-safe. Errors (Load): NotFound (unreadable file), InvalidArgument naming the
// file and the problem (malformed JSON with offset, missing username, both password kinds,
// duplicate user, non-string pattern).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::runtime::core {

struct AclUser {
  std::string username;
  std::string password;  // clear text; empty when the file gives a hash
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  // "admin": true — may create and delete topics and see or remove every webhook registration.
  bool admin = false;
  // "groups": the groups the user may act as; `groups_restricted` false = any group.
  std::vector<std::string> groups;
  bool groups_restricted = false;
  // Neither "password" nor "passwordHash": only a signed token logs this user in.
  bool token_only = false;
  // PBKDF2-HMAC-SHA256 parameters when the file gives "passwordHash" (iterations 0 otherwise).
  int64_t iterations = 0;
  std::string salt;
  std::string derived;
};

class Acl {
 public:
  static absl::StatusOr<Acl> Load(const std::string& path);
  static absl::StatusOr<Acl> Parse(absl::string_view json, absl::string_view what);

  // The user when the credentials match, nullptr otherwise.
  const AclUser* Authenticate(absl::string_view username, absl::string_view password) const;
  static bool CanPublish(const AclUser& user, absl::string_view topic);
  static bool CanSubscribe(const AclUser& user, absl::string_view topic);
  static bool CanUseGroup(const AclUser& user, absl::string_view group);
  // The user named `username` (a token's subject), nullptr when the file has none.
  const AclUser* Find(absl::string_view username) const;

 private:
  std::map<std::string, AclUser, std::less<>> users_;
  AclUser stand_in_;  // what an unknown user is checked against (see Authenticate)
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_ACL_H_
