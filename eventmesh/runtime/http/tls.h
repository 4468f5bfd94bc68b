#ifndef EVENTMESH_RUNTIME_HTTP_TLS_H_
#define EVENTMESH_RUNTIME_HTTP_TLS_H_

// The HTTPS server context: TLS 1.2+ with the configured PEM certificate chain and key; with a
// client CA file, clients must present a certificate signed by it (mutual TLS).
// Errors: InvalidArgument naming the config key and file, with OpenSSL's reason.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl.hpp"

namespace eventmesh::runtime::http {

struct TlsFiles {
  std::string cert_file;       // eventMesh.server.http.tls.certFile
  std::string key_file;        // eventMesh.server.http.tls.keyFile
  std::string client_ca_file;  // eventMesh.server.http.tls.clientCaFile ("" = no client auth)
};

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsFiles& files);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_TLS_H_
