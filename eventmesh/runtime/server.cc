#include "eventmesh/runtime/server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/common/config/secret_file.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/registry/client/registry_factory.h"
#include "eventmesh/runtime/builtin_frontends.h"
#include "glog/logging.h"

namespace eventmesh::runtime {
namespace {

webhook::WebhookOptions WebhookOptionsFromConfig(const RuntimeConfig& config) {
  const WebhookConfig& in = config.webhook;
  webhook::WebhookOptions out;
  out.push_timeout_ms = in.push_timeout_ms;
  out.max_attempts = static_cast<int32_t>(in.max_attempts);
  out.initial_backoff_ms = in.initial_backoff_ms;
  out.max_backoff_ms = in.max_backoff_ms;
  out.max_retry_after_ms = in.max_retry_after_ms;
  out.max_concurrent_pushes_per_target = static_cast<int32_t>(in.max_concurrent_pushes_per_target);
  out.pipeline_depth = static_cast<int32_t>(in.pipeline_depth);
  out.io_threads = static_cast<int32_t>(in.io_threads);
  out.max_queued_per_target = static_cast<int32_t>(in.max_queued_per_target);
  out.max_batch_events = static_cast<int32_t>(in.max_batch_events);
  out.max_batch_bytes = in.max_batch_bytes;
  out.allow = in.allow;
  out.allow_private_networks = in.allow_private_networks;
  out.max_registrations = in.max_registrations;
  if (in.deny.has_value()) out.deny = *in.deny;
  out.ca_file = in.ca_file;
  out.persistence_path = webhook::WebhookManager::DefaultPersistencePath(config.data_dir);
  out.registration_expiry_ms = in.registration_expiry_ms;
  out.validate_cloudevents_endpoints = in.validation_enabled;
  out.validate_eventmesh_form_endpoints = in.validation_enabled && in.validate_eventmesh_form;
  out.origin = in.validation_origin;
  out.validation_timeout_ms = in.validation_timeout_ms;
  out.identity.cluster = config.server_cluster;
  out.identity.ip = config.host_ip;
  out.identity.env = config.server_env;
  out.identity.idc = config.server_idc;
  return out;
}

// The first non-loopback IPv4 address of this machine, else 127.0.0.1.
std::string DetectHostIp() {
  std::string found = "127.0.0.1";
  ifaddrs* addresses = nullptr;
  if (getifaddrs(&addresses) != 0) return found;
  for (ifaddrs* a = addresses; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const in_addr address = reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr;
    if ((ntohl(address.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET, &address, text, sizeof(text)) != nullptr) {
      found = text;
      break;
    }
  }
  freeifaddrs(addresses);
  return found;
}

// The access-token verifier the configuration names; nullptr when no token key is set.
absl::StatusOr<std::unique_ptr<core::TokenVerifier>> LoadTokenVerifier(
    const RuntimeConfig& config) {
  auto named = [](absl::string_view key, const absl::Status& status) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": ", status.message()));
  };
  if (!config.token_secret_file.empty()) {
    auto secret = config::ReadSecretFile("eventMesh.server.security.token.secretFile",
                                         config.token_secret_file);
    if (!secret.ok()) return secret.status();
    auto verifier = core::TokenVerifier::FromSecret(*std::move(secret));
    if (!verifier.ok())
      return named("eventMesh.server.security.token.secretFile", verifier.status());
    return verifier;
  }
  if (!config.token_public_key_file.empty()) {
    std::ifstream in(config.token_public_key_file);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read eventMesh.server.security.token.publicKeyFile ",
                       config.token_public_key_file));
    }
    std::stringstream pem;
    pem << in.rdbuf();
    auto verifier = core::TokenVerifier::FromPublicKey(pem.str());
    if (!verifier.ok()) {
      return named(absl::StrCat("eventMesh.server.security.token.publicKeyFile ",
                                config.token_public_key_file),
                   verifier.status());
    }
    return verifier;
  }
  if (!config.token_public_key.empty()) {
    auto verifier = core::TokenVerifier::FromPublicKey(config.token_public_key);
    if (!verifier.ok()) return named("eventMesh.server.security.publickey", verifier.status());
    return verifier;
  }
  return std::unique_ptr<core::TokenVerifier>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    const RuntimeConfig& config, const connectors::ConnectorRegistry& registry,
    ServerOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create data directory ", config.data_dir, ": ", ec.message()));
  }
  std::unique_ptr<core::Acl> acl;
  if (config.security_enabled) {
    auto loaded = core::Acl::Load(config.credentials_file);
    if (!loaded.ok()) return loaded.status();
    acl = std::make_unique<core::Acl>(std::move(*loaded));
  }
  // Created before the connector, which may register its own instruments (and destroyed after
  // it: a local declared first, then the Server's first member).
  auto metrics_registry = std::make_unique<metrics::Registry>();
  connectors::ConnectorContext context;
  context.data_dir = config.data_dir;
  context.max_event_bytes = config.max_event_size;
  context.metrics = metrics_registry.get();
  auto connector = registry.Create(config.storage_type, config.connector_config, context);
  if (!connector.ok()) {
    return absl::Status(connector.status().code(),
                        absl::StrCat("storage connector \"", config.storage_type,
                                     "\": ", connector.status().message()));
  }
  auto server = std::unique_ptr<Server>(
      new Server(config, std::move(metrics_registry), std::move(*connector), std::move(acl)));
  if (server->acl_ != nullptr) {
    auto verifier = LoadTokenVerifier(config);
    if (!verifier.ok()) return verifier.status();
    server->token_verifier_ = *std::move(verifier);
    server->authenticator_ = std::make_unique<core::Authenticator>(
        server->acl_.get(), server->login_throttle_.get(), server->token_verifier_.get());
  }
  if (options.webhook_service_factory) {
    WebhookServiceDeps deps;
    deps.config = &server->config_;
    deps.connector = server->connector_.get();
    deps.topics = server->topics_.get();
    deps.consumers = server->consumers_.get();
    auto service = options.webhook_service_factory(deps);
    if (!service.ok()) {
      return absl::Status(service.status().code(),
                          absl::StrCat("webhook service: ", service.status().message()));
    }
    server->webhook_ = std::move(*service);
  } else if (config.webhook.enabled) {
    auto manager = webhook::WebhookManager::Create(server->consumers_.get(), server->topics_.get(),
                                                   WebhookOptionsFromConfig(server->config_));
    if (!manager.ok()) {
      return absl::Status(manager.status().code(),
                          absl::StrCat("webhook delivery: ", manager.status().message()));
    }
    server->webhook_manager_ = manager->get();
    server->webhook_ = std::move(*manager);
  }
  frontend::FrontendRegistry builtin;
  const frontend::FrontendRegistry* frontends = options.frontends;
  if (frontends == nullptr) {
    if (absl::Status s = RegisterBuiltinFrontends(&builtin); !s.ok()) return s;
    frontends = &builtin;
  }
  if (absl::Status s = server->CreateFrontends(*frontends); !s.ok()) return s;
  return server;
}

