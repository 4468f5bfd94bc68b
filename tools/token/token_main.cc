// Makes an HS256 access token for a user of the runtime's credentials file:
//   bazel run //tools/token -- --secret_file=/etc/eventmesh/token.secret --user=svc --ttl=24h
// prints the token on stdout. The runtime verifies it with
// eventMesh.server.security.token.secretFile pointing at the same secret.

#include <ctime>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "eventmesh/common/config/secret_file.h"
#include "eventmesh/runtime/core/access_token.h"

ABSL_FLAG(std::string, secret_file, "", "file whose first line is the HS256 secret (32+ bytes)");
ABSL_FLAG(std::string, user, "", "the user the token logs in as (its \"sub\")");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(1), "how long the token is valid (e.g. 15m, 24h)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string user = absl::GetFlag(FLAGS_user);
  const absl::Duration ttl = absl::GetFlag(FLAGS_ttl);
  if (user.empty() || ttl <= absl::ZeroDuration()) {
    std::cerr << "usage: token --secret_file=<file> --user=<name> [--ttl=1h]\n";
    return 2;
  }
  auto secret =
      eventmesh::config::ReadSecretFile("--secret_file", absl::GetFlag(FLAGS_secret_file));
  if (!secret.ok()) {
    std::cerr << secret.status().message() << "\n";
    return 1;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  eventmesh::runtime::core::TokenClaims claims;
  claims.subject = user;
  claims.issued_at_s = now;
  claims.expires_at_s = now + absl::ToInt64Seconds(ttl);
  auto token = eventmesh::runtime::core::SignHs256Token(claims, *secret);
  if (!token.ok()) {
    std::cerr << token.status().message() << "\n";
    return 1;
  }
  std::cout << *token << "\n";
  return 0;
}
