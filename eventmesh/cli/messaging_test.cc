// emctl's messaging commands (pub, sub, request, bench) against an in-process runtime on free
// loopback ports, over TCP and HTTP, directly and through an in-process registry: what each
// prints (lines and --output json), exit codes and the errors for an unreachable runtime or
// registry and for bad usage. Timing is never asserted.

#include <atomic>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/cli/emctl.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::cli {
namespace {

using ::testing::HasSubstr;

constexpr char kMesh[] = "emctl-mesh";

struct Result {
  int code = -1;
  std::string out, err;
};

// A `sub` running on its own thread. `subscribed` is notified once the subscription is in
// place (when the command asks for its Ctrl-C flag, which is `stop`).
struct SubRun {
  std::thread thread;
  Result result;
  absl::Notification subscribed;
  std::atomic<bool> stop{false};
};

class MessagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto registry = registry::RegistryServer::Start(registry::RegistryServerOptions{});
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    auto server = runtime::testing::StartTestServer(
        {{"eventMesh.server.http.webhook.allow", "127.0.0.1"},
         {"eventMesh.server.delivery.lingerMs", "0"},
         {"eventMesh.registry.plugin.enabled", "true"},
         {"eventMesh.registry.plugin.server-addr", RegistryAddress()},
         {"eventMesh.registry.reportIntervalMs", "100"},
         {"eventMesh.server.cluster", kMesh},
         {"eventMesh.server.hostIp", "127.0.0.1"}},
        runtime::testing::TestDataDir(), connectors_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  std::string RegistryAddress() const { return absl::StrCat("127.0.0.1:", registry_->port()); }
  std::string Tcp() const { return absl::StrCat("--server=127.0.0.1:", server_->tcp_port()); }
  std::string Http() const { return absl::StrCat("--server=127.0.0.1:", server_->http_port()); }

  Result Run(const std::vector<std::string>& args, EmctlEnvironment env = {}) {
    std::ostringstream out, err;
    Result r;
    r.code = RunEmctl(args, env, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }

  std::unique_ptr<SubRun> StartSub(std::vector<std::string> args) {
    auto run = std::make_unique<SubRun>();
    SubRun* r = run.get();
    r->thread = std::thread([this, r, args] {
      EmctlEnvironment env;
      env.catch_interrupts = [r] {
        r->subscribed.Notify();
        return &r->stop;
      };
      r->result = Run(args, env);
      if (!r->subscribed.HasBeenNotified()) r->subscribed.Notify();
    });
    EXPECT_TRUE(r->subscribed.WaitForNotificationWithTimeout(absl::Seconds(30)));
    return run;
  }
  static Result Finish(SubRun* run) {
    run->thread.join();
    return run->result;
  }

  static std::vector<std::string> Lines(const std::string& text) {
    return absl::StrSplit(text, '\n', absl::SkipEmpty());
  }

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<runtime::Server> server_;
};

TEST_F(MessagingTest, PubThenSubOverTcp) {
  auto sub = StartSub({"sub", "orders", Tcp(), "--group=billing", "--count=3", "--timeout=60s"});
  Result pub = Run({"pub", "orders", "order {{n}}", "--count=3", Tcp()});
  ASSERT_EQ(pub.code, 0) << pub.err;
  EXPECT_EQ(pub.out, absl::StrCat("published 3 event(s) to orders (127.0.0.1:", server_->tcp_port(),
                                  " over tcp)\n"));
  Result got = Finish(sub.get());
  EXPECT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(got.err, "");
  // Clustering within one group: each event once (the order follows the partitions).
  // Lines start with the print index, so any order of arrival is compared as a set.
  EXPECT_THAT(Lines(got.out), ::testing::UnorderedElementsAre(HasSubstr("] orders: order 1"),
                                                              HasSubstr("] orders: order 2"),
                                                              HasSubstr("] orders: order 3")));
  EXPECT_THAT(got.out, HasSubstr("[#1] orders: order "));
  EXPECT_THAT(got.out, HasSubstr("[#3] orders: order "));
}

TEST_F(MessagingTest, CloudEventAttributesAndJsonOutput) {
  auto sub = StartSub({"sub", "audit", Tcp(), "--group=auditors", "--count=2", "--output", "json",
                       "--timeout=60s"});
  Result pub = Run({"pub", "audit", "login {{n}}", "--count=2", "--type=com.example.login",
                    "--source=/tests", "--property", "region=eu", "--output=json", Tcp()});
  ASSERT_EQ(pub.code, 0) << pub.err;
  // One JSON object per published event.
  const std::vector<std::string> published = Lines(pub.out);
  ASSERT_EQ(published.size(), 2u) << pub.out;
  for (const std::string& line : published) {
    auto doc = json::ParseJson(line, "pub output");
    ASSERT_TRUE(doc.ok()) << line;
    EXPECT_EQ(std::string((*doc)["topic"].GetString()), "audit");
    EXPECT_TRUE(doc->HasMember("id"));
  }
  Result got = Finish(sub.get());
  ASSERT_EQ(got.code, 0) << got.err;
  const std::vector<std::string> events = Lines(got.out);
  ASSERT_EQ(events.size(), 2u) << got.out;
  std::set<std::string> data;
  for (const std::string& line : events) {
    auto doc = json::ParseJson(line, "sub output");
    ASSERT_TRUE(doc.ok()) << line;
    EXPECT_EQ(std::string((*doc)["topic"].GetString()), "audit");
    EXPECT_EQ(std::string((*doc)["type"].GetString()), "com.example.login");
    EXPECT_EQ(std::string((*doc)["source"].GetString()), "/tests");
    EXPECT_EQ(std::string((*doc)["properties"]["region"].GetString()), "eu");
    EXPECT_TRUE((*doc)["n"].IsInt());
    data.insert((*doc)["data"].GetString());
  }
  // The texts published, not JSON strings of them.
  EXPECT_EQ(data, (std::set<std::string>{"login 1", "login 2"}));
}

TEST_F(MessagingTest, CloudEventDataArrivesAsPublishedOverTcpAndHttp) {
  for (const bool http : {false, true}) {
    SCOPED_TRACE(http ? "http" : "tcp");
    const std::string topic = http ? "ce-data-http" : "ce-data-tcp";
    const std::string protocol = http ? "--protocol=http" : "--protocol=tcp";
    const std::string server = http ? Http() : Tcp();
    auto sub =
        StartSub({"sub", topic, protocol, server, "--group=ce-data", "--count=3", "--timeout=60s"});
    for (const char* data : {R"({"n":1})", "plain text", "[1,2]"}) {
      Result pub = Run({"pub", topic, data, "--type=com.example.t", protocol, server});
      ASSERT_EQ(pub.code, 0) << pub.err;
    }
    Result got = Finish(sub.get());
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_THAT(got.out, HasSubstr(R"(: {"n":1})"));
    EXPECT_THAT(got.out, HasSubstr(": plain text\n"));
    EXPECT_THAT(got.out, HasSubstr(": [1,2]\n"));
  }
}

TEST_F(MessagingTest, PubThenSubOverHttp) {
  auto sub = StartSub({"sub", "hooks", "--protocol=http", Http(), "--group=webhooks", "--count=2",
                       "--timeout=60s"});
  Result pub = Run({"pub", "hooks", "ping {{n}}", "--count=2", "--protocol=http", Http()});
  ASSERT_EQ(pub.code, 0) << pub.err;
  EXPECT_EQ(pub.out, absl::StrCat("published 2 event(s) to hooks (http://127.0.0.1:",
                                  server_->http_port(), " over http)\n"));
  Result got = Finish(sub.get());
  EXPECT_EQ(got.code, 0) << got.err;
  // Webhook pushes run concurrently: any order of arrival.
  EXPECT_THAT(Lines(got.out), ::testing::UnorderedElementsAre(HasSubstr("] hooks: ping 1"),
                                                              HasSubstr("] hooks: ping 2")));
}

TEST_F(MessagingTest, PubReadsLinesFromStdin) {
  auto sub = StartSub({"sub", "lines", Tcp(), "--count=2", "--timeout=60s"});
  std::istringstream in("first line\nsecond line\n");
  EmctlEnvironment env;
  env.in = &in;
  Result pub = Run({"pub", "lines", Tcp()}, env);
  ASSERT_EQ(pub.code, 0) << pub.err;
  EXPECT_THAT(pub.out, HasSubstr("published 2 event(s) to lines"));
  Result got = Finish(sub.get());
  EXPECT_THAT(got.out, HasSubstr(": first line\n"));
  EXPECT_THAT(got.out, HasSubstr(": second line\n"));
}

TEST_F(MessagingTest, SubStopsOnInterruptAndTimeout) {
  auto sub = StartSub({"sub", "quiet", Tcp()});
  sub->stop.store(true);  // Ctrl-C
  Result stopped = Finish(sub.get());
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  EXPECT_EQ(stopped.out, "");
  Result timed_out = Run({"sub", "quiet", Tcp(), "--count=1", "--timeout=300ms"});
  EXPECT_EQ(timed_out.code, 1);
  EXPECT_EQ(timed_out.err, "emctl: received 0 of 1 event(s) within --timeout=300ms\n");
}

TEST_F(MessagingTest, RequestGetsTheResponderReply) {
  sdk::TcpClientOptions options;
  options.port = server_->tcp_port();
  options.group = "responders";
  options.purpose = sdk::ClientPurpose::kSubscribe;
  auto responder = sdk::EventMeshTcpClient::Connect(options);
  ASSERT_TRUE(responder.ok()) << responder.status();
  (*responder)->SetHandler([](std::shared_ptr<sdk::Delivery> delivery) {
    sdk::Message reply;
    reply.topic = delivery->event().topic();
    reply.content = absl::StrCat("reply to ", delivery->event().data());
    (void)delivery->Reply(reply);
  });
  ASSERT_TRUE(
      (*responder)
          ->Subscribe("questions", sdk::SubscriptionMode::kClustering, sdk::SubscriptionType::kSync)
          .ok());
  ASSERT_TRUE((*responder)->Listen().ok());

  Result tcp = Run({"request", "questions", "ping", Tcp(), "--timeout=20s"});
  EXPECT_EQ(tcp.code, 0) << tcp.err;
  EXPECT_EQ(tcp.out, "reply to ping\n");
  Result http =
      Run({"request", "questions", "pong", "--protocol=http", Http(), "--timeout=20s", "--json"});
  EXPECT_EQ(http.code, 0) << http.err;
  auto doc = json::ParseJson(http.out, "request output");
  ASSERT_TRUE(doc.ok()) << http.out;
  EXPECT_EQ(std::string((*doc)["data"].GetString()), "reply to pong");
  EXPECT_TRUE((*doc)["rttMs"].IsNumber());
  (void)(*responder)->Close();

  Result unanswered = Run({"request", "nobody-listens", "hello", Tcp(), "--timeout=500ms"});
  EXPECT_EQ(unanswered.code, 1);
  EXPECT_THAT(unanswered.err, HasSubstr("emctl: no reply to the request on nobody-listens"));
}

TEST_F(MessagingTest, BenchRunsABoundedLoadAndPrintsItsFigures) {
  Result json = Run({"bench", "bench-json", Tcp(), "--rate=200", "--duration=1s", "--warmup=0s",
                     "--drain=30s", "--json"});
  ASSERT_EQ(json.code, 0) << json.err << json.out;
  auto doc = json::ParseJson(json.out, "bench output");
  ASSERT_TRUE(doc.ok()) << json.out;
  EXPECT_EQ(std::string((*doc)["result"].GetString()), "ok");
  EXPECT_EQ((*doc)["lost"].GetUint64(), 0u);
  EXPECT_GT((*doc)["acked"].GetUint64(), 0u);
  EXPECT_EQ((*doc)["delivered"].GetUint64(), (*doc)["acked"].GetUint64());
  EXPECT_EQ((*doc)["errors"].GetUint64(), 0u);
  for (const char* key : {"p50", "p99", "p999", "max", "count"}) {
    EXPECT_TRUE((*doc)["latencyMs"][key].IsNumber()) << key;
  }
  for (const char* key : {"sent", "acked", "delivered"}) {
    EXPECT_TRUE((*doc)["rates"][key].IsNumber()) << key;
  }

  // The table form, with the progress display a terminal gets.
  EmctlEnvironment env;
  env.progress = true;
  Result text = Run({"bench", Tcp(), "--rate=200", "--duration=1s", "--warmup=0s", "--drain=30s",
                     "--subscribers=2", "--mode=broadcasting"},
                    env);
  ASSERT_EQ(text.code, 0) << text.err << text.out;
  EXPECT_THAT(text.out, HasSubstr("loadgen: tcp, 1 publisher(s), 2 subscriber(s) (broadcasting)"));
  EXPECT_THAT(text.out, HasSubstr("lost                  0"));
  EXPECT_THAT(text.out, HasSubstr("latency    publish->deliver over"));
  EXPECT_THAT(text.out, HasSubstr("RESULT: OK (every acknowledged event delivered to every "
                                  "subscriber)"));
  EXPECT_THAT(text.err, HasSubstr("sent "));
}

TEST_F(MessagingTest, RegistryPicksARuntimeOfTheMesh) {
  const std::string registry = absl::StrCat("--registry=", RegistryAddress());
  // The runtime registers shortly after it started.
  Result pub;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    pub = Run({"pub", "via-registry", "hello", registry, absl::StrCat("--mesh=", kMesh)});
    if (pub.code == 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_EQ(pub.code, 0) << pub.err;
  EXPECT_EQ(pub.out, absl::StrCat("published 1 event(s) to via-registry (mesh ", kMesh,
                                  " (registry ", RegistryAddress(), ") over tcp)\n"));
  Result http = Run({"pub", "via-registry", "hello", registry, absl::StrCat("--mesh=", kMesh),
                     "--protocol=http"});
  EXPECT_EQ(http.code, 0) << http.err;
  Result bench = Run({"bench", registry, absl::StrCat("--mesh=", kMesh), "--rate=100",
                      "--duration=500ms", "--warmup=0s", "--drain=30s", "--json"});
  ASSERT_EQ(bench.code, 0) << bench.err;
  auto doc = json::ParseJson(bench.out, "bench output");
  ASSERT_TRUE(doc.ok()) << bench.out;
  EXPECT_EQ((*doc)["lost"].GetUint64(), 0u);
  // A mesh nobody registered in.
  Result none = Run({"pub", "t", "x", registry, "--mesh=no-such-mesh"});
  EXPECT_EQ(none.code, 1);
  EXPECT_THAT(none.err, HasSubstr("emctl: cannot reach a runtime of mesh no-such-mesh through the "
                                  "registry"));
  EXPECT_THAT(none.err, HasSubstr("set --registry and --mesh"));
}

TEST_F(MessagingTest, UnreachableRuntimeOrRegistrySaysWhereAndWhichFlag) {
  const int port = eventmesh::testing::FreeLoopbackPort();
  const std::string nowhere = absl::StrCat("127.0.0.1:", port);
  Result tcp = Run({"pub", "t", "x", "--server=" + nowhere});
  EXPECT_EQ(tcp.code, 1);
  EXPECT_THAT(tcp.err, HasSubstr("emctl: cannot reach the runtime at " + nowhere + " over tcp: "));
  EXPECT_THAT(tcp.err, HasSubstr("Connection refused"));
  EXPECT_THAT(tcp.err, HasSubstr("(is the runtime running with its TCP port there? set --server "
                                 "or EMCTL_SERVER)\n"));
  Result http = Run({"pub", "t", "x", "--protocol=http", "--server=" + nowhere});
  EXPECT_EQ(http.code, 1);
  EXPECT_THAT(http.err,
              HasSubstr("emctl: cannot reach the runtime at http://" + nowhere + " over http: "));
  EXPECT_THAT(http.err, HasSubstr("HTTP port there? set --server or EMCTL_SERVER"));
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"sub", "t", "--server=" + nowhere},
                                             {"sub", "t", "--protocol=http", "--server=" + nowhere},
                                             {"request", "t", "x", "--server=" + nowhere},
                                             {"bench", "--server=" + nowhere, "--duration=1s"}}) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 1) << args[0];
    EXPECT_THAT(r.err, HasSubstr("emctl: cannot reach the runtime at ")) << args[0];
    EXPECT_THAT(r.err, HasSubstr("set --server or EMCTL_SERVER")) << args[0];
  }
  // EMCTL_SERVER is the default address; the admin address plays no part.
  EmctlEnvironment env;
  env.server = nowhere;
  env.admin = "ftp://not-an-admin-address";
  EXPECT_THAT(Run({"pub", "t", "x"}, env).err, HasSubstr("runtime at " + nowhere + " over tcp"));
  Result registry = Run({"pub", "t", "x", "--registry=" + nowhere});
  EXPECT_EQ(registry.code, 1);
  EXPECT_THAT(registry.err, HasSubstr("emctl: cannot reach a runtime of mesh LS through the "
                                      "registry at " +
                                      nowhere + " over tcp: "));
  EXPECT_THAT(registry.err, HasSubstr("set --registry and --mesh)\n"));
}

