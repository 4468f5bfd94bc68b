#include "eventmesh/connectors/kafka/kafka_options.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "eventmesh/common/config/values.h"

namespace eventmesh::connectors::kafka {
namespace {

using Field32 = int32_t& (*)(KafkaOptions&);
using Field64 = int64_t& (*)(KafkaOptions&);

// A value out of a fixed set (case-insensitive); stored as written in `canonical`.
config::KeyTable<KafkaOptions>::ApplyFn OneOf(std::vector<std::string> allowed,
                                              std::string& (*field)(KafkaOptions&),
                                              bool allow_empty) {
  return [allowed, field, allow_empty](const std::string& key, const std::string& value,
                                       KafkaOptions* o) {
    if (value.empty() && allow_empty) {
      field(*o).clear();
      return absl::OkStatus();
    }
    for (const std::string& candidate : allowed) {
      if (absl::EqualsIgnoreCase(candidate, value)) {
        field(*o) = candidate;
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ", key,
                                                   ": expected one of ",
                                                   absl::StrJoin(allowed, ", ")));
  };
}

config::KeyTable<KafkaOptions> BuildKeyTable() {
  config::KeyTable<KafkaOptions> table;
  table.Custom("bootstrapServers", "", "",
               "host:port[,host:port...] of Kafka brokers to discover the cluster from "
               "(bootstrap.servers); required",
               [](const std::string& key, const std::string& value, KafkaOptions* o) {
                 for (const std::string& item : config::ParseList(value)) {
                   auto host_port = config::ParseHostPort(key, item, /*require_port=*/true);
                   if (!host_port.ok()) return host_port.status();
                 }
                 o->bootstrap_servers = absl::StrJoin(config::ParseList(value), ",");
                 return absl::OkStatus();
               });
  table.String(
      "clientId", [](KafkaOptions& o) -> std::string& { return o.client_id; },
      "client.id of the producer and consumers (shows in broker logs and quotas)",
      /*non_empty=*/true);
  table.Custom("replicationFactor", "-1", "",
               "replication factor of the topics the mesh creates; -1 = the brokers' "
               "default.replication.factor [-1, 1..32767]",
               [](const std::string& key, const std::string& value, KafkaOptions* o) {
                 auto parsed = config::ParseInt(key, value, -1, 32767);
                 if (!parsed.ok()) return parsed.status();
                 if (*parsed == 0) {
                   return absl::InvalidArgumentError(absl::StrCat(
                       "invalid value \"0\" for key ", key, ": expected -1 or 1..32767"));
                 }
                 o->replication_factor = static_cast<int32_t>(*parsed);
                 return absl::OkStatus();
               });
  table.Int("defaultPartitions",
            static_cast<Field32>([](KafkaOptions& o) -> int32_t& { return o.default_partitions; }),
            1, 1 << 20, "", "partitions of a topic created without a partition count");
  table.Bool(
      "autoCreateTopics", [](KafkaOptions& o) -> bool& { return o.auto_create_topics; },
      "let brokers create a topic a publish or subscription names (allow.auto.create.topics; "
      "needs auto.create.topics.enable on the brokers); false: a missing topic is NotFound");
  table.Custom("securityProtocol", "plaintext", "",
               "security.protocol: plaintext, ssl, sasl_plaintext or sasl_ssl",
               OneOf(
                   {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl"},
                   [](KafkaOptions& o) -> std::string& { return o.security_protocol; }, false));
  table.Custom(
      "saslMechanism", "", "",
      "sasl.mechanism with securityProtocol sasl_*: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI "
      "or OAUTHBEARER; empty = librdkafka's default (GSSAPI)",
      OneOf(
          {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"},
          [](KafkaOptions& o) -> std::string& { return o.sasl_mechanism; }, true));
  table.String(
      "saslUsername", [](KafkaOptions& o) -> std::string& { return o.sasl_username; },
      "sasl.username (PLAIN, SCRAM)");
  table.String(
      "saslPassword", [](KafkaOptions& o) -> std::string& { return o.sasl_password; },
      "sasl.password (PLAIN, SCRAM)");
  table.String(
      "sslCaLocation", [](KafkaOptions& o) -> std::string& { return o.ssl_ca_location; },
      "ssl.ca.location: CA certificate file (PEM) that signed the brokers' certificates; empty = "
      "the system's CA store");
  table.String(
      "sslCertificateLocation",
      [](KafkaOptions& o) -> std::string& { return o.ssl_certificate_location; },
      "ssl.certificate.location: client certificate (PEM) for TLS client authentication");
  table.String(
      "sslKeyLocation", [](KafkaOptions& o) -> std::string& { return o.ssl_key_location; },
      "ssl.key.location: private key (PEM) of the client certificate");
  table.String(
      "sslKeyPassword", [](KafkaOptions& o) -> std::string& { return o.ssl_key_password; },
      "ssl.key.password: passphrase of sslKeyLocation");
  table.String(
      "groupPrefix", [](KafkaOptions& o) -> std::string& { return o.group_prefix; },
      "prepended to a mesh consumer group to form its Kafka group.id");
  table.Int("commitIntervalMs",
            static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.commit_interval_ms; }),
            1, config::kUnbounded, "ms",
            "period of offset commits (the contiguous acknowledged watermark per partition)");
  table.Int("sessionTimeoutMs",
            static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.session_timeout_ms; }),
            1, config::kUnbounded, "ms",
            "session.timeout.ms of the consumers (keep within the brokers' "
            "group.min/max.session.timeout.ms)");
  table.Int("maxInFlight",
            static_cast<Field32>([](KafkaOptions& o) -> int32_t& { return o.max_in_flight; }), 1, 5,
            "",
            "max.in.flight.requests.per.connection of the producer (idempotence allows at most 5)");
  table.Int(
      "publishTimeoutMs",
      static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.publish_timeout_ms; }), 1,
      INT32_MAX, "ms",
      "message.timeout.ms: a publish the cluster has not confirmed by then fails (Unavailable)");
  table.Int("maxQueuedEvents",
            static_cast<Field32>([](KafkaOptions& o) -> int32_t& { return o.max_queued_events; }),
            1, 10'000'000, "events",
            "queue.buffering.max.messages: publishes waiting for confirmation; beyond it a publish "
            "fails with ResourceExhausted");
  table.Int("lingerMs",
            static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.linger_ms; }), 0,
            900'000, "ms", "linger.ms: how long the producer waits to fill a batch");
  table.Int("connectTimeoutMs",
            static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.connect_timeout_ms; }),
            1, INT32_MAX, "ms", "how long start-up waits for the cluster to answer before failing");
  table.Int("requestTimeoutMs",
            static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.request_timeout_ms; }),
            1, INT32_MAX, "ms", "topic admin and metadata calls, committed-offset lookups");
  table.Int("subscribeWaitMs",
            static_cast<Field64>([](KafkaOptions& o) -> int64_t& { return o.subscribe_wait_ms; }),
            0, INT32_MAX, "ms",
            "how long subscribing waits for the consumer group to assign partitions (a new group's "
            "first assignment waits for the brokers' group.initial.rebalance.delay.ms, 3 s by "
            "default); then the subscription goes on joining in the background; 0 = do not wait");
  table.Int("fetchMaxEvents",
            static_cast<Field32>([](KafkaOptions& o) -> int32_t& { return o.fetch_max_events; }), 1,
            100'000, "events", "events handed to a subscription's handler in one call");
  return table;
}

