#include "eventmesh/runtime/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace eventmesh::runtime {
namespace {

// Apache EventMesh keys accepted without effect (prefix "eventMesh.").
const char* const kIgnoredPrefixes[] = {
    "eventMesh.sysid",
    "eventMesh.server.name",
    "eventMesh.server.provide.protocols",
    "eventMesh.server.grpc.",
    "eventMesh.server.admin.",
    "eventMesh.server.tcp.readerIdleSeconds",
    "eventMesh.server.tcp.writerIdleSeconds",
    "eventMesh.server.tcp.allIdleSeconds",
    "eventMesh.server.tcp.enabled",
    "eventMesh.server.tcp.taskHandleExecutorPoolSize",
    "eventMesh.server.tcp.sendExecutorPoolSize",
    "eventMesh.server.tcp.replyExecutorPoolSize",
    "eventMesh.server.tcp.ackExecutorPoolSize",
    "eventMesh.server.tcp.msgDownStreamExecutorPoolSize",
    "eventMesh.server.tcp.sendBack.",
    "eventMesh.server.tcp.SendBackMaxTimes",
    "eventMesh.server.tcp.pushFailIsolateTimeInMills",
    "eventMesh.server.global.scheduler",
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
    "eventMesh.server.ssl.",
    "eventMesh.server.blacklist.",
    "eventMesh.server.maxEventSize",
    "eventMesh.server.maxEventBatchSize",
    "eventMesh.server.trace.",
    "eventMesh.server.security.",
    "eventMesh.security.",
    "eventMesh.metaStorage.",
    "eventMesh.registry.",
    "eventMesh.metrics.",
    "eventMesh.trace.",
    "eventMesh.webHook.",
};

absl::Status ParseBoolKey(const std::string& key, const std::string& value, bool* out) {
  if (value != "true" && value != "false") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", value, "\" for key ", key, ": expected true or false"));
  }
  *out = value == "true";
  return absl::OkStatus();
}

absl::Status ParseIntKey(const std::string& key, const std::string& value, int64_t min, int64_t max,
                         int64_t* out) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ", key,
                                                   ": expected an integer in [", min, ", ", max,
                                                   "]"));
  }
  *out = v;
  return absl::OkStatus();
}

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::Status ParseWebhookKey(const std::string& key, const std::string& value,
                             WebhookConfig* webhook) {
  const std::string name = key.substr(std::string("eventMesh.server.http.webhook.").size());
  auto int_key = [&](int64_t min, int64_t max, int64_t* out) {
    return ParseIntKey(key, value, min, max, out);
  };
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  if (name == "enabled") return ParseBoolKey(key, value, &webhook->enabled);
  if (name == "pushTimeoutMs") return int_key(1, kDay, &webhook->push_timeout_ms);
  if (name == "maxAttempts") return int_key(1, 1000, &webhook->max_attempts);
  if (name == "retry.initialBackoffMs") return int_key(0, kDay, &webhook->initial_backoff_ms);
  if (name == "retry.maxBackoffMs") return int_key(0, kDay, &webhook->max_backoff_ms);
  if (name == "retry.maxRetryAfterMs") return int_key(0, kDay, &webhook->max_retry_after_ms);
  if (name == "maxConcurrentPushesPerTarget") {
    return int_key(1, 10'000, &webhook->max_concurrent_pushes_per_target);
  }
  if (name == "maxQueuedPerTarget") return int_key(1, 1'000'000, &webhook->max_queued_per_target);
  if (name == "allow") {
    webhook->allow = SplitList(value);
    return absl::OkStatus();
  }
  if (name == "deny") {
    webhook->deny = SplitList(value);
    return absl::OkStatus();
  }
  if (name == "tls.caFile") {
    webhook->ca_file = value;
    return absl::OkStatus();
  }
  if (name == "registrationExpiryMs")
    return int_key(0, 365 * kDay, &webhook->registration_expiry_ms);
  if (name == "validation.enabled") return ParseBoolKey(key, value, &webhook->validation_enabled);
  if (name == "validation.origin") {
    if (value.empty()) return absl::InvalidArgumentError("empty value for key " + key);
    webhook->validation_origin = value;
    return absl::OkStatus();
  }
  if (name == "validation.timeoutMs") return int_key(1, kDay, &webhook->validation_timeout_ms);
  return absl::InvalidArgumentError(absl::StrCat("unknown configuration key ", key));
}

// "host" or "host:port" (IPv6 literals in brackets: "[::1]:10000").
absl::Status ParseAdvertisedAddress(const std::string& key, const std::string& value,
                                    RuntimeConfig* config) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ", key,
                                                   ": expected host or host:port"));
  };
  std::string host = value;
  std::string port;
  if (!value.empty() && value[0] == '[') {
    const size_t close = value.find(']');
    if (close == std::string::npos) return invalid();
    host = value.substr(1, close - 1);
    if (close + 1 < value.size()) {
      if (value[close + 1] != ':') return invalid();
      port = value.substr(close + 2);
      if (port.empty()) return invalid();
    }
  } else if (const size_t colon = value.rfind(':'); colon != std::string::npos) {
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    if (port.empty()) return invalid();
  }
  const bool bracketed = !value.empty() && value[0] == '[';
  if (host.empty() || host.find_first_of(bracketed ? " \t" : " \t:") != std::string::npos) {
    return invalid();
  }
  int64_t parsed_port = 0;
  if (!port.empty() &&
      (!absl::SimpleAtoi(port, &parsed_port) || parsed_port < 1 || parsed_port > 65535)) {
    return invalid();
  }
  config->advertised_host = host;
  config->advertised_port = static_cast<int>(parsed_port);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseProperties(absl::string_view text) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    size_t sep = line.find_first_of("=:");
    if (sep == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected key=value, got \"", line, "\""));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, sep)));
    if (key.empty())
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": empty key"));
    out[key] = std::string(absl::StripAsciiWhitespace(line.substr(sep + 1)));
  }
  return out;
}

