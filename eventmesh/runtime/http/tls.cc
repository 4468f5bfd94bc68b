#include "eventmesh/runtime/http/tls.h"

#include "eventmesh/net/tls.h"

namespace eventmesh::runtime::http {

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsFiles& files) {
  return net::MakeServerTlsContext(
      {files.cert_file, files.key_file, files.client_ca_file},
      {"eventMesh.server.http.tls.certFile", "eventMesh.server.http.tls.keyFile",
       "eventMesh.server.http.tls.clientCaFile"});
}

}  // namespace eventmesh::runtime::http
