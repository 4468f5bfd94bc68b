// The configuration reference in eventmesh/connectors/store/README.md (between the config-reference
// markers) must be exactly what StoreConnectorKeyTable() renders. To update the README:
//   bazel run //eventmesh/connectors/store:config_reference -- --update

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/store/store_connector.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  const absl::Status status = config::CheckReadmeReference(
      "eventmesh/connectors/store/README.md", StoreConnectorKeyTable().Markdown(),
      "bazel run //eventmesh/connectors/store:config_reference -- --update");
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  const absl::Status status = config::CheckKeyTable(StoreConnectorKeyTable());
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace eventmesh::connectors