Server::Server(const RuntimeConfig& config, std::unique_ptr<metrics::Registry> metrics_registry,
               std::unique_ptr<connectors::Connector> connector, std::unique_ptr<core::Acl> acl)
    : config_(config),
      metrics_registry_(std::move(metrics_registry)),
      connector_(std::move(connector)),
      acl_(std::move(acl)) {
  if (acl_ != nullptr) {
    login_throttle_ = std::make_unique<core::LoginThrottle>(core::LoginThrottle::Options{
        config_.login_failure_burst, config_.login_failures_per_minute});
  }
  auto instruments = core::RuntimeMetrics::Create(metrics_registry_.get());
  CHECK(instruments.ok()) << instruments.status();  // fixed names: a failure is a bug
  metrics_ = std::move(*instruments);
  topics_ = std::make_unique<core::TopicRegistry>(
      connector_.get(), config_.topic_auto_create,
      static_cast<int32_t>(config_.topic_default_partitions), config_.max_topics);
  core::ConsumerManagerOptions options;
  options.delivery.ack_timeout_ms = config_.ack_timeout_ms;
  options.delivery.max_delivery_count = static_cast<int32_t>(config_.max_delivery_count);
  options.delivery.metrics = metrics_.get();
  options.max_unacked_per_consumer = static_cast<int32_t>(config_.max_unacked_per_group);
  options.max_unacked_bytes_per_consumer = config_.max_unacked_bytes_per_group;
  options.tick_ms = std::max<int64_t>(5, std::min<int64_t>(50, config_.ack_timeout_ms / 4));
  options.linger_ms = config_.delivery_linger_ms;
  options.max_groups = config_.max_groups;
  consumers_ = std::make_unique<core::ConsumerManager>(connector_.get(), topics_.get(), options);
  core::PublishLimits limits;
  limits.max_event_bytes = config_.max_event_size;
  limits.max_batch_events = config_.max_event_batch_size;
  publish_ = std::make_unique<core::PublishService>(connector_.get(), topics_.get(), limits,
                                                    metrics_.get());
  core::RequestReplyOptions request_options;
  request_options.max_ttl_ms = config_.request_max_ttl_ms;
  request_options.max_pending_per_owner = config_.request_max_pending_per_client;
  requests_ =
      std::make_unique<core::RequestReplyService>(publish_.get(), &tracker_, request_options);
}

