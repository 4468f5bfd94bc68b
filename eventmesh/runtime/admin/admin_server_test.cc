// The admin port of an in-process runtime, over real loopback sockets: metrics after publishing
// and consuming over TCP (validated by promtool), consumer lag, topics, clients, the
// /clientManage endpoints, authentication and the error answers.

#include "eventmesh/runtime/admin/admin_server.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/common/metrics/testing/promtool.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/runtime/grpc/testing/grpc_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::admin {
namespace {

using protocol::tcp::Command;
using runtime::testing::TestClient;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

// The value of the sample line starting with `series` (name plus labels), if present.
std::optional<double> SampleValue(const std::string& page, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return std::nullopt;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto client = net::HttpClient::Create({});
    ASSERT_TRUE(client.ok()) << client.status();
    http_ = std::move(*client);
  }

  void Start(std::map<std::string, std::string> properties = {}) {
    properties.emplace("eventMesh.server.delivery.lingerMs", "0");
    auto server =
        runtime::testing::StartTestServer(properties, runtime::testing::TestDataDir(), connectors_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->admin_port(), 0);
  }

  absl::StatusOr<net::HttpResponse> Call(const std::string& method, const std::string& path,
                                         const std::string& body = "",
                                         std::optional<std::string> token = std::nullopt) {
    return CallPort(server_->admin_port(), method, path, body, token);
  }

  // The same request to any port of the runtime (its HTTP port, for webhook registrations).
  absl::StatusOr<net::HttpResponse> CallPort(int port, const std::string& method,
                                             const std::string& path, const std::string& body,
                                             std::optional<std::string> token = std::nullopt) {
    net::HttpRequest request;
    request.method = method;
    request.url = absl::StrCat("http://127.0.0.1:", port, path);
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    if (token.has_value()) request.headers.emplace_back("Authorization", "Bearer " + *token);
    absl::Notification done;
    absl::StatusOr<net::HttpResponse> result;
    http_->Send(std::move(request), absl::Seconds(10), [&](absl::StatusOr<net::HttpResponse> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  std::string Get(const std::string& path) {
    auto response = Call("GET", path);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return "";
    EXPECT_EQ(response->status, 200) << path << ": " << response->body;
    return response->body;
  }

  // Polls /metrics until `series` has `want` (bounded); returns the last value seen.
  std::optional<double> WaitForSample(const std::string& series, double want) {
    std::optional<double> value;
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      value = SampleValue(Get("/metrics"), series);
      if (value == want) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return value;
  }

  std::unique_ptr<TestClient> Connect(const std::string& purpose, const std::string& group) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, group);
    EXPECT_TRUE(hello.ok() && hello->header.code == 0);
    return std::move(*client);
  }

  void PublishOk(TestClient* client, const std::string& topic, int count) {
    for (int i = 0; i < count; ++i) {
      auto ack = client->Publish(topic, absl::StrCat("event-", i));
      ASSERT_TRUE(ack.ok()) << ack.status();
      ASSERT_EQ(ack->header.code, 0) << ack->header.desc;
    }
  }

  // A subscriber of `group` listening on `topic`.
  std::unique_ptr<TestClient> Subscriber(const std::string& group, const std::string& topic) {
    auto client = Connect("sub", group);
    if (client == nullptr) return nullptr;
    auto subscribed = client->Subscribe(topic);
    EXPECT_TRUE(subscribed.ok() && subscribed->header.code == 0);
    auto listening = client->Listen();
    EXPECT_TRUE(listening.ok() && listening->header.code == 0);
    return client;
  }

  // One request and what its answer must be: the status and a part of the body.
  struct Case {
    std::string method, path, body;
    int status;
    std::string message;
  };
  void ExpectAnswers(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
      auto response = Call(c.method, c.path, c.body);
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->status, c.status) << c.method << " " << c.path << ": " << response->body;
      EXPECT_THAT(response->body, HasSubstr(c.message)) << c.method << " " << c.path;
      if (absl::StartsWith(c.path, "/client/") && c.status == 400) {  // Apache's Result shape
        EXPECT_THAT(response->body, HasSubstr("{\"data\":null,\"message\":"));
      }
    }
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<Server> server_;
};

