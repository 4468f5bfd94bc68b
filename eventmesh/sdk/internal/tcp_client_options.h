#ifndef EVENTMESH_SDK_INTERNAL_TCP_CLIENT_OPTIONS_H_
#define EVENTMESH_SDK_INTERNAL_TCP_CLIENT_OPTIONS_H_

// Options of EventMeshTcpClient. Every field states its default and unit. A value type.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/internal/registry_options.h"

namespace eventmesh::sdk {

enum class ClientPurpose { kPublish, kSubscribe };  // UserAgent purpose "pub" / "sub".

// kAuto: a pushed event is acknowledged right after the handler returns (unless the
// handler acknowledged it already). kManual: only Delivery::Ack() acknowledges; an event
// never acknowledged is redelivered by the runtime after its ack timeout.
enum class AckMode { kAuto, kManual };

inline constexpr int kDefaultTcpPort = 10000;

// TLS settings of a TCP client (PEM files).
struct TcpTlsOptions {
  std::string ca_file;      // CAs trusted for the runtime's certificate ("" = the system's)
  std::string cert_file;    // client certificate, for a runtime that requires one ("" = none)
  std::string key_file;     // its private key
  std::string server_name;  // name the certificate must carry ("" = the host connected to)
};

struct TcpClientOptions {
  // Runtime address. Default 127.0.0.1:10000 (the runtime's default TCP port). Not used when
  // `registry` is set.
  std::string host = "127.0.0.1";
  int port = kDefaultTcpPort;

  // Find the runtime in the mesh registry instead of using host:port. Default unset (connect
  // to host:port). When set, Connect() and every reconnect list the runtimes of
  // registry->mesh and try their "tcp" endpoints in the registry's order for this client
  // (registry->idc first, then least loaded); see tcp_client.h.
  std::optional<RegistryOptions> registry;

  // UserAgent sent with HELLO. group is required (producer or consumer group).
  std::string group;
  ClientPurpose purpose = ClientPurpose::kPublish;
  std::string env = "dev";
  std::string idc = "default";
  std::string subsystem = "5023";
  std::string path = "/";
  std::string version = "2.0";  // UserAgent version; required non-empty by the runtime.
  std::string username;         // Empty = not sent.
  std::string password;
  std::string token;
  int pid = 0;    // 0 = this process's id.
  int unack = 0;  // > 0 asks the runtime for a smaller unacked-push window.

  // HEARTBEAT_REQUEST period while connected. Default 30 s (Java SDK).
  absl::Duration heartbeat_interval = absl::Seconds(30);
  // How long HELLO, SUBSCRIBE, LISTEN, heartbeats and publish acks may take. Default 10 s.
  absl::Duration request_timeout = absl::Seconds(10);
  // TCP connect timeout. Default 5 s.
  absl::Duration connect_timeout = absl::Seconds(5);

  // Reconnect after the connection is lost (including SERVER_GOODBYE and
  // REDIRECT_TO_CLIENT). Default on. Delays double from initial (100 ms) up to max (10 s).
  bool auto_reconnect = true;
  absl::Duration reconnect_initial_backoff = absl::Milliseconds(100);
  absl::Duration reconnect_max_backoff = absl::Seconds(10);

  // TLS to the runtime's TCP port (eventMesh.server.tcp.tls.enabled). Default unset: plain TCP.
  // The runtime's certificate must chain to tls->ca_file (or the system's CAs when empty) and
  // name tls->server_name, or the host connected to when empty.
  std::optional<TcpTlsOptions> tls;

  // How pushed events are acknowledged. Default kAuto.
  AckMode ack_mode = AckMode::kAuto;

  // Errors (InvalidArgument): "host is required", "port must be in 1..65535, got N",
  // "group is required", "version is required", "<duration field> must be positive", and
  // those of RegistryOptions::Validate ("registry.mesh is required", ...).
  absl::Status Validate() const;
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_INTERNAL_TCP_CLIENT_OPTIONS_H_