absl::Status Server::CreateFrontends(const frontend::FrontendRegistry& registry) {
  frontend::FrontendServices services;
  services.config = &config_;
  services.connector = connector_.get();
  services.topics = topics_.get();
  services.consumers = consumers_.get();
  services.publish = publish_.get();
  services.requests = requests_.get();
  services.acl = acl_.get();
  services.authenticator = authenticator_.get();
  services.webhook = webhook_.get();
  services.recommend = [this](const std::string& group, const std::string& purpose) {
    return Recommend(group, purpose);
  };
  for (const std::string& name : config_.protocols) {
    auto created = registry.Create(name, services);
    if (!created.ok()) return created.status();
    frontend::Frontend* frontend = created->get();
    if (auto* tcp = dynamic_cast<tcp::TcpFrontend*>(frontend)) tcp_ = tcp;
    if (auto* http = dynamic_cast<http::HttpFrontend*>(frontend)) http_ = http;
    frontends_.push_back(std::move(*created));
  }
  return absl::OkStatus();
}

Server::~Server() { Shutdown(); }

absl::Status Server::Start() {
  if (webhook_manager_ != nullptr) {
    if (absl::Status status = webhook_manager_->Start(); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("webhook subscriptions: ", status.message()));
    }
  }
  for (auto& frontend : frontends_) {
    // Frontend errors already name their port or key.
    if (absl::Status started = frontend->Start(); !started.ok()) return started;
  }
  {
    absl::MutexLock lock(&recommend_mu_);
    advertised_host_ = !config_.advertised_host.empty() ? config_.advertised_host
                       : !config_.host_ip.empty()       ? config_.host_ip
                                                        : DetectHostIp();
    advertised_port_ = config_.advertised_port > 0 ? config_.advertised_port : tcp_port();
  }
  if (config_.admin.enabled) {
    if (absl::Status s = StartAdmin(); !s.ok()) return s;
  }
  if (config_.registry.enabled) {
    if (absl::Status s = StartRegistryAgent(); !s.ok()) return s;
  }
  if (tcp_ == nullptr || config_.rebalance_interval_ms <= 0 ||
      !connector_->capabilities().shared_store) {
    ready_ = true;
    return absl::OkStatus();
  }
  cluster::RebalancerOptions options;
  options.runtime_id = tracker_.runtime_id();
  options.ip = advertised_host_;
  options.port = advertised_port_;
  options.interval_ms = config_.rebalance_interval_ms;
  options.redirect_sleep_ms = config_.rebalance_redirect_sleep_ms;
  options.policy.min_session_age_ms = config_.rebalance_interval_ms;
  if (registry_ != nullptr) {
    // Peers' loads from the registry (token-protected records), not from the store topic.
    options.registry = registry_.get();
    options.mesh = config_.server_cluster;
  }
  cluster::SessionHooks hooks;
  tcp::TcpServer* tcp = tcp_->server();
  hooks.list_sessions = [tcp] {
    std::vector<cluster::LocalSession> sessions;
    for (const tcp::SessionInfo& info : tcp->ListSessions()) {
      if (!info.hello_done) continue;
      cluster::LocalSession session;
      session.id = info.id;
      session.group = info.group;
      session.purpose = info.purpose;
      session.age_ms = info.age_ms;
      session.unacked_pushes = info.unacked_pushes;
      session.publishes_in_flight = info.publishes_in_flight;
      session.redirected = info.redirected;
      sessions.push_back(std::move(session));
    }
    return sessions;
  };
  hooks.redirect = [tcp](uint64_t id, const std::string& ip, int port) {
    return tcp->Redirect(id, ip, port).ok();
  };
  auto rebalancer =
      cluster::ClusterRebalancer::Start(connector_.get(), std::move(options), std::move(hooks));
  if (!rebalancer.ok()) return rebalancer.status();
  {
    absl::MutexLock lock(&recommend_mu_);
    rebalancer_ = std::move(*rebalancer);
  }
  LOG(INFO) << "client rebalancing on: runtime " << tracker_.runtime_id() << " advertised as "
            << advertised_host_ << ":" << advertised_port_ << ", every "
            << config_.rebalance_interval_ms << " ms";
  ready_ = true;
  return absl::OkStatus();
}