struct OwnedProperty {
  const char* name;
  const char* instead;
};

constexpr OwnedProperty kOwned[] = {
    {"bootstrap.servers", "bootstrapServers"},
    {"metadata.broker.list", "bootstrapServers"},
    {"client.id", "clientId"},
    {"security.protocol", "securityProtocol"},
    {"sasl.mechanism", "saslMechanism"},
    {"sasl.mechanisms", "saslMechanism"},
    {"sasl.username", "saslUsername"},
    {"sasl.password", "saslPassword"},
    {"ssl.ca.location", "sslCaLocation"},
    {"ssl.certificate.location", "sslCertificateLocation"},
    {"ssl.key.location", "sslKeyLocation"},
    {"ssl.key.password", "sslKeyPassword"},
    {"group.id", "groupPrefix (the group is the mesh's)"},
    {"session.timeout.ms", "sessionTimeoutMs"},
    {"max.in.flight.requests.per.connection", "maxInFlight"},
    {"max.in.flight", "maxInFlight"},
    {"message.timeout.ms", "publishTimeoutMs"},
    {"delivery.timeout.ms", "publishTimeoutMs"},
    {"queue.buffering.max.messages", "maxQueuedEvents"},
    {"linger.ms", "lingerMs"},
    {"queue.buffering.max.ms", "lingerMs"},
    {"allow.auto.create.topics", "autoCreateTopics"},
    {"acks", nullptr},
    {"request.required.acks", nullptr},
    {"enable.idempotence", nullptr},
    {"enable.auto.commit", nullptr},
    {"enable.auto.offset.store", nullptr},
    {"auto.offset.reset", nullptr},
    {"enable.partition.eof", nullptr},
    {"transactional.id", nullptr},
};

}  // namespace

