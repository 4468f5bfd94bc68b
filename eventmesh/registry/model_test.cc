#include "eventmesh/registry/model.h"

#include "gtest/gtest.h"

namespace eventmesh::registry {
namespace {

Instance Sample() {
  Instance in;
  in.mesh = "mesh-a";
  in.id = "rt-1";
  in.idc = "idc1";
  in.version = "1.0";
  in.endpoints = {{"tcp", "127.0.0.1", 10000}, {"http", "127.0.0.1", 10105}};
  in.load = {3, 12.5, 7};
  in.topics = {{"orders", "pub", ""}, {"orders", "sub", "billing"}};
  in.metadata = {{"env", "prod"}};
  return in;
}

TEST(ModelTest, JsonRoundTrip) {
  Instance in = Sample();
  in.lease_ttl_ms = 3000;
  in.modify_index = 9;
  auto back = InstanceFromJson(ToJson(in));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->SameReport(in));
  EXPECT_EQ(back->lease_ttl_ms, 3000);
  EXPECT_EQ(back->modify_index, 9u);
  EXPECT_EQ(back->FindEndpoint("http")->port, 10105);
  EXPECT_EQ(back->FindEndpoint("grpc"), nullptr);
}

TEST(ModelTest, ValidateNamesTheField) {
  Instance in = Sample();
  EXPECT_TRUE(Validate(in).ok());
  in.endpoints[1].port = 0;
  EXPECT_EQ(Validate(in).message(), "endpoints[1].port must be in 1..65535, got 0");
  in = Sample();
  in.endpoints[0].protocol = "smtp";
  EXPECT_EQ(Validate(in).message(),
            "endpoints[0].protocol must be tcp, http, grpc, mqtt or admin, got 'smtp'");
  in = Sample();
  in.topics[1].group = "";
  EXPECT_EQ(Validate(in).message(), "topics[1].group is required for role sub");
  in = Sample();
  in.mesh = "a/b";
  EXPECT_EQ(Validate(in).message(),
            "mesh 'a/b' may contain only letters, digits, '.', '_' and '-'");
  in = Sample();
  in.endpoints.clear();
  EXPECT_EQ(Validate(in).message(), "at least one endpoint is required");
}

TEST(ModelTest, MalformedJsonIsRefusedWithTheReason) {
  EXPECT_EQ(InstanceFromJson("{\"endpoints\":5}").status().message(), "endpoints must be an array");
  EXPECT_EQ(InstanceFromJson("{\"endpoints\":[{\"port\":\"x\"}]}").status().message(),
            "endpoints[0].port must be an integer");
  EXPECT_EQ(InstanceFromJson("[1,2]").status().message(), "instance must be a JSON object");
  const std::string deep(100'000, '[');
  EXPECT_EQ(InstanceFromJson(deep).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ModelTest, OrderForClientPrefersTheSameIdcThenTheLeastLoaded) {
  Instance a = Sample(), b = Sample(), c = Sample();
  a.id = "a";
  a.idc = "idc2";
  a.load.clients = 0;
  b.id = "b";
  b.idc = "idc1";
  b.load.clients = 50;
  c.id = "c";
  c.idc = "idc1";
  c.load.clients = 10;
  auto ordered = OrderForClient({a, b, c}, "idc1");
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[0].id, "c");
  EXPECT_EQ(ordered[1].id, "b");
  EXPECT_EQ(ordered[2].id, "a");
  ordered = OrderForClient({a, b, c}, "");
  EXPECT_EQ(ordered[0].id, "a");
}

TEST(ModelTest, RoutesSayWhoProducesAndWhoWantsEachTopic) {
  Instance a = Sample();  // mesh-a: pub orders, sub orders/billing
  Instance b = Sample();
  b.mesh = "mesh-b";
  b.topics = {{"orders", "sub", "shipping"}, {"orders", "sub", "audit"}, {"users", "pub", ""}};
  auto routes = RoutesOf({a, b});
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].topic, "orders");
  EXPECT_EQ(routes[0].producers, std::vector<std::string>{"mesh-a"});
  ASSERT_EQ(routes[0].consumers.size(), 2u);
  EXPECT_EQ(routes[0].consumers[0].mesh, "mesh-a");
  EXPECT_EQ(routes[0].consumers[1].mesh, "mesh-b");
  EXPECT_EQ(routes[0].consumers[1].groups, (std::vector<std::string>{"audit", "shipping"}));
  EXPECT_EQ(routes[1].topic, "users");
  EXPECT_TRUE(routes[1].consumers.empty());
  EXPECT_EQ(RoutesOf({a, b}, "users").size(), 1u);
  EXPECT_EQ(RoutesToJson(RoutesOf({a, b}, "users")),
            "[{\"topic\":\"users\",\"producers\":[\"mesh-b\"],\"consumers\":[]}]");
}

}  // namespace
}  // namespace eventmesh::registry
