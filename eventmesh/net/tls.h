#ifndef EVENTMESH_NET_TLS_H_
#define EVENTMESH_NET_TLS_H_

// TLS contexts shared by every listener and client of the project (OpenSSL through
// boost::asio::ssl): TLS 1.2 or newer, PEM files. Server contexts may require a client
// certificate signed by a given CA (mutual TLS). Client contexts always verify the server's
// certificate chain and, through ExpectPeerName, its host name or IP address.
// Contexts are immutable once made and may be shared by any number of connections and threads.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl.hpp"

namespace eventmesh::net {

struct TlsServerFiles {
  std::string cert_file;       // certificate chain (PEM)
  std::string key_file;        // private key (PEM)
  std::string client_ca_file;  // "" = no client certificate asked; else required and verified
};

// The configuration keys the files came from, so errors name what the user wrote.
struct TlsKeyNames {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

// Errors: InvalidArgument "cannot use <key> \"<file>\": <reason>".
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsServerFiles& files, const TlsKeyNames& keys);

struct TlsClientFiles {
  std::string ca_file;    // CAs trusted for the server's certificate ("" = the system's)
  std::string cert_file;  // client certificate for mutual TLS ("" = none)
  std::string key_file;
};

// Errors: InvalidArgument "cannot use <what> \"<file>\": <reason>" (what = "tls.caFile", ...).
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsClientFiles& files);

// Before a client handshake: sends `host` as SNI (when it is a name) and makes the handshake
// fail unless the server's certificate is for `host` (DNS name, no partial wildcards, or IP).
void ExpectPeerName(SSL* ssl, const std::string& host);

// Why a client handshake failed: "certificate verification failed: <OpenSSL's reason>" when the
// peer's certificate was refused, else the error's message.
std::string HandshakeFailure(SSL* ssl, const boost::system::error_code& ec);

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_TLS_H_
