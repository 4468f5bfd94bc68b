#include "eventmesh/runtime/core/acl.h"

#include "absl/strings/str_cat.h"
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

// The hash as `openssl kdf ... PBKDF2` prints it (upper-case hex, colon-separated) for the
// password "secret", salt 00112233445566778899aabbccddeeff, 1000 iterations.
constexpr char kSecretHash[] =
    "pbkdf2-sha256$1000$00112233445566778899aabbccddeeff$"
    "58:83:72:77:5F:B3:8B:57:11:B6:F3:6B:46:5E:29:3D:C7:B7:93:E0:08:55:0E:E8:A1:0B:B2:6A:8E:7F:85:"
    "B8";

TEST(AclTest, HashedPasswordsAreVerifiedWithPbkdf2) {
  auto acl = Acl::Parse(
      absl::StrCat(R"({"users":[{"username":"dora","passwordHash":")", kSecretHash,
                   R"(","publish":["*"]},)", R"({"username":"eve","password":"plain"}]})"),
      "test");
  ASSERT_TRUE(acl.ok()) << acl.status();
  const AclUser* dora = acl->Authenticate("dora", "secret");
  ASSERT_NE(dora, nullptr);
  EXPECT_TRUE(Acl::CanPublish(*dora, "x"));
  EXPECT_EQ(acl->Authenticate("dora", "Secret"), nullptr);
  EXPECT_EQ(acl->Authenticate("dora", ""), nullptr);
  EXPECT_NE(acl->Authenticate("eve", "plain"), nullptr);
  // Unknown users never match, even with a password that exists in the file.
  EXPECT_EQ(acl->Authenticate("mallory", "secret"), nullptr);
  EXPECT_EQ(acl->Authenticate("mallory", "plain"), nullptr);
  EXPECT_EQ(acl->Authenticate("", ""), nullptr);
}

TEST(AclTest, BadHashesAreNamed) {
  for (const char* bad : {"sha1$1000$0011223344556677$00112233445566778899aabbccddeeff",
                          "pbkdf2-sha256$0$0011223344556677$00112233445566778899aabbccddeeff",
                          "pbkdf2-sha256$1000$zz$00112233445566778899aabbccddeeff",
                          "pbkdf2-sha256$1000$0011223344556677$0011"}) {
    auto acl = Acl::Parse(
        absl::StrCat(R"({"users":[{"username":"u","passwordHash":")", bad, R"("}]})"), "f");
    ASSERT_FALSE(acl.ok()) << bad;
    EXPECT_NE(acl.status().message().find("f: user \"u\": \"passwordHash\""), std::string::npos)
        << acl.status();
  }
  EXPECT_FALSE(
      Acl::Parse(R"({"users":[{"username":"u","password":"p","passwordHash":"x"}]})", "f").ok());
}

TEST(AclTest, BadFilesAreNamed) {
  EXPECT_EQ(Acl::Parse(R"({"users":[{"password":"a"}]})", "f").status().message(),
            "f: every user needs a non-empty \"username\" and at most one of \"password\" and "
            "\"passwordHash\"");
  EXPECT_EQ(Acl::Parse(R"({"users":[{"username":"a","groups":"g"}]})", "f").status().message(),
            "f: \"groups\" must be an array");
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

TEST(AclTest, TokenOnlyUsersNeverLogInWithAPassword) {
  auto acl = Acl::Parse(R"({"users":[{"username":"svc","publish":["*"]}]})", "f");
  ASSERT_TRUE(acl.ok()) << acl.status();
  EXPECT_EQ(acl->Authenticate("svc", ""), nullptr);
  EXPECT_EQ(acl->Authenticate("svc", "\x01 never"), nullptr);
  const AclUser* svc = acl->Find("svc");
  ASSERT_NE(svc, nullptr);
  EXPECT_TRUE(svc->token_only);
  EXPECT_EQ(acl->Find("nobody"), nullptr);
}

TEST(AclTest, GroupsRestrictWhichGroupsAUserMayUse) {
  auto acl = Acl::Parse(R"({"users":[{"username":"a","password":"p","groups":["billing-*","ops"]},)"
                        R"({"username":"b","password":"p"},)"
                        R"({"username":"c","password":"p","groups":[]}]})",
                        "f");
  ASSERT_TRUE(acl.ok()) << acl.status();
  const AclUser* a = acl->Find("a");
  EXPECT_TRUE(Acl::CanUseGroup(*a, "billing-eu"));
  EXPECT_TRUE(Acl::CanUseGroup(*a, "ops"));
  EXPECT_FALSE(Acl::CanUseGroup(*a, "ops2"));
  EXPECT_FALSE(Acl::CanUseGroup(*a, "orders"));
  EXPECT_TRUE(Acl::CanUseGroup(*acl->Find("b"), "anything"));   // no "groups": any group
  EXPECT_FALSE(Acl::CanUseGroup(*acl->Find("c"), "anything"));  // empty list: none
}

}  // namespace
}  // namespace eventmesh::runtime::core