std::string DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/eventmesh/runtime");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.local/share/eventmesh/runtime");
  }
  return "/tmp/eventmesh/runtime";
}

absl::StatusOr<RuntimeConfig> BuildConfig(const std::map<std::string, std::string>& properties) {
  RuntimeConfig config;
  int64_t v = 0;
  // The storage type decides which eventMesh.storage.<type>.* section belongs to the connector.
  if (auto it = properties.find("eventMesh.storage.plugin.type"); it != properties.end()) {
    if (it->second.empty()) {
      return absl::InvalidArgumentError("invalid value \"\" for key eventMesh.storage.plugin.type");
    }
    config.storage_type = it->second;
  }
  const std::string storage_prefix = absl::StrCat("eventMesh.storage.", config.storage_type, ".");
  for (const auto& [key, value] : properties) {
    auto int_key = [&](int64_t min, int64_t max, int64_t* out) {
      return ParseIntKey(key, value, min, max, out);
    };
    absl::Status status;
    if (key == "eventMesh.server.tcp.port") {
      status = int_key(0, 65535, &v);
      config.tcp_port = static_cast<int>(v);
    } else if (key == "eventMesh.server.tcp.clientMaxNum") {
      status = int_key(1, 10'000'000, &config.client_max_num);
    } else if (key == "eventMesh.server.session.expiredInMills") {
      status = int_key(100, INT64_MAX / 4, &config.session_expired_ms);
    } else if (key == "eventMesh.server.session.upstreamBufferSize") {
      status = int_key(1, 1'000'000, &config.upstream_buffer_size);
    } else if (key == "eventMesh.server.requestReply.maxTtlMs") {
      status = int_key(1, INT64_MAX / 4, &config.request_max_ttl_ms);
    } else if (key == "eventMesh.server.requestReply.maxPendingPerClient") {
      status = int_key(1, 10'000'000, &config.request_max_pending_per_client);
    } else if (key == "eventMesh.server.tcp.msgReqnumPerSecond") {
      status = int_key(0, 1'000'000'000, &config.msg_req_num_per_second);
    } else if (key == "eventMesh.server.session.msgReqnumPerSecond") {
      status = int_key(0, 1'000'000'000, &config.session_msg_req_num_per_second);
    } else if (key == "eventMesh.storage.plugin.type") {
      // handled above
    } else if (key == "eventMesh.server.tcp.workerThreads") {
      status = int_key(0, 256, &v);
      config.worker_threads = static_cast<int>(v);
    } else if (key == "eventMesh.server.tcp.maxFrameSize") {
      status = int_key(1024, 64 << 20, &config.max_frame_size);
    } else if (key == "eventMesh.server.tcp.sessionWindowSize") {
      status = int_key(1, 1'000'000, &config.session_window_size);
    } else if (key == "eventMesh.server.delivery.ackTimeoutInMills") {
      status = int_key(1, INT64_MAX / 4, &config.ack_timeout_ms);
    } else if (key == "eventMesh.server.delivery.maxDeliveryCount") {
      status = int_key(1, 1'000'000, &config.max_delivery_count);
    } else if (key == "eventMesh.server.delivery.maxUnackedPerGroup") {
      status = int_key(1, 10'000'000, &config.max_unacked_per_group);
    } else if (key == "eventMesh.server.topic.autoCreate") {
      if (value == "true") {
        config.topic_auto_create = true;
      } else if (value == "false") {
        config.topic_auto_create = false;
      } else {
        status = absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ",
                                                         key, ": expected true or false"));
      }
    } else if (key == "eventMesh.server.topic.defaultPartitions") {
      status = int_key(1, 4096, &config.topic_default_partitions);
    } else if (key == "eventMesh.server.security.enabled") {
      if (value == "true" || value == "false") {
        config.security_enabled = value == "true";
      } else {
        status = absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ",
                                                         key, ": expected true or false"));
      }
    } else if (key == "eventMesh.server.security.credentialsFile") {
      config.credentials_file = value;
    } else if (key == "eventMesh.server.http.port") {
      status = int_key(0, 65535, &v);
      config.http_port = static_cast<int>(v);
    } else if (key == "eventMesh.server.http.workerThreads") {
      status = int_key(0, 256, &v);
      config.http_worker_threads = static_cast<int>(v);
    } else if (key == "eventMesh.server.http.maxBodySize") {
      status = int_key(1, 1LL << 30, &config.http_max_body_size);
    } else if (key == "eventMesh.server.http.readTimeoutInMills") {
      status = int_key(10, 3'600'000, &config.http_read_timeout_ms);
    } else if (key == "eventMesh.server.http.maxConnections") {
      status = int_key(1, 10'000'000, &config.http_max_connections);
    } else if (key == "eventMesh.server.http.maxInFlightRequests") {
      status = int_key(1, 10'000'000, &config.http_max_in_flight);
    } else if (key == "eventMesh.server.http.msgReqnumPerSecond") {
      status = int_key(0, 1'000'000'000, &config.http_msg_req_num_per_second);
    } else if (key == "eventMesh.server.useTls.enabled") {
      status = ParseBoolKey(key, value, &config.tls_enabled);
    } else if (key == "eventMesh.server.http.tls.certFile") {
      config.http_tls_cert_file = value;
    } else if (key == "eventMesh.server.http.tls.keyFile") {
      config.http_tls_key_file = value;
    } else if (key == "eventMesh.server.http.tls.clientCaFile") {
      config.http_tls_client_ca_file = value;
    } else if (absl::StartsWith(key, "eventMesh.server.http.webhook.")) {
      status = ParseWebhookKey(key, value, &config.webhook);
    } else if (key == "eventMesh.server.env") {
      config.server_env = value;
    } else if (key == "eventMesh.server.idc") {
      config.server_idc = value;
    } else if (key == "eventMesh.server.cluster") {
      config.server_cluster = value;
    } else if (key == "eventMesh.server.tcp.RebalanceIntervalInMills") {
      status = int_key(0, 86'400'000, &config.rebalance_interval_ms);
    } else if (key == "eventMesh.server.rebalanceRedirect.sleepIntervalInMills") {
      status = int_key(0, 60'000, &config.rebalance_redirect_sleep_ms);
    } else if (key == "eventMesh.server.tcp.advertisedAddress") {
      status = ParseAdvertisedAddress(key, value, &config);
    } else if (key == "eventMesh.server.hostIp") {
      config.host_ip = value;
    } else if (key == "eventMesh.server.dataDir") {
      if (value.empty()) status = absl::InvalidArgumentError("empty value for key " + key);
      config.data_dir = value;
    } else if (absl::StartsWith(key, storage_prefix)) {
      config.connector_config[key.substr(storage_prefix.size())] = value;
    } else {
      bool ignored = false;
      for (const char* prefix : kIgnoredPrefixes) {
        absl::string_view p(prefix);
        if (p.back() == '.' ? absl::StartsWith(key, p) : key == p) ignored = true;
      }
      if (!ignored)
        return absl::InvalidArgumentError(absl::StrCat("unknown configuration key ", key));
      config.ignored_keys.push_back(key);
    }
    if (!status.ok()) return status;
  }
  if (config.security_enabled && config.credentials_file.empty()) {
    return absl::InvalidArgumentError(
        "key eventMesh.server.security.credentialsFile is required when "
        "eventMesh.server.security.enabled=true");
  }
  if (config.tls_enabled &&
      (config.http_tls_cert_file.empty() || config.http_tls_key_file.empty())) {
    return absl::InvalidArgumentError(
        "keys eventMesh.server.http.tls.certFile and eventMesh.server.http.tls.keyFile are "
        "required when eventMesh.server.useTls.enabled=true");
  }
  if (config.tcp_port == 0 && properties.count("eventMesh.server.http.port") == 0) {
    config.http_port = 0;  // a server on a free TCP port (tests) must not take 10105
  }
  if (config.data_dir.empty()) config.data_dir = DefaultDataDir();
  if (config.worker_threads == 0) {
    config.worker_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (config.http_worker_threads == 0) {
    config.http_worker_threads =
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (config.storage_type == "embedded" || config.storage_type == "standalone") {
    config.connector_config.emplace("path", config.data_dir + "/store");
  }
  return config;
}

absl::StatusOr<RuntimeConfig> LoadConfigFromArgs(int argc, char** argv) {
  std::map<std::string, std::string> properties;
  std::map<std::string, std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg(argv[i]);
    if (!absl::StartsWith(arg, "--") || arg.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad argument \"", arg,
                       "\": expected --config=path, --port=N, "
                       "--http_port=N, --data_dir=path or --<eventMesh key>=value"));
    }
    size_t eq = arg.find('=');
    std::string name(arg.substr(2, eq - 2));
    std::string value(arg.substr(eq + 1));
    if (name == "config") {
      std::ifstream in(value);
      if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", value));
      std::stringstream text;
      text << in.rdbuf();
      auto parsed = ParseProperties(text.str());
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(value, ": ", parsed.status().message()));
      }
      for (auto& [k, v] : *parsed) properties[k] = v;
    } else if (name == "port") {
      overrides["eventMesh.server.tcp.port"] = value;
    } else if (name == "http_port") {
      overrides["eventMesh.server.http.port"] = value;
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
