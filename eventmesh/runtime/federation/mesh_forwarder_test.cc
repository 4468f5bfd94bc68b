#include "eventmesh/runtime/federation/mesh_forwarder.h"

#include "gtest/gtest.h"

namespace eventmesh::runtime::federation {
namespace {

registry::Instance Runtime(const std::string& mesh, const std::string& id,
                           std::vector<registry::TopicUse> topics) {
  registry::Instance in;
  in.mesh = mesh;
  in.id = id;
  in.endpoints = {{"http", "127.0.0.1", 10105}};
  in.topics = std::move(topics);
  return in;
}

TEST(ForwardRoutesTest, ATopicGoesToEveryOtherMeshThatWantsItWhenThisMeshProducesIt) {
  const std::vector<registry::Instance> all = {
      Runtime("a", "a1", {{"orders", "pub", ""}, {"users", "sub", "g"}}),
      Runtime("a", "a2", {{"audit", "pub", ""}, {"orders", "sub", "local"}}),
      Runtime("b", "b1", {{"orders", "sub", "billing"}, {"users", "pub", ""}}),
      Runtime("c", "c1", {{"orders", "sub", "ship"}, {"audit", "sub", "x"}, {"misc", "sub", "y"}}),
  };
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ForwardRoutes(all, "a"), (Pairs{{"audit", "c"}, {"orders", "b"}, {"orders", "c"}}));
  EXPECT_EQ(ForwardRoutes(all, "b"), (Pairs{{"users", "a"}}));
  EXPECT_TRUE(ForwardRoutes(all, "c").empty());
  EXPECT_EQ(ForwardGroup("b"), "eventmesh-forward-b");
}

}  // namespace
}  // namespace eventmesh::runtime::federation
