#include "eventmesh/runtime/federation/mesh_forwarder.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "eventmesh/common/backoff.h"
#include "eventmesh/net/tls.h"
#include "glog/logging.h"

namespace eventmesh::runtime::federation {

namespace {
constexpr absl::string_view kForwardGroupPrefix = "eventmesh-forward-";
}  // namespace

std::string ForwardGroup(const std::string& mesh) {
  return absl::StrCat(kForwardGroupPrefix, mesh);
}

bool IsForwardGroup(absl::string_view group) {
  return absl::StartsWith(group, kForwardGroupPrefix);
}

std::string HttpBaseUrl(const registry::Instance& instance) {
  const registry::Endpoint* http = instance.FindEndpoint("http");
  if (http == nullptr) return "";
  auto scheme = instance.metadata.find(kHttpSchemeMetadata);
  const bool tls = scheme != instance.metadata.end() && scheme->second == "https";
  const bool ipv6 = http->host.find(':') != std::string::npos;
  return absl::StrCat(tls ? "https://" : "http://", ipv6 ? "[" : "", http->host, ipv6 ? "]" : "",
                      ":", http->port);
}

std::vector<std::pair<std::string, std::string>> ForwardRoutes(
    const std::vector<registry::Instance>& instances, const std::string& self_mesh) {
  std::set<std::pair<std::string, std::string>> out;
  for (const registry::Route& route : registry::RoutesOf(instances)) {
    bool produced_here = false;
    for (const std::string& mesh : route.producers) produced_here |= mesh == self_mesh;
    if (!produced_here) continue;
    for (const registry::Route::Consumer& consumer : route.consumers) {
      if (consumer.mesh != self_mesh) out.emplace(route.topic, consumer.mesh);
    }
  }
  return {out.begin(), out.end()};
}

absl::StatusOr<std::unique_ptr<MeshForwarder>> MeshForwarder::Start(
    registry::Registry* registry, core::ConsumerManager* consumers, core::TopicRegistry* topics,
    MeshForwarderOptions options) {
  if (options.window < 1 || options.batch_events < 1 || options.batches_in_flight < 1) {
    return absl::InvalidArgumentError(
        "forwarding window, batch size and batches in flight must be positive");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "eventMesh.federation.tls.certFile and eventMesh.federation.tls.keyFile go together");
  }
  auto tls =
      net::MakeClientTlsContext({options.tls_ca_file, options.tls_cert_file, options.tls_key_file});
  if (!tls.ok()) {
    // "cannot use tls.caFile ..." names the key as the user wrote it.
    return absl::InvalidArgumentError(absl::StrReplaceAll(
        tls.status().message(), {{"cannot use tls.", "cannot use eventMesh.federation.tls."}}));
  }
  options.window = std::max<int64_t>(
      options.window, int64_t{options.batch_events} * (options.batches_in_flight + 1));
  std::unique_ptr<MeshForwarder> forwarder(
      new MeshForwarder(registry, consumers, topics, std::move(options), *std::move(tls)));
  forwarder->work_.emplace(boost::asio::make_work_guard(forwarder->io_));
  // Two threads: one may encode the next batches while the other reads answers.
  for (int i = 0; i < 2; ++i) {
    forwarder->io_threads_.emplace_back([f = forwarder.get()] { f->io_.run(); });
  }
  forwarder->thread_ = std::thread([f = forwarder.get()] { f->Loop(); });
  return forwarder;
}

MeshForwarder::MeshForwarder(registry::Registry* registry, core::ConsumerManager* consumers,
                             core::TopicRegistry* topics, MeshForwarderOptions options,
                             std::shared_ptr<boost::asio::ssl::context> tls)
    : registry_(registry),
      consumers_(consumers),
      topics_(topics),
      options_(std::move(options)),
      tls_(std::move(tls)) {}

MeshForwarder::~MeshForwarder() { Stop(); }

void MeshForwarder::Loop() {
  Backoff backoff(absl::Milliseconds(200), absl::Seconds(5), Backoff::Jitter::kEqual);
  uint64_t index = 0;
  bool have_index = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<registry::Snapshot> snapshot =
        have_index ? registry_->Watch("", index, options_.watch_wait) : registry_->List("");
    if (!snapshot.ok()) {
      const absl::Duration wait = backoff.Next();
      LOG_EVERY_N(WARNING, 20) << "mesh forwarding: registry: " << snapshot.status()
                               << " (retrying in " << wait << ")";
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
      continue;
    }
    backoff.Reset();
    const bool changed = !have_index || snapshot->index != index;
    index = snapshot->index;
    have_index = true;
    if (changed) Apply(snapshot->instances);
  }
}

