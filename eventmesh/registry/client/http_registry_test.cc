// HttpRegistry against a real registry server on loopback: the Registry contract, the API's
// refusals as a curl user sees them, tokens, and state across a server restart.
#include "eventmesh/registry/client/http_registry.h"

#include <cstdlib>
#include <filesystem>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/registry/testing/registry_contract.h"
#include "eventmesh/testing/tls_certs.h"
#include "gtest/gtest.h"

namespace eventmesh::registry {
namespace {

class ServerBackend : public testing::Backend {
 public:
  explicit ServerBackend(RegistryServerOptions options = {}) {
    auto server = RegistryServer::Start(std::move(options));
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }
  std::unique_ptr<Registry> NewClient() override {
    if (server_ == nullptr) return nullptr;
    HttpRegistryOptions options;
    options.addresses = {absl::StrCat("127.0.0.1:", server_->port())};
    auto client = HttpRegistry::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::unique_ptr<Registry>(*std::move(client)) : nullptr;
  }
  RegistryServer* server() { return server_.get(); }

 private:
  std::unique_ptr<RegistryServer> server_;
};

using testing::RegistryContractTest;
INSTANTIATE_TEST_SUITE_P(RegistryServer, RegistryContractTest,
                         ::testing::Values(testing::BackendFactory([] {
                           return std::make_unique<ServerBackend>();
                         })));

struct Answer {
  int status = 0;
  std::string body;
  std::string allow;
};

Answer Curl(int port, std::string method, std::string target, std::string body = "",
            std::string token = "") {
  static auto* client = net::HttpClient::Create({}).value().release();
  net::HttpRequest request;
  request.method = std::move(method);
  request.url = absl::StrCat("http://127.0.0.1:", port, target);
  request.body = std::move(body);
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  std::promise<absl::StatusOr<net::HttpResponse>> promise;
  client->Send(request, absl::Seconds(10),
               [&](absl::StatusOr<net::HttpResponse> r) { promise.set_value(std::move(r)); });
  auto r = promise.get_future().get();
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  Answer a{r->status, r->body, ""};
  if (const std::string* allow = r->header("Allow")) a.allow = *allow;
  return a;
}

constexpr char kInstance[] =
    R"j({"endpoints":[{"protocol":"tcp","host":"127.0.0.1","port":10000}]})j";

TEST(RegistryApiTest, BadRequestsGetA4xxNamingTheProblem) {
  RegistryServerOptions options;
  options.http.max_body_bytes = 256 << 10;
  ServerBackend backend(options);
  const int port = backend.server()->port();
  Answer a = Curl(port, "PUT", "/v1/meshes/m/instances/a", "{not json");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("malformed JSON in instance"), std::string::npos) << a.body;
  a = Curl(port, "PUT", "/v1/meshes/m/instances/a", R"j({"endpoints":[{"port":"x"}]})j");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body, R"j({"error":"endpoints[0].port must be an integer"})j");
  a = Curl(port, "PUT", "/v1/meshes/m/instances/a", std::string(200'000, '['));
  EXPECT_EQ(a.status, 400);
  a = Curl(port, "PUT", "/v1/meshes/m/instances/a", std::string(300 << 10, ' '));
  EXPECT_EQ(a.status, 413);
  a = Curl(port, "GET", "/v1/meshes/nosuch/instances");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body, R"j({"error":"unknown mesh 'nosuch' (no instance registered in it)"})j");
  a = Curl(port, "POST", "/v1/meshes");
  EXPECT_EQ(a.status, 405);
  EXPECT_EQ(a.allow, "GET");
  a = Curl(port, "GET", "/v2/nothing");
  EXPECT_EQ(a.status, 404);
  a = Curl(port, "PUT", "/v1/meshes/m/instances/a?ttlMs=soon", kInstance);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body, R"j({"error":"ttlMs must be a non-negative integer, got 'soon'"})j");
  a = Curl(port, "PUT", "/v1/meshes/bad%20name/instances/a", kInstance);
  EXPECT_EQ(a.status, 400);
  a = Curl(port, "PUT", "/v1/meshes/m/instances/a", R"j({"mesh":"other","endpoints":[]})j");
  EXPECT_EQ(a.body, R"j({"error":"body mesh 'other' differs from the path's 'm'"})j");
  a = Curl(port, "GET", "/v1/instances?index=x");
  EXPECT_EQ(a.status, 400);
  // After all of that the registry still serves.
  a = Curl(port, "PUT", "/v1/meshes/m/instances/a", kInstance);
  EXPECT_EQ(a.status, 200) << a.body;
  a = Curl(port, "GET", "/v1/meshes");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find(R"j({"name":"m","instances":1})j"), std::string::npos) << a.body;
}

TEST(RegistryApiTest, HttpsRegistryServesClientsTrustingItsCa) {
  auto certs = eventmesh::testing::GenerateTestCertificates(
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  RegistryServerOptions options;
  auto tls = net::MakeServerTlsContext({certs->server_cert, certs->server_key, ""},
                                       {"--tls_cert_file", "--tls_key_file", ""});
  ASSERT_TRUE(tls.ok()) << tls.status();
  options.http.tls = *tls;
  ServerBackend backend(options);
  const std::string address = absl::StrCat("https://localhost:", backend.server()->port());

  HttpRegistryOptions trusting;
  trusting.addresses = {address};
  trusting.ca_file = certs->ca_cert;
  auto client = HttpRegistry::Create(trusting);
  ASSERT_TRUE(client.ok()) << client.status();
  Instance in;
  in.mesh = "m";
  in.id = "tls";
  in.endpoints = {{"tcp", "127.0.0.1", 1}};
  ASSERT_TRUE((*client)->Register(in, absl::Seconds(5)).ok());
  auto listed = (*client)->List("m");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->instances.size(), 1u);

  HttpRegistryOptions untrusting;
  untrusting.addresses = {address};
  untrusting.ca_file = certs->other_ca_cert;
  auto stranger = HttpRegistry::Create(untrusting);
  ASSERT_TRUE(stranger.ok());
  auto refused = (*stranger)->List("m");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "certificate verification failed"))
      << refused.status();
  // Plain HTTP to the HTTPS port gets nothing.
  HttpRegistryOptions plain;
  plain.addresses = {absl::StrCat("127.0.0.1:", backend.server()->port())};
  auto plain_client = HttpRegistry::Create(plain);
  ASSERT_TRUE(plain_client.ok());
  EXPECT_FALSE((*plain_client)->List("m").ok());
  EXPECT_TRUE((*client)->List("m").ok());
}

