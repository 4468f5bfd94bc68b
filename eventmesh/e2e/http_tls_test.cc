// HTTPS on the HTTP port: server certificates, untrusted CAs, mutual TLS, and plain HTTP sent to
// the TLS port (refused without harming other clients). Real sockets, a real Server.

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/testing/tls_certs.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using testing::HttpReply;

struct ClientTls {
  std::string ca_file;
  std::string cert_file;  // empty: no client certificate
  std::string key_file;
};

// One HTTPS request; errors name the failing step.
absl::StatusOr<HttpReply> TlsCall(int port, const ClientTls& tls) {
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  beast::error_code ec;
  ctx.load_verify_file(tls.ca_file, ec);
  if (ec) return absl::InternalError(absl::StrCat("load CA: ", ec.message()));
  ctx.set_verify_mode(ssl::verify_peer);
  if (!tls.cert_file.empty()) {
    ctx.use_certificate_chain_file(tls.cert_file, ec);
    if (!ec) ctx.use_private_key_file(tls.key_file, ssl::context::pem, ec);
    if (ec) return absl::InternalError(absl::StrCat("client cert: ", ec.message()));
  }
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).socket().connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                     static_cast<uint16_t>(port)),
      ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("handshake: ", ec.message()));
  auto request = testing::MakeRequest("POST", "/", testing::CodeHeaders(999), "");
  bhttp::write(stream, request, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("read: ", ec.message()));
  return testing::ToReply(response);
}

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs");
    auto certs = eventmesh::testing::GenerateTestCertificates(dir);
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  void StartServer(bool mutual) {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::map<std::string, std::string> properties = {
        {"eventMesh.server.tcp.port", "0"},
        {"eventMesh.server.http.port", "0"},
        {"eventMesh.server.dataDir", absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name)},
        {"eventMesh.server.http.workerThreads", "2"},
        {"eventMesh.server.http.readTimeoutInMills", "2000"},
        {"eventMesh.storage.embedded.syncMode", "none"},
        {"eventMesh.server.useTls.enabled", "true"},
        {"eventMesh.server.http.tls.certFile", certs_.server_cert},
        {"eventMesh.server.http.tls.keyFile", certs_.server_key}};
    if (mutual) properties["eventMesh.server.http.tls.clientCaFile"] = certs_.ca_cert;
    auto config = BuildConfig(properties);
    ASSERT_TRUE(config.ok()) << config.status();
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    auto server = Server::Create(*config, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
  }

  eventmesh::testing::TestCertificates certs_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpTlsTest, ServerCertificateTrustAndPlainHttpRefused) {
  StartServer(/*mutual=*/false);
  const int port = server_->http_port();
  auto ok = TlsCall(port, {certs_.ca_cert, "", ""});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 400);
  EXPECT_EQ(ok->ret_code, 2);  // the request itself went through TLS and was answered

  auto untrusted = TlsCall(port, {certs_.other_ca_cert, "", ""});
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().message().rfind("handshake: ", 0), 0u) << untrusted.status();

  // Plain HTTP to the TLS port gets no HTTP answer; TLS clients are unaffected.
  auto plain = testing::HttpCall(port, "POST", "/", testing::CodeHeaders(999), "");
  EXPECT_FALSE(plain.ok());
  auto after = TlsCall(port, {certs_.ca_cert, "", ""});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->ret_code, 2);
}

TEST_F(HttpTlsTest, MutualTlsRequiresAClientCertificate) {
  StartServer(/*mutual=*/true);
  const int port = server_->http_port();
  auto with_cert = TlsCall(port, {certs_.ca_cert, certs_.client_cert, certs_.client_key});
  ASSERT_TRUE(with_cert.ok()) << with_cert.status();
  EXPECT_EQ(with_cert->ret_code, 2);
  // Without a certificate the server aborts the handshake (with TLS 1.3 the client may only
  // notice when it reads).
  auto without = TlsCall(port, {certs_.ca_cert, "", ""});
  EXPECT_FALSE(without.ok());
}

TEST_F(HttpTlsTest, UnusableCertificateFailsStartNamingTheKey) {
  auto config = BuildConfig(
      {{"eventMesh.server.tcp.port", "0"},
       {"eventMesh.server.http.port", "0"},
       {"eventMesh.server.dataDir", absl::StrCat(std::getenv("TEST_TMPDIR"), "/badcert")},
       {"eventMesh.server.useTls.enabled", "true"},
       {"eventMesh.server.http.tls.certFile", "/nonexistent/cert.pem"},
       {"eventMesh.server.http.tls.keyFile", certs_.server_key}});
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  auto server = Server::Create(*config, registry_);
  ASSERT_TRUE(server.ok());
  absl::Status started = (*server)->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(started.message().rfind(
                "cannot use eventMesh.server.http.tls.certFile \"/nonexistent/cert.pem\": ", 0),
            0u)
      << started;
  (*server)->Shutdown();
}

}  // namespace
}  // namespace eventmesh::runtime::http
