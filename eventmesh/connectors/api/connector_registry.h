#ifndef EVENTMESH_CONNECTORS_API_CONNECTOR_REGISTRY_H_
#define EVENTMESH_CONNECTORS_API_CONNECTOR_REGISTRY_H_

// A typed factory registry of connectors keyed by name ("embedded", "standalone", ...).
//
// Each factory builds its connector from its own config section: the key/value pairs of
// `eventMesh.storage.<name>.*` (ConnectorSection(name)) with that prefix stripped. A connector
// declares its keys in a config::KeyTable beside its options struct; its factory must reject
// keys it does not know with InvalidArgument naming the key as the user wrote it, section
// included (ConnectorContext::section). Built-in connectors are added by one explicit
// RegisterBuiltinConnectors(registry) call (connectors/builtin.h); there are no static
// initialisers. Tests build their own registry.
//
// Thread-safety: Register before use; Create is safe to call concurrently once registration is
// done. Errors: AlreadyExists (Register of a taken name), NotFound (Create of an unknown name,
// message lists the registered names), plus whatever the factory returns.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/connectors/api/connector.h"

namespace eventmesh::connectors {

// A connector's own configuration section (prefix stripped), e.g. {"path": "/data"}.
using ConnectorConfig = std::map<std::string, std::string>;

// The prefix of connector `name`'s keys in the runtime's configuration:
// "eventMesh.storage.<name>.".
std::string ConnectorSection(absl::string_view name);

// What the runtime tells every connector besides its own section.
struct ConnectorContext {
  // The runtime's data directory ("" = none); a connector that keeps local files puts them
  // under it unless its section says otherwise (the embedded store: <data_dir>/store).
  std::string data_dir;
  // The largest event data the runtime admits (eventMesh.server.maxEventSize); a connector must
  // be able to store an event this big plus its attributes.
  int64_t max_event_bytes = 1 << 20;
  // The prefix stripped from the section's keys, for messages ("eventMesh.storage.standalone.").
  // ConnectorRegistry::Create sets ConnectorSection(name) when empty; a connector parsed
  // directly with an empty section names its keys under its own canonical section.
  std::string section;
  // The runtime's metrics, or nullptr: a connector may register its own instruments there (the
  // embedded store: its commit writes). Outlives every connector created with this context.
  metrics::Registry* metrics = nullptr;
};

using ConnectorFactory = std::function<absl::StatusOr<std::unique_ptr<Connector>>(
    const ConnectorConfig& config, const ConnectorContext& context)>;

class ConnectorRegistry {
 public:
  absl::Status Register(const std::string& name, ConnectorFactory factory);
  bool Contains(const std::string& name) const { return factories_.count(name) > 0; }
  std::vector<std::string> Names() const;
  absl::StatusOr<std::unique_ptr<Connector>> Create(const std::string& name,
                                                    const ConnectorConfig& config,
                                                    const ConnectorContext& context = {}) const;

 private:
  std::map<std::string, ConnectorFactory> factories_;
};

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_API_CONNECTOR_REGISTRY_H_
