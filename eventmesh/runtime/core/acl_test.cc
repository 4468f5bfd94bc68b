#include "eventmesh/runtime/core/acl.h"

#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

TEST(AclTest, AuthenticatesAndMatchesPatterns) {
  auto acl =
      Acl::Parse(R"({"users":[{"username":"alice","password":"pw","publish":["orders","audit.*"],)"
                 R"("subscribe":["*"]},{"username":"bob","password":"b"}]})",
                 "test");
  ASSERT_TRUE(acl.ok()) << acl.status();
  EXPECT_EQ(acl->Authenticate("alice", "wrong"), nullptr);
  EXPECT_EQ(acl->Authenticate("carol", "pw"), nullptr);
  const AclUser* alice = acl->Authenticate("alice", "pw");
  ASSERT_NE(alice, nullptr);
  EXPECT_TRUE(Acl::CanPublish(*alice, "orders"));
  EXPECT_TRUE(Acl::CanPublish(*alice, "audit.login"));
  EXPECT_FALSE(Acl::CanPublish(*alice, "orders2"));
  EXPECT_TRUE(Acl::CanSubscribe(*alice, "anything"));
  const AclUser* bob = acl->Authenticate("bob", "b");
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(Acl::CanPublish(*bob, "orders"));
  EXPECT_FALSE(Acl::CanSubscribe(*bob, "orders"));
}

TEST(AclTest, BadFilesAreNamed) {
  EXPECT_EQ(Acl::Parse(R"({"users":[{"username":"a"}]})", "f").status().message(),
            "f: every user needs a non-empty \"username\" and a \"password\"");
  EXPECT_EQ(Acl::Parse(R"({"users":[{"username":"a","password":"x"},)"
                       R"({"username":"a","password":"y"}]})",
                       "f")
                .status()
                .message(),
            "f: duplicate user \"a\"");
  EXPECT_EQ(Acl::Parse(R"({"people":[]})", "f").status().message(),
            "f: expected an object with a \"users\" array");
  EXPECT_EQ(Acl::Load("/nonexistent/creds.json").status().message(),
            "cannot read credentials file /nonexistent/creds.json");
}

}  // namespace
}  // namespace eventmesh::runtime::core
