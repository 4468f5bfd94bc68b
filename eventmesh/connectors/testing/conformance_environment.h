#ifndef EVENTMESH_CONNECTORS_TESTING_CONFORMANCE_ENVIRONMENT_H_
#define EVENTMESH_CONNECTORS_TESTING_CONFORMANCE_ENVIRONMENT_H_

// What the connector conformance suite (connector_conformance.h) needs from one connector: a way
// to open it against a test engine, the runtime properties that select it, and optionally a way
// to stop and restart the engine behind it.
//
// Lifecycle: the suite makes one environment per test (ConformanceFactory::make), calls SetUp()
// once, then Open() any number of times (connectors opened one after another, or at the same
// time when SeveralConnectorsAtOnce()), and destroys the environment at the end of the test after
// every connector it opened was destroyed. The environment owns the engine (a server process, an
// in-process server, a directory) and must stop it when destroyed.
// Thread-safety: called from the test thread only.

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/connectors/api/connector_registry.h"

namespace eventmesh::connectors::testing {

class ConformanceEnvironment {
 public:
  virtual ~ConformanceEnvironment() = default;

  // The connector's registered name ("embedded", "store", "nats"): Connector::name() must equal
  // it and the runtime selects it with eventMesh.storage.plugin.type=<name>.
  virtual std::string name() const = 0;

  // Starts the engine (directories, servers). Called once, before anything else.
  virtual absl::Status SetUp() = 0;

  // A new connector on the engine, as one runtime would open it. The suite destroys a connector
  // before reopening when !SeveralConnectorsAtOnce(); the engine's data (topics, committed
  // positions) must survive closing and reopening a connector.
  virtual absl::StatusOr<std::unique_ptr<Connector>> Open() = 0;

  // Whether several connectors may be open on the engine at once (several runtimes sharing it).
  // The embedded store is one process's directory: false.
  virtual bool SeveralConnectorsAtOnce() const { return true; }

  // Stops the engine while connectors stay open (an outage), and starts it again on the same
  // address with the same data. Unimplemented when the engine lives inside the connector (the
  // suite then skips the outage tests).
  virtual absl::Status StopEngine() { return absl::UnimplementedError("in-process engine"); }
  virtual absl::Status StartEngine() { return absl::UnimplementedError("in-process engine"); }

  // Registers the connector (and whatever it needs) in a runtime's registry. Default: the
  // binary's built-in connectors (RegisterBuiltinConnectors).
  virtual absl::Status RegisterConnectors(ConnectorRegistry* registry);

  // The runtime properties that select this connector on this engine, with test timings:
  // eventMesh.storage.plugin.type=<name> plus its eventMesh.storage.<name>.* keys. `data_dir` is
  // the runtime's eventMesh.server.dataDir (a fresh directory per runtime).
  virtual std::map<std::string, std::string> RuntimeProperties(const std::string& data_dir) = 0;
};

// One instantiation of the suite: a display name (a valid gtest name: letters, digits, '_')
// and a factory making a fresh environment per test.
struct ConformanceFactory {
  std::string name;
  std::function<std::unique_ptr<ConformanceEnvironment>()> make;
};

// A fresh directory for the running test: TEST_TMPDIR/<suite>/<test>_<parameter>/<name>,
// created (a test failure is added when it cannot be).
std::string ConformanceDataDir(const std::string& name);

inline void PrintTo(const ConformanceFactory& factory, std::ostream* os) { *os << factory.name; }

}  // namespace eventmesh::connectors::testing

#endif  // EVENTMESH_CONNECTORS_TESTING_CONFORMANCE_ENVIRONMENT_H_
