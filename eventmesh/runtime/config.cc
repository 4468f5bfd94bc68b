#include "eventmesh/runtime/config.h"

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/config/values.h"

namespace eventmesh::runtime {
namespace {

// Apache EventMesh keys accepted without effect (the runtime warns about each at start): whole
// sections of features this runtime does not have, and exact keys elsewhere so that a misspelt
// key of a section the runtime does read is refused.
const char* const kIgnoredPrefixes[] = {
    "eventMesh.server.sendBack.",
    "eventMesh.server.tcp.sendBack.",
    "eventMesh.server.retry.",
    "eventMesh.server.gracefulShutdown.",
    "eventMesh.server.batchmsg.",
    "eventMesh.server.sendmsg.",
    "eventMesh.server.remotemsg.",
    "eventMesh.server.pushmsg.",
    "eventMesh.server.replymsg.",
    "eventMesh.server.clientmanage.",
    "eventMesh.server.clientM.",
    "eventMesh.server.async.",
    "eventMesh.server.busy.",
    "eventMesh.server.trace.",
    "eventMesh.metaStorage.",
    "eventMesh.metrics.",
    "eventMesh.trace.",
    "eventMesh.webHook.",
};
const char* const kIgnoredKeys[] = {
    "eventMesh.sysid",
    "eventMesh.server.name",
    "eventMesh.server.tcp.readerIdleSeconds",
    "eventMesh.server.tcp.writerIdleSeconds",
    "eventMesh.server.tcp.allIdleSeconds",
    "eventMesh.server.tcp.enabled",
    "eventMesh.server.tcp.taskHandleExecutorPoolSize",
    "eventMesh.server.tcp.sendExecutorPoolSize",
    "eventMesh.server.tcp.replyExecutorPoolSize",
    "eventMesh.server.tcp.ackExecutorPoolSize",
    "eventMesh.server.tcp.msgDownStreamExecutorPoolSize",
    "eventMesh.server.tcp.SendBackMaxTimes",
    "eventMesh.server.tcp.pushFailIsolateTimeInMills",
    "eventMesh.server.global.scheduler",
    // HTTP TLS is configured with eventMesh.server.http.tls.* (PEM files, not a JKS keystore).
    "eventMesh.server.ssl.protocol",
    "eventMesh.server.ssl.cer",
    "eventMesh.server.ssl.pass",
    // Webhook URLs are filtered by eventMesh.server.http.webhook.allow/deny.
    "eventMesh.server.blacklist.ipv4",
    "eventMesh.server.blacklist.ipv6",
    // The ACL is eventMesh.server.security.enabled + credentialsFile.
    "eventMesh.server.security.plugin.type",
    // Tokens are accepted whenever a token key is set (eventMesh.server.security.token.* or
    // eventMesh.server.security.publickey).
    "eventMesh.server.security.validation.type.token",
    "eventMesh.security.plugin.type",
    "eventMesh.security.validation.type.token",
    "eventMesh.security.publickey",
};

bool IsIgnoredApacheKey(absl::string_view key) {
  for (const char* prefix : kIgnoredPrefixes) {
    if (absl::StartsWith(key, prefix)) return true;
  }
  for (const char* exact : kIgnoredKeys) {
    if (key == exact) return true;
  }
  return false;
}

using KeyTable = config::KeyTable<RuntimeConfig>;
constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kMaxMs = INT64_MAX / 4;

KeyTable BuildKeyTable() {
  KeyTable t;
  // ----- TCP port and sessions
  t.Custom("eventMesh.server.provide.protocols", "TCP,HTTP", "",
           "comma-separated protocol frontends to start, in order (tcp, http, grpc, mqtt; "
           "case-insensitive)",
           [](const std::string& key, const std::string& value, RuntimeConfig* c) {
             std::vector<std::string> names = config::ParseList(absl::AsciiStrToLower(value));
             if (names.empty()) {
               return absl::InvalidArgumentError(
                   absl::StrCat("key ", key, " must name at least one protocol"));
             }
             for (size_t i = 0; i < names.size(); ++i) {
               for (size_t j = 0; j < i; ++j) {
                 if (names[i] == names[j]) {
                   return absl::InvalidArgumentError(absl::StrCat(
                       "invalid value \"", value, "\" for key ", key, ": ", names[i], " twice"));
                 }
               }
             }
             c->protocols = std::move(names);
             return absl::OkStatus();
           })
      .Int("eventMesh.server.tcp.port", &RuntimeConfig::tcp_port, 0, 65535, "",
           "TCP listen port (0 = any free port)")
      .Int("eventMesh.server.tcp.clientMaxNum", &RuntimeConfig::client_max_num, 1, 10'000'000, "",
           "concurrent TCP connections")
      .Int("eventMesh.server.tcp.maxConnectionsPerAddress",
           &RuntimeConfig::max_connections_per_address, 0, 10'000'000, "",
           "concurrent TCP connections from one IP address (0 = only clientMaxNum applies)")
      .Int("eventMesh.server.session.maxSubscriptions",
           &RuntimeConfig::max_subscriptions_per_session, 1, 1'000'000, "",
           "topics one TCP session may subscribe to")
      .Int("eventMesh.server.session.expiredInMills", &RuntimeConfig::session_expired_ms, 100,
           kMaxMs, "ms", "a session without any frame for this long is closed")
      .Int("eventMesh.server.tcp.helloTimeoutMs", &RuntimeConfig::hello_timeout_ms, 10, kMaxMs,
           "ms",
           "a TCP connection without a successful HELLO for this long is closed, whatever else "
           "it sends")
      .Int("eventMesh.server.session.upstreamBufferSize", &RuntimeConfig::upstream_buffer_size, 1,
           1'000'000, "", "publishes in flight (not yet acknowledged) per session")
      .Int("eventMesh.server.tcp.msgReqnumPerSecond", &RuntimeConfig::msg_req_num_per_second, 0,
           1'000'000'000, "events/s", "TCP publish rate limit (0 = unlimited)")
      .Int("eventMesh.server.session.msgReqnumPerSecond",
           &RuntimeConfig::session_msg_req_num_per_second, 0, 1'000'000'000, "events/s",
           "publish rate limit per TCP session (0 = unlimited)")
      .Int("eventMesh.server.tcp.workerThreads", &RuntimeConfig::worker_threads, 0, 256, "",
           "Asio worker threads of the TCP server (0 = one per core)")
      .Int("eventMesh.server.tcp.maxFrameSize", &RuntimeConfig::max_frame_size, 1024, 64 << 20,
           "bytes", "largest TCP frame")
      .Int("eventMesh.server.tcp.sessionWindowSize", &RuntimeConfig::session_window_size, 1,
           1'000'000, "", "unacknowledged pushes per session (a HELLO with unack > 0 lowers it)")
      .Int("eventMesh.server.tcp.maxPendingOutputBytes", &RuntimeConfig::max_pending_output_bytes,
           64 << 10, int64_t{1} << 30, "bytes",
           "output a session may hold for a client that does not read its socket; past it the "
           "session is closed and its unacknowledged events go to other members of the group "
           "(keep it above the push window times the largest event)")
      // ----- storage
      .String("eventMesh.storage.plugin.type", &RuntimeConfig::storage_type,
              "connector name (embedded, its alias standalone, store, kafka, nats); its keys are "
              "eventMesh.storage.<name>.*",
              /*non_empty=*/true)
      .Custom("eventMesh.server.dataDir", "$XDG_DATA_HOME/eventmesh/runtime", "",
              "data directory (else $HOME/.local/share/eventmesh/runtime); the embedded store "
              "lives in <dataDir>/store",
              [](const std::string& key, const std::string& value, RuntimeConfig* c) {
                if (value.empty()) {
                  return absl::InvalidArgumentError(absl::StrCat("empty value for key ", key));
                }
                c->data_dir = value;
                return absl::OkStatus();
              })
      // ----- delivery
      .Int("eventMesh.server.delivery.ackTimeoutInMills", &RuntimeConfig::ack_timeout_ms, 1, kMaxMs,
           "ms", "an unacknowledged push is redelivered after this long")
      .Int("eventMesh.server.delivery.maxDeliveryCount", &RuntimeConfig::max_delivery_count, 1,
           1'000'000, "", "pushes of one event before it goes to the dead-letter topic")
      .Int("eventMesh.server.delivery.maxUnackedPerGroup", &RuntimeConfig::max_unacked_per_group, 1,
           10'000'000, "", "read-ahead bound per consumer group and topic")
      .Int("eventMesh.server.delivery.maxUnackedBytesPerGroup",
           &RuntimeConfig::max_unacked_bytes_per_group, 1, int64_t{1} << 40, "bytes",
           "the same read-ahead bound in bytes (an event larger than it is still delivered, "
           "alone)")
      .Int("eventMesh.server.delivery.lingerMs", &RuntimeConfig::delivery_linger_ms, 0, 86'400'000,
           "ms",
           "a consumer group's member stays open this long after its last subscriber's "
           "connection closed, so a reconnecting subscriber finds its unacknowledged events and "
           "their delivery counts (0 = close at once)")
      .Int("eventMesh.server.requestReply.maxTtlMs", &RuntimeConfig::request_max_ttl_ms, 1, kMaxMs,
           "ms", "longest reply wait (ttl) a request may ask for")
      .Int("eventMesh.server.requestReply.maxPendingPerClient",
           &RuntimeConfig::request_max_pending_per_client, 1, 10'000'000, "",
           "requests waiting for a reply per TCP session / HTTP client address")
      .Bool("eventMesh.server.topic.autoCreate", &RuntimeConfig::topic_auto_create,
            "create topics on first publish or subscribe")
      .Int("eventMesh.server.maxEventSize", &RuntimeConfig::max_event_size, 1, 64 << 20, "bytes",
           "largest event data accepted on any protocol (larger: TCP code 1, HTTP retCode 8); "
           "the embedded store is sized to hold it")
      .Int("eventMesh.server.maxEventBatchSize", &RuntimeConfig::max_event_batch_size, 1, 10'000,
           "", "events in one batch publish (HTTP codes 102/107 batches, CloudEvents batches)")
      .Int("eventMesh.server.topic.defaultPartitions", &RuntimeConfig::topic_default_partitions, 1,
           4096, "", "partitions of auto-created topics")
      .Int("eventMesh.server.topic.maxTopics", &RuntimeConfig::max_topics, 0, 100'000'000, "",
           "topics this runtime uses at most; beyond, publishes and subscriptions to new topics "
           "are refused instead of creating them (0 = unbounded)")
      // ----- security
      .Bool("eventMesh.server.security.enabled", &RuntimeConfig::security_enabled,
            "username/password and topic ACL (TCP HELLO, HTTP headers)")
      .String("eventMesh.server.security.credentialsFile", &RuntimeConfig::credentials_file,
              "JSON credentials file (see core/acl.h); required when security is enabled")
      .Int("eventMesh.server.security.loginFailureBurst", &RuntimeConfig::login_failure_burst, 1,
           1'000'000, "", "failed logins one client address may make at once (then throttled)")
      .Int("eventMesh.server.security.loginFailuresPerMinute",
           &RuntimeConfig::login_failures_per_minute, 0, 1'000'000, "",
           "failed logins per client address and minute after the burst (0 = no throttling)")
      .String("eventMesh.server.security.token.secretFile", &RuntimeConfig::token_secret_file,
              "file holding the HS256 secret (32+ bytes) that signs access tokens; clients send "
              "a token instead of a password (TCP UserAgent \"token\", HTTP header \"token\")")
      .String("eventMesh.server.security.token.publicKeyFile",
              &RuntimeConfig::token_public_key_file,
              "PEM RSA public key (2048+ bits) that verifies RS256 access tokens")
      .String("eventMesh.server.security.publickey", &RuntimeConfig::token_public_key,
              "the same RS256 public key inline, as Apache EventMesh's auth-token plugin takes it "
              "(the base64 body of the PEM block)")
      .Int("eventMesh.server.group.maxGroups", &RuntimeConfig::max_groups, 0, 100'000'000, "",
           "consumer groups with subscribers in this runtime at once; beyond, subscriptions that "
           "would open a new group are refused (0 = unbounded)")
      // ----- client rebalancing between runtimes sharing a store
      .Int("eventMesh.server.tcp.RebalanceIntervalInMills", &RuntimeConfig::rebalance_interval_ms,
           0, 86'400'000, "ms",
           "client rebalancing between runtimes sharing a store (0 = off: no load reports, no "
           "rebalancing, no drain at shutdown)")
      .Int("eventMesh.server.rebalanceRedirect.sleepIntervalInMills",
           &RuntimeConfig::rebalance_redirect_sleep_ms, 0, 60'000, "ms",
           "pause between two redirects")
      .Custom("eventMesh.server.tcp.advertisedAddress", "\"\"", "",
              "host or host:port peers redirect clients to (default host: hostIp, else the first "
              "non-loopback IPv4; default port: the bound TCP port)",
              [](const std::string& key, const std::string& value, RuntimeConfig* c) {
                auto parsed = config::ParseHostPort(key, value, /*require_port=*/false);
                if (!parsed.ok()) return parsed.status();
                c->advertised_host = parsed->host;
                c->advertised_port = parsed->port;
                return absl::OkStatus();
              })
      .String("eventMesh.server.hostIp", &RuntimeConfig::host_ip,
              "this runtime's address in HTTP answers and redirects (\"\" = detected)")
      // ----- HTTP port
      .Int("eventMesh.server.http.port", &RuntimeConfig::http_port, 0, 65535, "",
           "HTTP listen port (0 = any free port; also 0 when unset and the TCP port is 0)")
      .Int("eventMesh.server.http.workerThreads", &RuntimeConfig::http_worker_threads, 0, 256, "",
           "Asio worker threads of the HTTP server (0 = one per core)")
      .Int("eventMesh.server.http.maxBodySize", &RuntimeConfig::http_max_body_size, 1, 1LL << 30,
           "bytes", "request body (larger: 413, retCode 8)")
      .Int("eventMesh.server.http.readTimeoutInMills", &RuntimeConfig::http_read_timeout_ms, 10,
           3'600'000, "ms", "time to receive one whole request, and idle keep-alive time")
      .Int("eventMesh.server.http.maxConnections", &RuntimeConfig::http_max_connections, 1,
           10'000'000, "", "concurrent HTTP connections (more: 503 and close)")
      .Int("eventMesh.server.http.maxInFlightRequests", &RuntimeConfig::http_max_in_flight, 1,
           10'000'000, "", "requests being handled at once (more: 503, retCode 1)")
      .Int("eventMesh.server.http.msgReqnumPerSecond", &RuntimeConfig::http_msg_req_num_per_second,
           0, 1'000'000'000, "events/s",
           "HTTP publish rate limit (0 = unlimited; over it retCode 23)")
      .Bool("eventMesh.server.useTls.enabled", &RuntimeConfig::tls_enabled,
            "serve HTTPS on the HTTP port")
      .String("eventMesh.server.http.tls.certFile", &RuntimeConfig::http_tls_cert_file,
              "PEM server certificate (chain); required with TLS")
      .String("eventMesh.server.http.tls.keyFile", &RuntimeConfig::http_tls_key_file,
              "PEM private key; required with TLS")
      .String("eventMesh.server.http.tls.clientCaFile", &RuntimeConfig::http_tls_client_ca_file,
              "PEM CA bundle; when set, clients must present a certificate it signed")
      .Bool("eventMesh.server.tcp.tls.enabled", &RuntimeConfig::tcp_tls_enabled,
            "serve TLS on the TCP port (every connection: handshake first, then frames)")
      .String("eventMesh.server.tcp.tls.certFile", &RuntimeConfig::tcp_tls_cert_file,
              "PEM server certificate (chain) of the TCP port; required with TCP TLS")
      .String("eventMesh.server.tcp.tls.keyFile", &RuntimeConfig::tcp_tls_key_file,
              "PEM private key of the TCP port; required with TCP TLS")
      .String("eventMesh.server.tcp.tls.clientCaFile", &RuntimeConfig::tcp_tls_client_ca_file,
              "PEM CA bundle; when set, TCP clients must present a certificate it signed")
      .Int("eventMesh.server.grpc.port", &RuntimeConfig::grpc_port, 0, 65535, "",
           "gRPC listen port (0 = any free port)")
      .Int("eventMesh.server.grpc.msgReqnumPerSecond", &RuntimeConfig::grpc_msg_req_num_per_second,
           0, 1'000'000'000, "events/s", "gRPC publish rate limit (0 = unlimited; over it code 21)")
      .Int("eventMesh.server.grpc.streamWindowSize", &RuntimeConfig::grpc_stream_window_size, 1,
           1'000'000, "",
           "events pushed on one subscribeStream and not yet acknowledged (written, or acked by "
           "the client when it asked for client acks)")
      .Int("eventMesh.server.grpc.maxMessageSize", &RuntimeConfig::grpc_max_message_size, 1024,
           256 << 20, "bytes", "largest gRPC message received (larger: status RESOURCE_EXHAUSTED)")
      .Bool("eventMesh.server.grpc.tls.enabled", &RuntimeConfig::grpc_tls_enabled,
            "serve gRPC over TLS")
      .String("eventMesh.server.grpc.tls.certFile", &RuntimeConfig::grpc_tls_cert_file,
              "PEM server certificate (chain) of the gRPC port; required with gRPC TLS")
      .String("eventMesh.server.grpc.tls.keyFile", &RuntimeConfig::grpc_tls_key_file,
              "PEM private key of the gRPC port; required with gRPC TLS")
      .String("eventMesh.server.grpc.tls.clientCaFile", &RuntimeConfig::grpc_tls_client_ca_file,
              "PEM CA bundle; when set, gRPC clients must present a certificate it signed")
      .String("eventMesh.server.env", &RuntimeConfig::server_env,
              "identity in HTTP answers (header eventmeshenv)")
      .String("eventMesh.server.idc", &RuntimeConfig::server_idc,
              "identity in HTTP answers (header eventmeshidc); the IDC in the registry")
      .String("eventMesh.server.cluster", &RuntimeConfig::server_cluster,
              "identity in HTTP answers (header eventmeshcluster); the mesh name in the registry");
  // ----- admin port
  auto admin = [](auto member) {
    return [member](RuntimeConfig & c) -> auto& { return c.admin.*member; };
  };
  t.Bool("eventMesh.server.admin.enabled", admin(&RuntimeConfig::Admin::enabled),
         "serve the admin port (metrics, health, clients, topics, groups; see Admin port)")
      .Int("eventMesh.server.admin.http.port", admin(&RuntimeConfig::Admin::port), 0, 65535, "",
           "admin HTTP port (0 = any free port; also 0 when unset and the TCP port is 0)")
      .String("eventMesh.server.admin.address", admin(&RuntimeConfig::Admin::address),
              "address the admin port listens on (0.0.0.0 = every interface)", /*non_empty=*/true)
      .String("eventMesh.server.admin.token", admin(&RuntimeConfig::Admin::token),
              "Bearer token every admin request except /health and /ready must carry; with "
              "security enabled and no token, only /health and /ready answer")
      .String("eventMesh.server.admin.tls.certFile", admin(&RuntimeConfig::Admin::tls_cert_file),
              "PEM server certificate (chain); set = the admin port serves HTTPS only")
      .String("eventMesh.server.admin.tls.keyFile", admin(&RuntimeConfig::Admin::tls_key_file),
              "PEM private key; required with the admin certificate")
      .String("eventMesh.server.admin.tls.clientCaFile",
              admin(&RuntimeConfig::Admin::tls_client_ca_file),
              "PEM CA bundle; when set, admin clients must present a certificate it signed")
      .Int("eventMesh.server.admin.maxGroupSeries", admin(&RuntimeConfig::Admin::max_group_series),
           1, 100'000, "",
           "consumer groups shown with their own label on /metrics (more are summed into "
           "group=\"other\")");
  // ----- MQTT frontend
  auto mqtt = [](auto member) {
    return [member](RuntimeConfig & c) -> auto& { return c.mqtt.*member; };
  };
  t.Int("eventMesh.server.mqtt.port", mqtt(&RuntimeConfig::Mqtt::port), 0, 65535, "",
        "MQTT listen port (with eventMesh.server.mqtt.tls.enabled the default is 8883; 0 = any "
        "free port, also when unset and the TCP port is 0)")
      .Int("eventMesh.server.mqtt.workerThreads", mqtt(&RuntimeConfig::Mqtt::worker_threads), 0,
           256, "", "Asio worker threads of the MQTT server (0 = one per core)")
      .Int("eventMesh.server.mqtt.maxConnections", mqtt(&RuntimeConfig::Mqtt::max_connections), 1,
           10'000'000, "", "concurrent MQTT connections (more: CONNACK server busy, then close)")
      .Int("eventMesh.server.mqtt.maxPacketSize", mqtt(&RuntimeConfig::Mqtt::max_packet_size), 1024,
           268'435'460, "bytes",
           "largest MQTT packet a client may send (larger: reason 0x95 and close)")
      .Int("eventMesh.server.mqtt.receiveMaximum", mqtt(&RuntimeConfig::Mqtt::receive_maximum), 1,
           65535, "",
           "publishes of one connection being stored at once; beyond it the connection is not "
           "read (MQTT 5 Receive Maximum)")
      .Int("eventMesh.server.mqtt.maxInflight", mqtt(&RuntimeConfig::Mqtt::max_inflight), 1, 65535,
           "",
           "QoS 1 deliveries awaiting PUBACK per connection (a client's smaller Receive Maximum "
           "wins)")
      .Int("eventMesh.server.mqtt.connectTimeoutMs", mqtt(&RuntimeConfig::Mqtt::connect_timeout_ms),
           10, kMaxMs, "ms", "a connection without CONNECT for this long is closed")
      .Int("eventMesh.server.mqtt.maxSubscriptions", mqtt(&RuntimeConfig::Mqtt::max_subscriptions),
           1, 1'000'000, "", "topic filters one MQTT session may hold (more: SUBACK 0x97)")
      .Int("eventMesh.server.mqtt.topicScanIntervalMs",
           mqtt(&RuntimeConfig::Mqtt::topic_scan_interval_ms), 10, kDay, "ms",
           "how often wildcard subscriptions look for topics created outside this runtime "
           "(topics created here are seen at once)")
      .Int("eventMesh.server.mqtt.maxSessionExpirySeconds",
           mqtt(&RuntimeConfig::Mqtt::max_session_expiry_s), 0, 4'294'967'295LL, "s",
           "longest a persistent session is kept after its client disconnected (caps MQTT 5 "
           "Session Expiry; MQTT 3.1.1 clean session 0 gets this)")
      .Bool("eventMesh.server.mqtt.retainAvailable", mqtt(&RuntimeConfig::Mqtt::retain_enabled),
            "keep retained messages (persisted in <dataDir>/mqtt/retained.json); off: a retained "
            "publish is refused (0x9A)")
      .Bool("eventMesh.server.mqtt.tls.enabled", mqtt(&RuntimeConfig::Mqtt::tls_enabled),
            "serve MQTT over TLS on the MQTT port (default port 8883)")
      .String("eventMesh.server.mqtt.tls.certFile", mqtt(&RuntimeConfig::Mqtt::tls_cert_file),
              "PEM server certificate (chain) of the MQTT port; required with MQTT TLS")
      .String("eventMesh.server.mqtt.tls.keyFile", mqtt(&RuntimeConfig::Mqtt::tls_key_file),
              "PEM private key of the MQTT port; required with MQTT TLS")
      .String("eventMesh.server.mqtt.tls.clientCaFile",
              mqtt(&RuntimeConfig::Mqtt::tls_client_ca_file),
              "PEM CA bundle; when set, MQTT clients must present a certificate it signed");
  // ----- mesh registry
  auto registry = [](auto member) {
    return [member](RuntimeConfig & c) -> auto& { return c.registry.*member; };
  };
  t.Bool("eventMesh.registry.plugin.enabled", registry(&RuntimeConfig::Registry::enabled),
         "register this runtime in the mesh registry")
      .Custom("eventMesh.registry.plugin.type", "eventmesh", "",
              "registry backend: eventmesh (the registry server, //eventmesh/registry) or etcd",
              [](const std::string& key, const std::string& value, RuntimeConfig* c) {
                const std::string type = absl::AsciiStrToLower(value);
                if (type != "eventmesh" && type != "etcd") {
                  return absl::InvalidArgumentError(absl::StrCat(
                      "invalid value \"", value, "\" for key ", key, ": eventmesh or etcd"));
                }
                c->registry.type = type;
                return absl::OkStatus();
              })
      .Custom("eventMesh.registry.plugin.server-addr", "\"\"", "",
              "comma-separated host:port of the registry servers (or etcd members); required "
              "when enabled",
              [](const std::string& key, const std::string& value, RuntimeConfig* c) {
                std::vector<std::string> addresses = config::ParseList(value);
                for (const std::string& address : addresses) {
                  auto parsed = config::ParseHostPort(key, address, /*require_port=*/true);
                  if (!parsed.ok()) return parsed.status();
                }
                c->registry.addresses = std::move(addresses);
                return absl::OkStatus();
              })
      .String("eventMesh.registry.plugin.token", registry(&RuntimeConfig::Registry::token),
              "token the registry server requires for registration (Authorization: Bearer)")
      .String("eventMesh.registry.tls.caFile", registry(&RuntimeConfig::Registry::ca_file),
              "CAs trusted for https:// registry servers (\"\" = the system's)")
      .String("eventMesh.registry.tls.certFile", registry(&RuntimeConfig::Registry::cert_file),
              "client certificate for a registry server that requires one")
      .String("eventMesh.registry.tls.keyFile", registry(&RuntimeConfig::Registry::key_file),
              "its private key")
      .Int("eventMesh.registry.leaseMs", registry(&RuntimeConfig::Registry::lease_ms), 1000,
           300'000, "ms", "lease of this runtime's registration; renewed every third of it")
      .Int("eventMesh.registry.reportIntervalMs",
           registry(&RuntimeConfig::Registry::report_interval_ms), 100, 600'000, "ms",
           "how often load and topics are compared with the last report (sent when changed)")
      .String("eventMesh.registry.instanceId", registry(&RuntimeConfig::Registry::instance_id),
              "this runtime's id in its mesh (default <advertised host>-<TCP port>)");
  auto federation = [](auto member) {
    return [member](RuntimeConfig & c) -> auto& { return c.federation.*member; };
  };
  t.Bool("eventMesh.federation.enabled", federation(&RuntimeConfig::Federation::enabled),
         "with the registry on: forward topics this mesh publishes to the meshes that subscribe "
         "to them")
      .Int("eventMesh.federation.batchSize", federation(&RuntimeConfig::Federation::batch_events),
           1, 1000, "events", "events per forwarding POST to another mesh")
      .Int("eventMesh.federation.window", federation(&RuntimeConfig::Federation::window), 1,
           100'000, "events",
           "events held unacknowledged per forwarded (topic, mesh); at least batchSize x "
           "(batchesInFlight + 1) is used")
      .Int("eventMesh.federation.batchesInFlight",
           federation(&RuntimeConfig::Federation::batches_in_flight), 1, 64, "batches",
           "forwarding POSTs pipelined on one connection per (topic, mesh) before the first is "
           "answered (answers and commits stay in publish order)")
      .String("eventMesh.federation.username", federation(&RuntimeConfig::Federation::username),
              "user sent to the other meshes when they check an ACL")
      .String("eventMesh.federation.password", federation(&RuntimeConfig::Federation::password),
              "its password")
      .String("eventMesh.federation.tls.caFile",
              federation(&RuntimeConfig::Federation::tls_ca_file),
              "CAs trusted for the certificates of other meshes' runtimes that serve HTTPS "
              "(they advertise it in the registry; \"\" = the system's)")
      .String("eventMesh.federation.tls.certFile",
              federation(&RuntimeConfig::Federation::tls_cert_file),
              "client certificate (PEM) for other meshes that require one")
      .String("eventMesh.federation.tls.keyFile",
              federation(&RuntimeConfig::Federation::tls_key_file), "its private key");
  // ----- webhook delivery
  auto webhook = [](auto member) {
    return [member](RuntimeConfig & c) -> auto& { return c.webhook.*member; };
  };
  const std::string w = "eventMesh.server.http.webhook.";
  t.Bool(w + "enabled", webhook(&WebhookConfig::enabled), "webhook subscriptions on the HTTP port")
      .Int(w + "pushTimeoutMs", webhook(&WebhookConfig::push_timeout_ms), 1, kDay, "ms",
           "one POST to a subscriber")
      .Int(w + "maxAttempts", webhook(&WebhookConfig::max_attempts), 1, 1000, "",
           "POSTs per event before dead-lettering")
      .Int(w + "retry.initialBackoffMs", webhook(&WebhookConfig::initial_backoff_ms), 0, kDay, "ms",
           "first retry delay (doubles, with jitter)")
      .Int(w + "retry.maxBackoffMs", webhook(&WebhookConfig::max_backoff_ms), 0, kDay, "ms",
           "cap of the retry delay")
      .Int(w + "retry.maxRetryAfterMs", webhook(&WebhookConfig::max_retry_after_ms), 0, kDay, "ms",
           "cap of a 429's Retry-After")
      .Int(w + "maxConcurrentPushesPerTarget",
           webhook(&WebhookConfig::max_concurrent_pushes_per_target), 1, 10'000, "",
           "POSTs in flight per URL")
      .Int(w + "pipelineDepth", webhook(&WebhookConfig::pipeline_depth), 1, 10'000, "",
           "POSTs of a single-event format written on one connection before the earlier ones are "
           "answered (HTTP/1.1 pipelining; 1 = off)")
      .Int(w + "ioThreads", webhook(&WebhookConfig::io_threads), 1, 64, "",
           "threads of the webhook HTTP client")
      .Int(w + "maxQueuedPerTarget", webhook(&WebhookConfig::max_queued_per_target), 1, 1'000'000,
           "", "unsettled events per URL")
      .Int(w + "maxBatchEvents", webhook(&WebhookConfig::max_batch_events), 1, 10'000, "",
           "events per POST at most with pushformat cloudevents-batch")
      .Int(w + "maxBatchBytes", webhook(&WebhookConfig::max_batch_bytes), 1'024, 64 << 20, "bytes",
           "largest cloudevents-batch POST body (a larger single event goes alone)")
      .Custom(w + "allow", "\"\"", "",
              "comma-separated CIDRs / host patterns a URL must match (\"\" = every URL not "
              "denied)",
              [](const std::string&, const std::string& value, RuntimeConfig* c) {
                c->webhook.allow = config::ParseList(value);
                return absl::OkStatus();
              })
      .Int(w + "maxRegistrations", webhook(&WebhookConfig::max_registrations), 0, 100'000'000, "",
           "(consumer group, URL) registrations held at most; more are refused (0 = unbounded)")
      .Bool(w + "allowPrivateNetworks", webhook(&WebhookConfig::allow_private_networks),
            "let webhook URLs reach loopback and private addresses (127/8, 10/8, 172.16/12, "
            "192.168/16, 100.64/10, fc00::/7) without an allow rule naming them; off: such "
            "URLs are refused at registration and at every connection (SSRF, DNS rebinding)")
      .Custom(w + "deny", "169.254.0.0/16,fe80::/10", "",
              "comma-separated CIDRs / host patterns a URL must not match",
              [](const std::string&, const std::string& value, RuntimeConfig* c) {
                c->webhook.deny = config::ParseList(value);
                return absl::OkStatus();
              })
      .String(w + "tls.caFile", webhook(&WebhookConfig::ca_file),
              "CA bundle for https:// subscribers (\"\" = the system store)")
      .Int(w + "registrationExpiryMs", webhook(&WebhookConfig::registration_expiry_ms), 0,
           365 * kDay, "ms", "drop registrations without a heartbeat for this long (0 = never)")
      .Bool(w + "validation.enabled", webhook(&WebhookConfig::validation_enabled),
            "CloudEvents webhook handshake")
      .Bool(w + "validation.eventMeshForm", webhook(&WebhookConfig::validate_eventmesh_form),
            "run the same OPTIONS handshake for EventMesh-form subscribers too (their endpoint "
            "must consent before it receives events; Apache EventMesh's own subscribers do "
            "not answer it, hence off by default)")
      .String(w + "validation.origin", webhook(&WebhookConfig::validation_origin),
              "WebHook-Request-Origin of the handshake", /*non_empty=*/true)
      .Int(w + "validation.timeoutMs", webhook(&WebhookConfig::validation_timeout_ms), 1, kDay,
           "ms", "handshake timeout");
  return t;
}

}  // namespace

const config::KeyTable<RuntimeConfig>& RuntimeKeyTable() {
  static const config::KeyTable<RuntimeConfig>* table = new auto(BuildKeyTable());
  return *table;
}

absl::StatusOr<std::map<std::string, std::string>> ParseProperties(absl::string_view text) {
  return config::ParseProperties(text);
}

std::string DefaultDataDir() { return config::DefaultDataDir("runtime"); }

absl::StatusOr<RuntimeConfig> BuildConfig(const std::map<std::string, std::string>& properties) {
  RuntimeConfig config;
  // The storage type decides which eventMesh.storage.<type>.* section belongs to the connector.
  if (auto it = properties.find("eventMesh.storage.plugin.type"); it != properties.end()) {
    if (it->second.empty()) {
      return absl::InvalidArgumentError("invalid value \"\" for key eventMesh.storage.plugin.type");
    }
    config.storage_type = it->second;
  }
  const std::string storage_prefix = connectors::ConnectorSection(config.storage_type);
  const KeyTable& table = RuntimeKeyTable();
  for (const auto& [key, value] : properties) {
    if (absl::StartsWith(key, storage_prefix)) {
      config.connector_config[key.substr(storage_prefix.size())] = value;
      continue;
    }
    absl::Status status = table.Apply(key, value, &config);
    if (status.code() == absl::StatusCode::kNotFound) {
      if (!IsIgnoredApacheKey(key)) return absl::InvalidArgumentError(status.message());
      config.ignored_keys.push_back(key);
      continue;
    }
    if (!status.ok()) return status;
  }
  if (config.security_enabled && config.credentials_file.empty()) {
    return absl::InvalidArgumentError(
        "key eventMesh.server.security.credentialsFile is required when "
        "eventMesh.server.security.enabled=true");
  }
  const int token_keys = !config.token_secret_file.empty() + !config.token_public_key_file.empty() +
                         !config.token_public_key.empty();
  if (token_keys > 1) {
    return absl::InvalidArgumentError(
        "set only one of eventMesh.server.security.token.secretFile, "
        "eventMesh.server.security.token.publicKeyFile and eventMesh.server.security.publickey");
  }
  if (token_keys > 0 && !config.security_enabled) {
    return absl::InvalidArgumentError(
        "access tokens (eventMesh.server.security.token.* / publickey) need "
        "eventMesh.server.security.enabled=true and a credentials file");
  }
  if (config.tls_enabled &&
      (config.http_tls_cert_file.empty() || config.http_tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "keys eventMesh.server.http.tls.certFile and eventMesh.server.http.tls.keyFile are "
        "required when eventMesh.server.useTls.enabled=true");
  }
  if (config.tcp_tls_enabled &&
      (config.tcp_tls_cert_file.empty() || config.tcp_tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "keys eventMesh.server.tcp.tls.certFile and eventMesh.server.tcp.tls.keyFile are "
        "required when eventMesh.server.tcp.tls.enabled=true");
  }
  if (config.grpc_tls_enabled &&
      (config.grpc_tls_cert_file.empty() || config.grpc_tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "keys eventMesh.server.grpc.tls.certFile and eventMesh.server.grpc.tls.keyFile are "
        "required when eventMesh.server.grpc.tls.enabled=true");
  }
  if (config.registry.enabled && config.registry.addresses.empty()) {
    return absl::InvalidArgumentError(
        "key eventMesh.registry.plugin.server-addr is required when "
        "eventMesh.registry.plugin.enabled=true");
  }
  if (config.registry.enabled && config.registry.type == "etcd" && !config.registry.token.empty()) {
    return absl::InvalidArgumentError(
        "key eventMesh.registry.plugin.token is for the eventmesh registry server; etcd "
        "(eventMesh.registry.plugin.type=etcd) does not use it");
  }
  if (config.tcp_port == 0 && properties.count("eventMesh.server.http.port") == 0) {
    config.http_port = 0;  // a server on a free TCP port (tests) must not take 10105
  }
  if (config.mqtt.tls_enabled &&
      (config.mqtt.tls_cert_file.empty() || config.mqtt.tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "keys eventMesh.server.mqtt.tls.certFile and eventMesh.server.mqtt.tls.keyFile are "
        "required when eventMesh.server.mqtt.tls.enabled=true");
  }
  if (properties.count("eventMesh.server.mqtt.port") == 0) {
    if (config.tcp_port == 0) {
      config.mqtt.port = 0;  // nor 1883
    } else if (config.mqtt.tls_enabled) {
      config.mqtt.port = kDefaultMqttTlsPort;
    }
  }
  if (config.mqtt.worker_threads == 0) {
    config.mqtt.worker_threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (config.tcp_port == 0 && properties.count("eventMesh.server.admin.http.port") == 0) {
    config.admin.port = 0;  // nor 10106
  }
  config.properties = properties;
  if (config.data_dir.empty()) config.data_dir = DefaultDataDir();
  if (config.worker_threads == 0) {
    config.worker_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (config.http_worker_threads == 0) {
    config.http_worker_threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  return config;
}

absl::StatusOr<RuntimeConfig> LoadConfigFromArgs(int argc, char** argv) {
  std::map<std::string, std::string> properties;
  std::map<std::string, std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg(argv[i]);
    if (!absl::StartsWith(arg, "--") || arg.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad argument \"", arg,
          "\": expected --config=path, --port=N, "
          "--http_port=N, --admin_port=N, --data_dir=path or --<eventMesh key>=value"));
    }
    size_t eq = arg.find('=');
    std::string name(arg.substr(2, eq - 2));
    std::string value(arg.substr(eq + 1));
    if (name == "config") {
      auto parsed = config::LoadPropertiesFile(value);
      if (!parsed.ok()) return parsed.status();
      for (auto& [k, v] : *parsed) properties[k] = v;
    } else if (name == "port") {
      overrides["eventMesh.server.tcp.port"] = value;
    } else if (name == "http_port") {
      overrides["eventMesh.server.http.port"] = value;
    } else if (name == "admin_port") {
      overrides["eventMesh.server.admin.http.port"] = value;
    } else if (name == "data_dir") {
      overrides["eventMesh.server.dataDir"] = value;
    } else if (absl::StartsWith(name, "eventMesh.")) {
      overrides[name] = value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  for (auto& [k, v] : overrides) properties[k] = v;
  return BuildConfig(properties);
}

}  // namespace eventmesh::runtime
