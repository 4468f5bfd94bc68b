// The connector conformance suite (connectors/testing) over the "embedded" connector. Its engine
// lives inside the connector, so the outage test is skipped.

#include <map>
#include <memory>
#include <string>

#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "eventmesh/connectors/testing/connector_conformance.h"

namespace eventmesh::connectors::testing {
namespace {

class EmbeddedEnvironment : public ConformanceEnvironment {
 public:
  std::string name() const override { return "embedded"; }
  absl::Status SetUp() override {
    path_ = ConformanceDataDir("store");
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Connector>> Open() override {
    auto options = ParseEmbeddedConfig({{"path", path_},
                                        {"syncMode", "none"},
                                        {"fetchWaitMs", "100"},
                                        {"commitIntervalMs", "20"},
                                        {"heartbeatIntervalMs", "50"}});
    if (!options.ok()) return options.status();
    auto connector = OpenEmbeddedConnector(*options);
    if (!connector.ok()) return connector.status();
    return std::unique_ptr<Connector>(std::move(*connector));
  }
  bool SeveralConnectorsAtOnce() const override { return false; }  // one process per directory
  std::map<std::string, std::string> RuntimeProperties(const std::string&) override {
    return {{"eventMesh.storage.plugin.type", "embedded"}};
  }

 private:
  std::string path_;
};

INSTANTIATE_TEST_SUITE_P(Embedded, ConnectorConformanceTest,
                         ::testing::Values(ConformanceFactory{
                             "embedded", [] { return std::make_unique<EmbeddedEnvironment>(); }}),
                         ConformanceTestName);

}  // namespace
}  // namespace eventmesh::connectors::testing
