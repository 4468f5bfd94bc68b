#include "eventmesh/connectors/api/connector_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace eventmesh::connectors {

std::string ConnectorSection(absl::string_view name) {
  return absl::StrCat("eventMesh.storage.", name, ".");
}

absl::Status ConnectorRegistry::Register(const std::string& name, ConnectorFactory factory) {
  if (name.empty()) return absl::InvalidArgumentError("connector name must not be empty");
  if (!factory)
    return absl::InvalidArgumentError(absl::StrCat("connector \"", name, "\" has no factory"));
  if (!factories_.emplace(name, std::move(factory)).second) {
    return absl::AlreadyExistsError(absl::StrCat("connector \"", name, "\" is already registered"));
  }
  return absl::OkStatus();
}

std::vector<std::string> ConnectorRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<Connector>> ConnectorRegistry::Create(
    const std::string& name, const ConnectorConfig& config, const ConnectorContext& context) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    return absl::NotFoundError(absl::StrCat("unknown connector \"", name,
                                            "\"; registered: ", absl::StrJoin(Names(), ", ")));
  }
  if (!context.section.empty()) return it->second(config, context);
  ConnectorContext with_section = context;
  with_section.section = ConnectorSection(name);
  return it->second(config, with_section);
}

}  // namespace eventmesh::connectors