TEST_F(AdminServerTest, AdminPortServesHttpsWhenGivenACertificate) {
  auto certs = eventmesh::testing::GenerateTestCertificates(
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/certs"));
  ASSERT_TRUE(certs.ok()) << certs.status();
  Start({{"eventMesh.server.admin.tls.certFile", certs->server_cert},
         {"eventMesh.server.admin.tls.keyFile", certs->server_key}});
  net::HttpClientOptions trusting;
  trusting.ca_file = certs->ca_cert;
  auto client = net::HttpClient::Create(trusting);
  ASSERT_TRUE(client.ok()) << client.status();
  auto get = [&](net::HttpClient* http, const std::string& scheme) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = absl::StrCat(scheme, "://localhost:", server_->admin_port(), "/health");
    absl::Notification done;
    absl::StatusOr<net::HttpResponse> result;
    http->Send(std::move(request), absl::Seconds(10), [&](absl::StatusOr<net::HttpResponse> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  };
  auto https = get(client->get(), "https");
  ASSERT_TRUE(https.ok()) << https.status();
  EXPECT_EQ(https->status, 200);
  EXPECT_FALSE(get(http_.get(), "http").ok());  // plain HTTP to the HTTPS port
}

TEST_F(AdminServerTest, HealthAndReady) {
  Start();
  EXPECT_EQ(Get("/health"), "{\"status\":\"UP\"}");
  EXPECT_EQ(Get("/ready"), "{\"status\":\"READY\"}");
  EXPECT_THAT(Get("/v1/info"), HasSubstr(absl::StrCat("\"version\":\"", kRuntimeVersion, "\"")));
}

TEST_F(AdminServerTest, MetricsCountPublishesDeliveriesAndAcksAndPassPromtool) {
  Start();
  auto subscriber = Subscriber("workers", "orders");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  PublishOk(publisher.get(), "orders", 5);
  for (int i = 0; i < 5; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  // A refusal: reserved topics belong to the mesh.
  auto refused = publisher->Publish("eventmesh-private", "x");
  ASSERT_TRUE(refused.ok());
  EXPECT_NE(refused->header.code, 0);

  EXPECT_EQ(WaitForSample("eventmesh_delivery_acks_total", 5), 5);
  const std::string page = Get("/metrics");
  EXPECT_EQ(SampleValue(page, "eventmesh_publish_total{protocol=\"tcp\",result=\"ok\"}"), 5);
  EXPECT_EQ(SampleValue(page, "eventmesh_publish_total{protocol=\"tcp\",result=\"denied\"}"), 1);
  EXPECT_EQ(SampleValue(page, "eventmesh_publish_total{protocol=\"http\",result=\"ok\"}"), 0);
  EXPECT_EQ(SampleValue(page, "eventmesh_delivery_pushes_total"), 5);
  EXPECT_EQ(SampleValue(page, "eventmesh_delivery_redeliveries_total"), 0);
  EXPECT_EQ(SampleValue(page, "eventmesh_delivery_dead_letters_total"), 0);
  EXPECT_EQ(SampleValue(page, "eventmesh_delivery_ack_latency_seconds_count"), 5);
  EXPECT_EQ(SampleValue(page, "eventmesh_publish_durable_latency_seconds_count{protocol=\"tcp\"}"),
            5);
  EXPECT_EQ(SampleValue(page, "eventmesh_sessions{protocol=\"tcp\"}"), 2);
  EXPECT_EQ(SampleValue(page, "eventmesh_delivery_unacked"), 0);
  EXPECT_EQ(SampleValue(page, "eventmesh_consumer_groups"), 1);
  // The embedded store's gauge: the 5 events are in its tail cache (the connector's own gauges
  // come through Connector::Gauges).
  EXPECT_GT(SampleValue(page, "eventmesh_store_tail_cache_bytes"), 5 * 200);
  // Its commit writes (ConnectorContext::metrics): the 5 events took at least one, and each
  // write is in one bucket of 25 µs and up.
  EXPECT_GE(SampleValue(page, "eventmesh_store_commit_write_seconds_count"), 1);
  EXPECT_THAT(page, HasSubstr("eventmesh_store_commit_write_seconds_bucket{le=\"2.5e-05\"}"));
  // RocksDB's write stalls, as counters (none in so small a run).
  EXPECT_THAT(page, HasSubstr("# TYPE eventmesh_store_write_stops_total counter"));
  EXPECT_EQ(SampleValue(page, "eventmesh_store_write_stops_total"), 0);
  EXPECT_THAT(page, HasSubstr("# TYPE eventmesh_store_write_stall_seconds_total counter"));
  EXPECT_THAT(page, HasSubstr("# TYPE eventmesh_store_writes_stopped gauge"));
  EXPECT_EQ(SampleValue(page, "eventmesh_store_writes_stopped"), 0);
  EXPECT_THAT(page, HasSubstr("eventmesh_build_info{version=\""));
  const absl::Status checked = metrics::testing::PromtoolCheckMetrics(page);
  EXPECT_TRUE(checked.ok()) << checked;
  auto response = Call("GET", "/metrics");
  ASSERT_TRUE(response.ok());
  ASSERT_NE(response->header("Content-Type"), nullptr);
  EXPECT_EQ(*response->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(AdminServerTest, LagRisesWithUnconsumedEventsAndFallsAfterAcks) {
  Start();
  auto subscriber = Subscriber("billing", "invoices");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  const std::string lag = "eventmesh_consumer_group_lag{group=\"billing\"}";
  EXPECT_EQ(WaitForSample(lag, 0), 0);
  PublishOk(publisher.get(), "invoices", 6);
  // Pushed but not acknowledged: nothing is committed, so all six count as lag.
  std::vector<protocol::tcp::Package> pushes;
  for (int i = 0; i < 6; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    pushes.push_back(*push);
  }
  EXPECT_EQ(WaitForSample(lag, 6), 6);
  EXPECT_EQ(SampleValue(Get("/metrics"), "eventmesh_delivery_unacked"), 6);
  const std::string group = Get("/v1/groups/billing");
  auto doc = json::ParseJson(group, "group");
  ASSERT_TRUE(doc.ok()) << group;
  EXPECT_EQ((*doc)["lag"].GetInt64(), 6) << group;
  const auto& topic = (*doc)["topics"][0];
  EXPECT_EQ(std::string(topic["topic"].GetString()), "invoices");
  EXPECT_EQ(topic["unacked"].GetInt64(), 6);
  int64_t end_sum = 0;
  for (const auto& p : topic["partitions"].GetArray()) end_sum += p["endOffset"].GetInt64();
  EXPECT_EQ(end_sum, 6);
  ASSERT_EQ((*doc)["members"].Size(), 1u);
  // Half acknowledged: the lag falls, but only by the contiguous acknowledged prefix per
  // partition, so wait for every ack and then for zero.
  for (const auto& push : pushes) ASSERT_TRUE(subscriber->Ack(push).ok());
  EXPECT_EQ(WaitForSample(lag, 0), 0);
  EXPECT_EQ(SampleValue(Get("/metrics"), "eventmesh_delivery_unacked"), 0);
  EXPECT_THAT(Get("/v1/groups"), HasSubstr("\"group\":\"billing\""));
}

TEST_F(AdminServerTest, GroupResetReplaysOnlyWithoutLiveMembers) {
  Start();
  auto subscriber = Subscriber("replay", "audit");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  PublishOk(publisher.get(), "audit", 3);
  for (int i = 0; i < 3; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  EXPECT_EQ(WaitForSample("eventmesh_consumer_group_lag{group=\"replay\"}", 0), 0);
  auto busy = Call("POST", "/v1/groups/replay/reset", R"({"topic":"audit","to":"earliest"})");
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->status, 409) << busy->body;
  EXPECT_THAT(busy->body, HasSubstr("live member"));
  auto bad = Call("POST", "/v1/groups/replay/reset", R"({"topic":"audit","to":"yesterday"})");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("\\\"to\\\" must be"));
  EXPECT_EQ(Call("GET", "/v1/groups/replay/reset")->status, 405);

  subscriber->Close();  // lingerMs is 0: the group's member leaves at once
  std::optional<net::HttpResponse> reset;
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline) {
    auto r = Call("POST", "/v1/groups/replay/reset", R"({"topic":"audit","to":"earliest"})");
    ASSERT_TRUE(r.ok());
    reset = *r;
    if (r->status == 200) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(reset->status, 200) << reset->body;
  // The replay: a new subscriber of the group gets the three events again.
  auto again = Subscriber("replay", "audit");
  ASSERT_NE(again, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto push = again->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
  }
}

TEST_F(AdminServerTest, TopicsCreateListGetDelete) {
  Start();
  auto created = Call("POST", "/v1/topics", R"({"name":"payments","partitions":3})");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201) << created->body;
  ASSERT_NE(created->header("Location"), nullptr);
  EXPECT_EQ(*created->header("Location"), "/v1/topics/payments");
  EXPECT_THAT(Get("/v1/topics"), HasSubstr("\"name\":\"payments\""));
  auto doc = json::ParseJson(Get("/v1/topics/payments"), "topic");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["partitions"].Size(), 3u);
  EXPECT_EQ((*doc)["messageCount"].GetInt64(), 0);
  EXPECT_EQ((*doc)["partitions"][0]["bytes"].GetInt64(), 0);
  EXPECT_EQ((*doc)["retentionMs"].GetInt64(), 7LL * 24 * 3600 * 1000);  // the store's default
  EXPECT_EQ((*doc)["retentionBytes"].GetInt64(), -1);

  // Retention chosen at creation; bytes grow with the events.
  auto kept =
      Call("POST", "/v1/topics",
           R"({"name":"audit","partitions":1,"retentionMs":3600000,"retentionBytes":1048576})");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->status, 201) << kept->body;
  {
    auto publisher = Connect("pub", "producers");
    PublishOk(publisher.get(), "audit", 1);
  }
  auto audit = json::ParseJson(Get("/v1/topics/audit"), "topic");
  ASSERT_TRUE(audit.ok());
  EXPECT_EQ((*audit)["retentionMs"].GetInt64(), 3600000);
  EXPECT_EQ((*audit)["retentionBytes"].GetInt64(), 1048576);
  EXPECT_GT((*audit)["partitions"][0]["bytes"].GetInt64(), 0);
  auto unlimited = Call("POST", "/v1/topics", R"({"name":"forever","retentionMs":-1})");
  EXPECT_EQ(unlimited->status, 201) << unlimited->body;
  auto forever = json::ParseJson(Get("/v1/topics/forever"), "topic");
  ASSERT_TRUE(forever.ok());
  EXPECT_EQ((*forever)["retentionMs"].GetInt64(), -1);

  auto twice = Call("POST", "/v1/topics", R"({"name":"payments"})");
  EXPECT_EQ(twice->status, 409) << twice->body;
  auto deleted = Call("DELETE", "/v1/topics/payments");
  EXPECT_EQ(deleted->status, 204) << deleted->body;
  EXPECT_EQ(Call("GET", "/v1/topics/payments")->status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/topics/payments")->status, 404);
  // A deleted topic is created again on the next publish (auto-creation is on).
  auto publisher = Connect("pub", "producers");
  PublishOk(publisher.get(), "payments", 1);
  EXPECT_EQ(Call("GET", "/v1/topics/payments")->status, 200);
}

TEST_F(AdminServerTest, BadRequestsGetPreciseAnswers) {
  Start();
  const std::vector<Case> cases = {
      {"POST", "/v1/topics", "{not json", 400, "malformed JSON"},
      {"POST", "/v1/topics", "[]", 400, "JSON object"},
      {"POST", "/v1/topics", R"({"partitions":2})", 400, "\\\"name\\\""},
      {"POST", "/v1/topics", R"({"name":"t","partitions":0})", 400, "[1, 4096]"},
      {"POST", "/v1/topics", R"({"name":"t","retentionMs":-5})", 400, "retentionMs"},
      {"POST", "/v1/topics", R"({"name":"t","retentionBytes":"big"})", 400, "retentionBytes"},
      {"POST", "/v1/topics", R"({"name":"eventmesh-x"})", 400, "reserved for the mesh"},
      {"POST", "/v1/topics", R"({"name":"bad name!"})", 400, ""},
      {"DELETE", "/v1/topics/eventmesh-runtimes", "", 400, "reserved for the mesh"},
      {"PUT", "/v1/topics", "{}", 405, "allowed: GET, POST"},
      {"POST", "/metrics", "", 405, "allowed: GET"},
      {"POST", "/health", "", 405, "allowed: GET"},
      {"DELETE", "/v1/clients", "", 405, "allowed: GET"},
      {"GET", "/clientManage/rejectAllClient", "", 405, "allowed: POST"},
      {"GET", "/v1/nothing", "", 404, "no such resource"},
      {"GET", "/v1/groups/nobody", "", 404, "no consumer of group \\\"nobody\\\""},
      {"GET", "/v1/clients?protocol=%zz", "", 400, "bad percent-escape"},
  };
  ExpectAnswers(cases);
  auto not_allowed = Call("PUT", "/v1/topics", "{}");
  ASSERT_NE(not_allowed->header("Allow"), nullptr);
  EXPECT_EQ(*not_allowed->header("Allow"), "GET, POST");
}

TEST_F(AdminServerTest, ClientsAndClientManage) {
  Start();
  auto subscriber = Subscriber("workers", "orders");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  auto doc = json::ParseJson(Get("/v1/clients?protocol=tcp&group=workers"), "clients");
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->Size(), 1u);
  const auto& client = (*doc)[0];
  EXPECT_EQ(std::string(client["purpose"].GetString()), "sub");
  EXPECT_EQ(std::string(client["subsystem"].GetString()), "5023");
  EXPECT_THAT(std::string(client["address"].GetString()), HasSubstr("127.0.0.1:"));
  ASSERT_EQ(client["topics"].Size(), 1u);
  EXPECT_EQ(std::string(client["topics"][0].GetString()), "orders");
  EXPECT_THAT(Get("/v1/clients"), HasSubstr("\"group\":\"producers\""));

  EXPECT_THAT(Get("/clientManage/showClient"), HasSubstr("subsystem=5023 | clients=2"));
  const std::string by_system = Get("/clientManage/showClientBySystem?subsystem=5023");
  EXPECT_THAT(by_system, HasSubstr("pid=1 | ip=127.0.0.1 | port="));
  EXPECT_THAT(by_system, HasSubstr("| purpose=sub | group=workers"));
  EXPECT_EQ(Call("GET", "/clientManage/showClientBySystem")->status, 400);

  auto rejected = Call("POST", "/clientManage/rejectAllClient");
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->status, 200);
  EXPECT_THAT(rejected->body, HasSubstr("2 clients told to leave"));
  auto goodbye = subscriber->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_TRUE(subscriber->WaitClosed());
  EXPECT_TRUE(publisher->WaitClosed());
}

