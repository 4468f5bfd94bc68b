// The configuration reference in eventmesh/connectors/embedded/README.md (between the
// config-reference markers) must be exactly what EmbeddedKeyTable() renders. To update the README:
//   bazel run //eventmesh/connectors/embedded:config_reference -- --update

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  const absl::Status status = config::CheckReadmeReference(
      "eventmesh/connectors/embedded/README.md", EmbeddedKeyTable().Markdown(),
      "bazel run //eventmesh/connectors/embedded:config_reference -- --update");
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  const absl::Status status = config::CheckKeyTable(EmbeddedKeyTable());
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace eventmesh::connectors
