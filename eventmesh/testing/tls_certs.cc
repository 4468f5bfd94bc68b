#include "eventmesh/testing/tls_certs.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace eventmesh::testing {
namespace {

// Runs `command` through /bin/sh with stderr folded into the captured output.
absl::Status Run(const std::string& command) {
  std::string full = absl::StrCat(command, " 2>&1");
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(absl::StrCat("popen failed: ", std::strerror(errno)));
  }
  std::string output;
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int status = ::pclose(pipe);
  if (status != 0) {
    return absl::InternalError(
        absl::StrCat("`", command, "` failed (status ", status, "): ", output));
  }
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Makes a CA (self-signed, 1 day).
absl::Status MakeCa(const std::string& key, const std::string& cert, const std::string& cn) {
  return Run(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=", cn,
                          "' -keyout '", key, "' -out '", cert,
                          "' -addext basicConstraints=critical,CA:TRUE"
                          " -addext keyUsage=critical,keyCertSign,cRLSign"));
}

// Makes a key + certificate signed by the CA with the extensions in `ext_file`.
absl::Status MakeLeaf(const std::string& dir, const std::string& name, const std::string& cn,
                      const std::string& extensions, const std::string& ca_cert,
                      const std::string& ca_key) {
  const std::string key = absl::StrCat(dir, "/", name, ".key");
  const std::string csr = absl::StrCat(dir, "/", name, ".csr");
  const std::string cert = absl::StrCat(dir, "/", name, ".crt");
  const std::string ext = absl::StrCat(dir, "/", name, ".ext");
  if (auto s = WriteFile(ext, extensions); !s.ok()) return s;
  if (auto s = Run(absl::StrCat("openssl req -newkey rsa:2048 -nodes -subj '/CN=", cn,
                                "' -keyout '", key, "' -out '", csr, "'"));
      !s.ok()) {
    return s;
  }
  return Run(absl::StrCat("openssl x509 -req -days 1 -in '", csr, "' -CA '", ca_cert, "' -CAkey '",
                          ca_key, "' -CAcreateserial -out '", cert, "' -extfile '", ext, "'"));
}

}  // namespace

absl::StatusOr<TestCertificates> GenerateTestCertificates(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", std::strerror(errno)));
  }
  TestCertificates certs;
  certs.ca_cert = absl::StrCat(dir, "/ca.crt");
  certs.ca_key = absl::StrCat(dir, "/ca.key");
  certs.server_cert = absl::StrCat(dir, "/server.crt");
  certs.server_key = absl::StrCat(dir, "/server.key");
  certs.client_cert = absl::StrCat(dir, "/client.crt");
  certs.client_key = absl::StrCat(dir, "/client.key");
  certs.other_ca_cert = absl::StrCat(dir, "/other-ca.crt");

  if (auto s = MakeCa(certs.ca_key, certs.ca_cert, "EventMesh Test CA"); !s.ok()) return s;
  if (auto s = MakeCa(absl::StrCat(dir, "/other-ca.key"), certs.other_ca_cert, "Other Test CA");
      !s.ok()) {
    return s;
  }
  if (auto s = MakeLeaf(dir, "server", "localhost",
                        "basicConstraints=CA:FALSE\n"
                        "keyUsage=digitalSignature,keyEncipherment\n"
                        "extendedKeyUsage=serverAuth\n"
                        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
                        certs.ca_cert, certs.ca_key);
      !s.ok()) {
    return s;
  }
  if (auto s = MakeLeaf(dir, "client", "eventmesh-test-client",
                        "basicConstraints=CA:FALSE\n"
                        "keyUsage=digitalSignature,keyEncipherment\n"
                        "extendedKeyUsage=clientAuth\n",
                        certs.ca_cert, certs.ca_key);
      !s.ok()) {
    return s;
  }
  certs.other_client_cert = absl::StrCat(dir, "/other-client.crt");
  certs.other_client_key = absl::StrCat(dir, "/other-client.key");
  if (auto s = MakeLeaf(dir, "other-client", "eventmesh-other-client",
                        "basicConstraints=CA:FALSE\n"
                        "keyUsage=digitalSignature,keyEncipherment\n"
                        "extendedKeyUsage=clientAuth\n",
                        certs.other_ca_cert, absl::StrCat(dir, "/other-ca.key"));
      !s.ok()) {
    return s;
  }
  return certs;
}

}  // namespace eventmesh::testing
