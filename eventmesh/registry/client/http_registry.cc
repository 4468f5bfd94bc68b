#include "eventmesh/registry/client/http_registry.h"

#include <future>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::registry {

namespace {

absl::Status StatusOfAnswer(const net::HttpResponse& r, absl::string_view what) {
  if (r.status >= 200 && r.status < 300) return absl::OkStatus();
  std::string message = r.body;
  if (auto doc = json::ParseJson(r.body, "registry answer"); doc.ok() && doc->IsObject()) {
    if (auto error = json::GetString(*doc, "error")) message = std::string(*error);
  }
  message = absl::StrCat(what, ": ", message);
  switch (r.status) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 401:
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 429:
      return absl::ResourceExhaustedError(message);
    case 503:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(absl::StrCat(message, " (HTTP ", r.status, ")"));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpRegistry>> HttpRegistry::Create(HttpRegistryOptions options) {
  if (options.addresses.empty()) {
    return absl::InvalidArgumentError("at least one registry address is required");
  }
  std::vector<std::string> bases;
  for (const std::string& address : options.addresses) {
    std::string url = absl::StartsWith(address, "http://") || absl::StartsWith(address, "https://")
                          ? address
                          : absl::StrCat("http://", address);
    auto parsed = net::ParseUrl(url);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry address '", address, "': ", parsed.status().message()));
    }
    bases.push_back(parsed->Origin());
  }
  net::HttpClientOptions http_options;
  http_options.threads = 1;
  http_options.ca_file = options.ca_file;
  http_options.client_cert_file = options.cert_file;
  http_options.client_key_file = options.key_file;
  auto http = net::HttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  return std::unique_ptr<HttpRegistry>(
      new HttpRegistry(std::move(options), std::move(bases), *std::move(http)));
}

HttpRegistry::HttpRegistry(HttpRegistryOptions options, std::vector<std::string> bases,
                           std::unique_ptr<net::HttpClient> http)
    : options_(std::move(options)), bases_(std::move(bases)), http_(std::move(http)) {}

HttpRegistry::~HttpRegistry() { calls_.Shutdown(); }

void HttpRegistry::Shutdown() { calls_.Shutdown(); }

absl::StatusOr<net::HttpResponse> HttpRegistry::Call(const std::string& method,
                                                     const std::string& path, std::string body,
                                                     absl::Duration extra_wait) {
  absl::Status last;
  for (const std::string& base : bases_) {
    net::HttpRequest request;
    request.method = method;
    request.url = base + path;
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (!options_.token.empty()) {
      request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.token));
    }
    auto response = calls_.Send(std::move(request), options_.timeout + extra_wait);
    if (response.ok()) return response;
    last = absl::Status(response.status().code(),
                        absl::StrCat("registry ", base, ": ", response.status().message()));
    if (!absl::IsUnavailable(response.status()) && !absl::IsDeadlineExceeded(response.status())) {
      break;
    }
  }
  return last;
}

absl::StatusOr<absl::Duration> HttpRegistry::Register(const Instance& instance,
                                                      absl::Duration ttl) {
  if (auto s = Validate(instance); !s.ok()) return s;
  auto r = Call("PUT",
                absl::StrCat("/v1/meshes/", instance.mesh, "/instances/", instance.id,
                             "?ttlMs=", absl::ToInt64Milliseconds(ttl)),
                ToJson(instance), absl::ZeroDuration());
  if (!r.ok()) return r.status();
  if (auto s = StatusOfAnswer(*r, "register"); !s.ok()) return s;
  auto doc = json::ParseJson(r->body, "registry answer");
  if (!doc.ok()) return doc.status();
  const auto granted = json::GetInt64(*doc, "leaseTtlMs");
  if (!granted.has_value()) return absl::InternalError("registry answer without leaseTtlMs");
  return absl::Milliseconds(*granted);
}

absl::Status HttpRegistry::Renew(absl::string_view mesh, absl::string_view id) {
  auto r = Call("PUT", absl::StrCat("/v1/meshes/", mesh, "/instances/", id, "/lease"), "",
                absl::ZeroDuration());
  if (!r.ok()) return r.status();
  return StatusOfAnswer(*r, "renew");
}

absl::Status HttpRegistry::Deregister(absl::string_view mesh, absl::string_view id) {
  auto r = Call("DELETE", absl::StrCat("/v1/meshes/", mesh, "/instances/", id), "",
                absl::ZeroDuration());
  if (!r.ok()) return r.status();
  return StatusOfAnswer(*r, "deregister");
}

absl::StatusOr<Snapshot> HttpRegistry::ReadInstances(const std::string& path, absl::Duration wait) {
  auto r = Call("GET", path, "", wait);
  if (!r.ok()) return r.status();
  if (auto s = StatusOfAnswer(*r, "list"); !s.ok()) return s;
  auto doc = json::ParseJson(r->body, "registry answer");
  if (!doc.ok()) return doc.status();
  const auto index = json::GetInt64(*doc, "index");
  auto it = doc->FindMember("instances");
  if (!index.has_value() || it == doc->MemberEnd() || !it->value.IsArray()) {
    return absl::InternalError("registry answer without index and instances");
  }
  Snapshot snapshot;
  snapshot.index = static_cast<uint64_t>(*index);
  for (const auto& value : it->value.GetArray()) {
    auto instance = InstanceFromValue(value);
    if (!instance.ok()) return instance.status();
    snapshot.instances.push_back(*std::move(instance));
  }
  return snapshot;
}

absl::StatusOr<Snapshot> HttpRegistry::List(absl::string_view mesh) {
  return ReadInstances(
      mesh.empty() ? std::string("/v1/instances") : absl::StrCat("/v1/instances?mesh=", mesh),
      absl::ZeroDuration());
}

absl::StatusOr<Snapshot> HttpRegistry::Watch(absl::string_view mesh, uint64_t after_index,
                                             absl::Duration wait) {
  const int64_t wait_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(wait));
  return ReadInstances(absl::StrCat("/v1/instances?index=", after_index, "&waitMs=", wait_ms,
                                    mesh.empty() ? "" : "&mesh=", mesh),
                       wait);
}

}  // namespace eventmesh::registry
