// The connector conformance suite (connectors/testing) over the "store" connector against an
// in-process store service (RocksDB engine); the outage test stops the service and starts it
// again on the same port over the same engine.

#include <map>
#include <memory>
#include <string>

#include "eventmesh/connectors/store/store_connector.h"
#include "eventmesh/connectors/testing/connector_conformance.h"
#include "eventmesh/runtime/testing/test_server.h"

namespace eventmesh::connectors::testing {
namespace {

class StoreEnvironment : public ConformanceEnvironment {
 public:
  std::string name() const override { return "store"; }
  absl::Status SetUp() override {
    auto service = runtime::testing::TestStoreService::Start(ConformanceDataDir("store"));
    if (!service.ok()) return service.status();
    service_ = std::move(*service);
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Connector>> Open() override {
    auto options = ParseStoreConfig({{"address", service_->address()},
                                     {"fetchWaitMs", "100"},
                                     {"heartbeatIntervalMs", "50"},
                                     {"commitIntervalMs", "20"},
                                     {"sessionTimeoutMs", "3000"},
                                     {"callTimeoutMs", "3000"},
                                     {"reconnectMaxBackoffMs", "100"},
                                     {"retryMaxBackoffMs", "200"}});
    if (!options.ok()) return options.status();
    auto connector = OpenStoreConnector(*options);
    if (!connector.ok()) return connector.status();
    return std::unique_ptr<Connector>(std::move(*connector));
  }
  absl::Status StopEngine() override {
    service_->StopServer();
    return absl::OkStatus();
  }
  absl::Status StartEngine() override { return service_->RestartServer(); }
  std::map<std::string, std::string> RuntimeProperties(const std::string&) override {
    std::map<std::string, std::string> properties;
    service_->AddRuntimeProperties(&properties);
    return properties;
  }

 private:
  std::unique_ptr<runtime::testing::TestStoreService> service_;
};

INSTANTIATE_TEST_SUITE_P(Store, ConnectorConformanceTest,
                         ::testing::Values(ConformanceFactory{
                             "store", [] { return std::make_unique<StoreEnvironment>(); }}),
                         ConformanceTestName);

}  // namespace
}  // namespace eventmesh::connectors::testing