TEST_F(AdminServerTest, ClientsAreRejectedAndRedirectedByFilter) {
  Start();
  auto subscriber = Subscriber("workers", "orders");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  EXPECT_THAT(Get("/clientManage/showListenClientByTopic?topic=orders"),
              HasSubstr("group=workers | subsystem=5023 | address=127.0.0.1:"));
  EXPECT_THAT(Get("/clientManage/showListenClientByTopic?topic=orders"),
              ::testing::Not(HasSubstr("group=producers")));

  auto redirected =
      Call("POST", "/v1/clients/redirect", R"({"group":"workers","ip":"10.0.0.9","port":10000})");
  ASSERT_TRUE(redirected.ok());
  EXPECT_EQ(redirected->status, 200) << redirected->body;
  auto doc = json::ParseJson(redirected->body, "redirect answer");
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ((*doc)["redirected"].Size(), 1u);
  auto redirect = subscriber->Next(Command::kRedirectToClient);
  ASSERT_TRUE(redirect.ok()) << redirect.status();
  EXPECT_THAT(redirect->body, HasSubstr("10.0.0.9"));
  EXPECT_THAT(redirect->body, HasSubstr("10000"));

  // Apache's form: by ip and port (the publisher's own address).
  auto clients = json::ParseJson(Get("/v1/clients?group=producers"), "clients");
  ASSERT_TRUE(clients.ok());
  ASSERT_EQ(clients->Size(), 1u);
  const std::string address = (*clients)[0]["address"].GetString();
  const size_t colon = address.rfind(':');
  auto apache =
      Call("POST", absl::StrCat("/clientManage/rejectClientByIpPort?ip=", address.substr(0, colon),
                                "&port=", address.substr(colon + 1)));
  ASSERT_TRUE(apache.ok());
  EXPECT_EQ(apache->status, 200) << apache->body;
  EXPECT_THAT(apache->body, HasSubstr("rejectClientByIpPort success, 1 clients told to leave"));
  ASSERT_TRUE(publisher->Next(Command::kServerGoodbyeRequest).ok());
  EXPECT_TRUE(publisher->WaitClosed());

  auto rejected = Call("POST", "/v1/clients/reject", R"({"subsystem":"5023","group":"workers"})");
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->status, 200) << rejected->body;
  EXPECT_THAT(rejected->body, HasSubstr("\"rejected\":[\""));
  ASSERT_TRUE(subscriber->Next(Command::kServerGoodbyeRequest).ok());
  EXPECT_TRUE(subscriber->WaitClosed());

  ExpectAnswers({
      {"POST", "/v1/clients/reject", "{}", 400, "give at least one of"},
      {"POST", "/v1/clients/reject", R"({"group":""})", 400,
       "\\\"group\\\" must be a non-empty string"},
      {"POST", "/v1/clients/redirect", R"({"group":"g","port":1})", 400, "\\\"ip\\\""},
      {"POST", "/v1/clients/redirect", R"({"group":"g","ip":"h","port":70000})", 400, "[1, 65535]"},
      {"POST", "/clientManage/rejectClientBySubSystem", "", 400, "subsystem is required"},
      {"POST", "/clientManage/redirectClientByPath?path=/p", "", 400,
       "desteventmeshIp is required"},
      {"POST",
       "/clientManage/redirectClientBySubSystem?subsystem=1&desteventmeshIp=h&"
       "desteventmeshport=x",
       "", 400, "must be a port number"},
  });
  // Nobody matches: nothing happens.
  auto none = Call("POST",
                   "/clientManage/redirectClientBySubSystem?subsystem=none&"
                   "desteventmeshIp=h&desteventmeshport=1");
  EXPECT_THAT(none->body, HasSubstr("0 clients redirected"));
  EXPECT_EQ(Call("GET", "/v1/clients/reject")->status, 405);
}