absl::Status Server::StartAdmin() {
  admin::AdminContext context;
  context.config = &config_;
  context.connector = connector_.get();
  context.topics = topics_.get();
  context.consumers = consumers_.get();
  context.metrics = metrics_registry_.get();
  context.runtime_id = tracker_.runtime_id();
  context.ready = [this] { return ready_.load(); };
  context.clients = [this] { return Clients(); };
  context.sessions_by_protocol = [this] {
    std::vector<std::pair<std::string, size_t>> out;
    for (const auto& frontend : frontends_) {
      out.emplace_back(std::string(frontend->name()), frontend->connected_clients());
    }
    return out;
  };
  context.reject_all_clients = [this]() -> size_t {
    return tcp_ != nullptr ? tcp_->server()->GoodbyeEach("rejected by the admin") : 0;
  };
  context.reject_client = [this](const std::string& id) -> absl::Status {
    uint64_t session = 0;
    if (tcp_ == nullptr || !absl::SimpleAtoi(id, &session)) {
      return absl::NotFoundError(absl::StrCat("no session ", id));
    }
    return tcp_->server()->Goodbye(session, "rejected by the admin");
  };
  context.redirect_client = [this](const std::string& id, const std::string& ip,
                                   int port) -> absl::Status {
    uint64_t session = 0;
    if (!absl::SimpleAtoi(id, &session))
      return absl::NotFoundError(absl::StrCat("no session ", id));
    return Redirect(session, ip, port);
  };
  context.publisher = publish_.get();
  context.webhooks = webhook_.get();
  context.disconnect_client = [this](const std::string& protocol,
                                     const std::string& id) -> absl::Status {
    for (const auto& frontend : frontends_) {
      if (frontend->name() == protocol) return frontend->Disconnect(id);
    }
    return absl::NotFoundError(absl::StrCat("the ", protocol, " protocol is not enabled"));
  };
  context.recommend = [this](const std::string& group, const std::string& purpose) {
    return Recommend(group, purpose);
  };
  context.mesh_instances = [this] { return MeshInstances(); };
  admin::AdminOptions options;
  options.address = config_.admin.address;
  options.port = config_.admin.port;
  if (!config_.admin.tls_cert_file.empty() || !config_.admin.tls_key_file.empty()) {
    auto tls = net::MakeServerTlsContext(
        {config_.admin.tls_cert_file, config_.admin.tls_key_file, config_.admin.tls_client_ca_file},
        {"eventMesh.server.admin.tls.certFile", "eventMesh.server.admin.tls.keyFile",
         "eventMesh.server.admin.tls.clientCaFile"});
    if (!tls.ok()) return tls.status();
    options.tls = *std::move(tls);
  }
  auto started = admin::AdminServer::Start(options, std::move(context));
  if (!started.ok()) return started.status();
  admin_ = std::move(*started);
  LOG(INFO) << "admin port " << config_.admin.address << ":" << admin_->port()
            << (config_.admin.token.empty() ? "" : " (token required)");
  return absl::OkStatus();
}

