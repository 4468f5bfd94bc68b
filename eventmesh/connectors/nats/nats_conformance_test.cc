// The connector conformance suite (connectors/testing) over the "nats" connector against a real
// nats-server with JetStream (file storage) on a free loopback port; the outage test kills the
// server (SIGKILL) and starts it again on the same port over the same store directory.

#include <map>
#include <memory>
#include <string>

#include "eventmesh/connectors/nats/nats_connector.h"
#include "eventmesh/connectors/nats/nats_test_server.h"
#include "eventmesh/connectors/testing/connector_conformance.h"

namespace eventmesh::connectors::testing {
namespace {

// Test timings: short pulls, publishes that give up after 2 s, quick reconnection.
const std::map<std::string, std::string>& TestKeys() {
  static const auto* const keys =
      new std::map<std::string, std::string>{{"fetchWaitMs", "100"},
                                             {"publishTimeoutMs", "2000"},
                                             {"reconnectWaitMs", "50"},
                                             {"connectTimeoutMs", "1000"},
                                             {"requestTimeoutMs", "2000"}};
  return *keys;
}

class NatsEnvironment : public ConformanceEnvironment {
 public:
  std::string name() const override { return "nats"; }
  absl::Status SetUp() override {
    auto server = NatsTestServer::Start(ConformanceDataDir("nats"));
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Connector>> Open() override {
    ConnectorConfig config(TestKeys().begin(), TestKeys().end());
    config["servers"] = server_->url();
    auto options = ParseNatsConfig(config);
    if (!options.ok()) return options.status();
    return OpenNatsConnector(*options);
  }
  absl::Status StopEngine() override {
    server_->Stop();
    return absl::OkStatus();
  }
  absl::Status StartEngine() override { return server_->Start(); }
  std::map<std::string, std::string> RuntimeProperties(const std::string&) override {
    std::map<std::string, std::string> properties{
        {"eventMesh.storage.plugin.type", "nats"},
        {"eventMesh.storage.nats.servers", server_->url()}};
    for (const auto& [key, value] : TestKeys()) properties["eventMesh.storage.nats." + key] = value;
    return properties;
  }

 private:
  std::unique_ptr<NatsTestServer> server_;
};

INSTANTIATE_TEST_SUITE_P(Nats, ConnectorConformanceTest,
                         ::testing::Values(ConformanceFactory{
                             "nats", [] { return std::make_unique<NatsEnvironment>(); }}),
                         ConformanceTestName);

}  // namespace
}  // namespace eventmesh::connectors::testing
