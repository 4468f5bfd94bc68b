// The configuration reference in eventmesh/store/service/README.md (between the
// config-reference markers) must be exactly what StoreServiceKeyTable() renders. To update the
// README:
//   bazel run //eventmesh/store/service:config_reference -- --update

#include "eventmesh/common/config/reference.h"
#include "eventmesh/store/service/store_config.h"
#include "gtest/gtest.h"

namespace eventmesh::store::service {
namespace {

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  const absl::Status status = config::CheckReadmeReference(
      "eventmesh/store/service/README.md", StoreServiceKeyTable().Markdown(),
      "bazel run //eventmesh/store/service:config_reference -- --update");
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  const absl::Status status = config::CheckKeyTable(StoreServiceKeyTable());
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace eventmesh::store::service
