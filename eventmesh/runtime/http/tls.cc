#include "eventmesh/runtime/http/tls.h"

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::http {

absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsFiles& files) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  auto failed = [&ec](const char* key, const std::string& file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot use ", key, " \"", file, "\": ", ec.message()));
  };
  context->use_certificate_chain_file(files.cert_file, ec);
  if (ec) return failed("eventMesh.server.http.tls.certFile", files.cert_file);
  context->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) return failed("eventMesh.server.http.tls.keyFile", files.key_file);
  if (!files.client_ca_file.empty()) {
    context->load_verify_file(files.client_ca_file, ec);
    if (ec) return failed("eventMesh.server.http.tls.clientCaFile", files.client_ca_file);
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return failed("eventMesh.server.http.tls.clientCaFile", files.client_ca_file);
  }
  return context;
}

}  // namespace eventmesh::runtime::http
