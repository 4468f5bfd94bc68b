#include "eventmesh/runtime/core/access_token.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::runtime::core {
namespace {

constexpr size_t kMinSecretBytes = 32;

absl::Status Refused(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("token ", reason));
}

std::string Hs256(absl::string_view secret, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string Time(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

// A NumericDate claim: absent -> 0; present but not an integer -> error.
absl::StatusOr<int64_t> NumericDate(const rapidjson::Value& claims, const char* key) {
  if (!claims.HasMember(key)) return 0;
  const rapidjson::Value& value = claims[key];
  if (value.IsInt64()) return value.GetInt64();
  if (value.IsDouble()) return static_cast<int64_t>(value.GetDouble());
  return Refused(absl::StrCat("malformed: \"", key, "\" must be a number of seconds"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::FromSecret(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat("an HS256 token secret needs at least ",
                                                   kMinSecretBytes, " bytes (has ", secret.size(),
                                                   ")"));
  }
  std::unique_ptr<TokenVerifier> verifier(new TokenVerifier());
  verifier->algorithm_ = "HS256";
  verifier->secret_ = std::move(secret);
  return verifier;
}

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::FromPublicKey(absl::string_view key) {
  std::string pem(absl::StripAsciiWhitespace(key));
  if (!absl::StartsWith(pem, "-----BEGIN")) {
    pem = absl::StrCat("-----BEGIN PUBLIC KEY-----\n", pem, "\n-----END PUBLIC KEY-----\n");
  }
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = bio != nullptr ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError("the token public key is not a PEM \"PUBLIC KEY\"");
  }
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < 2048) {
    EVP_PKEY_free(pkey);
    return absl::InvalidArgumentError(
        "the token public key must be an RSA key of at least 2048 bits (RS256)");
  }
  std::unique_ptr<TokenVerifier> verifier(new TokenVerifier());
  verifier->algorithm_ = "RS256";
  verifier->public_key_ = pkey;
  return verifier;
}

TokenVerifier::~TokenVerifier() { EVP_PKEY_free(static_cast<EVP_PKEY*>(public_key_)); }

bool TokenVerifier::CheckSignature(absl::string_view signed_part,
                                   absl::string_view signature) const {
  if (!secret_.empty()) {
    const std::string expected = Hs256(secret_, signed_part);
    return signature.size() == expected.size() &&
           CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr,
                           static_cast<EVP_PKEY*>(public_key_)) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

absl::StatusOr<TokenClaims> TokenVerifier::Verify(absl::string_view token, int64_t now_s) const {
  if (token.size() > kMaxTokenBytes) {
    return Refused(absl::StrCat("malformed: longer than ", kMaxTokenBytes, " bytes"));
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    return Refused("malformed: expected <header>.<claims>.<signature>");
  }
  std::string header_json, claims_json, signature;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_json) ||
      !absl::WebSafeBase64Unescape(parts[1], &claims_json) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Refused("malformed: a part is not base64url");
  }
  auto header = json::ParseJson(header_json, "token header");
  if (!header.ok() || !header->IsObject()) return Refused("malformed: header is not a JSON object");
  const auto alg = json::GetString(*header, "alg");
  if (!alg.has_value() || *alg != algorithm_) {
    return Refused(absl::StrCat("algorithm \"", alg.value_or(""), "\" is not accepted (expected ",
                                algorithm_, ")"));
  }
  // The signature covers the text exactly as sent: "<header>.<claims>".
  const absl::string_view signed_part = token.substr(0, parts[0].size() + 1 + parts[1].size());
  if (!CheckSignature(signed_part, signature)) return Refused("signature does not verify");

  auto claims = json::ParseJson(claims_json, "token claims");
  if (!claims.ok() || !claims->IsObject())
    return Refused("malformed: claims are not a JSON object");
  TokenClaims out;
  const auto sub = json::GetString(*claims, "sub");
  if (!sub.has_value() || sub->empty()) return Refused("has no \"sub\" claim");
  out.subject = std::string(*sub);
  auto exp = NumericDate(*claims, "exp");
  if (!exp.ok()) return exp.status();
  if (*exp == 0) return Refused("has no \"exp\" claim (tokens must expire)");
  auto nbf = NumericDate(*claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  auto iat = NumericDate(*claims, "iat");
  if (!iat.ok()) return iat.status();
  out.expires_at_s = *exp;
  out.not_before_s = *nbf;
  out.issued_at_s = *iat;
  if (now_s >= out.expires_at_s + kClockSkewS) {
    return Refused(absl::StrCat("expired at ", Time(out.expires_at_s)));
  }
  if (out.not_before_s != 0 && now_s + kClockSkewS < out.not_before_s) {
    return Refused(absl::StrCat("not valid before ", Time(out.not_before_s)));
  }
  return out;
}

absl::StatusOr<std::string> SignHs256Token(const TokenClaims& claims, absl::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("an HS256 token secret needs at least ", kMinSecretBytes, " bytes"));
  }
  if (claims.subject.empty() || claims.expires_at_s <= 0) {
    return absl::InvalidArgumentError("a token needs a subject and an expiry");
  }
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "sub");
  json::WriteString(w, claims.subject);
  json::WriteKey(w, "exp");
  w.Int64(claims.expires_at_s);
  if (claims.not_before_s != 0) {
    json::WriteKey(w, "nbf");
    w.Int64(claims.not_before_s);
  }
  if (claims.issued_at_s != 0) {
    json::WriteKey(w, "iat");
    w.Int64(claims.issued_at_s);
  }
  w.EndObject();
  std::string header, body, signature;
  absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})", &header);
  absl::WebSafeBase64Escape(absl::string_view(buffer.GetString(), buffer.GetSize()), &body);
  std::string signed_part = absl::StrCat(header, ".", body);
  absl::WebSafeBase64Escape(Hs256(secret, signed_part), &signature);
  return absl::StrCat(signed_part, ".", signature);
}

}  // namespace eventmesh::runtime::core
