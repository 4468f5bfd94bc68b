#ifndef EVENTMESH_RUNTIME_CONFIG_H_
#define EVENTMESH_RUNTIME_CONFIG_H_

// The runtime's configuration: an eventmesh.properties file (Java properties syntax: key=value
// or key: value, '#'/'!' comments, surrounding blanks trimmed) plus command-line overrides.
//
// Every key is declared once, in RuntimeKeyTable() (config.cc): name, default, unit, range and
// description. The reference in eventmesh/runtime/README.md is that table rendered
// (`bazel run //eventmesh/runtime:config_reference`; config_reference_test fails when they
// differ). eventMesh.storage.<connector>.* keys go to the connector named by
// eventMesh.storage.plugin.type (prefix stripped; the embedded connector's path defaults to
// <dataDir>/store). Apache EventMesh keys of features this runtime does not have (gRPC
// ports, thread pools, registry, metrics, tracing, JKS TLS, ...) are accepted and listed in
// RuntimeConfig::ignored_keys; any other key, and any invalid value, fails with InvalidArgument
// naming the key (a misspelt key also names the closest known one).
// Value type; not thread-safe for mutation.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/config/key_table.h"
#include "eventmesh/connectors/api/connector_registry.h"

namespace eventmesh::runtime {

inline constexpr int kDefaultTcpPort = 10000;
inline constexpr int kDefaultHttpPort = 10105;
inline constexpr int kDefaultGrpcPort = 10205;
inline constexpr int kDefaultMqttPort = 1883;
inline constexpr int kDefaultMqttTlsPort = 8883;
inline constexpr int kDefaultAdminPort = 10106;

// eventMesh.server.http.webhook.* (see above).
struct WebhookConfig {
  bool enabled = true;
  int64_t push_timeout_ms = 3'000;
  int64_t max_attempts = 4;
  int64_t initial_backoff_ms = 1'000;
  int64_t max_backoff_ms = 60'000;
  int64_t max_retry_after_ms = 300'000;
  int64_t max_concurrent_pushes_per_target = 8;
  int64_t pipeline_depth = 1;
  int64_t io_threads = 1;
  int64_t max_queued_per_target = 1'000;
  int64_t max_batch_events = 100;
  int64_t max_batch_bytes = 1 << 20;
  std::vector<std::string> allow;
  bool allow_private_networks = false;
  int64_t max_registrations = 10'000;
  std::optional<std::vector<std::string>> deny;  // unset: the default rules
  std::string ca_file;
  int64_t registration_expiry_ms = 0;
  bool validation_enabled = true;
  bool validate_eventmesh_form = false;
  std::string validation_origin = "eventmesh";
  int64_t validation_timeout_ms = 5'000;
};

struct RuntimeConfig {
  int tcp_port = kDefaultTcpPort;
  int64_t client_max_num = 10'000;
  int64_t max_connections_per_address = 2'000;
  int64_t max_subscriptions_per_session = 1'000;
  int64_t session_expired_ms = 60'000;
  int64_t hello_timeout_ms = 10'000;
  int64_t upstream_buffer_size = 100;
  int64_t msg_req_num_per_second = 0;
  int64_t session_msg_req_num_per_second = 0;
  std::string storage_type = "embedded";
  int worker_threads = 0;  // 0 = hardware concurrency
  int64_t max_frame_size = 4 * 1024 * 1024;
  int64_t session_window_size = 1000;
  // Output a TCP session may hold for a client that does not read; past it the session closes.
  int64_t max_pending_output_bytes = int64_t{64} << 20;
  int64_t ack_timeout_ms = 30'000;
  int64_t max_delivery_count = 5;
  int64_t max_unacked_per_group = 10'000;
  int64_t max_unacked_bytes_per_group = int64_t{64} << 20;
  int64_t delivery_linger_ms = 10'000;
  int64_t request_max_ttl_ms = 600'000;
  int64_t request_max_pending_per_client = 1'000;
  int64_t max_event_size = 1 << 20;
  int64_t max_event_batch_size = 1'000;
  // eventMesh.server.provide.protocols, lower case, in start order.
  std::vector<std::string> protocols = {"tcp", "http"};
  bool topic_auto_create = true;
  int64_t topic_default_partitions = 4;
  int64_t max_topics = 10'000;
  std::string data_dir;
  bool security_enabled = false;
  std::string credentials_file;
  int64_t login_failure_burst = 10;
  int64_t login_failures_per_minute = 10;
  // Access tokens: one of an HS256 secret file, an RS256 PEM public key file, or the RS256 key
  // inline (Apache's security.publickey). None set = tokens refused.
  std::string token_secret_file;
  std::string token_public_key_file;
  std::string token_public_key;
  int64_t max_groups = 10'000;  // eventMesh.server.group.maxGroups; 0 = unbounded
  // HTTP server.
  int http_port = kDefaultHttpPort;
  int http_worker_threads = 0;  // 0 = hardware concurrency
  int64_t http_max_body_size = 4 * 1024 * 1024;
  int64_t http_read_timeout_ms = 30'000;
  int64_t http_max_connections = 20'000;
  int64_t http_max_in_flight = 10'000;
  int64_t http_msg_req_num_per_second = 0;
  bool tls_enabled = false;
  std::string http_tls_cert_file;
  std::string http_tls_key_file;
  std::string http_tls_client_ca_file;
  // TLS on the TCP port (eventMesh.server.tcp.tls.*).
  bool tcp_tls_enabled = false;
  std::string tcp_tls_cert_file;
  std::string tcp_tls_key_file;
  std::string tcp_tls_client_ca_file;
  // The gRPC port (eventMesh.server.grpc.*).
  int grpc_port = kDefaultGrpcPort;
  int64_t grpc_msg_req_num_per_second = 0;
  int64_t grpc_stream_window_size = 1000;
  int64_t grpc_max_message_size = 4 * 1024 * 1024;
  bool grpc_tls_enabled = false;
  std::string grpc_tls_cert_file;
  std::string grpc_tls_key_file;
  std::string grpc_tls_client_ca_file;
  WebhookConfig webhook;
  // Identity (HTTP response headers).
  std::string server_env = "P";
  std::string server_idc = "FT";
  std::string server_cluster = "LS";
  int64_t rebalance_interval_ms = 30'000;
  int64_t rebalance_redirect_sleep_ms = 200;
  std::string advertised_host;  // from advertisedAddress; "" = hostIp or detected
  int advertised_port = 0;      // from advertisedAddress; 0 = the bound TCP port
  std::string host_ip;
  // The mesh registry (eventMesh.registry.*): the runtime registers itself when enabled.
  struct Registry {
    bool enabled = false;
    std::string type = "eventmesh";      // "eventmesh" (the registry server) or "etcd"
    std::vector<std::string> addresses;  // host:port of each registry server / etcd member
    std::string token;                   // Bearer token of the registry server
    std::string ca_file;                 // https:// registry servers (eventMesh.registry.tls.*)
    std::string cert_file;
    std::string key_file;
    int64_t lease_ms = 10'000;
    int64_t report_interval_ms = 5'000;
    std::string instance_id;  // "" = <advertised host>-<TCP port>
  } registry;
  // Routing events to other meshes by the registry's routing table (eventMesh.federation.*).
  struct Federation {
    bool enabled = true;  // only with the registry
    int64_t batch_events = 100;
    int64_t window = 1000;
    int64_t batches_in_flight = 4;
    std::string username;
    std::string password;
    std::string tls_ca_file;  // verifies the other meshes' https runtimes ("" = system CAs)
    std::string tls_cert_file;
    std::string tls_key_file;
  } federation;
  // The MQTT frontend (eventMesh.server.mqtt.*; see mqtt/README.md). Started when
  // eventMesh.server.provide.protocols names mqtt.
  struct Mqtt {
    int port = kDefaultMqttPort;  // kDefaultMqttTlsPort when TLS is on and the key is unset
    int worker_threads = 0;       // 0 = hardware concurrency
    int64_t max_connections = 10'000;
    int64_t max_packet_size = 4 * 1024 * 1024;  // bytes, whole packet
    int64_t receive_maximum = 1'000;            // inbound QoS 1 publishes in flight per connection
    int64_t max_inflight = 1'000;               // outbound unacknowledged QoS 1 per connection
    int64_t connect_timeout_ms = 10'000;
    int64_t max_subscriptions = 1'000;  // topic filters per session
    int64_t topic_scan_interval_ms = 2'000;
    int64_t max_session_expiry_s = 7 * 24 * 3600;
    bool retain_enabled = true;
    bool tls_enabled = false;
    std::string tls_cert_file;
    std::string tls_key_file;
    std::string tls_client_ca_file;
  } mqtt;
  // The admin port (eventMesh.server.admin.*; see admin/README.md).
  struct Admin {
    bool enabled = true;
    int port = kDefaultAdminPort;
    std::string address = "127.0.0.1";
    std::string token;  // Bearer token; "" = none (then, with security on, only health/ready)
    int64_t max_group_series = 100;
    std::string tls_cert_file;  // set: HTTPS only
    std::string tls_key_file;
    std::string tls_client_ca_file;
  } admin;
  // Every key/value the configuration was built from (file and flags), for the admin port's
  // effective configuration.
  std::map<std::string, std::string> properties;
  // eventMesh.storage.<storage_type>.* with the prefix stripped.
  connectors::ConnectorConfig connector_config;
  // Recognised Apache EventMesh keys that have no effect here.
  std::vector<std::string> ignored_keys;
};

// The runtime's keys (see the file comment).
const config::KeyTable<RuntimeConfig>& RuntimeKeyTable();

// Parses properties text into key/value pairs. Errors: InvalidArgument "line N: ..." for a
// line without '=' or ':' or with an empty key.
absl::StatusOr<std::map<std::string, std::string>> ParseProperties(absl::string_view text);

// Builds the config from properties (file values overridden by `overrides`).
absl::StatusOr<RuntimeConfig> BuildConfig(const std::map<std::string, std::string>& properties);

// The default data directory described above.
std::string DefaultDataDir();

// Reads --config=path, --port=N, --http_port=N, --admin_port=N, --data_dir=path and --<any
// key>=value from argv. Errors: InvalidArgument naming the flag; NotFound for a missing config
// file.
absl::StatusOr<RuntimeConfig> LoadConfigFromArgs(int argc, char** argv);

}  // namespace eventmesh::runtime

#endif  // EVENTMESH_RUNTIME_CONFIG_H_
