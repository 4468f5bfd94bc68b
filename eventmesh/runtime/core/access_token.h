#ifndef EVENTMESH_RUNTIME_CORE_ACCESS_TOKEN_H_
#define EVENTMESH_RUNTIME_CORE_ACCESS_TOKEN_H_

// Signed, expiring access tokens that stand in for a password: JSON Web Tokens (RFC 7519) in
// compact JWS form, "<header>.<claims>.<signature>", each part base64url without padding.
//
// A TokenVerifier accepts exactly one algorithm, chosen by its key, never by the token:
//   HS256 — HMAC-SHA256 with a shared secret of at least 32 bytes;
//   RS256 — RSA PKCS#1 v1.5 with SHA-256, verified with a public key (PEM, or the bare base64
//           X.509 SubjectPublicKeyInfo that Apache EventMesh's `security.publickey` holds).
// "alg": "none" and every other algorithm are refused. Claims: "sub" (required: the ACL user
// whose rights the token carries), "exp" (required, seconds since the epoch), "nbf" (optional);
// both times are checked with kClockSkewS of tolerance. Tokens longer than kMaxTokenBytes are
// refused before any decoding. Verify is thread-safe (the key is immutable after creation).

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::runtime::core {

struct TokenClaims {
  std::string subject;       // "sub"
  int64_t expires_at_s = 0;  // "exp"
  int64_t not_before_s = 0;  // "nbf"; 0 = absent
  int64_t issued_at_s = 0;   // "iat"; 0 = absent (informational)
};

class TokenVerifier {
 public:
  static constexpr size_t kMaxTokenBytes = 8192;
  static constexpr int64_t kClockSkewS = 30;

  // HS256. Errors: InvalidArgument (secret shorter than 32 bytes).
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> FromSecret(std::string secret);
  // RS256. `key` is a PEM "PUBLIC KEY" block or its base64 body alone. Errors: InvalidArgument
  // (not an RSA public key, or shorter than 2048 bits).
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> FromPublicKey(absl::string_view key);

  ~TokenVerifier();
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  // The claims of a token signed with this verifier's key and valid at `now_s`.
  // Errors: Unauthenticated with the reason ("token malformed: ...", "token algorithm \"x\" is
  // not accepted (expected HS256)", "token signature does not verify", "token expired at ...",
  // "token not valid before ...", "token has no \"sub\" claim").
  absl::StatusOr<TokenClaims> Verify(absl::string_view token, int64_t now_s) const;

  // "HS256" or "RS256".
  absl::string_view algorithm() const { return algorithm_; }

 private:
  TokenVerifier() = default;
  bool CheckSignature(absl::string_view signed_part, absl::string_view signature) const;

  std::string algorithm_;
  std::string secret_;          // HS256
  void* public_key_ = nullptr;  // RS256: EVP_PKEY*
};

// Makes an HS256 token for `claims` (what `tools/token` and tests use; any JWT library makes the
// same). Errors: InvalidArgument (secret shorter than 32 bytes, empty subject, no expiry).
absl::StatusOr<std::string> SignHs256Token(const TokenClaims& claims, absl::string_view secret);

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_ACCESS_TOKEN_H_
