// The dashboard in a real headless Chromium against an in-process runtime on free ports: the
// page asks for the admin token, then renders the topic, the group's lag per partition and the
// connected clients from the admin API; its buttons republish a dead letter, reject a client
// and replay a group, and the runtime really does so. Screenshots are kept as test outputs
// (bazel-testlogs/.../test.outputs/).

#include <stdlib.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/admin/testing/headless_browser.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::admin {
namespace {

using protocol::tcp::Command;
using runtime::testing::TestClient;
using ::testing::HasSubstr;

constexpr char kToken[] = "dash-board-token";
constexpr absl::Duration kWait = absl::Seconds(30);

std::string OutputDir() {
  const char* dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return dir != nullptr ? dir : getenv("TEST_TMPDIR");
}

class DashboardBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto server = runtime::testing::StartTestServer(
        {{"eventMesh.server.admin.token", kToken}, {"eventMesh.server.delivery.lingerMs", "0"}},
        runtime::testing::TestDataDir(), connectors_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto client = net::HttpClient::Create({});
    ASSERT_TRUE(client.ok()) << client.status();
    http_ = std::move(*client);
    auto browser = testing::HeadlessBrowser::Start(getenv("TEST_TMPDIR"));
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = std::move(*browser);
  }

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", server_->admin_port(), path);
  }

  // The admin API, with the token.
  std::string Api(const std::string& path) {
    net::HttpRequest request;
    request.method = "GET";
    request.url = Url(path);
    request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", kToken));
    absl::Notification done;
    absl::StatusOr<net::HttpResponse> result;
    http_->Send(std::move(request), absl::Seconds(10), [&](absl::StatusOr<net::HttpResponse> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->body : "";
  }

  std::unique_ptr<TestClient> Connect(const std::string& purpose, const std::string& group) {
    auto client = TestClient::Connect(server_->tcp_port());
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    auto hello = (*client)->Hello(purpose, group);
    EXPECT_TRUE(hello.ok() && hello->header.code == 0);
    return std::move(*client);
  }

  std::unique_ptr<TestClient> Subscriber(const std::string& group, const std::string& topic) {
    auto client = Connect("sub", group);
    if (client == nullptr) return nullptr;
    EXPECT_TRUE(client->Subscribe(topic).ok());
    EXPECT_TRUE(client->Listen().ok());
    return client;
  }

  void Shot(const std::string& name) {
    absl::Status s = browser_->Screenshot(absl::StrCat(OutputDir(), "/", name, ".png"));
    EXPECT_TRUE(s.ok()) << s;
  }

  // Waits for a JavaScript condition in the page; on failure the status line is in the message.
  void WaitFor(const std::string& condition) {
    absl::Status s = browser_->WaitFor(condition, kWait,
                                       "document.getElementById('status').textContent + ' | ' + "
                                       "document.body.innerText.slice(0, 1500)");
    ASSERT_TRUE(s.ok()) << s;
  }

  void Run(const std::string& script) {
    auto r = browser_->Evaluate(script);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<testing::HeadlessBrowser> browser_;
};

TEST_F(DashboardBrowserTest, RendersLiveDataAndItsActionsWork) {
  // A group with four unacknowledged events (lag 4), a publisher, and one dead letter.
  auto subscriber = Subscriber("billing", "invoices");
  auto publisher = Connect("pub", "producers");
  ASSERT_NE(subscriber, nullptr);
  ASSERT_NE(publisher, nullptr);
  for (int i = 0; i < 4; ++i) {
    auto ack = publisher->Publish("invoices", absl::StrCat("invoice-", i));
    ASSERT_TRUE(ack.ok() && ack->header.code == 0);
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(subscriber->Next(Command::kAsyncMessageToClient).ok());  // not acknowledged
  }
  protocol::tcp::EventMeshMessage dead;
  dead.topic = "billing.DLQ";
  dead.body = "invoice-poison";
  dead.properties["dlqtopic"] = "invoices";
  dead.properties["dlqreason"] = "rejected by the subscriber";
  auto package = TestClient::MessagePackage(Command::kAsyncMessageToServer, "billing.DLQ", "");
  package.body = dead.ToJson();
  auto stored = publisher->Request(package);
  ASSERT_TRUE(stored.ok() && stored->header.code == 0);

  // Without the token the page says so.
  ASSERT_TRUE(browser_->Navigate(Url("/dashboard/")).ok()) << browser_->LogTail();
  WaitFor("document.getElementById('status').textContent.includes('HTTP 401')");
  Shot("1-token-required");

  // With the token: the topic with its end offsets, the group's lag per partition, the clients.
  Run(absl::StrCat("document.getElementById('token').value = '", kToken,
                   "'; document.getElementById('token-form').requestSubmit(); true"));
  WaitFor("document.querySelector('#topics-table tr[data-topic=\"invoices\"]')");
  WaitFor(
      "document.querySelector('.group[data-group=\"billing\"] .group-lag')?.textContent "
      "=== '4'");
  WaitFor("document.querySelectorAll('#clients-table tr[data-client]').length === 2");
  WaitFor("document.querySelector('.dlq-topic')?.textContent === 'invoices'");
  WaitFor("document.querySelector('#info').textContent.includes('embedded')");
  Shot("2-overview");
  EXPECT_EQ(*browser_->Evaluate("sessionStorage.getItem('eventmesh.admin.token')"),
            absl::StrCat("\"", kToken, "\""));
  // End offsets as the API reports them.
  auto topic = json::ParseJson(Api("/v1/topics/invoices"), "topic");
  ASSERT_TRUE(topic.ok());
  std::string offsets;
  for (const auto& p : (*topic)["partitions"].GetArray()) {
    absl::StrAppend(&offsets, offsets.empty() ? "" : ", ", "p", p["partition"].GetInt(), ": ",
                    p["endOffset"].GetInt64());
  }
  EXPECT_EQ(*browser_->Evaluate("document.querySelector('tr[data-topic=\"invoices\"] "
                                ".end-offsets').textContent"),
            absl::StrCat("\"", offsets, "\""));
  // Lag per partition: the rows' lags add up to the group's.
  EXPECT_EQ(*browser_->Evaluate("[...document.querySelectorAll('tr[data-group=\"billing\"] .lag')]"
                                ".reduce((sum, td) => sum + Number(td.textContent), 0)"),
            "4");
  EXPECT_EQ(*browser_->Evaluate("[...document.querySelectorAll('#clients-table .client-group')]"
                                ".map((td) => td.textContent).sort().join(',')"),
            "\"billing,producers\"");
  // The rates chart draws once two metric reads were taken.
  WaitFor("document.querySelectorAll('#chart polyline').length >= 2");
  // The embedded store's card: its writes flow, none stopped, and the tail cache holds the
  // events published above.
  WaitFor("document.querySelector('#store tr[data-writes]')?.dataset.writes === 'flowing'");
  EXPECT_EQ(*browser_->Evaluate("document.querySelector('#store').textContent"
                                ".includes('write stops since start0')"),
            "true");
  EXPECT_EQ(*browser_->Evaluate("Number(document.querySelector('#store tr[data-tail-cache]')"
                                ".dataset.tailCache) > 5 * 200"),
            "true");
  // Stopped and slowed writes are flagged in red (the card rendered from such samples; the
  // page's next refresh renders the live ones again).
  EXPECT_EQ(
      *browser_->Evaluate("renderStore(parseMetrics('eventmesh_store_writes_stopped 1\\n'), null); "
                          "const w = document.querySelector('#store tr[data-writes]'); "
                          "w.dataset.writes + ' ' + w.classList.contains('lag-high')"),
      "\"stopped true\"");
  EXPECT_EQ(
      *browser_->Evaluate("renderStore(parseMetrics('eventmesh_store_writes_stopped 0\\n"
                          "eventmesh_store_write_slowdown_bytes_per_second 16777216\\n'), null); "
                          "const s = document.querySelector('#store tr[data-writes]'); "
                          "s.textContent + ' ' + s.classList.contains('lag-high')"),
      "\"writesslowed to 16.0 MiB/s true\"");
  WaitFor(
      "document.querySelector('#store tr[data-writes]')?.dataset.writes === 'flowing' && "
      "!document.querySelector('#store tr[data-writes]').classList.contains('lag-high')");

  // Republish the dead letter: the group gets it on its original topic.
  Run("window.confirm = () => true; document.querySelector('.dlq-republish').click(); true");
  WaitFor("document.getElementById('status').textContent.includes('republish billing.DLQ')");
  EXPECT_THAT(*browser_->Evaluate("document.getElementById('status').textContent"),
              HasSubstr("\\\"topic\\\":\\\"invoices\\\""));
  auto again = subscriber->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->body, HasSubstr("invoice-poison"));
  WaitFor(
      "document.querySelector('tr[data-topic=\"invoices\"] td:nth-child(4)').textContent "
      "=== '5'");

  // Reject the publisher from its row.
  Run("document.querySelector('#clients-table tr[data-client] .client-group') && "
      "[...document.querySelectorAll('#clients-table tr[data-client]')]"
      ".find((tr) => tr.querySelector('.client-group').textContent === 'producers')"
      ".querySelector('.client-reject').click(); true");
  ASSERT_TRUE(publisher->Next(Command::kServerGoodbyeRequest).ok());
  EXPECT_TRUE(publisher->WaitClosed());
  WaitFor("document.querySelectorAll('#clients-table tr[data-client]').length === 1");

  // Replay: with the subscriber connected the runtime refuses (shown as an error) ...
  Run("document.querySelector('.group[data-group=\"billing\"] .reset-earliest').click(); true");
  WaitFor("document.getElementById('status').textContent.includes('HTTP 409')");
  Shot("3-replay-refused");
  // ... once it left, the reset form moves the group back to the earliest event.
  subscriber->Close();
  WaitFor("document.querySelectorAll('#clients-table tr[data-client]').length === 0");
  Run("document.getElementById('reset-group').value = 'billing';"
      "document.getElementById('reset-topic').value = 'invoices';"
      "document.getElementById('reset-to').value = 'earliest';"
      "document.getElementById('group-reset').requestSubmit(); true");
  WaitFor(
      "document.getElementById('status').className.includes('ok') && "
      "document.getElementById('status').textContent.includes('reset billing on invoices')");
  Shot("4-replayed");
  auto replay = Subscriber("billing", "invoices");
  ASSERT_NE(replay, nullptr);
  for (int i = 0; i < 5; ++i) {
    auto push = replay->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << "replayed event " << i << ": " << push.status();
  }
}

}  // namespace
}  // namespace eventmesh::runtime::admin
