#include "eventmesh/cli/mesh_target.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace eventmesh::cli {
namespace {

constexpr int kDefaultHttpPort = 10105;
constexpr int kDefaultGrpcPort = 10205;

}  // namespace

std::string MeshTarget::protocol_name() const {
  switch (protocol) {
    case MeshProtocol::kTcp:
      return "tcp";
    case MeshProtocol::kHttp:
      return "http";
    case MeshProtocol::kGrpc:
      return "grpc";
  }
  return "";
}

std::string MeshTarget::Describe() const {
  if (registry.has_value()) {
    return absl::StrCat("mesh ", registry->mesh, " (registry ",
                        absl::StrJoin(registry->addresses, ","), ") over ", protocol_name());
  }
  if (protocol == MeshProtocol::kHttp) return absl::StrCat(url, " over http");
  return absl::StrCat(host, ":", port, " over ", protocol_name());
}

sdk::TcpClientOptions MeshTarget::TcpOptions(sdk::ClientPurpose purpose) const {
  sdk::TcpClientOptions options;
  options.host = host;
  options.port = port;
  options.registry = registry;
  options.group = group;
  options.purpose = purpose;
  options.username = username;
  options.password = password;
  options.token = token;
  if (tls) {
    sdk::TcpTlsOptions tls_options;
    tls_options.ca_file = ca_file;
    options.tls = tls_options;
  }
  return options;
}

sdk::http::HttpClientOptions MeshTarget::HttpOptions() const {
  sdk::http::HttpClientOptions options;
  options.urls = {url};
  options.registry = registry;
  options.ca_file = ca_file;
  options.username = username;
  options.password = password;
  options.token = token;
  options.producer_group = group;
  options.consumer_group = group;
  return options;
}

std::string MeshTarget::ConnectError(const absl::Status& status) const {
  if (status.code() != absl::StatusCode::kUnavailable &&
      status.code() != absl::StatusCode::kDeadlineExceeded) {
    return absl::StrCat("the runtime at ", Describe(), " refused: ", status.message());
  }
  if (registry.has_value()) {
    return absl::StrCat("cannot reach a runtime of mesh ", registry->mesh,
                        " through the registry at ", absl::StrJoin(registry->addresses, ","),
                        " over ", protocol_name(), ": ", status.message(),
                        " (is the registry running there, with a runtime of mesh ", registry->mesh,
                        " registered? set --registry and --mesh)");
  }
  std::string port_name = "TCP";
  if (protocol == MeshProtocol::kHttp) port_name = "HTTP";
  if (protocol == MeshProtocol::kGrpc) port_name = "gRPC";
  return absl::StrCat("cannot reach the runtime at ", Describe(), ": ", status.message(),
                      " (is the runtime running with its ", port_name,
                      " port there? set --server or EMCTL_SERVER)");
}

absl::StatusOr<MeshTarget> MeshTargetFromArgs(const ParsedArgs& args, const EmctlEnvironment& env,
                                              const std::string& protocols,
                                              const std::string& default_group) {
  MeshTarget target;
  const std::string protocol = args.Get("protocol").value_or("tcp");
  const std::vector<std::string> accepted = absl::StrSplit(protocols, '|');
  if (std::find(accepted.begin(), accepted.end(), protocol) == accepted.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--protocol must be ", absl::StrJoin(accepted, " or "), ", not \"", protocol, "\""));
  }
  int default_port = sdk::kDefaultTcpPort;
  if (protocol == "http") {
    target.protocol = MeshProtocol::kHttp;
    default_port = kDefaultHttpPort;
  } else if (protocol == "grpc") {
    target.protocol = MeshProtocol::kGrpc;
    default_port = kDefaultGrpcPort;
  }
  target.group = args.Get("group").value_or(default_group);
  if (target.group.empty()) return absl::InvalidArgumentError("--group must not be empty");
  target.username = args.Get("user").value_or("");
  target.password = args.Get("password").value_or("");
  target.token = args.Get("token").value_or("");
  target.tls = args.Bool("tls");
  target.ca_file = args.Get("ca-file").value_or("");
  if (target.tls && target.protocol != MeshProtocol::kTcp) {
    return absl::InvalidArgumentError(
        "--tls is for --protocol=tcp (use an https:// --server for http)");
  }

  if (auto registry = args.Get("registry")) {
    if (args.Has("server")) {
      return absl::InvalidArgumentError("give either --server or --registry, not both");
    }
    if (target.protocol == MeshProtocol::kGrpc) {
      return absl::InvalidArgumentError("--registry works with --protocol=tcp or http");
    }
    sdk::RegistryOptions options;
    options.type = args.Get("registry-type").value_or("eventmesh");
    options.addresses = absl::StrSplit(*registry, ',', absl::SkipEmpty());
    options.mesh = args.Get("mesh").value_or("LS");
    options.idc = args.Get("idc").value_or("");
    if (absl::Status valid = options.Validate("--registry: "); !valid.ok()) return valid;
    target.registry = options;
    return target;
  }
  for (const char* flag : {"mesh", "idc", "registry-type"}) {
    if (args.Has(flag)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs --registry"));
    }
  }

  const std::string server = args.Get("server").value_or(env.server);
  if (server.empty()) {
    target.port = default_port;
    target.url = absl::StrCat("http://", target.host, ":", target.port);
    return target;
  }
  if (absl::StartsWith(server, "http://") || absl::StartsWith(server, "https://")) {
    if (target.protocol != MeshProtocol::kHttp) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--server=", server, " is a URL; with --protocol=", protocol, " give HOST:PORT"));
    }
    auto parsed = sdk::http::ParseRuntimeUrl(server);
    if (!parsed.ok()) return absl::InvalidArgumentError(parsed.status().message());
    target.host = parsed->host;
    target.port = parsed->port;
    target.url = server;
    return target;
  }
  const size_t colon = server.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(server.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--server must be HOST:PORT, not \"", server, "\""));
  }
  target.host = server.substr(0, colon);
  if (absl::StartsWith(target.host, "[") && absl::EndsWith(target.host, "]")) {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  target.port = port;
  target.url = absl::StrCat("http://", server);
  return target;
}

}  // namespace eventmesh::cli
