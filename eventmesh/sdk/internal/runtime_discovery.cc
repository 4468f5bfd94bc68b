#include "eventmesh/sdk/internal/runtime_discovery.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/registry/client/registry_factory.h"

namespace eventmesh::sdk::internal {

std::string RuntimeAddress::ToString() const { return absl::StrCat(host, ":", port); }

std::vector<RuntimeAddress> OrderEndpoints(std::vector<registry::Instance> instances,
                                           absl::string_view idc, absl::string_view protocol,
                                           absl::string_view avoid) {
  std::vector<RuntimeAddress> ordered;
  std::vector<RuntimeAddress> avoided;
  for (const auto& instance : registry::OrderForClient(std::move(instances), idc)) {
    const registry::Endpoint* endpoint = instance.FindEndpoint(protocol);
    if (endpoint == nullptr) continue;
    RuntimeAddress address{endpoint->host, endpoint->port, instance.id, instance.idc};
    if (!avoid.empty() && address.ToString() == avoid) {
      avoided.push_back(std::move(address));
    } else {
      ordered.push_back(std::move(address));
    }
  }
  for (auto& address : avoided) ordered.push_back(std::move(address));
  return ordered;
}

absl::StatusOr<std::unique_ptr<RuntimeDiscovery>> RuntimeDiscovery::Create(
    const RegistryOptions& options) {
  registry::RegistryClientConfig config;
  config.type = options.type;
  config.addresses = options.addresses;
  config.token = options.token;
  config.timeout = options.timeout;
  config.ca_file = options.ca_file;
  auto make = [config]() -> absl::StatusOr<std::unique_ptr<registry::Registry>> {
    auto client = registry::NewRegistryClient(config);
    if (!client.ok()) {
      return absl::Status(client.status().code(),
                          absl::StrCat("registry: ", client.status().message()));
    }
    return std::unique_ptr<registry::Registry>(*std::move(client));
  };
  auto client = make();
  if (!client.ok()) return client.status();
  return std::make_unique<RuntimeDiscovery>(options, *std::move(client), std::move(make));
}

RuntimeDiscovery::RuntimeDiscovery(
    const RegistryOptions& options, std::unique_ptr<registry::Registry> registry,
    std::function<absl::StatusOr<std::unique_ptr<registry::Registry>>()> make_registry)
    : mesh_(options.mesh),
      idc_(options.idc),
      registry_(std::move(registry)),
      make_registry_(std::move(make_registry)) {}

RuntimeDiscovery::~RuntimeDiscovery() { Shutdown(); }

void RuntimeDiscovery::StartWatching(RegistryViewOptions options,
                                     RegistryView::OnChange on_change) {
  if (!make_registry_) return;
  absl::MutexLock lock(&mu_);
  if (view_ != nullptr) return;
  auto client = make_registry_();
  if (!client.ok()) return;  // the same configuration made registry_: cannot fail here
  watch_registry_ = std::shared_ptr<registry::Registry>(*std::move(client));
  options.mesh = mesh_;
  view_ = std::make_shared<RegistryView>(watch_registry_.get(), std::move(options),
                                         std::move(on_change));
}

std::shared_ptr<RegistryView> RuntimeDiscovery::view() const {
  absl::MutexLock lock(&mu_);
  return view_;
}

std::optional<std::vector<RuntimeAddress>> RuntimeDiscovery::FindInView(
    absl::string_view protocol, absl::string_view avoid) const {
  auto view = this->view();
  if (view == nullptr) return std::nullopt;
  auto fresh = view->Fresh();
  if (!fresh.has_value()) return std::nullopt;
  auto ordered = OrderEndpoints(std::move(fresh->instances), idc_, protocol, avoid);
  if (ordered.empty()) return std::nullopt;
  return ordered;
}

RegistryView::Stats RuntimeDiscovery::view_stats() const {
  auto view = this->view();
  return view == nullptr ? RegistryView::Stats{} : view->stats();
}

void RuntimeDiscovery::Shutdown() {
  if (auto view = this->view(); view != nullptr) view->Stop();
  registry_->Shutdown();
}

absl::StatusOr<std::vector<RuntimeAddress>> RuntimeDiscovery::Find(absl::string_view protocol,
                                                                   absl::string_view avoid) {
  auto snapshot = registry_->List(mesh_);
  if (!snapshot.ok()) {
    if (absl::IsNotFound(snapshot.status())) {
      // Some backends answer an unknown mesh with NotFound: the same as an empty one.
      snapshot = registry::Snapshot{};
    } else {
      return absl::Status(
          snapshot.status().code(),
          absl::StrCat("registry lookup for mesh \"", mesh_, "\": ", snapshot.status().message()));
    }
  }
  auto ordered = OrderEndpoints(std::move(snapshot->instances), idc_, protocol, avoid);
  if (ordered.empty()) {
    return absl::UnavailableError(absl::StrCat("no runtime of mesh \"", mesh_, "\" with a ",
                                               protocol, " endpoint is registered"));
  }
  return ordered;
}

}  // namespace eventmesh::sdk::internal
