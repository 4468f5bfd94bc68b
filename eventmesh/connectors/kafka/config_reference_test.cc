// The configuration reference in eventmesh/connectors/kafka/README.md (between the config-reference
// markers) must be exactly what KafkaKeyTable() renders. To update the README:
//   bazel run //eventmesh/connectors/kafka:config_reference -- --update

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/kafka/kafka_options.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors::kafka {
namespace {

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  const absl::Status status = config::CheckReadmeReference(
      "eventmesh/connectors/kafka/README.md", KafkaKeyTable().Markdown(),
      "bazel run //eventmesh/connectors/kafka:config_reference -- --update");
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  const absl::Status status = config::CheckKeyTable(KafkaKeyTable());
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace eventmesh::connectors::kafka