TEST_F(MessagingTest, BadUsageExitsWithTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{"pub"}, "pub needs a topic"},
      {{"pub", "t"}, "pub needs data: an argument or lines on stdin"},
      {{"pub", "t", "x", "y"}, "unexpected argument \"y\""},
      {{"pub", "t", "x", "--protocol=udp"}, "--protocol must be tcp or http, not \"udp\""},
      {{"pub", "t", "x", "--server=nowhere"}, "--server must be HOST:PORT"},
      {{"pub", "t", "x", "--server=h:1", "--registry=h:2"}, "either --server or --registry"},
      {{"pub", "t", "x", "--mesh=m"}, "--mesh needs --registry"},
      {{"pub", "t", "x", "--property", "novalue"}, "--property must be KEY=VALUE"},
      {{"pub", "t", "x", "--count=0"}, "--count must be an integer >= 1"},
      {{"pub", "t", "x", "--type=t", "--property", "Bad_Name=1"}, "invalid CloudEvent"},
      {{"sub"}, "sub needs a topic"},
      {{"sub", "t", "--mode=fanout"}, "--mode must be clustering or broadcasting"},
      {{"sub", "t", "--listen=127.0.0.1:0"}, "--listen and --advertise are for --protocol=http"},
      {{"sub", "t", "--timeout=soon"}, "--timeout must be a duration"},
      {{"request", "t"}, "request needs data"},
      {{"bench", "--protocol=http"}, "--protocol must be tcp or grpc"},
      {{"bench", "--rate=-1"}, "--rate must be events/s >= 0"},
      {{"bench", "--mode=fanout"}, "invalid --mode \"fanout\""},
      {{"status", "--output=yaml"}, "--output must be json or table"},
  };
  for (const auto& [args, message] : usage) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 2) << absl::StrJoin(args, " ") << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << absl::StrJoin(args, " ");
    EXPECT_EQ(r.out, "") << absl::StrJoin(args, " ");
  }
}

}  // namespace
}  // namespace eventmesh::cli
