#include "eventmesh/runtime/core/access_token.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";
// Made with Python's hmac module (an implementation independent of ours):
// header {"typ":"JWT","alg":"HS256"}, claims {"sub":"alice","exp":2000000000,"iat":1700000000}.
constexpr char kPythonToken[] =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9."
    "eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMCwiaWF0IjoxNzAwMDAwMDAwfQ."
    "xgBD3-vRoOnpNhLYyb8Ce3VOmVEXyenkr11FGvhNV_g";
constexpr int64_t kNow = 1'800'000'000;

std::string B64(absl::string_view text) {
  std::string out;
  absl::WebSafeBase64Escape(text, &out);
  return out;
}

// An HS256 token over any claims text, signed with kSecret.
std::string HsSign(absl::string_view claims) {
  const std::string signed_part = absl::StrCat(B64(R"({"alg":"HS256"})"), ".", B64(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
       &length);
  return absl::StrCat(signed_part, ".",
                      B64(absl::string_view(reinterpret_cast<char*>(mac), length)));
}

TEST(AccessTokenTest, VerifiesATokenMadeElsewhere) {
  auto verifier = TokenVerifier::FromSecret(kSecret);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  auto claims = (*verifier)->Verify(kPythonToken, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->expires_at_s, 2'000'000'000);
  EXPECT_EQ(claims->issued_at_s, 1'700'000'000);
  EXPECT_EQ(claims->not_before_s, 0);
}

TEST(AccessTokenTest, SignedTokensRoundTripAndExpire) {
  auto verifier = TokenVerifier::FromSecret(kSecret);
  ASSERT_TRUE(verifier.ok());
  TokenClaims claims;
  claims.subject = "bob";
  claims.expires_at_s = kNow + 60;
  claims.not_before_s = kNow - 10;
  auto token = SignHs256Token(claims, kSecret);
  ASSERT_TRUE(token.ok()) << token.status();
  auto back = (*verifier)->Verify(*token, kNow);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->subject, "bob");
  // Expiry and not-before, with the clock-skew tolerance on each side.
  EXPECT_TRUE((*verifier)->Verify(*token, kNow + 60 + TokenVerifier::kClockSkewS - 1).ok());
  EXPECT_EQ((*verifier)->Verify(*token, kNow + 60 + TokenVerifier::kClockSkewS).status().message(),
            "token expired at 2027-01-15T08:01:00Z");
  EXPECT_EQ(
      (*verifier)->Verify(*token, kNow - 10 - TokenVerifier::kClockSkewS - 1).status().message(),
      "token not valid before 2027-01-15T07:59:50Z");
  EXPECT_EQ((*verifier)->Verify(*token, kNow + 100000).status().code(),
            absl::StatusCode::kUnauthenticated);
  // Another secret does not verify it.
  auto other = TokenVerifier::FromSecret("another secret of at least 32 bytes!!");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->Verify(*token, kNow).status().message(), "token signature does not verify");
}

TEST(AccessTokenTest, RefusesForgedAndMalformedTokens) {
  auto verifier = TokenVerifier::FromSecret(kSecret);
  ASSERT_TRUE(verifier.ok());
  const TokenVerifier& v = **verifier;
  // alg "none" with an empty signature: the classic forgery.
  const std::string none =
      absl::StrCat(B64(R"({"alg":"none"})"), ".", B64(R"({"sub":"alice","exp":2000000000})"), ".");
  EXPECT_EQ(v.Verify(none, kNow).status().message(),
            "token algorithm \"none\" is not accepted (expected HS256)");
  // A changed claim keeps the old signature.
  std::string tampered = kPythonToken;
  const size_t dot = tampered.find('.');
  tampered.replace(dot + 1, tampered.find('.', dot + 1) - dot - 1,
                   B64(R"({"sub":"admin","exp":2000000000})"));
  EXPECT_EQ(v.Verify(tampered, kNow).status().message(), "token signature does not verify");
  EXPECT_EQ(v.Verify("abc", kNow).status().message(),
            "token malformed: expected <header>.<claims>.<signature>");
  EXPECT_EQ(v.Verify("a.b.c.d", kNow).status().message(),
            "token malformed: expected <header>.<claims>.<signature>");
  EXPECT_EQ(v.Verify("!!.??.**", kNow).status().message(),
            "token malformed: a part is not base64url");
  EXPECT_EQ(
      v.Verify(absl::StrCat(B64("[[[["), ".", B64("{}"), ".", B64("s")), kNow).status().message(),
      "token malformed: header is not a JSON object");
  EXPECT_EQ(v.Verify(std::string(TokenVerifier::kMaxTokenBytes + 1, 'a'), kNow).status().message(),
            "token malformed: longer than 8192 bytes");
  // Signed correctly but without the required claims.
  EXPECT_EQ(v.Verify(HsSign(R"({"exp":2000000000})"), kNow).status().message(),
            "token has no \"sub\" claim");
  EXPECT_EQ(v.Verify(HsSign(R"({"sub":"alice"})"), kNow).status().message(),
            "token has no \"exp\" claim (tokens must expire)");
  EXPECT_EQ(v.Verify(HsSign(R"({"sub":"alice","exp":"tomorrow"})"), kNow).status().message(),
            "token malformed: \"exp\" must be a number of seconds");
  EXPECT_FALSE(SignHs256Token(TokenClaims{}, kSecret).ok());
  EXPECT_FALSE(TokenVerifier::FromSecret("short").ok());
}

// RS256, as Apache EventMesh's auth-token plugin signs: an RSA key made here, the token signed
// with OpenSSL directly.
struct RsaKey {
  RsaKey() : key(EVP_RSA_gen(2048)) {}
  ~RsaKey() { EVP_PKEY_free(key); }
  std::string PublicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string Sign(absl::string_view header, absl::string_view claims) const {
    const std::string signed_part = absl::StrCat(B64(header), ".", B64(claims));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t length = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &length,
                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    std::string signature(length, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    EVP_MD_CTX_free(ctx);
    signature.resize(length);
    return absl::StrCat(signed_part, ".", B64(signature));
  }
  EVP_PKEY* key;
};

TEST(AccessTokenTest, Rs256WithAPemOrABareBase64Key) {
  RsaKey rsa;
  ASSERT_NE(rsa.key, nullptr);
  const std::string pem = rsa.PublicPem();
  auto verifier = TokenVerifier::FromPublicKey(pem);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ((*verifier)->algorithm(), "RS256");
  const std::string token =
      rsa.Sign(R"({"alg":"RS256","typ":"JWT"})", R"({"sub":"carol","exp":2000000000})");
  auto claims = (*verifier)->Verify(token, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "carol");

  // Apache's security.publickey form: the base64 body alone, on one line.
  std::string body;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (!line.empty() && line[0] != '-') absl::StrAppend(&body, line);
  }
  auto bare = TokenVerifier::FromPublicKey(body);
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_TRUE((*bare)->Verify(token, kNow).ok());

  // Algorithm confusion: an HS256 token "signed" with the public key text is refused.
  auto confused = SignHs256Token(TokenClaims{"carol", 2'000'000'000, 0, 0}, pem);
  ASSERT_TRUE(confused.ok());
  EXPECT_EQ((*verifier)->Verify(*confused, kNow).status().message(),
            "token algorithm \"HS256\" is not accepted (expected RS256)");
  // Another key's signature.
  RsaKey other;
  EXPECT_EQ(
      (*verifier)
          ->Verify(other.Sign(R"({"alg":"RS256"})", R"({"sub":"carol","exp":2000000000})"), kNow)
          .status()
          .message(),
      "token signature does not verify");
  EXPECT_EQ(TokenVerifier::FromPublicKey("not a key").status().message(),
            "the token public key is not a PEM \"PUBLIC KEY\"");
}

}  // namespace
}  // namespace eventmesh::runtime::core
