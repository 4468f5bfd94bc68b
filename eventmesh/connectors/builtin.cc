#include "eventmesh/connectors/builtin.h"

#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "eventmesh/connectors/kafka/kafka_connector.h"
#include "eventmesh/connectors/nats/nats_connector.h"
#include "eventmesh/connectors/store/store_connector.h"

namespace eventmesh::connectors {

absl::Status RegisterBuiltinConnectors(ConnectorRegistry* registry) {
  if (auto status = RegisterEmbeddedConnector(registry); !status.ok()) return status;
  if (auto status = RegisterStoreConnector(registry); !status.ok()) return status;
  if (auto status = kafka::RegisterKafkaConnector(registry); !status.ok()) return status;
  return RegisterNatsConnector(registry);
}

}  // namespace eventmesh::connectors
