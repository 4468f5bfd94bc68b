#ifndef EVENTMESH_CONNECTORS_BUILTIN_H_
#define EVENTMESH_CONNECTORS_BUILTIN_H_

// Registers every connector built into this binary: "embedded" (alias "standalone"), "store"
// (the store service), "kafka" (Apache Kafka) and "nats" (NATS JetStream).
// Call once per registry; AlreadyExists if called twice on the same registry.

#include "absl/status/status.h"
#include "eventmesh/connectors/api/connector_registry.h"

namespace eventmesh::connectors {

absl::Status RegisterBuiltinConnectors(ConnectorRegistry* registry);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_BUILTIN_H_
