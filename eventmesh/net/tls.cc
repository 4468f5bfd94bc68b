#include "eventmesh/net/tls.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/address.hpp"

namespace eventmesh::net {

namespace ssl = boost::asio::ssl;

namespace {

constexpr auto kModernOnly = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1 | ssl::context::single_dh_use;

absl::Status Unusable(const std::string& key, const std::string& file,
                      const boost::system::error_code& ec) {
  return absl::InvalidArgumentError(
      absl::StrCat("cannot use ", key, " \"", file, "\": ", ec.message()));
}

}  // namespace

absl::StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsServerFiles& files,
                                                                   const TlsKeyNames& keys) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(kModernOnly, ec);
  context->use_certificate_chain_file(files.cert_file, ec);
  if (ec) return Unusable(keys.cert_file, files.cert_file, ec);
  context->use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) return Unusable(keys.key_file, files.key_file, ec);
  if (!files.client_ca_file.empty()) {
    context->load_verify_file(files.client_ca_file, ec);
    if (ec) return Unusable(keys.client_ca_file, files.client_ca_file, ec);
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return Unusable(keys.client_ca_file, files.client_ca_file, ec);
  }
  return context;
}

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsClientFiles& files) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(kModernOnly, ec);
  if (files.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return Unusable("the system's CA store", "", ec);
  } else {
    context->load_verify_file(files.ca_file, ec);
    if (ec) return Unusable("tls.caFile", files.ca_file, ec);
  }
  if (!files.cert_file.empty() || !files.key_file.empty()) {
    context->use_certificate_chain_file(files.cert_file, ec);
    if (ec) return Unusable("tls.certFile", files.cert_file, ec);
    context->use_private_key_file(files.key_file, ssl::context::pem, ec);
    if (ec) return Unusable("tls.keyFile", files.key_file, ec);
  }
  context->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return Unusable("tls.caFile", files.ca_file, ec);
  return context;
}

void ExpectPeerName(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(host, not_ip);
  if (!not_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    return;
  }
  SSL_set_tlsext_host_name(ssl, host.c_str());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
}

std::string HandshakeFailure(SSL* ssl, const boost::system::error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return absl::StrCat("certificate verification failed: ", X509_verify_cert_error_string(verify));
  }
  return ec.message();
}

}  // namespace eventmesh::net
