#ifndef EVENTMESH_RUNTIME_CONFIG_H_
#define EVENTMESH_RUNTIME_CONFIG_H_

// The runtime's configuration: an eventmesh.properties file (Java properties syntax: key=value
// or key: value, '#'/'!' comments, surrounding blanks trimmed) plus command-line overrides.
//
// Keys (EventMesh names where EventMesh has them), defaults and units:
//   eventMesh.server.tcp.port                      10000   TCP listen port (0 = any free port)
//   eventMesh.server.tcp.clientMaxNum              10000   max concurrent TCP connections
//   eventMesh.server.session.expiredInMills        60000   ms without any frame before a session
//                                                           is closed
//   eventMesh.server.session.upstreamBufferSize    100     in-flight (unacked) publishes per
//                                                           session
//   eventMesh.server.tcp.msgReqnumPerSecond        0       global publish rate limit, events/s
//                                                           (0 = unlimited)
//   eventMesh.server.session.msgReqnumPerSecond    0       publish rate limit per session,
//                                                           events/s (0 = unlimited)
//   eventMesh.storage.plugin.type                  embedded connector name ("standalone" is
//                                                           an alias of "embedded")
//   eventMesh.server.tcp.workerThreads             #cores  Asio worker threads
//   eventMesh.server.tcp.maxFrameSize              4194304 bytes per frame
//   eventMesh.server.tcp.sessionWindowSize         1000    unacked pushes per session (a HELLO
//                                                           with unack > 0 lowers it)
//   eventMesh.server.delivery.ackTimeoutInMills    30000   redelivery after this long unacked
//   eventMesh.server.delivery.maxDeliveryCount     5       pushes before dead-lettering
//   eventMesh.server.delivery.maxUnackedPerGroup   10000   read-ahead bound per group and topic
//   eventMesh.server.requestReply.maxTtlMs         600000  longest reply wait a request may ask
//                                                           for (its ttl); longer: refused
//   eventMesh.server.requestReply.maxPendingPerClient 1000 requests waiting for a reply per
//                                                           TCP session / HTTP client address
//   eventMesh.server.topic.autoCreate              true    create topics on first use
//   eventMesh.server.topic.defaultPartitions       4       partitions of auto-created topics
//   eventMesh.server.security.enabled              false   username/password + topic ACL at HELLO
//   eventMesh.server.security.credentialsFile      ""      JSON credentials file (see core/acl.h);
//                                                           required when security is enabled
//   eventMesh.server.tcp.RebalanceIntervalInMills  30000  ms between client-rebalancing rounds
//                                                           between runtimes sharing a store
//                                                           (0 = off: no load reports, no
//                                                           rebalancing, no drain at shutdown);
//                                                           only with a shared-store connector
//   eventMesh.server.rebalanceRedirect.sleepIntervalInMills 200  ms between two redirects
//   eventMesh.server.tcp.advertisedAddress         ""      "host" or "host:port" peers redirect
//                                                           clients to; default host: hostIp,
//                                                           else this machine's first non-
//                                                           loopback IPv4 (127.0.0.1 if none);
//                                                           default port: the bound TCP port
//   eventMesh.server.hostIp                        ""      see advertisedAddress
//   eventMesh.server.dataDir                       $XDG_DATA_HOME/eventmesh/runtime or
//                                                  $HOME/.local/share/eventmesh/runtime
//   eventMesh.storage.<connector>.<key>            passed to the connector (prefix stripped);
//                                                  the embedded connector's path defaults to
//                                                  <dataDir>/store
// HTTP server (eventmesh/runtime/http):
//   eventMesh.server.http.port                     10105   HTTP listen port (0 = any free port;
//                                                           when unset and the TCP port is 0,
//                                                           also 0)
//   eventMesh.server.http.workerThreads            #cores  Asio worker threads of the HTTP server
//   eventMesh.server.http.maxBodySize              4194304 bytes per request body (larger: 413,
//                                                           retCode 8)
//   eventMesh.server.http.readTimeoutInMills       30000   ms to receive one whole request (and
//                                                           idle keep-alive time); the
//                                                           connection is closed after it
//   eventMesh.server.http.maxConnections           20000   concurrent HTTP connections (more:
//                                                           503 and close)
//   eventMesh.server.http.maxInFlightRequests      10000   requests being handled at once (more:
//                                                           503, retCode 1)
//   eventMesh.server.http.msgReqnumPerSecond       0       HTTP publish rate limit, events/s
//                                                           (0 = unlimited; over it retCode 23)
//   eventMesh.server.useTls.enabled                false   serve HTTPS on the HTTP port
//   eventMesh.server.http.tls.certFile             ""      PEM server certificate (chain);
//                                                           required with TLS
//   eventMesh.server.http.tls.keyFile              ""      PEM private key; required with TLS
//   eventMesh.server.http.tls.clientCaFile         ""      PEM CA bundle; when set, clients must
//                                                           present a certificate it signed
// Webhook delivery (206 subscriptions with a URL; see webhook/webhook_manager.h):
//   eventMesh.server.http.webhook.enabled          true    webhook subscriptions on the HTTP port
//   eventMesh.server.http.webhook.pushTimeoutMs    3000    one POST to a subscriber
//   eventMesh.server.http.webhook.maxAttempts      4       POSTs per event before dead-lettering
//   eventMesh.server.http.webhook.retry.initialBackoffMs 1000  first retry delay (doubles, jitter)
//   eventMesh.server.http.webhook.retry.maxBackoffMs     60000 cap of the retry delay
//   eventMesh.server.http.webhook.retry.maxRetryAfterMs  300000 cap of a 429's Retry-After
//   eventMesh.server.http.webhook.maxConcurrentPushesPerTarget 8   POSTs in flight per URL
//   eventMesh.server.http.webhook.maxQueuedPerTarget     1000  unsettled events per URL
//   eventMesh.server.http.webhook.allow            ""      comma-separated CIDRs/host patterns;
//                                                           "" = every URL not denied
//   eventMesh.server.http.webhook.deny             169.254.0.0/16,fe80::/10 (loopback allowed)
//   eventMesh.server.http.webhook.tls.caFile       ""      CA bundle for https:// subscribers
//                                                           ("" = the system store)
//   eventMesh.server.http.webhook.registrationExpiryMs 0   drop registrations without heartbeat
//                                                           for this long (0 = never)
//   eventMesh.server.http.webhook.validation.enabled   true  CloudEvents webhook handshake
//   eventMesh.server.http.webhook.validation.origin    eventmesh  WebHook-Request-Origin
//   eventMesh.server.http.webhook.validation.timeoutMs 5000
// Identity echoed in HTTP response headers (eventmeshenv, eventmeshidc, eventmeshcluster,
// eventmeship):
//   eventMesh.server.env / .idc / .cluster         P / FT / LS
//   eventMesh.server.hostIp                        ""      "" = the connection's local address
//                                                           (also the advertised host, above)
// Apache EventMesh keys this runtime does not use (gRPC/admin ports, thread pools, registry,
// metrics, tracing ...) are accepted and listed by IgnoredKeys(). Any other
// key, and any invalid value, fails with InvalidArgument naming the key.
// Value type; not thread-safe for mutation.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/connectors/api/connector_registry.h"

