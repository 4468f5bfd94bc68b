#ifndef EVENTMESH_SDK_INTERNAL_HTTP_CLIENT_OPTIONS_H_
#define EVENTMESH_SDK_INTERNAL_HTTP_CLIENT_OPTIONS_H_

// Options of EventMeshHttpClient (and of the HttpSubscriber's client). Every field states its
// default and unit. A value type.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/internal/registry_options.h"

namespace eventmesh::sdk::http {

inline constexpr int kDefaultHttpPort = 10105;

// One runtime address, parsed from "http://host:port" or "https://host:port" (a trailing "/"
// is allowed; no other path, query or user info).
struct RuntimeUrl {
  bool tls = false;
  std::string host;
  int port = 0;  // 80 / 443 when the URL has none
  // "http://host:port" (the canonical form, used in error messages).
  std::string ToString() const;
};

// Errors: InvalidArgument "runtime URL '<url>': <reason>".
absl::StatusOr<RuntimeUrl> ParseRuntimeUrl(const std::string& url);

struct HttpClientOptions {
  // Runtime URLs, used round-robin (one per request; a request that fails to connect is not
  // retried on another URL). Default: the local runtime's HTTP port.
  std::vector<std::string> urls = {"http://127.0.0.1:10105"};
  // Take the runtime URLs from the mesh registry instead of `urls` (not used then): the "http"
  // endpoints of the runtimes of registry->mesh, in the registry's order for this client
  // (registry->idc first, then least loaded), listed when the client is created and listed
  // again when every known runtime failed its last request. Default unset.
  std::optional<RegistryOptions> registry;
  // With `registry`: https:// instead of http:// for the runtimes' endpoints. Default false.
  bool registry_https = false;
  // PEM file of the CA(s) trusted for https URLs. Empty: the system's default trust store.
  // Certificates are always verified (chain and host name).
  std::string ca_file;
  // PEM client certificate and key for a runtime that requires client certificates
  // (eventMesh.server.http.tls.clientCaFile). Both or neither.
  std::string client_cert_file;
  std::string client_key_file;

  // Identity sent as headers with every request (env, idc, sys, pid, ip). idc, sys and pid
  // are required by the runtime for the code-based protocol.
  std::string env = "dev";
  std::string idc = "default";
  std::string sys = "5023";
  int pid = 0;                   // 0 = this process's id
  std::string ip = "127.0.0.1";  // informational; the runtime overwrites it with the peer address
  std::string username;          // empty = not sent
  std::string password;          // header `passwd`; empty = not sent
  // A signed access token (header `token`) instead of username/password; empty = not sent.
  std::string token;

  // Group used by publishes (producergroup). Required for publishing.
  std::string producer_group = "cpp-http-producer";
  // Group used by Subscribe / Unsubscribe / Heartbeat (consumerGroup).
  std::string consumer_group = "cpp-http-consumer";

  // Upper bound of one request: connect (+ TLS handshake), send and the runtime's answer.
  // Default 10 s. Request (code 101) waits its timeout plus this.
  absl::Duration request_timeout = absl::Seconds(10);

  // Errors (InvalidArgument): "at least one runtime URL is required", the ParseRuntimeUrl
  // error (both only without a registry), RegistryOptions::Validate's ("registry.mesh is
  // required", ...), "idc is required", "sys is required", "pid must not be negative, got N",
  // "request_timeout must be positive".
  absl::Status Validate() const;

  // The parsed URLs (call after Validate(); without a registry).
  std::vector<RuntimeUrl> ParsedUrls() const;
  // pid, or this process's id when pid is 0.
  int EffectivePid() const;
};

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_HTTP_CLIENT_OPTIONS_H_
