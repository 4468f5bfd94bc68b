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
  auto client = registry::NewRegistryClient(config);
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("registry: ", client.status().message()));
  }
  return std::make_unique<RuntimeDiscovery>(options, *std::move(client));
}

RuntimeDiscovery::RuntimeDiscovery(const RegistryOptions& options,
                                   std::unique_ptr<registry::Registry> registry)
    : mesh_(options.mesh), idc_(options.idc), registry_(std::move(registry)) {}

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
