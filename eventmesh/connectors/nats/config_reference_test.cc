// The configuration reference in eventmesh/connectors/nats/README.md (between the
// config-reference markers) must be exactly what NatsKeyTable() renders. To update the README:
//   bazel run //eventmesh/connectors/nats:config_reference -- --update

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/nats/nats_connector.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  const absl::Status status = config::CheckReadmeReference(
      "eventmesh/connectors/nats/README.md", NatsKeyTable().Markdown(),
      "bazel run //eventmesh/connectors/nats:config_reference -- --update");
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  const absl::Status status = config::CheckKeyTable(NatsKeyTable());
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace eventmesh::connectors