TEST_F(AdminServerTest, EventsAreReadAndDeadLettersRepublished) {
  Start({{"eventMesh.server.delivery.ackTimeoutInMills", "200"},
         {"eventMesh.server.delivery.maxDeliveryCount", "1"}});
  auto consumer = Subscriber("fragile", "risky");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(consumer, nullptr);
  PublishOk(publisher.get(), "risky", 1);
  auto push = consumer->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(push.ok()) << push.status();  // never acknowledged: dead-lettered
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline && !absl::StrContains(Get("/v1/dlq"), "\"messageCount\":1")) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(Get("/v1/dlq"), R"([{"topic":"fragile.DLQ","group":"fragile","messageCount":1}])");

  // The event as stored, with its dead-letter extensions.
  auto read = json::ParseJson(Get("/v1/topics/fragile.DLQ/events?count=5"), "events");
  ASSERT_TRUE(read.ok());
  ASSERT_EQ((*read)["events"].Size(), 1u);
  const auto& stored = (*read)["events"][0];
  EXPECT_EQ(std::string(stored["event"]["dlqtopic"].GetString()), "risky");
  EXPECT_EQ(std::string(stored["event"]["subject"].GetString()), "fragile.DLQ");
  EXPECT_GT(stored["storedMs"].GetInt64(), 0);
  const int partition = stored["partition"].GetInt();
  const int64_t offset = stored["offset"].GetInt64();
  auto original = json::ParseJson(Get("/v1/topics/risky/events"), "events");
  ASSERT_TRUE(original.ok());
  ASSERT_EQ((*original)["events"].Size(), 1u);
  EXPECT_EQ(std::string((*original)["events"][0]["event"]["id"].GetString()),
            std::string(stored["event"]["id"].GetString()));

  auto republished = Call("POST", "/v1/dlq/republish",
                          absl::StrCat(R"({"topic":"fragile.DLQ","partition":)", partition,
                                       R"(,"offset":)", offset, "}"));
  ASSERT_TRUE(republished.ok());
  ASSERT_EQ(republished->status, 200) << republished->body;
  EXPECT_THAT(republished->body, HasSubstr("\"topic\":\"risky\""));
  // The group gets it again, without the dead-letter extensions.
  auto again = consumer->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->body, HasSubstr("event-0"));
  EXPECT_THAT(again->body, ::testing::Not(HasSubstr("dlqtopic")));
  ASSERT_TRUE(consumer->Ack(*again).ok());
  auto topic = json::ParseJson(Get("/v1/topics/risky"), "topic");
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ((*topic)["messageCount"].GetInt64(), 2);

  const std::vector<Case> cases = {
      {"POST", "/v1/dlq/republish", R"({"topic":"risky","offset":0})", 400,
       "not a dead-letter topic"},
      {"POST", "/v1/dlq/republish", R"({"topic":"fragile.DLQ"})", 400, "\\\"offset\\\""},
      {"POST", "/v1/dlq/republish",
       absl::StrCat(R"({"topic":"fragile.DLQ","partition":)", partition, R"(,"offset":99})"), 404,
       "no event at fragile.DLQ"},
      {"POST", "/v1/dlq/republish", R"({"topic":"fragile.DLQ","offset":0,"count":0})", 400,
       "[1, 1000]"},
      {"POST", "/v1/dlq/republish", R"({"topic":"nobody.DLQ","offset":0})", 404, ""},
      {"GET", "/v1/dlq/republish", "", 405, "allowed: POST"},
      {"GET", "/v1/topics/risky/events?partition=x", "", 400, "query parameter partition"},
      {"GET", "/v1/topics/risky/events?count=0", "", 400, "query parameter count"},
      {"GET", "/v1/topics/risky/events?partition=4000", "", 400, "has no partition 4000"},
      {"GET", "/v1/topics/missing/events", "", 404, ""},
      {"POST", "/v1/topics/risky/events", "", 405, "allowed: GET"},
  };
  ExpectAnswers(cases);
}

