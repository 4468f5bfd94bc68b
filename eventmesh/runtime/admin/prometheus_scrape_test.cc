// A real Prometheus (Debian's prometheus 2.42, installed by tools/setup.sh) scrapes the admin
// port of an in-process runtime; the consumer lag is read back through Prometheus' query API.

#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/testing/child_process.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::admin {
namespace {

using protocol::tcp::Command;
using runtime::testing::TestClient;

absl::StatusOr<net::HttpResponse> Get(net::HttpClient* http, const std::string& url) {
  net::HttpRequest request;
  request.method = "GET";
  request.url = url;
  absl::Notification done;
  absl::StatusOr<net::HttpResponse> result;
  http->Send(std::move(request), absl::Seconds(5), [&](absl::StatusOr<net::HttpResponse> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

TEST(PrometheusScrapeTest, PrometheusScrapesTheLag) {
  const std::string prometheus = eventmesh::testing::FindProgram("prometheus");
  ASSERT_FALSE(prometheus.empty())
      << "prometheus is not installed (Debian package prometheus; tools/setup.sh installs it)";
  connectors::ConnectorRegistry connectors;
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors).ok());
  auto server =
      runtime::testing::StartTestServer({{"eventMesh.server.admin.token", "scrape-token"}},
                                        runtime::testing::TestDataDir(), connectors);
  ASSERT_TRUE(server.ok()) << server.status();

  // Four events pushed and not acknowledged: the group "scraped" lags by 4.
  auto subscriber = TestClient::Connect((*server)->tcp_port());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_EQ((*subscriber)->Hello("sub", "scraped")->header.code, 0);
  ASSERT_EQ((*subscriber)->Subscribe("metered")->header.code, 0);
  ASSERT_EQ((*subscriber)->Listen()->header.code, 0);
  auto publisher = TestClient::Connect((*server)->tcp_port());
  ASSERT_TRUE(publisher.ok());
  ASSERT_EQ((*publisher)->Hello("pub", "producers")->header.code, 0);
  for (int i = 0; i < 4; ++i) ASSERT_EQ((*publisher)->Publish("metered", "e")->header.code, 0);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE((*subscriber)->Next(Command::kAsyncMessageToClient).ok());
  }

  const std::string dir = runtime::testing::TestDataDir("-prometheus");
  const std::string config = dir + ".yml";
  {
    std::FILE* file = std::fopen(config.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(absl::StrCat("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                            "scrape_configs:\n  - job_name: eventmesh\n"
                            "    authorization:\n      credentials: scrape-token\n"
                            "    static_configs:\n      - targets: ['127.0.0.1:",
                            (*server)->admin_port(), "']\n")
                   .c_str(),
               file);
    std::fclose(file);
  }
  const int port = eventmesh::testing::FreeLoopbackPort();
  auto child = eventmesh::testing::ChildProcess::Start(
      prometheus,
      {absl::StrCat("--config.file=", config), absl::StrCat("--storage.tsdb.path=", dir),
       absl::StrCat("--web.listen-address=127.0.0.1:", port)},
      dir + ".log");
  ASSERT_TRUE(child.ok()) << child.status();

  auto http = net::HttpClient::Create({});
  ASSERT_TRUE(http.ok());
  const std::string query =
      absl::StrCat("http://127.0.0.1:", port,
                   "/api/v1/query?query=eventmesh_consumer_group_lag%7Bgroup%3D%22scraped%22%7D");
  std::string last;
  bool seen = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  while (!seen && absl::Now() < deadline && (*child)->running()) {
    auto response = Get(http->get(), query);
    if (response.ok() && response->status == 200) {
      last = response->body;
      auto doc = json::ParseJson(last, "query answer");
      if (doc.ok() && (*doc)["data"]["result"].IsArray() && !(*doc)["data"]["result"].Empty()) {
        const auto& value = (*doc)["data"]["result"][0]["value"];
        seen = value.IsArray() && value.Size() == 2 && std::string(value[1].GetString()) == "4";
      }
    }
    if (!seen) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(seen) << "last answer: " << last << "\nprometheus log:\n" << (*child)->LogTail();
  // The scrape itself was healthy (the target is up).
  auto up = Get(http->get(), absl::StrCat("http://127.0.0.1:", port, "/api/v1/query?query=up"));
  ASSERT_TRUE(up.ok());
  EXPECT_NE(up->body.find("\"1\"]"), std::string::npos) << up->body;
  (*child)->Signal(SIGTERM);
  (*child)->Wait(absl::Seconds(20));
}

}  // namespace
}  // namespace eventmesh::runtime::admin
