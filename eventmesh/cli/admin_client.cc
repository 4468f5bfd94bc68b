#include "eventmesh/cli/admin_client.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::cli {
namespace {

// The API's {"error": "..."} message, or the body itself (trimmed) when it is not one.
std::string ErrorMessage(const std::string& body) {
  auto doc = json::ParseJson(body, "error answer");
  if (doc.ok() && doc->IsObject()) {
    if (auto message = json::GetString(*doc, "error"); message.has_value()) {
      return std::string(*message);
    }
  }
  return std::string(absl::StripAsciiWhitespace(body.substr(0, 500)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Create(
    const AdminClientOptions& options) {
  std::string base = options.address;
  if (base.empty()) return absl::InvalidArgumentError("the admin address is empty");
  if (!absl::StartsWith(base, "http://") && !absl::StartsWith(base, "https://")) {
    base = absl::StrCat("http://", base);
  }
  while (absl::EndsWith(base, "/")) base.pop_back();
  auto url = net::ParseUrl(base + "/");
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad admin address \"", options.address,
                     "\" (expected host:port or an http(s):// URL): ", url.status().message()));
  }
  if (url->target != "/") {
    return absl::InvalidArgumentError(absl::StrCat("bad admin address \"", options.address,
                                                   "\": give the runtime's admin port without a "
                                                   "path, e.g. 127.0.0.1:10106"));
  }
  net::HttpClientOptions http;
  http.threads = 1;
  http.max_connections_per_host = 2;
  http.ca_file = options.ca_file;
  http.user_agent = "emctl";
  auto client = net::HttpClient::Create(http);
  if (!client.ok()) return client.status();
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(*client), url->Origin(), options));
}

absl::StatusOr<std::string> AdminClient::Call(const std::string& method, const std::string& path,
                                              const std::string& body) {
  net::HttpRequest request;
  request.method = method;
  request.url = base_url_ + path;
  request.body = body;
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (!options_.token.empty()) {
    request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.token));
  }
  absl::Notification done;
  absl::StatusOr<net::HttpResponse> result;
  http_->Send(std::move(request), options_.timeout, [&](absl::StatusOr<net::HttpResponse> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  if (!result.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach the admin API at ", base_url_, ": ", result.status().message(),
        " (is the runtime running with its admin port there? set --admin or EMCTL_ADMIN)"));
  }
  const int status = result->status;
  if (status >= 200 && status < 300) return std::move(result->body);
  const std::string message = ErrorMessage(result->body);
  if (status == 401) {
    return absl::UnauthenticatedError(absl::StrCat(
        "HTTP 401 from ", base_url_, ": ", message,
        " (pass the runtime's eventMesh.server.admin.token with --token or EMCTL_TOKEN)"));
  }
  if (status == 403) {
    return absl::PermissionDeniedError(absl::StrCat("HTTP 403 from ", base_url_, ": ", message));
  }
  const std::string text = absl::StrCat("HTTP ", status, ": ", message);
  switch (status) {
    case 400:
      return absl::InvalidArgumentError(text);
    case 404:
      return absl::NotFoundError(text);
    case 409:
      return absl::FailedPreconditionError(text);
    case 501:
      return absl::UnimplementedError(text);
    default:
      return status < 500 ? absl::InvalidArgumentError(text) : absl::UnavailableError(text);
  }
}

}  // namespace eventmesh::cli
