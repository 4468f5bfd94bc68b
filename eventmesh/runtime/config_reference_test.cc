// The configuration reference in eventmesh/runtime/README.md (between the config-reference
// markers) must be exactly what RuntimeKeyTable() renders, so the documented keys, defaults and
// ranges cannot drift from the code. To update the README:
//   bazel run //eventmesh/runtime:config_reference -- --update

#include "eventmesh/common/config/reference.h"
#include "eventmesh/runtime/config.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  const absl::Status status =
      config::CheckReadmeReference("eventmesh/runtime/README.md", RuntimeKeyTable().Markdown(),
                                   "bazel run //eventmesh/runtime:config_reference -- --update");
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  const absl::Status status = config::CheckKeyTable(RuntimeKeyTable());
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace eventmesh::runtime
