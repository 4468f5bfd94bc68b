#ifndef EVENTMESH_CONNECTORS_TESTING_CONNECTOR_CONFORMANCE_H_
#define EVENTMESH_CONNECTORS_TESTING_CONNECTOR_CONFORMANCE_H_

// The connector conformance suite: the same parameterised tests (connector_conformance.cc) run
// against every connector, through the Connector interface and, for behaviour that belongs to
// the runtime (ack timeout, dead letters, request-reply, the event size limit), through an
// in-process runtime configured with the connector. A connector's test file provides a
// ConformanceEnvironment (conformance_environment.h) and instantiates the suite once:
//
//   INSTANTIATE_TEST_SUITE_P(Nats, ConnectorConformanceTest,
//                            ::testing::Values(ConformanceFactory{"nats", &MakeNatsEnvironment}),
//                            ConformanceTestName);
//
// and links //eventmesh/connectors/testing:connector_conformance. What each test checks is
// listed in eventmesh/connectors/testing/README.md. Every wait is bounded; outage tests are
// skipped when the environment cannot stop its engine.

#include <memory>
#include <string>
#include <vector>

#include "eventmesh/connectors/testing/conformance_environment.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors::testing {

class ConnectorConformanceTest : public ::testing::TestWithParam<ConformanceFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens a connector (owned by the fixture, shut down and destroyed in TearDown or by
  // CloseConnector) and checks its name.
  Connector* OpenConnector();
  // Shuts `connector` down and destroys it (a runtime stopping).
  void CloseConnector(Connector* connector);

  std::unique_ptr<ConformanceEnvironment> env_;
  std::vector<std::unique_ptr<Connector>> connectors_;
};

// The test-name suffix: the factory's name.
std::string ConformanceTestName(const ::testing::TestParamInfo<ConformanceFactory>& info);

}  // namespace eventmesh::connectors::testing

#endif  // EVENTMESH_CONNECTORS_TESTING_CONNECTOR_CONFORMANCE_H_
