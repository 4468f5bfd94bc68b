#ifndef EVENTMESH_CLI_ADMIN_CLIENT_H_
#define EVENTMESH_CLI_ADMIN_CLIENT_H_

// A blocking client of a runtime's admin API (what emctl talks to): one request at a time, with
// the admin token, and errors an operator can act on.
//
// Errors of Call (absl::Status, message ready to print):
//   InvalidArgument   the address is not host:port or an http(s) URL
//   Unavailable       "cannot reach the admin API at <url>: <reason>" (connection refused, name
//                     not resolved, TLS failure, timeout), with a hint about --admin/EMCTL_ADMIN
//   Unauthenticated   401: the token is missing or wrong (hint: --token / EMCTL_TOKEN)
//   PermissionDenied  403: the runtime refuses the API (e.g. security on without an admin token)
//   other codes       any other 4xx/5xx: "HTTP <status>: <the API's error message>"
// Thread-compatible (one caller at a time).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/net/http_client.h"

namespace eventmesh::cli {

struct AdminClientOptions {
  // "host:port" (http) or an http:// / https:// URL; default the admin port on this machine.
  std::string address = "127.0.0.1:10106";
  std::string token;    // sent as "Authorization: Bearer <token>" when not empty
  std::string ca_file;  // https: the CA bundle (empty = the system's)
  absl::Duration timeout = absl::Seconds(30);
};

class AdminClient {
 public:
  // Errors: InvalidArgument (bad address or CA file).
  static absl::StatusOr<std::unique_ptr<AdminClient>> Create(const AdminClientOptions& options);

  // `path` starts with '/'; `body` (JSON) is sent when not empty. Returns the response body of
  // a 2xx answer.
  absl::StatusOr<std::string> Call(const std::string& method, const std::string& path,
                                   const std::string& body = "");

  // The base URL requests go to, e.g. "http://127.0.0.1:10106".
  const std::string& base_url() const { return base_url_; }

 private:
  AdminClient(std::unique_ptr<net::HttpClient> http, std::string base_url,
              AdminClientOptions options)
      : http_(std::move(http)), base_url_(std::move(base_url)), options_(std::move(options)) {}

  std::unique_ptr<net::HttpClient> http_;
  const std::string base_url_;
  const AdminClientOptions options_;
};

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_ADMIN_CLIENT_H_
