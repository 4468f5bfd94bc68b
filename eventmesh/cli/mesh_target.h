#ifndef EVENTMESH_CLI_MESH_TARGET_H_
#define EVENTMESH_CLI_MESH_TARGET_H_

// Where emctl's messaging commands (pub, sub, request, bench) send and receive: the protocol,
// a runtime address (--server, EMCTL_SERVER) or the mesh registry (--registry, --mesh, --idc),
// and the client's identity (--group, --user/--password or --token, --tls/--ca-file). A value
// type built once from the command line; it makes the SDK's client options and the error
// messages that name the address and the flag to set.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/cli/command_line.h"
#include "eventmesh/sdk/http/http_client.h"
#include "eventmesh/sdk/tcp_client.h"

namespace eventmesh::cli {

enum class MeshProtocol { kTcp, kHttp, kGrpc };

struct MeshTarget {
  MeshProtocol protocol = MeshProtocol::kTcp;
  // The runtime: host:port, or for HTTP an http(s):// URL in `url`. Unused with a registry.
  std::string host = "127.0.0.1";
  int port = sdk::kDefaultTcpPort;
  std::string url;  // HTTP: "http://host:port" or the https:// URL given
  std::optional<sdk::RegistryOptions> registry;
  std::string group;  // producer / consumer group
  std::string username;
  std::string password;
  std::string token;  // the runtime's access token (ACL), not the admin token
  bool tls = false;   // TCP: TLS to the runtime's TCP port
  std::string ca_file;

  // "tcp", "http" or "grpc".
  std::string protocol_name() const;
  // "127.0.0.1:10000 over tcp" or "mesh LS (registry 127.0.0.1:10200) over http".
  std::string Describe() const;
  sdk::TcpClientOptions TcpOptions(sdk::ClientPurpose purpose) const;
  sdk::http::HttpClientOptions HttpOptions() const;
  // The message for a client that could not connect or was refused: Unavailable and
  // DeadlineExceeded say the address could not be reached and which flag sets it (--server /
  // EMCTL_SERVER, or --registry / --mesh); other codes say the runtime refused.
  std::string ConnectError(const absl::Status& status) const;
};

// The target of a messaging command. `protocols` lists the accepted --protocol values
// ("tcp|http" or "tcp|grpc"); `default_group` is used without --group. Errors
// (InvalidArgument, a usage error): unknown protocol, malformed --server, --server together
// with --registry.
absl::StatusOr<MeshTarget> MeshTargetFromArgs(const ParsedArgs& args, const EmctlEnvironment& env,
                                              const std::string& protocols,
                                              const std::string& default_group);

}  // namespace eventmesh::cli

#endif  // EVENTMESH_CLI_MESH_TARGET_H_