TEST_F(AdminServerTest, GroupResetToATime) {
  Start();
  auto subscriber = Subscriber("timed", "ledger");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  PublishOk(publisher.get(), "ledger", 2);
  for (int i = 0; i < 2; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  EXPECT_EQ(WaitForSample("eventmesh_consumer_group_lag{group=\"timed\"}", 0), 0);
  subscriber->Close();
  auto missing = Call("POST", "/v1/groups/timed/reset", R"({"topic":"ledger","to":"time"})");
  EXPECT_EQ(missing->status, 400);
  EXPECT_THAT(missing->body, HasSubstr("timestampMs"));
  std::optional<net::HttpResponse> reset;
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline) {
    auto r =
        Call("POST", "/v1/groups/timed/reset", R"({"topic":"ledger","to":"time","timestampMs":0})");
    ASSERT_TRUE(r.ok());
    reset = *r;
    if (r->status == 200) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(reset->status, 200) << reset->body;
  // Every event was stored after time 0: both come again.
  auto again = Subscriber("timed", "ledger");
  ASSERT_NE(again, nullptr);
  for (int i = 0; i < 2; ++i) {
    auto push = again->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
  }
}

TEST_F(AdminServerTest, DashboardFilesAreServedWithTheirTypesAndNothingElse) {
  Start({{"eventMesh.server.admin.token", "s3cret-token"}});
  auto root = Call("GET", "/");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->status, 302);
  ASSERT_NE(root->header("Location"), nullptr);
  EXPECT_EQ(*root->header("Location"), "/dashboard/");
  EXPECT_EQ(*Call("GET", "/dashboard")->header("Location"), "/dashboard/");
  // Open without the token (the files hold no data); the API still needs it.
  struct File {
    std::string path, type, contains;
  };
  for (const File& f : std::vector<File>{
           {"/dashboard/", "text/html; charset=utf-8", "<title>EventMesh dashboard</title>"},
           {"/dashboard/index.html", "text/html; charset=utf-8", "dashboard.js"},
           {"/dashboard/dashboard.js", "text/javascript; charset=utf-8", "/v1/groups"},
           {"/dashboard/dashboard.css", "text/css; charset=utf-8", ".lag-high"},
       }) {
    auto response = Call("GET", f.path);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200) << f.path;
    ASSERT_NE(response->header("Content-Type"), nullptr) << f.path;
    EXPECT_EQ(*response->header("Content-Type"), f.type) << f.path;
    EXPECT_EQ(*response->header("X-Content-Type-Options"), "nosniff");
    EXPECT_THAT(*response->header("Content-Security-Policy"), HasSubstr("default-src 'self'"));
    EXPECT_THAT(response->body, HasSubstr(f.contains)) << f.path;
  }
  EXPECT_EQ(Call("GET", "/v1/info")->status, 401);
  // Unknown names, other folders and traversal attempts are not found.
  for (const char* path :
       {"/dashboard/missing.js", "/dashboard/assets/index.html", "/dashboard/../admin_server.cc",
        "/dashboard/%2e%2e/BUILD.bazel", "/dashboard/..%2fBUILD.bazel", "/dashboard//etc/passwd",
        "/dashboard/index.html/", "/dashboard/BUILD.bazel", "/dashboard/embed_assets.sh",
        "/dashboard/../../../../etc/passwd"}) {
    auto response = Call("GET", path);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 404) << path << ": " << response->body;
    EXPECT_THAT(response->body, ::testing::Not(HasSubstr("root:"))) << path;
  }
  auto post = Call("POST", "/dashboard/index.html");
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(Call("DELETE", "/")->status, 405);
}

TEST_F(AdminServerTest, TokenProtectsEverythingButHealthAndReady) {
  Start({{"eventMesh.server.admin.token", "s3cret-token"},
         {"eventMesh.federation.password", "fed-pass"}});
  EXPECT_EQ(Call("GET", "/health")->status, 200);
  EXPECT_EQ(Call("GET", "/ready")->status, 200);
  auto anonymous = Call("GET", "/metrics");
  EXPECT_EQ(anonymous->status, 401);
  ASSERT_NE(anonymous->header("WWW-Authenticate"), nullptr);
  EXPECT_EQ(Call("GET", "/v1/topics", "", std::string("wrong"))->status, 401);
  EXPECT_EQ(Call("POST", "/v1/topics", R"({"name":"x"})", std::string("wrong"))->status, 401);
  EXPECT_EQ(Call("GET", "/metrics", "", std::string("s3cret-token"))->status, 200);
  auto config = Call("GET", "/v1/config", "", std::string("s3cret-token"));
  ASSERT_EQ(config->status, 200);
  EXPECT_THAT(config->body, HasSubstr("\"eventMesh.server.admin.token\":\"******\""));
  EXPECT_THAT(config->body, HasSubstr("\"eventMesh.federation.password\":\"******\""));
  EXPECT_THAT(config->body, ::testing::Not(HasSubstr("s3cret-token")));
  EXPECT_THAT(config->body, ::testing::Not(HasSubstr("fed-pass")));
  EXPECT_THAT(config->body, HasSubstr("\"eventMesh.server.tcp.port\":\"0\""));
  EXPECT_THAT(config->body, HasSubstr("\"eventMesh.server.delivery.maxDeliveryCount\":\"5\""));
}

TEST_F(AdminServerTest, SecurityWithoutTokenClosesTheApi) {
  const std::string credentials = runtime::testing::TestDataDir("-credentials.json");
  {
    std::FILE* file = std::fopen(credentials.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(R"({"users":[{"username":"u","password":"p","publish":["*"],"subscribe":["*"]}]})",
               file);
    std::fclose(file);
  }
  Start({{"eventMesh.server.security.enabled", "true"},
         {"eventMesh.server.security.credentialsFile", credentials}});
  EXPECT_EQ(Call("GET", "/health")->status, 200);
  auto closed = Call("GET", "/metrics");
  EXPECT_EQ(closed->status, 403);
  EXPECT_THAT(closed->body, HasSubstr("eventMesh.server.admin.token"));
}

// ---- Apache EventMesh's admin endpoints (/client/*, /topic, /event, /meta, /configuration,
// /v2/configuration, /eventMesh/recommend).

TEST_F(AdminServerTest, ApacheTcpClientsAreListedAndDeletedByHostAndPort) {
  Start();
  auto subscriber = Subscriber("workers", "orders");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  auto list = json::ParseJson(Get("/client/tcp"), "tcp clients");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->Size(), 2u);
  std::string publisher_host;
  int publisher_port = 0;
  for (const auto& client : list->GetArray()) {
    for (const char* field : {"env", "subsystem", "url", "pid", "host", "version", "idc", "group",
                              "purpose", "protocol"}) {
      ASSERT_TRUE(client.HasMember(field) && client[field].IsString()) << field;
    }
    ASSERT_TRUE(client["port"].IsInt());
    EXPECT_EQ(std::string(client["protocol"].GetString()), "TCP");
    EXPECT_EQ(std::string(client["subsystem"].GetString()), "5023");
    EXPECT_EQ(std::string(client["pid"].GetString()), "1");
    EXPECT_EQ(std::string(client["host"].GetString()), "127.0.0.1");
    if (std::string(client["group"].GetString()) == "producers") {
      EXPECT_EQ(std::string(client["purpose"].GetString()), "pub");
      publisher_host = client["host"].GetString();
      publisher_port = client["port"].GetInt();
    }
  }
  ASSERT_GT(publisher_port, 0);

  auto deleted =
      Call("DELETE", "/client/tcp",
           absl::StrCat(R"({"host":")", publisher_host, R"(","port":)", publisher_port, "}"));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(deleted->body, "");
  auto goodbye = publisher->Next(Command::kServerGoodbyeRequest);
  ASSERT_TRUE(goodbye.ok()) << goodbye.status();
  EXPECT_TRUE(publisher->WaitClosed());
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline && absl::StrContains(Get("/client/tcp"), "producers")) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(Get("/client/tcp"), ::testing::Not(HasSubstr("producers")));
  EXPECT_THAT(Get("/client/tcp"), HasSubstr("\"group\":\"workers\""));
  // Nobody at that address any more: nothing happens, like Apache.
  EXPECT_EQ(Call("DELETE", "/client/tcp",
                 absl::StrCat(R"({"host":"127.0.0.1","port":)", publisher_port, "}"))
                ->status,
            200);

  const std::vector<Case> cases = {
      {"DELETE", "/client/tcp", "", 400, "a JSON body {\\\"host\\\""},
      {"DELETE", "/client/tcp", "[1]", 400, "must be a JSON object"},
      {"DELETE", "/client/tcp", R"({"port":1})", 400, "\\\"host\\\""},
      {"DELETE", "/client/tcp", R"({"host":"h","port":0})", 400, "[1, 65535]"},
      {"POST", "/client/tcp", "{}", 405, "allowed: GET, DELETE"},
      {"PUT", "/client/http", "{}", 405, "allowed: GET, DELETE"},
  };
  ExpectAnswers(cases);
}