int Server::port_of(absl::string_view protocol) const {
  for (const auto& frontend : frontends_) {
    if (frontend->name() == protocol) return frontend->port();
  }
  return 0;
}

std::vector<admin::ClientInfo> Server::Clients() {
  std::vector<admin::ClientInfo> out;
  for (const tcp::SessionInfo& session : Sessions()) {
    if (!session.hello_done) continue;
    admin::ClientInfo client;
    client.protocol = "tcp";
    client.id = absl::StrCat(session.id);
    client.group = session.group;
    client.purpose = session.purpose;
    client.address = session.peer;
    client.subsystem = session.subsystem;
    client.env = session.env;
    client.idc = session.idc;
    client.path = session.path;
    client.version = session.version;
    client.pid = session.pid;
    client.topics = session.topics;
    client.unacked = session.unacked_pushes;
    client.age_ms = session.age_ms;
    out.push_back(std::move(client));
  }
  if (webhook_ != nullptr) {
    // One client per (group, url), with every topic it registered.
    std::map<std::pair<std::string, std::string>, admin::ClientInfo> hooks;
    for (const webhook::WebhookSubscriptionInfo& info : webhook_->List()) {
      admin::ClientInfo& client = hooks[{info.consumer_group, info.url}];
      client.protocol = "http";
      client.id = info.url;
      client.group = info.consumer_group;
      client.purpose = "sub";
      client.address = info.url;
      client.env = info.client.env;
      client.idc = info.client.idc;
      client.subsystem = info.client.sys;
      (void)absl::SimpleAtoi(info.client.pid, &client.pid);
      client.topics.push_back(info.topic.topic);
    }
    for (auto& [key, client] : hooks) out.push_back(std::move(client));
  }
  for (const auto& frontend : frontends_) {
    for (frontend::ConnectedClient& c : frontend->Clients()) {
      admin::ClientInfo client;
      client.protocol = std::string(frontend->name());
      client.id = std::move(c.id);
      client.group = std::move(c.group);
      client.purpose = std::move(c.purpose);
      client.address = std::move(c.address);
      client.version = std::move(c.version);
      client.pid = c.pid;
      client.topics = std::move(c.topics);
      client.unacked = c.unacked;
      client.age_ms = c.age_ms;
      out.push_back(std::move(client));
    }
  }
  return out;
}

std::string Server::Recommend(const std::string& group, const std::string& purpose) {
  absl::MutexLock lock(&recommend_mu_);
  if (advertised_port_ == 0) return "";  // not started yet
  if (rebalancer_ == nullptr) return absl::StrCat(advertised_host_, ":", advertised_port_);
  const cluster::RuntimeLoad best = rebalancer_->Recommend(cluster::PoolKey{group, purpose});
  return absl::StrCat(best.ip, ":", best.port);
}

