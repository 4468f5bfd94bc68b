#include "eventmesh/registry/client/registry_factory.h"

#include "absl/strings/str_cat.h"
#include "eventmesh/registry/client/etcd_registry.h"
#include "eventmesh/registry/client/http_registry.h"

namespace eventmesh::registry {

absl::StatusOr<std::unique_ptr<Registry>> NewRegistryClient(const RegistryClientConfig& config) {
  if (config.type == "eventmesh") {
    HttpRegistryOptions options;
    options.addresses = config.addresses;
    options.token = config.token;
    options.timeout = config.timeout;
    options.ca_file = config.ca_file;
    options.cert_file = config.cert_file;
    options.key_file = config.key_file;
    auto client = HttpRegistry::Create(std::move(options));
    if (!client.ok()) return client.status();
    return std::unique_ptr<Registry>(*std::move(client));
  }
  if (config.type == "etcd") {
    EtcdRegistryOptions options;
    options.endpoints = config.addresses;
    options.timeout = config.timeout;
    auto client = EtcdRegistry::Create(std::move(options));
    if (!client.ok()) return client.status();
    return std::unique_ptr<Registry>(*std::move(client));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown registry type '", config.type, "' (eventmesh or etcd)"));
}

}  // namespace eventmesh::registry