TEST_F(AdminServerTest, ApacheHttpAndGrpcClientsAreListedAndRemovedByUrl) {
  Start({{"eventMesh.server.provide.protocols", "TCP,HTTP,GRPC"},
         {"eventMesh.server.http.webhook.allowPrivateNetworks", "true"}});
  // Two webhook registrations of one URL (two groups) and one of another URL, over HTTP.
  for (const auto& [group, url] :
       std::vector<std::pair<std::string, std::string>>{{"billing", "http://127.0.0.1:9/hook"},
                                                        {"audit", "http://127.0.0.1:9/hook"},
                                                        {"billing", "http://127.0.0.1:9/other"}}) {
    auto subscribed = CallPort(server_->http_port(), "POST", "/eventmesh/subscribe/local",
                               absl::StrCat(R"({"url":")", url, R"(","consumerGroup":")", group,
                                            R"(","topic":[{"topic":"orders"}]})"));
    ASSERT_TRUE(subscribed.ok()) << subscribed.status();
    ASSERT_THAT(subscribed->body, HasSubstr("\"retCode\":0")) << subscribed->body;
  }
  // A gRPC stream subscriber.
  auto channel = grpc::testing::Channel(server_->port_of("grpc"));
  grpc::testing::StreamClient stream(channel);
  auto answer = stream.Subscribe(grpc::testing::SubscriptionEvent(
      "streamers", {protocol::grpc::SubscriptionItem{"audit-log", false, false}}));
  ASSERT_TRUE(answer.ok()) << answer.status();

  auto http = json::ParseJson(Get("/client/http"), "http clients");
  ASSERT_TRUE(http.ok());
  ASSERT_EQ(http->Size(), 3u);
  for (const auto& client : http->GetArray()) {
    EXPECT_EQ(std::string(client["protocol"].GetString()), "HTTP");
    EXPECT_EQ(std::string(client["pid"].GetString()), "0");
    EXPECT_EQ(client["port"].GetInt(), 0);
    EXPECT_THAT(std::string(client["url"].GetString()), HasSubstr("http://127.0.0.1:9/"));
  }
  auto grpc_clients = json::ParseJson(Get("/client/grpc"), "grpc clients");
  ASSERT_TRUE(grpc_clients.ok());
  ASSERT_EQ(grpc_clients->Size(), 1u);
  EXPECT_EQ(std::string((*grpc_clients)[0]["protocol"].GetString()), "gRPC");
  EXPECT_EQ(std::string((*grpc_clients)[0]["group"].GetString()), "streamers");
  EXPECT_EQ(std::string((*grpc_clients)[0]["host"].GetString()), "127.0.0.1");

  // DELETE /client/http removes every registration of the URL (both groups), nothing else.
  auto removed = Call("DELETE", "/client/http", R"({"url":"http://127.0.0.1:9/hook"})");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->status, 200) << removed->body;
  const std::string after = Get("/client/http");
  EXPECT_THAT(after, ::testing::Not(HasSubstr("http://127.0.0.1:9/hook")));
  EXPECT_THAT(after, HasSubstr("http://127.0.0.1:9/other"));

  // A webhook-style gRPC subscription (subscribe with a URL) is removed by /client/grpc.
  auto hooked = grpc::testing::Subscribe(
      channel, grpc::testing::SubscriptionEvent(
                   "grpc-hooks", {protocol::grpc::SubscriptionItem{"orders", false, false}},
                   "http://127.0.0.1:9/grpc-hook"));
  ASSERT_TRUE(hooked.ok()) << hooked.status();
  EXPECT_THAT(Get("/v1/clients"), HasSubstr("http://127.0.0.1:9/grpc-hook"));
  auto grpc_removed = Call("DELETE", "/client/grpc", R"({"url":"http://127.0.0.1:9/grpc-hook"})");
  ASSERT_TRUE(grpc_removed.ok());
  EXPECT_EQ(grpc_removed->status, 200) << grpc_removed->body;
  EXPECT_THAT(Get("/v1/clients"), ::testing::Not(HasSubstr("http://127.0.0.1:9/grpc-hook")));

  auto stream_delete = Call("DELETE", "/client/grpc", R"({"url":"grpc_stream"})");
  EXPECT_EQ(stream_delete->status, 422);
  EXPECT_THAT(stream_delete->body, HasSubstr("close them by peer address with {\\\"host\\\""));
  EXPECT_EQ(Call("DELETE", "/client/http", "{}")->status, 400);
  EXPECT_EQ(Call("DELETE", "/client/grpc", R"({"host":""})")->status, 400);
  EXPECT_THAT(Get("/client/grpc"), HasSubstr("streamers"));
  // Another host: nothing happens. The stream's own host: the stream ends.
  EXPECT_EQ(Call("DELETE", "/client/grpc", R"({"host":"10.9.9.9"})")->status, 200);
  EXPECT_THAT(Get("/client/grpc"), HasSubstr("streamers"));
  auto closed = Call("DELETE", "/client/grpc", R"({"host":"127.0.0.1"})");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status, 200) << closed->body;
  EXPECT_TRUE(stream.WaitEnded());
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline && Get("/client/grpc") != "[]") {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(Get("/client/grpc"), "[]");
  EXPECT_THAT(Get("/v1/groups"), ::testing::Not(HasSubstr("\"group\":\"streamers\"")));
}

TEST_F(AdminServerTest, ApacheWebhookDeletionWithoutWebhooksIsRefused) {
  Start({{"eventMesh.server.http.webhook.enabled", "false"}});
  auto response = Call("DELETE", "/client/http", R"({"url":"http://x/y"})");
  EXPECT_EQ(response->status, 501);
  EXPECT_THAT(response->body, HasSubstr("eventMesh.server.http.webhook.enabled=false"));
  EXPECT_EQ(Get("/client/http"), "[]");
}

TEST_F(AdminServerTest, ApacheTopicsCreateListDelete) {
  Start();
  auto created = Call("POST", "/topic", R"({"name":"invoices"})");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 200) << created->body;
  EXPECT_THAT(Get("/topic"), HasSubstr(R"({"name":"invoices","messageCount":0})"));
  auto doc = json::ParseJson(Get("/v1/topics/invoices"), "topic");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ((*doc)["partitions"].Size(), 4u);  // eventMesh.server.topic.defaultPartitions

  EXPECT_EQ(Call("POST", "/topic", R"({"name":"invoices"})")->status, 409);
  auto deleted = Call("DELETE", "/topic", R"({"name":"invoices"})");
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(Call("GET", "/v1/topics/invoices")->status, 404);
  EXPECT_THAT(Get("/topic"), ::testing::Not(HasSubstr("invoices")));
  auto missing = Call("DELETE", "/topic", R"({"name":"invoices"})");
  EXPECT_EQ(missing->status, 404);
  EXPECT_THAT(missing->body, HasSubstr("\"message\":"));
  auto reserved = Call("DELETE", "/topic", R"({"name":"eventmesh-runtimes"})");
  EXPECT_EQ(reserved->status, 400);
  EXPECT_THAT(reserved->body, HasSubstr("reserved for the mesh"));
  EXPECT_EQ(Call("POST", "/topic", "")->status, 400);
  EXPECT_EQ(Call("POST", "/topic", R"({"name":""})")->status, 400);
  EXPECT_EQ(Call("PUT", "/topic", "{}")->status, 405);
}

