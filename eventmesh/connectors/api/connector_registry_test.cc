#include "eventmesh/connectors/api/connector_registry.h"

#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

TEST(ConnectorRegistryTest, RegisterCreateAndErrors) {
  ConnectorRegistry registry;
  std::string seen_value;
  ASSERT_TRUE(registry
                  .Register("fake",
                            [&](const ConnectorConfig& config, const ConnectorContext& context)
                                -> absl::StatusOr<std::unique_ptr<Connector>> {
                              seen_value =
                                  config.at("k") + "|" + context.data_dir + "|" + context.section;
                              return absl::InvalidArgumentError("unknown key x");
                            })
                  .ok());
  EXPECT_TRUE(registry.Contains("fake"));
  auto again = registry.Register("fake", [](const ConnectorConfig&, const ConnectorContext&) {
    return absl::StatusOr<std::unique_ptr<Connector>>(absl::InternalError("no"));
  });
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "connector \"fake\" is already registered");

  ConnectorContext context;
  context.data_dir = "/data";
  auto created = registry.Create("fake", {{"k", "v"}}, context);
  EXPECT_EQ(created.status().message(), "unknown key x");
  EXPECT_EQ(seen_value, "v|/data|eventMesh.storage.fake.");
  // A section the caller chose is kept.
  context.section = "custom.";
  (void)registry.Create("fake", {{"k", "w"}}, context);
  EXPECT_EQ(seen_value, "w|/data|custom.");

  auto missing = registry.Create("kafka", {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "unknown connector \"kafka\"; registered: fake");
}

}  // namespace
}  // namespace eventmesh::connectors
