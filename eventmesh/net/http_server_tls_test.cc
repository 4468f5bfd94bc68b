// HttpServer with TLS: HTTPS clients that trust the server's CA are answered; a plain-HTTP
// client, a client trusting another CA and, with client certificates required, a client without
// one or with one from another CA are refused while the server keeps answering the others.
// Real sockets on 127.0.0.1, the project's HttpClient as the peer.

#include <cstdlib>
#include <future>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/net/http_server.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

using ::testing::HasSubstr;

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = eventmesh::testing::GenerateTestCertificates(
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
  }

  void Start(bool client_certificates) {
    auto tls = MakeServerTlsContext(
        {certs_.server_cert, certs_.server_key, client_certificates ? certs_.ca_cert : ""},
        {"cert", "key", "clientCa"});
    ASSERT_TRUE(tls.ok()) << tls.status();
    HttpServerOptions options;
    options.tls = *tls;
    options.read_timeout = absl::Seconds(5);
    auto server = HttpServer::Start(options, [](const ServerRequest& request) {
      ServerResponse response;
      response.body = absl::StrCat("hello ", request.target);
      return response;
    });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  absl::StatusOr<HttpResponse> Get(const std::string& scheme, HttpClientOptions options) {
    auto client = HttpClient::Create(std::move(options));
    if (!client.ok()) return client.status();
    std::promise<absl::StatusOr<HttpResponse>> done;
    HttpRequest request;
    request.method = "GET";
    request.url = absl::StrCat(scheme, "://localhost:", server_->port(), "/x");
    (*client)->Send(std::move(request), absl::Seconds(10),
                    [&done](absl::StatusOr<HttpResponse> r) { done.set_value(std::move(r)); });
    return done.get_future().get();  // Send answers within its 10 s timeout
  }

  HttpClientOptions Trusting() {
    HttpClientOptions options;
    options.ca_file = certs_.ca_cert;
    return options;
  }

  eventmesh::testing::TestCertificates certs_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTlsTest, ServesHttpsAndRefusesPlainAndUntrustedClients) {
  Start(/*client_certificates=*/false);
  auto ok = Get("https", Trusting());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->body, "hello /x");

  EXPECT_FALSE(Get("http", HttpClientOptions()).ok());
  HttpClientOptions other;
  other.ca_file = certs_.other_ca_cert;
  auto untrusted = Get("https", other);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_THAT(untrusted.status().message(), HasSubstr("certificate verification failed"));

  auto again = Get("https", Trusting());
  ASSERT_TRUE(again.ok()) << again.status();
}

TEST_F(HttpServerTlsTest, ClientCertificatesWhenRequired) {
  Start(/*client_certificates=*/true);
  EXPECT_FALSE(Get("https", Trusting()).ok());
  HttpClientOptions foreign = Trusting();
  foreign.client_cert_file = certs_.other_client_cert;
  foreign.client_key_file = certs_.other_client_key;
  EXPECT_FALSE(Get("https", foreign).ok());
  HttpClientOptions member = Trusting();
  member.client_cert_file = certs_.client_cert;
  member.client_key_file = certs_.client_key;
  auto ok = Get("https", member);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->body, "hello /x");
}

}  // namespace
}  // namespace eventmesh::net