TEST(RegistryApiTest, ATokenGuardsChangesButNotReads) {
  RegistryServerOptions options;
  options.token = "s3cret";
  ServerBackend backend(options);
  const int port = backend.server()->port();
  EXPECT_EQ(Curl(port, "PUT", "/v1/meshes/m/instances/a", kInstance).status, 401);
  EXPECT_EQ(Curl(port, "PUT", "/v1/meshes/m/instances/a", kInstance, "wrong").status, 401);
  EXPECT_EQ(Curl(port, "PUT", "/v1/meshes/m/instances/a", kInstance, "s3cret").status, 200);
  EXPECT_EQ(Curl(port, "DELETE", "/v1/meshes/m/instances/a").status, 401);
  EXPECT_EQ(Curl(port, "PUT", "/v1/meshes/m/instances/a/lease").status, 401);
  EXPECT_EQ(Curl(port, "GET", "/v1/meshes/m/instances").status, 200);

  HttpRegistryOptions client_options;
  client_options.addresses = {absl::StrCat("127.0.0.1:", port)};
  auto anonymous = HttpRegistry::Create(client_options);
  ASSERT_TRUE(anonymous.ok());
  Instance in;
  in.mesh = "m";
  in.id = "b";
  in.endpoints = {{"tcp", "127.0.0.1", 1}};
  EXPECT_EQ((*anonymous)->Register(in, absl::Seconds(5)).status().code(),
            absl::StatusCode::kPermissionDenied);
  client_options.token = "s3cret";
  auto member = HttpRegistry::Create(client_options);
  ASSERT_TRUE(member.ok());
  EXPECT_TRUE((*member)->Register(in, absl::Seconds(5)).ok());
}

TEST(RegistryApiTest, RoutesAnswerWhichMeshesProduceAndWantATopic) {
  ServerBackend backend;
  const int port = backend.server()->port();
  ASSERT_EQ(Curl(port, "PUT", "/v1/meshes/a/instances/1",
                 R"j({"endpoints":[{"protocol":"tcp","host":"h","port":1}],
                     "topics":[{"topic":"orders","role":"pub"}]})j")
                .status,
            200);
  ASSERT_EQ(Curl(port, "PUT", "/v1/meshes/b/instances/1",
                 R"j({"endpoints":[{"protocol":"tcp","host":"h","port":1}],
                     "topics":[{"topic":"orders","role":"sub","group":"g"}]})j")
                .status,
            200);
  Answer a = Curl(port, "GET", "/v1/routes?topic=orders");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(
      a.body.find(
          R"j("routes":[{"topic":"orders","producers":["a"],"consumers":[{"mesh":"b","groups":["g"]}]}])j"),
      std::string::npos)
      << a.body;
}

TEST(RegistryApiTest, StateSurvivesARestartAndAClientFailsOverToTheNextAddress) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string file = std::string(tmp ? tmp : "/tmp") + "/api-state.json";
  std::filesystem::remove(file);
  RegistryServerOptions options;
  options.state.state_file = file;
  uint64_t index_before = 0;
  {
    ServerBackend backend(options);
    auto client = backend.NewClient();
    Instance in;
    in.mesh = "m";
    in.id = "a";
    in.endpoints = {{"tcp", "127.0.0.1", 1}};
    ASSERT_TRUE(client->Register(in, absl::Seconds(30)).ok());
    index_before = client->List("m")->index;
  }
  ServerBackend restarted(options);
  HttpRegistryOptions client_options;
  // The first address has nothing listening: the client moves on to the second.
  client_options.addresses = {"127.0.0.1:1",
                              absl::StrCat("127.0.0.1:", restarted.server()->port())};
  auto client = HttpRegistry::Create(client_options);
  ASSERT_TRUE(client.ok());
  auto listed = (*client)->List("m");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->instances.size(), 1u);
  EXPECT_EQ(listed->index, index_before);
}

TEST(RegistryApiTest, UnreachableRegistryIsUnavailable) {
  HttpRegistryOptions options;
  options.addresses = {"127.0.0.1:1"};
  options.timeout = absl::Seconds(2);
  auto client = HttpRegistry::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->List("").status().code(), absl::StatusCode::kUnavailable);
  options.addresses = {};
  EXPECT_EQ(HttpRegistry::Create(options).status().message(),
            "at least one registry address is required");
}

}  // namespace
}  // namespace eventmesh::registry
