// TLS on the TCP port: the SDK client over TLS publishes and subscribes; a plain-TCP client, a
// client that does not trust the runtime's CA, a client expecting another host name, and (with
// mutual TLS) a client without a certificate or with one from another CA are each refused with a
// precise error while the runtime keeps serving the others. Real sockets, a real Server.

#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using ::testing::HasSubstr;

class TcpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = eventmesh::testing::GenerateTestCertificates(
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  absl::Status StartServer(bool mutual, const std::string& cert_file = "") {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::map<std::string, std::string> properties = {
        {"eventMesh.server.tcp.port", "0"},
        {"eventMesh.server.http.port", "0"},
        {"eventMesh.server.dataDir", absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name)},
        {"eventMesh.storage.embedded.syncMode", "none"},
        {"eventMesh.server.tcp.tls.enabled", "true"},
        {"eventMesh.server.tcp.tls.certFile", cert_file.empty() ? certs_.server_cert : cert_file},
        {"eventMesh.server.tcp.tls.keyFile", certs_.server_key}};
    if (mutual) properties["eventMesh.server.tcp.tls.clientCaFile"] = certs_.ca_cert;
    auto config = BuildConfig(properties);
    if (!config.ok()) return config.status();
    auto server = Server::Create(*config, registry_);
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    return server_->Start();
  }

  sdk::TcpClientOptions Options(sdk::ClientPurpose purpose, sdk::TcpTlsOptions tls) {
    sdk::TcpClientOptions options;
    options.port = server_->tcp_port();
    options.group = purpose == sdk::ClientPurpose::kPublish ? "shop" : "billing";
    options.purpose = purpose;
    options.auto_reconnect = false;
    options.connect_timeout = absl::Seconds(5);
    options.tls = std::move(tls);
    return options;
  }
  sdk::TcpTlsOptions Trusting() {
    sdk::TcpTlsOptions tls;
    tls.ca_file = certs_.ca_cert;
    return tls;
  }
  sdk::TcpTlsOptions WithClientCertificate() {
    sdk::TcpTlsOptions tls = Trusting();
    tls.cert_file = certs_.client_cert;
    tls.key_file = certs_.client_key;
    return tls;
  }

  // A publish and its delivery over TLS, proving the port still serves.
  void ExpectPublishAndDelivery(const sdk::TcpTlsOptions& tls, const std::string& body) {
    auto subscriber =
        sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kSubscribe, tls));
    ASSERT_TRUE(subscriber.ok()) << subscriber.status();
    auto received = std::make_shared<std::promise<std::string>>();
    auto once = std::make_shared<std::once_flag>();
    (*subscriber)->SetHandler([received, once](std::shared_ptr<sdk::Delivery> delivery) {
      std::call_once(*once, [&] { received->set_value(delivery->event().data()); });
    });
    ASSERT_TRUE(
        (*subscriber)
            ->Subscribe("orders", sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kAsync)
            .ok());
    ASSERT_TRUE((*subscriber)->Listen().ok());
    auto publisher = sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, tls));
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    sdk::Message message;
    message.topic = "orders";
    message.content = body;
    auto published = (*publisher)->Publish(message);
    ASSERT_EQ(published.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    ASSERT_TRUE(published.get().ok());
    auto got = received->get_future();
    ASSERT_EQ(got.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(got.get(), body);
  }

  eventmesh::testing::TestCertificates certs_;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<Server> server_;
};

TEST_F(TcpTlsTest, SdkPublishesAndSubscribesOverTls) {
  ASSERT_TRUE(StartServer(/*mutual=*/false).ok());
  ExpectPublishAndDelivery(Trusting(), "over-tls");
}

TEST_F(TcpTlsTest, PlainTcpClientIsRefusedAndOthersKeepWorking) {
  ASSERT_TRUE(StartServer(/*mutual=*/false).ok());
  auto plain = testing::TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(plain.ok()) << plain.status();
  // A HELLO frame is not a TLS ClientHello: the runtime closes the connection.
  EXPECT_FALSE((*plain)->Hello("pub", "shop").ok());
  EXPECT_TRUE((*plain)->WaitClosed(absl::Seconds(10)));
  ExpectPublishAndDelivery(Trusting(), "after-plain");
}

TEST_F(TcpTlsTest, UntrustedServerCertificateIsRefusedWithTheReason) {
  ASSERT_TRUE(StartServer(/*mutual=*/false).ok());
  sdk::TcpTlsOptions other;
  other.ca_file = certs_.other_ca_cert;
  auto client = sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, other));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(client.status().message(), HasSubstr("certificate verification failed"));
  ExpectPublishAndDelivery(Trusting(), "after-untrusted");
}

TEST_F(TcpTlsTest, ServerCertificateForAnotherHostIsRefused) {
  ASSERT_TRUE(StartServer(/*mutual=*/false).ok());
  sdk::TcpTlsOptions wrong_name = Trusting();
  wrong_name.server_name = "mesh.example.org";  // the certificate names localhost, 127.0.0.1
  auto client = sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, wrong_name));
  ASSERT_FALSE(client.ok());
  EXPECT_THAT(client.status().message(), HasSubstr("certificate verification failed"));
  EXPECT_THAT(client.status().message(), HasSubstr("hostname mismatch"));
  // The names the certificate does carry are accepted.
  sdk::TcpTlsOptions right_name = Trusting();
  right_name.server_name = "localhost";
  EXPECT_TRUE(
      sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, right_name)).ok());
}

TEST_F(TcpTlsTest, MutualTlsRefusesClientsWithoutATrustedCertificate) {
  ASSERT_TRUE(StartServer(/*mutual=*/true).ok());
  auto no_certificate =
      sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, Trusting()));
  EXPECT_FALSE(no_certificate.ok());

  sdk::TcpTlsOptions other_ca = Trusting();
  other_ca.cert_file = certs_.other_client_cert;
  other_ca.key_file = certs_.other_client_key;
  auto foreign = sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, other_ca));
  EXPECT_FALSE(foreign.ok());

  ExpectPublishAndDelivery(WithClientCertificate(), "mutual");
}

TEST_F(TcpTlsTest, UnusableCertificateFailsStartNamingTheKey) {
  const absl::Status status = StartServer(/*mutual=*/false, "/nonexistent/server.crt");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("eventMesh.server.tcp.tls.certFile"));
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/server.crt"));
}

TEST_F(TcpTlsTest, MissingKeyFileIsAConfigurationError) {
  auto config = BuildConfig({{"eventMesh.server.tcp.tls.enabled", "true"},
                             {"eventMesh.server.tcp.tls.certFile", certs_.server_cert}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("eventMesh.server.tcp.tls.keyFile"));
}

TEST_F(TcpTlsTest, ClientWithAnUnreadableCaFileFailsBeforeConnecting) {
  ASSERT_TRUE(StartServer(/*mutual=*/false).ok());
  sdk::TcpTlsOptions missing;
  missing.ca_file = "/nonexistent/ca.crt";
  auto client = sdk::EventMeshTcpClient::Connect(Options(sdk::ClientPurpose::kPublish, missing));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(client.status().message(), HasSubstr("/nonexistent/ca.crt"));
}

}  // namespace
}  // namespace eventmesh::runtime