TEST_F(AdminServerTest, ApacheEventsArePublishedAndReadBack) {
  Start();
  ASSERT_EQ(Call("POST", "/v1/topics", R"({"name":"receipts","partitions":1})")->status, 201);
  for (int i = 0; i < 3; ++i) {
    auto published = Call(
        "POST", "/event",
        absl::StrCat(R"({"specversion":"1.0","id":"receipt-)", i,
                     R"(","source":"/admin-test","type":"receipt.issued","subject":"receipts",)",
                     R"("datacontenttype":"text/plain","data":"paid )", i, R"("})"));
    ASSERT_TRUE(published.ok());
    ASSERT_EQ(published->status, 200) << published->body;
    EXPECT_EQ(published->body, "");
  }
  // The runtime's publish path counted them.
  EXPECT_THAT(Get("/v1/topics/receipts"), HasSubstr("\"messageCount\":3"));

  auto read = json::ParseJson(Get("/event?topicName=receipts&offset=1&length=5"), "events");
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->IsArray());
  ASSERT_EQ(read->Size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    ASSERT_TRUE((*read)[k].IsString());  // Apache: each event is a CloudEvents JSON string
    auto event = json::ParseJson((*read)[k].GetString(), "event");
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(std::string((*event)["id"].GetString()), absl::StrCat("receipt-", k + 1));
    EXPECT_EQ(std::string((*event)["data"].GetString()), absl::StrCat("paid ", k + 1));
    EXPECT_EQ(std::string((*event)["type"].GetString()), "receipt.issued");
  }
  auto one = json::ParseJson(Get("/event?topicName=receipts&offset=0&length=1"), "events");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->Size(), 1u);

  const std::vector<Case> cases = {
      {"GET", "/event", "", 400, "topicName is required"},
      {"GET", "/event?topicName=receipts", "", 400, "offset and length are required"},
      {"GET", "/event?topicName=receipts&offset=0&length=0", "", 400, "length must be"},
      {"GET", "/event?topicName=receipts&offset=-1&length=1", "", 400, "offset must be"},
      {"GET", "/event?topicName=receipts&offset=0&length=1001", "", 400, "[1, 1000]"},
      {"GET", "/event?topicName=nowhere&offset=0&length=1", "", 404, ""},
      {"POST", "/event", "{not json", 400, "structured-mode CloudEvent"},
      {"POST", "/event", R"({"specversion":"1.0","id":"x","source":"/s","type":"t"})", 400,
       "\\\"subject\\\""},
      {"POST", "/event",
       R"({"specversion":"1.0","id":"x","source":"/s","type":"t","subject":"eventmesh-x"})", 403,
       "eventmesh-"},
      {"DELETE", "/event", "", 405, "allowed: GET, POST"},
  };
  ExpectAnswers(cases);
}

TEST_F(AdminServerTest, ApachePublishObeysTheTopicRules) {
  Start({{"eventMesh.server.topic.autoCreate", "false"}, {"eventMesh.server.maxEventSize", "16"}});
  auto no_topic = Call("POST", "/event",
                       R"({"specversion":"1.0","id":"x","source":"/s","type":"t",)"
                       R"("subject":"never-created","data":"x"})");
  EXPECT_GE(no_topic->status, 400) << no_topic->body;
  EXPECT_LT(no_topic->status, 500) << no_topic->body;
  ASSERT_EQ(Call("POST", "/topic", R"({"name":"small"})")->status, 200);
  auto too_large = Call("POST", "/event",
                        R"({"specversion":"1.0","id":"x","source":"/s","type":"t",)"
                        R"("subject":"small","data":"far more than sixteen bytes of data"})");
  EXPECT_EQ(too_large->status, 400) << too_large->body;
  EXPECT_EQ(Get("/topic"), R"([{"name":"small","messageCount":0}])");
}

