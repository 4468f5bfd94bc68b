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

TEST(HttpBaseUrlTest, HttpsForRuntimesThatAdvertiseIt) {
  registry::Instance in = Runtime("b", "b1", {});
  EXPECT_EQ(HttpBaseUrl(in), "http://127.0.0.1:10105");
  in.metadata[kHttpSchemeMetadata] = "https";
  EXPECT_EQ(HttpBaseUrl(in), "https://127.0.0.1:10105");
  in.endpoints = {{"http", "::1", 443}};
  EXPECT_EQ(HttpBaseUrl(in), "https://[::1]:443");
  in.endpoints = {{"tcp", "127.0.0.1", 10000}};
  EXPECT_EQ(HttpBaseUrl(in), "");
}

TEST(MeshForwarderTest, BadOptionsAreRefusedWithTheKeyName) {
  MeshForwarderOptions options;
  options.batches_in_flight = 0;
  auto forwarder = MeshForwarder::Start(nullptr, nullptr, nullptr, options);
  ASSERT_FALSE(forwarder.ok());
  EXPECT_EQ(forwarder.status().code(), absl::StatusCode::kInvalidArgument);

  options.batches_in_flight = 4;
  options.tls_cert_file = "/some/cert.pem";
  forwarder = MeshForwarder::Start(nullptr, nullptr, nullptr, options);
  ASSERT_FALSE(forwarder.ok());
  EXPECT_NE(forwarder.status().message().find("eventMesh.federation.tls.keyFile"),
            absl::string_view::npos)
      << forwarder.status();

  options.tls_cert_file.clear();
  options.tls_ca_file = "/nonexistent/ca.pem";
  forwarder = MeshForwarder::Start(nullptr, nullptr, nullptr, options);
  ASSERT_FALSE(forwarder.ok());
  EXPECT_NE(forwarder.status().message().find(
                "cannot use eventMesh.federation.tls.caFile \"/nonexistent/ca.pem\""),
            absl::string_view::npos)
      << forwarder.status();
}

}  // namespace
}  // namespace eventmesh::runtime::federation
