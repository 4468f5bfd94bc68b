#include "eventmesh/runtime/core/authenticator.h"

#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'800'000'000;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto acl = Acl::Parse(R"({"users":[{"username":"alice","password":"pw","groups":["shop-*"]},)"
                          R"({"username":"svc","publish":["*"]}]})",
                          "test");
    ASSERT_TRUE(acl.ok()) << acl.status();
    acl_ = std::move(*acl);
    auto verifier = TokenVerifier::FromSecret(kSecret);
    ASSERT_TRUE(verifier.ok());
    verifier_ = std::move(*verifier);
  }
  std::string Token(const std::string& subject, int64_t expires) {
    auto token = SignHs256Token(TokenClaims{subject, expires, 0, 0}, kSecret);
    EXPECT_TRUE(token.ok());
    return token.value_or("");
  }

  Acl acl_;
  std::unique_ptr<TokenVerifier> verifier_;
  int64_t throttle_now_ms_ = 0;
  LoginThrottle throttle_{LoginThrottle::Options{2, 1, 100}, [this] { return throttle_now_ms_; }};
};

TEST_F(AuthenticatorTest, PasswordTokenAndGroup) {
  Authenticator auth(&acl_, nullptr, verifier_.get(), [] { return kNow; });
  auto alice = auth.Login({"alice", "pw", "", "shop-eu", "10.0.0.1"});
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ((*alice)->username, "alice");
  EXPECT_EQ(auth.Login({"alice", "pw", "", "billing", "10.0.0.1"}).status().message(),
            "user \"alice\" may not use group \"billing\"");
  EXPECT_EQ(auth.Login({"alice", "nope", "", "", "10.0.0.1"}).status().message(),
            "authentication failed for user \"alice\"");
  // The token-only user logs in with a token, never with a password.
  EXPECT_FALSE(auth.Login({"svc", "", "", "", "10.0.0.1"}).ok());
  auto svc = auth.Login({"", "", Token("svc", kNow + 60), "any-group", "10.0.0.1"});
  ASSERT_TRUE(svc.ok()) << svc.status();
  EXPECT_EQ((*svc)->username, "svc");
  // A username beside the token must name the same user.
  EXPECT_EQ(auth.Login({"alice", "", Token("svc", kNow + 60), "", "10.0.0.1"}).status().message(),
            "token is for user \"svc\", not \"alice\"");
  EXPECT_EQ(auth.Login({"", "", Token("ghost", kNow + 60), "", "10.0.0.1"}).status().message(),
            "token user \"ghost\" is not in the credentials file");
  EXPECT_EQ(auth.Login({"", "", Token("svc", kNow - 3600), "", "10.0.0.1"}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthenticatorTest, TokensRefusedWithoutAKey) {
  Authenticator auth(&acl_, nullptr, nullptr);
  EXPECT_EQ(auth.Login({"", "", Token("svc", kNow + 60), "", "10.0.0.1"}).status().message(),
            "tokens are not accepted (no eventMesh.server.security.token.* key is set)");
}

TEST_F(AuthenticatorTest, EveryRefusalCountsForTheThrottle) {
  Authenticator auth(&acl_, &throttle_, verifier_.get(), [] { return kNow; });
  EXPECT_FALSE(auth.Login({"", "", "forged.token.x", "", "10.0.0.9"}).ok());
  EXPECT_FALSE(auth.Login({"alice", "pw", "", "other", "10.0.0.9"}).ok());
  // The burst of 2 is spent: even the right password is refused before it is checked.
  EXPECT_EQ(auth.Login({"alice", "pw", "", "", "10.0.0.9"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  // Another address is unaffected.
  EXPECT_TRUE(auth.Login({"alice", "pw", "", "", "10.0.0.10"}).ok());
}

}  // namespace
}  // namespace eventmesh::runtime::core