const config::KeyTable<KafkaOptions>& KafkaKeyTable() {
  static const config::KeyTable<KafkaOptions>* const table = new auto(BuildKeyTable());
  return *table;
}

bool IsOwnedProperty(const std::string& name, std::string* instead) {
  for (const OwnedProperty& owned : kOwned) {
    if (name == owned.name) {
      if (instead != nullptr) *instead = owned.instead == nullptr ? "" : owned.instead;
      return true;
    }
  }
  return false;
}

absl::StatusOr<KafkaOptions> ParseKafkaConfig(const ConnectorConfig& config,
                                              const ConnectorContext& context) {
  KafkaOptions options;
  if (!context.section.empty()) options.section = context.section;
  options.max_event_bytes = context.max_event_bytes;
  const std::string& section = options.section;
  ConnectorConfig keys;
  for (const auto& [key, value] : config) {
    if (!absl::StartsWith(key, kPropertyPrefix)) {
      keys.emplace(key, value);
      continue;
    }
    const std::string property = key.substr(sizeof(kPropertyPrefix) - 1);
    std::string instead;
    if (property.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("configuration key ", section, key, " names no librdkafka property"));
    }
    if (IsOwnedProperty(property, &instead)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "configuration key ", section, key, ": the connector sets ", property, " itself",
          instead.empty() ? "" : absl::StrCat(" (use ", section, instead, ")")));
    }
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[512];
    const rd_kafka_conf_res_t result =
        rd_kafka_conf_set(conf, property.c_str(), value.c_str(), error, sizeof error);
    rd_kafka_conf_destroy(conf);
    if (result != RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid configuration key ", section, key, ": ", error));
    }
    options.properties.emplace_back(property, value);
  }
  if (absl::Status status = KafkaKeyTable().ApplyAll(keys, &options, section); !status.ok()) {
    return absl::InvalidArgumentError(status.message());
  }
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka connector: key ", section,
        "bootstrapServers (host:port[,host:port...] of the Kafka brokers) is required"));
  }
  return options;
}

std::vector<std::pair<std::string, std::string>> CommonClientProperties(
    const KafkaOptions& options) {
  std::vector<std::pair<std::string, std::string>> p;
  p.emplace_back("bootstrap.servers", options.bootstrap_servers);
  p.emplace_back("client.id", options.client_id);
  p.emplace_back("security.protocol", options.security_protocol);
  if (!options.sasl_mechanism.empty()) p.emplace_back("sasl.mechanism", options.sasl_mechanism);
  if (!options.sasl_username.empty()) p.emplace_back("sasl.username", options.sasl_username);
  if (!options.sasl_password.empty()) p.emplace_back("sasl.password", options.sasl_password);
  if (!options.ssl_ca_location.empty()) p.emplace_back("ssl.ca.location", options.ssl_ca_location);
  if (!options.ssl_certificate_location.empty()) {
    p.emplace_back("ssl.certificate.location", options.ssl_certificate_location);
  }
  if (!options.ssl_key_location.empty()) {
    p.emplace_back("ssl.key.location", options.ssl_key_location);
  }
  if (!options.ssl_key_password.empty()) {
    p.emplace_back("ssl.key.password", options.ssl_key_password);
  }
  p.emplace_back("allow.auto.create.topics", options.auto_create_topics ? "true" : "false");
  // Reconnect to a broker that came back within a second (librdkafka backs off up to 10 s).
  p.emplace_back("reconnect.backoff.max.ms", "1000");
  // Large events: the runtime's limit plus room for the attributes.
  const int64_t message_max = std::max<int64_t>(1'000'000, options.max_event_bytes + 64 * 1024);
  p.emplace_back("message.max.bytes",
                 std::to_string(std::min<int64_t>(message_max, 1'000'000'000)));
  for (const auto& property : options.properties) p.push_back(property);
  return p;
}

}  // namespace eventmesh::connectors::kafka
