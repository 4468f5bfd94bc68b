#include "eventmesh/testing/tls_certs.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace eventmesh::testing {
namespace {

X509* ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return nullptr;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return cert;
}

// Verifies `leaf` against `ca` with `purpose`; returns the X509 verify error (0 = ok).
int Verify(const std::string& ca, const std::string& leaf, int purpose) {
  X509* ca_cert = ReadCert(ca);
  X509* leaf_cert = ReadCert(leaf);
  EXPECT_NE(ca_cert, nullptr);
  EXPECT_NE(leaf_cert, nullptr);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf_cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int result = X509_verify_cert(ctx) == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf_cert);
  X509_free(ca_cert);
  return result;
}

TEST(TlsCertsTest, ServerAndClientCertificatesVerifyAgainstTheirCaOnly) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  auto certs = GenerateTestCertificates(std::string(tmp ? tmp : "/tmp") + "/tls");
  ASSERT_TRUE(certs.ok()) << certs.status();
  EXPECT_EQ(Verify(certs->ca_cert, certs->server_cert, X509_PURPOSE_SSL_SERVER), 0);
  EXPECT_EQ(Verify(certs->ca_cert, certs->client_cert, X509_PURPOSE_SSL_CLIENT), 0);
  EXPECT_NE(Verify(certs->other_ca_cert, certs->server_cert, X509_PURPOSE_SSL_SERVER), 0);
  // The client certificate is not usable as a server certificate.
  EXPECT_NE(Verify(certs->ca_cert, certs->client_cert, X509_PURPOSE_SSL_SERVER), 0);
}

TEST(TlsCertsTest, UnwritableDirectoryIsAnError) {
  auto certs = GenerateTestCertificates("/proc/not-a-dir/tls");
  EXPECT_EQ(certs.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace eventmesh::testing