TEST_F(AdminServerTest, ApacheMetaConfigurationAndRecommend) {
  Start({{"eventMesh.server.cluster", "blue"},
         {"eventMesh.server.env", "PRD"},
         {"eventMesh.federation.password", "fed-pass"}});
  auto meta = json::ParseJson(Get("/meta"), "meta");
  ASSERT_TRUE(meta.ok());
  ASSERT_TRUE(meta->IsArray());
  ASSERT_GE(meta->Size(), 2u);  // TCP and HTTP
  bool tcp_found = false;
  for (const auto& row : meta->GetArray()) {
    EXPECT_EQ(std::string(row["eventMeshClusterName"].GetString()), "blue");
    EXPECT_GT(row["lastUpdateTimestamp"].GetInt64(), 0);
    EXPECT_EQ(std::string(row["metadata"].GetString()), "{env=PRD, idc=FT}");
    const std::string name = row["eventMeshName"].GetString();
    if (absl::EndsWith(name, "-TCP")) {
      tcp_found = true;
      EXPECT_TRUE(absl::EndsWith(std::string(row["endpoint"].GetString()),
                                 absl::StrCat(":", server_->tcp_port())))
          << row["endpoint"].GetString();
    }
  }
  EXPECT_TRUE(tcp_found);

  auto v1 = json::ParseJson(Get("/configuration"), "configuration");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(std::string((*v1)["eventMeshCluster"].GetString()), "blue");
  EXPECT_EQ(std::string((*v1)["eventMeshEnv"].GetString()), "PRD");
  EXPECT_FALSE((*v1)["eventMeshServerSecurityEnable"].GetBool());
  EXPECT_FALSE((*v1)["eventMeshServerRegistryEnable"].GetBool());
  EXPECT_EQ((*v1)["eventMeshTcpServerPort"].GetInt(), 0);  // as configured (any free port)
  EXPECT_TRUE((*v1)["eventMeshGrpcServerPort"].IsInt());
  EXPECT_FALSE((*v1)["eventMeshHttpServerUseTls"].GetBool());
  for (const char* field :
       {"sysID", "namesrvAddr", "eventMeshIDC", "eventMeshServerIp", "eventMeshName"}) {
    EXPECT_TRUE(v1->HasMember(field) && (*v1)[field].IsString()) << field;
  }

  const std::string v2_text = Get("/v2/configuration");
  EXPECT_THAT(v2_text, ::testing::Not(HasSubstr("fed-pass")));
  auto v2 = json::ParseJson(v2_text, "configuration v2");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(std::string((*v2)["message"].GetString()), "Success");
  const auto& data = (*v2)["data"];
  EXPECT_EQ(std::string(data["eventMeshVersion"].GetString()), kRuntimeVersion);
  EXPECT_EQ(data["eventMeshTCPConfiguration"]["eventMesh.server.tcp.maxFrameSize"].GetInt(),
            4194304);
  EXPECT_FALSE(data["eventMeshHTTPConfiguration"]["eventMesh.server.useTls.enabled"].GetBool());
  EXPECT_TRUE(data["eventMeshGrpcConfiguration"].HasMember("eventMesh.server.grpc.port"));
  EXPECT_EQ(std::string(data["commonConfiguration"]["eventMesh.federation.password"].GetString()),
            "******");
  EXPECT_EQ(std::string(data["commonConfiguration"]["eventMesh.server.cluster"].GetString()),
            "blue");
  EXPECT_FALSE(data["eventMeshTCPConfiguration"].HasMember("eventMesh.server.cluster"));
  auto all = json::ParseJson(Get("/v2/configuration?configs=all"), "configuration v2");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE((*all)["data"]["eventMeshTCPConfiguration"].HasMember("eventMesh.server.cluster"));
  auto bad = Call("GET", "/v2/configuration?configs=some");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("Invalid param 'configs': some"));
  auto bean = Call("GET", "/v2/configuration?format=bean");
  EXPECT_EQ(bean->status, 400);
  EXPECT_THAT(bean->body, HasSubstr("Invalid param 'format': bean"));

  const std::string recommended = Get("/eventMesh/recommend?group=workers&purpose=sub");
  EXPECT_TRUE(absl::EndsWith(recommended, absl::StrCat(":", server_->tcp_port()))) << recommended;
  auto missing = Call("GET", "/eventMesh/recommend?group=workers");
  EXPECT_EQ(missing->status, 400);
  EXPECT_THAT(missing->body, HasSubstr("params illegal!"));
  auto bad_purpose = Call("GET", "/eventMesh/recommend?group=workers&purpose=both");
  EXPECT_EQ(bad_purpose->status, 400);
  EXPECT_THAT(bad_purpose->body, HasSubstr("purpose must be pub or sub"));
  EXPECT_EQ(Call("POST", "/meta")->status, 405);
  EXPECT_EQ(Call("POST", "/configuration")->status, 405);
  EXPECT_EQ(Call("DELETE", "/v2/configuration")->status, 405);
  EXPECT_EQ(Call("POST", "/eventMesh/recommend?group=g&purpose=sub")->status, 405);
}

TEST_F(AdminServerTest, ApacheMetaListsTheRegistrysRuntimes) {
  auto registry_server = registry::RegistryServer::Start({});
  ASSERT_TRUE(registry_server.ok()) << registry_server.status();
  const std::string address = absl::StrCat("127.0.0.1:", (*registry_server)->port());
  auto properties = [&address](const std::string& mesh, const std::string& id) {
    return std::map<std::string, std::string>{{"eventMesh.registry.plugin.enabled", "true"},
                                              {"eventMesh.registry.plugin.server-addr", address},
                                              {"eventMesh.registry.instanceId", id},
                                              {"eventMesh.server.cluster", mesh},
                                              {"eventMesh.server.delivery.lingerMs", "0"}};
  };
  auto other = runtime::testing::StartTestServer(
      properties("green", "g1"), runtime::testing::TestDataDir("-green"), connectors_);
  ASSERT_TRUE(other.ok()) << other.status();
  Start(properties("blue", "b1"));
  std::string page;
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline) {
    page = Get("/meta");
    if (absl::StrContains(page, "g1-TCP") && absl::StrContains(page, "b1-TCP")) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto meta = json::ParseJson(page, "meta");
  ASSERT_TRUE(meta.ok());
  std::map<std::string, std::string> endpoints;  // eventMeshName -> endpoint
  std::vector<std::string> clusters;
  for (const auto& row : meta->GetArray()) {
    endpoints[row["eventMeshName"].GetString()] = row["endpoint"].GetString();
    clusters.push_back(row["eventMeshClusterName"].GetString());
    EXPECT_EQ(row["lastUpdateTimestamp"].GetInt64(), 0);  // the registry keeps no update time
    EXPECT_THAT(std::string(row["metadata"].GetString()), HasSubstr("env="));
  }
  EXPECT_TRUE(std::is_sorted(clusters.begin(), clusters.end()));
  ASSERT_EQ(endpoints.count("b1-TCP"), 1u) << page;
  ASSERT_EQ(endpoints.count("g1-TCP"), 1u) << page;
  EXPECT_TRUE(absl::EndsWith(endpoints["b1-TCP"], absl::StrCat(":", server_->tcp_port())));
  EXPECT_TRUE(absl::EndsWith(endpoints["g1-TCP"], absl::StrCat(":", (*other)->tcp_port())));
  EXPECT_EQ(endpoints.count("b1-HTTP"), 1u) << page;

  auto v1 = json::ParseJson(Get("/configuration"), "configuration");
  ASSERT_TRUE(v1.ok());
  EXPECT_TRUE((*v1)["eventMeshServerRegistryEnable"].GetBool());
  EXPECT_EQ(std::string((*v1)["namesrvAddr"].GetString()), address);
  (*other)->Shutdown();
  server_->Shutdown();
}

TEST_F(AdminServerTest, ApacheEndpointsNeedTheToken) {
  Start({{"eventMesh.server.admin.token", "s3cret-token"}});
  for (const char* path : {"/client/tcp", "/client/http", "/client/grpc", "/topic",
                           "/event?topicName=t&offset=0&length=1", "/meta", "/configuration",
                           "/v2/configuration", "/eventMesh/recommend?group=g&purpose=sub"}) {
    EXPECT_EQ(Call("GET", path)->status, 401) << path;
    auto allowed = Call("GET", path, "", std::string("s3cret-token"));
    EXPECT_NE(allowed->status, 401) << path;
    EXPECT_EQ(allowed->status, absl::StartsWith(path, "/event?") ? 404 : 200) << path;
  }
  EXPECT_EQ(Call("POST", "/topic", R"({"name":"t"})")->status, 401);
  EXPECT_EQ(Call("DELETE", "/client/tcp", R"({"host":"h","port":1})")->status, 401);
}

TEST(AdminConfigTest, SecretKeys) {
  EXPECT_TRUE(IsSecretKey("eventMesh.federation.password"));
  EXPECT_TRUE(IsSecretKey("eventMesh.registry.plugin.token"));
  EXPECT_TRUE(IsSecretKey("eventMesh.storage.kafka.sasl.secretKey"));
  EXPECT_FALSE(IsSecretKey("eventMesh.server.tcp.port"));
}

}  // namespace
}  // namespace eventmesh::runtime::admin
