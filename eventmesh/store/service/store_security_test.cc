// The store service's authentication and TLS, end to end with the real StoreClient: a service
// with a token refuses clients without it (or with a wrong one) with UNAUTHENTICATED and a reason,
// a TLS service refuses plain clients, untrusted certificates, wrong host names and (with client
// certificates required) foreign client certificates, a connection that never authenticates is
// closed after the handshake timeout, and a well-behaved client keeps working throughout. Real
// sockets on 127.0.0.1, real RocksDB in $TEST_TMPDIR.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/store/client/store_client.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"
#include "eventmesh/store/testing/store_test_util.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::store::service {
namespace {

using ::eventmesh::store::test_util::MakeTempDir;
using ::testing::HasSubstr;

class StoreSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certs = eventmesh::testing::GenerateTestCertificates(
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs"));
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    StoreOptions store_options;
    store_options.path = MakeTempDir("store_security");
    store_options.retention_interval_ms = 0;
    auto store = RocksDbEventStore::Open(store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
  }

  void StartServer(StoreServerOptions options) {
    options.port = 0;
    auto server = StoreServer::Start(store_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::shared_ptr<boost::asio::ssl::context> ServerTls(bool client_certificates) {
    auto tls = net::MakeServerTlsContext(
        {certs_.server_cert, certs_.server_key, client_certificates ? certs_.ca_cert : ""},
        {"--tls_cert_file", "--tls_key_file", "--tls_client_ca_file"});
    EXPECT_TRUE(tls.ok()) << tls.status();
    return tls.ok() ? *tls : nullptr;
  }

  std::unique_ptr<client::StoreClient> Client(client::StoreClientOptions options) {
    options.port = server_->port();
    options.call_timeout = absl::Seconds(10);
    options.max_backoff = absl::Milliseconds(200);
    auto client = client::StoreClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  client::StoreClientTls Trusting() {
    client::StoreClientTls tls;
    tls.ca_file = certs_.ca_cert;
    return tls;
  }

  static absl::Status ListTopics(client::StoreClient& client) {
    return client.ListTopics(ListTopicsRequest{}).status();
  }

  eventmesh::testing::TestCertificates certs_;
  std::unique_ptr<RocksDbEventStore> store_;
  std::unique_ptr<StoreServer> server_;
};

TEST_F(StoreSecurityTest, TokenIsRequiredAndCheckedAndRightOnesWork) {
  StoreServerOptions options;
  options.token = "s3cret-token";
  StartServer(options);

  auto anonymous = Client({});
  const absl::Status refused = ListTopics(*anonymous);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("authentication required"));

  client::StoreClientOptions wrong;
  wrong.token = "guess";
  auto guesser = Client(wrong);
  const absl::Status bad_token = ListTopics(*guesser);
  EXPECT_EQ(bad_token.code(), absl::StatusCode::kUnauthenticated) << bad_token;
  EXPECT_THAT(bad_token.message(), HasSubstr("refused the token: invalid store token"));

  client::StoreClientOptions right;
  right.token = "s3cret-token";
  auto member = Client(right);
  CreateTopicRequest create;
  create.topic = "orders";
  ASSERT_TRUE(member->CreateTopic(create).ok());
  AppendRequest append;
  append.topic = "orders";
  append.records.push_back(ProducerRecord{std::nullopt, {}, "hello"});
  ASSERT_TRUE(member->Append(append).ok());
  // Refusals are per connection: the anonymous client is still refused, nothing was appended
  // by it, and the member keeps working.
  EXPECT_EQ(ListTopics(*anonymous).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(ListTopics(*member).ok());
}

TEST_F(StoreSecurityTest, AConnectionThatNeverAuthenticatesIsClosed) {
  StoreServerOptions options;
  options.token = "s3cret-token";
  options.handshake_timeout = absl::Milliseconds(200);
  StartServer(options);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{30, 0};  // a server that never closes fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char byte;
  EXPECT_EQ(recv(fd, &byte, 1, 0), 0);  // orderly close, nothing sent
  close(fd);
}

TEST_F(StoreSecurityTest, TlsServesVerifiedClientsAndRefusesTheOthers) {
  StoreServerOptions options;
  options.tls = ServerTls(/*client_certificates=*/false);
  StartServer(options);

  client::StoreClientOptions secure;
  secure.tls = Trusting();
  auto good = Client(secure);
  EXPECT_TRUE(ListTopics(*good).ok());

  auto plain = Client({});
  EXPECT_EQ(ListTopics(*plain).code(), absl::StatusCode::kUnavailable);

  client::StoreClientOptions untrusting;
  untrusting.tls = client::StoreClientTls{certs_.other_ca_cert, "", "", ""};
  auto untrusted = Client(untrusting);
  const absl::Status untrusted_status = ListTopics(*untrusted);
  EXPECT_EQ(untrusted_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(untrusted_status.message(), HasSubstr("certificate verification failed"));

  client::StoreClientOptions wrong_name;
  wrong_name.tls = Trusting();
  wrong_name.tls->server_name = "store.example.org";
  auto misnamed = Client(wrong_name);
  const absl::Status misnamed_status = ListTopics(*misnamed);
  EXPECT_THAT(misnamed_status.message(), HasSubstr("hostname mismatch"));

  EXPECT_TRUE(ListTopics(*good).ok());
}

TEST_F(StoreSecurityTest, ClientCertificatesRequiredTogetherWithAToken) {
  StoreServerOptions options;
  options.tls = ServerTls(/*client_certificates=*/true);
  options.token = "s3cret-token";
  StartServer(options);

  client::StoreClientOptions no_certificate;
  no_certificate.tls = Trusting();
  no_certificate.token = "s3cret-token";
  auto anonymous = Client(no_certificate);
  EXPECT_FALSE(ListTopics(*anonymous).ok());

  client::StoreClientOptions foreign = no_certificate;
  foreign.tls->cert_file = certs_.other_client_cert;
  foreign.tls->key_file = certs_.other_client_key;
  auto stranger = Client(foreign);
  EXPECT_FALSE(ListTopics(*stranger).ok());

  client::StoreClientOptions member = no_certificate;
  member.tls->cert_file = certs_.client_cert;
  member.tls->key_file = certs_.client_key;
  auto trusted = Client(member);
  EXPECT_TRUE(ListTopics(*trusted).ok());

  client::StoreClientOptions certificate_only = member;
  certificate_only.token.clear();
  auto tokenless = Client(certificate_only);
  EXPECT_EQ(ListTopics(*tokenless).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(StoreSecurityTest, UnreadableClientCaFileFailsCreate) {
  StartServer({});
  client::StoreClientOptions options;
  options.port = server_->port();
  options.tls = client::StoreClientTls{"/nonexistent/ca.crt", "", "", ""};
  auto client = client::StoreClient::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(client.status().message(), HasSubstr("/nonexistent/ca.crt"));
}

}  // namespace
}  // namespace eventmesh::store::service
