#include "eventmesh/connectors/builtin.h"

#include "eventmesh/connectors/embedded/embedded_connector.h"

namespace eventmesh::connectors {

absl::Status RegisterBuiltinConnectors(ConnectorRegistry* registry) {
  return RegisterEmbeddedConnector(registry);
}

}  // namespace eventmesh::connectors