namespace eventmesh::runtime {

inline constexpr int kDefaultTcpPort = 10000;
inline constexpr int kDefaultHttpPort = 10105;

// eventMesh.server.http.webhook.* (see above).
struct WebhookConfig {
  bool enabled = true;
  int64_t push_timeout_ms = 3'000;
  int64_t max_attempts = 4;
  int64_t initial_backoff_ms = 1'000;
  int64_t max_backoff_ms = 60'000;
  int64_t max_retry_after_ms = 300'000;
  int64_t max_concurrent_pushes_per_target = 8;
  int64_t max_queued_per_target = 1'000;
  std::vector<std::string> allow;
  std::optional<std::vector<std::string>> deny;  // unset: the default rules
  std::string ca_file;
  int64_t registration_expiry_ms = 0;
  bool validation_enabled = true;
  std::string validation_origin = "eventmesh";
  int64_t validation_timeout_ms = 5'000;
};

struct RuntimeConfig {
  int tcp_port = kDefaultTcpPort;
  int64_t client_max_num = 10'000;
  int64_t session_expired_ms = 60'000;
  int64_t upstream_buffer_size = 100;
  int64_t msg_req_num_per_second = 0;
  int64_t session_msg_req_num_per_second = 0;
  std::string storage_type = "embedded";
  int worker_threads = 0;  // 0 = hardware concurrency
  int64_t max_frame_size = 4 * 1024 * 1024;
  int64_t session_window_size = 1000;
  int64_t ack_timeout_ms = 30'000;
  int64_t max_delivery_count = 5;
  int64_t max_unacked_per_group = 10'000;
  int64_t request_max_ttl_ms = 600'000;
  int64_t request_max_pending_per_client = 1'000;
  bool topic_auto_create = true;
  int64_t topic_default_partitions = 4;
  std::string data_dir;
  bool security_enabled = false;
  std::string credentials_file;
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
  // eventMesh.storage.<storage_type>.* with the prefix stripped.
  connectors::ConnectorConfig connector_config;
  // Recognised Apache EventMesh keys that have no effect here.
  std::vector<std::string> ignored_keys;
};

// Parses properties text into key/value pairs. Errors: InvalidArgument "line N: ..." for a
// line without '=' or ':' or with an empty key.
absl::StatusOr<std::map<std::string, std::string>> ParseProperties(absl::string_view text);

// Builds the config from properties (file values overridden by `overrides`).
absl::StatusOr<RuntimeConfig> BuildConfig(const std::map<std::string, std::string>& properties);

// The default data directory described above.
std::string DefaultDataDir();

// Reads --config=path, --port=N, --http_port=N, --data_dir=path and --<any key>=value from argv.
// Errors: InvalidArgument naming the flag; NotFound for a missing config file.
absl::StatusOr<RuntimeConfig> LoadConfigFromArgs(int argc, char** argv);

}  // namespace eventmesh::runtime

#endif  // EVENTMESH_RUNTIME_CONFIG_H_