void MeshForwarder::Apply(const std::vector<registry::Instance>& instances) {
  const auto wanted = ForwardRoutes(instances, options_.self_mesh);
  // The other meshes' HTTP endpoints, best first.
  std::map<std::string, std::vector<registry::Instance>> by_mesh;
  for (const registry::Instance& in : instances) by_mesh[in.mesh].push_back(in);
  auto endpoints_of = [&](const std::string& mesh) {
    std::vector<std::string> urls;
    for (const registry::Instance& in :
         registry::OrderForClient(by_mesh[mesh], options_.self_idc)) {
      std::string url = HttpBaseUrl(in);
      if (!url.empty()) urls.push_back(std::move(url));
    }
    return urls;
  };
  std::vector<std::pair<std::pair<std::string, std::string>, Route>> to_close;
  std::vector<std::pair<std::string, std::string>> to_open;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    const std::set<std::pair<std::string, std::string>> wanted_set(wanted.begin(), wanted.end());
    for (auto it = routes_.begin(); it != routes_.end();) {
      if (wanted_set.count(it->first) == 0) {
        to_close.emplace_back(it->first, std::move(it->second));
        it = routes_.erase(it);
      } else {
        it->second.target->SetEndpoints(endpoints_of(it->first.second));
        ++it;
      }
    }
    for (const auto& route : wanted) {
      if (routes_.count(route) == 0) to_open.push_back(route);
    }
  }
  for (auto& [key, route] : to_close) {
    LOG(INFO) << "mesh forwarding: mesh " << key.second << " no longer wants topic " << key.first
              << "; stopped (position kept)";
    consumers_->Unsubscribe(route.target->target_id(), ForwardGroup(key.second), key.first);
    route.target->Close();
  }
  for (const auto& [topic, mesh] : to_open) {
    if (absl::Status s = topics_->EnsureTopic(topic); !s.ok()) {
      LOG(WARNING) << "mesh forwarding: topic " << topic << ": " << s;
      continue;
    }
    ForwardOptions options;
    options.self_mesh = options_.self_mesh;
    options.target_mesh = mesh;
    options.topic = topic;
    options.window = options_.window;
    options.batch_events = options_.batch_events;
    options.batches_in_flight = options_.batches_in_flight;
    options.username = options_.username;
    options.password = options_.password;
    auto target = std::make_shared<ForwardTarget>(consumers_->NewExternalTargetId(),
                                                  std::move(options), &io_, tls_);
    target->SetEndpoints(endpoints_of(mesh));
    core::TargetSettings settings;
    settings.ack_timeout = false;  // the target retries until the other mesh stored the event
    absl::Status subscribed = consumers_->Subscribe(
        target, ForwardGroup(mesh), topic, connectors::ConsumeMode::kClustering,
        core::PushKind::kUnicast, settings, connectors::StartPosition::kEarliest);
    if (!subscribed.ok()) {
      LOG(WARNING) << "mesh forwarding: cannot subscribe topic " << topic << " for mesh " << mesh
                   << ": " << subscribed;
      target->Close();
      continue;  // tried again at the next registry change
    }
    LOG(INFO) << "mesh forwarding: topic " << topic << " -> mesh " << mesh;
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      consumers_->Unsubscribe(target->target_id(), ForwardGroup(mesh), topic);
      target->Close();
      continue;
    }
    routes_[{topic, mesh}] = Route{std::move(target)};
  }
}

void MeshForwarder::Stop() {
  std::map<std::pair<std::string, std::string>, Route> routes;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock lock(&mu_);
    routes.swap(routes_);
  }
  for (auto& [key, route] : routes) {
    consumers_->Unsubscribe(route.target->target_id(), ForwardGroup(key.second), key.first);
    route.target->Close();
  }
  work_.reset();
  // Closed targets' connections finish their last handlers; then the io threads return.
  for (auto& t : io_threads_) {
    if (t.joinable()) t.join();
  }
}

std::vector<ForwardInfo> MeshForwarder::Routes() const {
  absl::MutexLock lock(&mu_);
  std::vector<ForwardInfo> out;
  for (const auto& [key, route] : routes_) {
    ForwardInfo info;
    info.topic = key.first;
    info.mesh = key.second;
    info.stats = route.target->stats();
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace eventmesh::runtime::federation
