#ifndef EVENTMESH_REGISTRY_TESTING_REGISTRY_CONTRACT_H_
#define EVENTMESH_REGISTRY_TESTING_REGISTRY_CONTRACT_H_

// The behaviour every Registry backend must show (register, list, leases, renew, deregister,
// watches, refusals), as one value-parameterized test suite. A backend's test instantiates it
// with a factory that starts the real backend on loopback:
//
//   INSTANTIATE_TEST_SUITE_P(Server, RegistryContractTest,
//                            ::testing::Values(BackendFactory(&StartMyBackend)));

#include <functional>
#include <memory>

#include "eventmesh/registry/registry.h"
#include "gtest/gtest.h"

namespace eventmesh::registry::testing {

// A running backend; destroying it stops it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::unique_ptr<Registry> NewClient() = 0;
};

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

class RegistryContractTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Registry> registry_;
};

}  // namespace eventmesh::registry::testing

#endif  // EVENTMESH_REGISTRY_TESTING_REGISTRY_CONTRACT_H_