std::string Server::InstanceId() {
  if (!config_.registry.instance_id.empty()) return config_.registry.instance_id;
  std::string id;
  {
    absl::MutexLock lock(&recommend_mu_);
    id = absl::StrCat(advertised_host_, "-", tcp_port() > 0 ? tcp_port() : http_port());
  }
  for (char& c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') c = '-';
  }
  return id;
}

absl::StatusOr<std::vector<admin::MeshInstance>> Server::MeshInstances() {
  std::vector<admin::MeshInstance> out;
  // Apache registers each protocol server on its own: one row per endpoint, named
  // "<name>-<PROTOCOL>".
  auto add = [&out](const registry::Instance& instance, int64_t last_update_ms) {
    for (const registry::Endpoint& endpoint : instance.endpoints) {
      admin::MeshInstance row;
      row.cluster = instance.mesh;
      row.name = absl::StrCat(instance.id, "-", absl::AsciiStrToUpper(endpoint.protocol));
      row.endpoint = absl::StrCat(endpoint.host, ":", endpoint.port);
      row.last_update_ms = last_update_ms;
      row.metadata = instance.metadata;
      if (!instance.idc.empty()) row.metadata.emplace("idc", instance.idc);
      out.push_back(std::move(row));
    }
  };
  if (registry::Registry* registry = mesh_registry_.load(); registry != nullptr) {
    auto snapshot = registry->List("");
    if (!snapshot.ok()) {
      return absl::Status(snapshot.status().code(),
                          absl::StrCat("the mesh registry: ", snapshot.status().message()));
    }
    // The registry keeps no update time (a listed instance holds a live lease): 0.
    for (const registry::Instance& instance : snapshot->instances) add(instance, 0);
    return out;
  }
  registry::Instance self;
  self.mesh = config_.server_cluster;
  self.id = InstanceId();
  self.idc = config_.server_idc;
  self.metadata["env"] = config_.server_env;
  std::string host;
  {
    absl::MutexLock lock(&recommend_mu_);
    host = advertised_host_;
  }
  for (const auto& frontend : frontends_) {
    self.endpoints.push_back({std::string(frontend->name()), host, frontend->port()});
  }
  add(self, absl::ToUnixMillis(absl::Now()));
  return out;
}

