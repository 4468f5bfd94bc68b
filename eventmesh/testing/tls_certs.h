#ifndef EVENTMESH_TESTING_TLS_CERTS_H_
#define EVENTMESH_TESTING_TLS_CERTS_H_

// Throwaway TLS material for tests: a self-signed CA, a server certificate for `localhost` and
// 127.0.0.1 signed by it, and a client certificate (for mutual TLS) signed by it. Made with the
// `openssl` command (package openssl) in a directory the caller owns; nothing is cached.
// Thread-compatible (runs child processes).

#include <string>

#include "absl/status/statusor.h"

namespace eventmesh::testing {

struct TestCertificates {
  std::string ca_cert;  // PEM file paths
  std::string ca_key;
  std::string server_cert;  // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string server_key;
  std::string client_cert;  // CN=eventmesh-test-client, extendedKeyUsage clientAuth
  std::string client_key;
  // A second, unrelated CA (to test that verification rejects a certificate it did not sign).
  std::string other_ca_cert;
  // A client certificate signed by the other CA (a server trusting only ca_cert must refuse it).
  std::string other_client_cert;
  std::string other_client_key;
};

// Writes the files into `dir` (created if missing). Errors: Internal with the failing openssl
// command line and its output.
absl::StatusOr<TestCertificates> GenerateTestCertificates(const std::string& dir);

}  // namespace eventmesh::testing

#endif  // EVENTMESH_TESTING_TLS_CERTS_H_
