#include "eventmesh/runtime/frontend/frontend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace eventmesh::runtime::frontend {

absl::Status FrontendRegistry::Register(const std::string& name, FrontendFactory factory) {
  if (name.empty() || !factory) {
    return absl::InvalidArgumentError("a frontend needs a name and a factory");
  }
  if (!factories_.emplace(name, std::move(factory)).second) {
    return absl::AlreadyExistsError(absl::StrCat("frontend \"", name, "\" is already registered"));
  }
  return absl::OkStatus();
}

std::vector<std::string> FrontendRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<Frontend>> FrontendRegistry::Create(
    const std::string& name, const FrontendServices& services) const {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    return absl::NotFoundError(absl::StrCat("protocol \"", name, "\" is not available (available: ",
                                            absl::StrJoin(Names(), ", "), ")"));
  }
  return it->second(services);
}

}  // namespace eventmesh::runtime::frontend