absl::Status Server::StartRegistryAgent() {
  registry::RegistryClientConfig client_config;
  client_config.type = config_.registry.type;
  client_config.addresses = config_.registry.addresses;
  client_config.token = config_.registry.token;
  client_config.ca_file = config_.registry.ca_file;
  client_config.cert_file = config_.registry.cert_file;
  client_config.key_file = config_.registry.key_file;
  auto client = registry::NewRegistryClient(client_config);
  if (!client.ok()) {
    return absl::Status(
        client.status().code(),
        absl::StrCat("eventMesh.registry.plugin.server-addr: ", client.status().message()));
  }
  registry_ = *std::move(client);
  mesh_registry_.store(registry_.get());
  discovery::RegistryAgentOptions options;
  registry::Instance& identity = options.identity;
  identity.mesh = config_.server_cluster;
  identity.idc = config_.server_idc;
  identity.id = InstanceId();
  for (const auto& frontend : frontends_) {
    identity.endpoints.push_back(
        {std::string(frontend->name()), advertised_host_, frontend->port()});
  }
  identity.metadata["env"] = config_.server_env;
  // Other meshes forward to this runtime's HTTP port over TLS when it serves HTTPS.
  if (config_.tls_enabled) identity.metadata[federation::kHttpSchemeMetadata] = "https";
  options.lease = absl::Milliseconds(config_.registry.lease_ms);
  options.report_interval = absl::Milliseconds(config_.registry.report_interval_ms);
  // Topics published before a restart stay this runtime's: their events may still wait in the
  // store to be forwarded to other meshes, which happens only while the topic is reported.
  auto published = discovery::PublishedTopics::Open(
      (std::filesystem::path(config_.data_dir) / "published-topics").string());
  if (!published.ok()) return published.status();
  published_topics_ = *std::move(published);
  auto agent = discovery::RegistryAgent::Start(registry_.get(), std::move(options), [this] {
    discovery::RuntimeReport report;
    for (const auto& frontend : frontends_) {
      report.load.clients += static_cast<int64_t>(frontend->connected_clients());
    }
    for (std::string& topic : published_topics_->Update(publish_->PublishedTopics())) {
      report.topics.push_back({std::move(topic), "pub", ""});
    }
    for (auto& [group, topic] : consumers_->Subscriptions()) {
      // Forwarding to other meshes is not this mesh wanting the topic (reported, it would make
      // the other meshes forward it here).
      if (core::IsReservedTopic(topic) || federation::IsForwardGroup(group)) continue;
      report.topics.push_back({std::move(topic), "sub", std::move(group)});
    }
    // The rebalancer's view of this runtime travels with the record (cluster/rebalancer.h).
    absl::MutexLock lock(&recommend_mu_);
    if (rebalancer_ != nullptr) {
      report.metadata[cluster::kLoadMetadataKey] = rebalancer_->CurrentReport();
    }
    return report;
  });
  if (!agent.ok()) {
    return absl::Status(agent.status().code(),
                        absl::StrCat("registering in the mesh registry (eventMesh.server.cluster=",
                                     config_.server_cluster, "): ", agent.status().message()));
  }
  registry_agent_ = *std::move(agent);
  if (!config_.federation.enabled) return absl::OkStatus();
  federation::MeshForwarderOptions forward;
  forward.self_mesh = config_.server_cluster;
  forward.self_idc = config_.server_idc;
  forward.batch_events = static_cast<int32_t>(config_.federation.batch_events);
  forward.window = static_cast<int32_t>(config_.federation.window);
  forward.batches_in_flight = static_cast<int32_t>(config_.federation.batches_in_flight);
  forward.username = config_.federation.username;
  forward.password = config_.federation.password;
  forward.tls_ca_file = config_.federation.tls_ca_file;
  forward.tls_cert_file = config_.federation.tls_cert_file;
  forward.tls_key_file = config_.federation.tls_key_file;
  auto forwarder =
      federation::MeshForwarder::Start(registry_.get(), consumers_.get(), topics_.get(), forward);
  if (!forwarder.ok()) return forwarder.status();
  forwarder_ = *std::move(forwarder);
  return absl::OkStatus();
}

void Server::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  ready_ = false;
  // Leave the registry first: clients and peers stop choosing this runtime.
  if (registry_agent_ != nullptr) registry_agent_->Stop();
  // Forwarding subscriptions close (and commit what the other meshes acknowledged) before the
  // consumers shut down.
  if (forwarder_ != nullptr) forwarder_->Stop();
  for (auto& frontend : frontends_) frontend->StopAccepting();
  if (rebalancer_ != nullptr) {
    // Graceful drain: clients move to live peers instead of being told goodbye.
    // The acceptor is closed, so the count only falls; wait for the redirected ones to go.
    tcp::TcpServer* tcp = tcp_->server();
    const size_t open = tcp->session_count();
    const size_t asked = rebalancer_->Drain();
    if (asked > 0) tcp->WaitForSessionsAtMost(open - std::min(open, asked), /*timeout_ms=*/5'000);
    rebalancer_->Stop();
  }
  for (auto& frontend : frontends_) frontend->Drain(/*timeout_ms=*/10'000);
  if (webhook_manager_ != nullptr) webhook_manager_->Shutdown();  // pushes stop before consumers
  if (admin_ != nullptr) admin_->Stop();  // its handlers read the consumers and the connector
  consumers_->Shutdown();
  requests_->CancelAll();
  for (auto& frontend : frontends_) frontend->Stop();
  webhook_.reset();  // its subscriptions close before the connector shuts down
  webhook_manager_ = nullptr;
  tracker_.Shutdown();  // closes the cross-runtime reply subscription
  connector_->Shutdown();
}

}  // namespace eventmesh::runtime
