// emctl against an in-process runtime on free ports (real loopback sockets): every command's
// table and --json output, replay and dead-letter republishing, and the precise errors
// (unreachable address, 401, 404, 409, bad usage). One run of the real binary checks main().

#include "eventmesh/cli/emctl.h"

#include <stdlib.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "eventmesh/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::cli {
namespace {

using protocol::tcp::Command;
using runtime::testing::TestClient;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "emctl-test-token";

struct Result {
  int code = -1;
  std::string out, err;
};

class EmctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok());
    auto server =
        runtime::testing::StartTestServer({{"eventMesh.server.admin.token", kToken},
                                           {"eventMesh.server.delivery.lingerMs", "0"},
                                           {"eventMesh.server.delivery.ackTimeoutInMills", "300"},
                                           {"eventMesh.server.delivery.maxDeliveryCount", "1"}},
                                          runtime::testing::TestDataDir(), connectors_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    env_.admin = absl::StrCat("127.0.0.1:", server_->admin_port());
    env_.token = kToken;
  }

  Result Run(std::vector<std::string> args, const EmctlEnvironment* env = nullptr) {
    std::ostringstream out, err;
    Result r;
    r.code = RunEmctl(args, env != nullptr ? *env : env_, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
  }
  // Runs a command that must succeed; returns its output.
  std::string Ok(std::vector<std::string> args) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.err, "");
    return r.out;
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

  connectors::ConnectorRegistry connectors_;
  std::unique_ptr<runtime::Server> server_;
  EmctlEnvironment env_;
};

TEST_F(EmctlTest, TopicsEventsAndStatus) {
  EXPECT_THAT(Ok({"status"}), HasSubstr("connector            embedded"));
  EXPECT_EQ(Ok({"topics", "create", "orders", "--partitions", "2"}),
            "created topic orders with 2 partition(s)\n");
  auto publisher = Connect("pub", "shop");
  ASSERT_NE(publisher, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto ack = publisher->Publish("orders", absl::StrCat("order-", i));
    ASSERT_TRUE(ack.ok() && ack->header.code == 0);
  }
  const std::string list = Ok({"topics", "list"});
  EXPECT_THAT(list, HasSubstr("TOPIC   PARTITIONS  EVENTS  END OFFSETS (partition:offset)\n"));
  EXPECT_THAT(list, ::testing::ContainsRegex("orders +2 +3  0:[0-3] 1:[0-3]\n"));
  EXPECT_THAT(Ok({"topics", "describe", "orders"}),
              HasSubstr("topic orders: 2 partition(s), 3 event(s) retained; retention 168h, no "
                        "size limit per partition\n"
                        "PARTITION  EARLIEST  END  EVENTS  BYTES\n"));
  EXPECT_EQ(Ok({"topics", "create", "audit", "--retention=2d", "--retention-bytes=1048576"}),
            "created topic audit with 4 partition(s)\n");  // the default partitions
  EXPECT_THAT(Ok({"topics", "describe", "audit"}),
              HasSubstr("retention 48h, 1048576 bytes per partition\n"));
  EXPECT_EQ(Ok({"topics", "create", "forever", "--retention=none"}),
            "created topic forever with 4 partition(s)\n");
  EXPECT_THAT(Ok({"topics", "describe", "forever"}), HasSubstr("retention no age limit"));
  const std::string events = Ok({"events", "read", "orders", "--count=10"});
  for (int i = 0; i < 3; ++i) EXPECT_THAT(events, HasSubstr(absl::StrCat("order-", i)));
  EXPECT_THAT(Ok({"events", "read", "orders", "--partition=0", "--from=1000"}),
              HasSubstr("no events in orders at that position"));
  // --json is the API's answer.
  auto doc = json::ParseJson(Ok({"topics", "list", "--json"}), "json output");
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(doc->IsArray());
  auto status = json::ParseJson(Ok({"--json", "status"}), "json status");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ((*status)["published"].GetInt(), 3);
  EXPECT_EQ((*status)["sessions"]["tcp"].GetInt(), 1);
  EXPECT_THAT(Ok({"clients", "list"}), HasSubstr("tcp       "));
  EXPECT_THAT(Ok({"clients", "list", "--group=shop"}), HasSubstr("pub"));
  EXPECT_EQ(Ok({"clients", "list", "--group=nobody"}), "no clients\n");
  EXPECT_EQ(Ok({"topics", "delete", "orders"}), "deleted topic orders\n");
  Result gone = Run({"topics", "describe", "orders"});
  EXPECT_EQ(gone.code, 1);
  EXPECT_EQ(gone.err, "emctl: HTTP 404: topic \"orders\" does not exist\n");
  // Reject by group: the publisher is told to leave.
  EXPECT_THAT(Ok({"clients", "reject", "--group=shop"}), HasSubstr("rejected 1 client(s): "));
  ASSERT_TRUE(publisher->Next(Command::kServerGoodbyeRequest).ok());
}

TEST_F(EmctlTest, GroupsLagAndReplay) {
  auto subscriber = Subscriber("billing", "invoices");
  auto publisher = Connect("pub", "shop");
  ASSERT_NE(subscriber, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto ack = publisher->Publish("invoices", absl::StrCat("invoice-", i));
    ASSERT_TRUE(ack.ok() && ack->header.code == 0);
  }
  for (int i = 0; i < 3; ++i) {
    auto push = subscriber->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status();
    ASSERT_TRUE(subscriber->Ack(*push).ok());
  }
  // Lag falls to 0 once the acks are committed.
  std::string groups;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    groups = Ok({"groups", "list"});
    if (absl::StrContains(groups, "invoices    0\n")) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(groups,
            "GROUP    MEMBERS  TOPICS    LAG\n"
            "billing        1  invoices    0\n");
  const std::string described = Ok({"groups", "describe", "billing"});
  EXPECT_THAT(described, HasSubstr("group billing: lag 0, 1 member(s)\n"));
  EXPECT_THAT(described, HasSubstr("TOPIC     PARTITION  COMMITTED  END  LAG\n"));
  // Replay refused while the subscriber is connected: the runtime's reason is shown.
  Result busy = Run({"groups", "reset", "billing", "--topic=invoices", "--to=earliest"});
  EXPECT_EQ(busy.code, 1);
  EXPECT_THAT(busy.err, HasSubstr("emctl: HTTP 409: "));
  EXPECT_THAT(busy.err, HasSubstr("disconnect the group's subscribers"));
  subscriber->Close();
  Result reset;
  while (absl::Now() < deadline) {
    reset = Run({"groups", "reset", "billing", "--topic=invoices", "--to=time=-1h"});
    if (reset.code == 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(reset.code, 0) << reset.err;
  EXPECT_THAT(reset.out, HasSubstr("group billing on invoices now at 0:0 "));
  auto replay = Subscriber("billing", "invoices");
  for (int i = 0; i < 3; ++i) {
    auto push = replay->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << "replayed " << i << ": " << push.status();
    ASSERT_TRUE(replay->Ack(*push).ok());
  }
  replay->Close();
  while (absl::Now() < deadline) {
    reset = Run({"groups", "reset", "billing", "--topic=invoices", "--to=offset=1"});
    if (reset.code == 0) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(reset.code, 0) << reset.err;
  // Bad --to values never reach the runtime.
  for (const char* to : {"--to=yesterday", "--to=offset=-1", "--to=time=soon"}) {
    Result bad = Run({"groups", "reset", "billing", "--topic=invoices", to});
    EXPECT_EQ(bad.code, 2) << to;
    EXPECT_THAT(bad.err, HasSubstr("--to")) << to;
  }
}

TEST_F(EmctlTest, DeadLettersAreListedAndRepublished) {
  auto consumer = Subscriber("fragile", "risky");
  auto publisher = Connect("pub", "shop");
  ASSERT_NE(consumer, nullptr);
  auto ack = publisher->Publish("risky", "poison");
  ASSERT_TRUE(ack.ok() && ack->header.code == 0);
  ASSERT_TRUE(consumer->Next(Command::kAsyncMessageToClient).ok());  // never acknowledged
  std::string dlqs;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  // The dead-letter topic is created before the event is appended to it: wait for the event.
  while (absl::Now() < deadline) {
    dlqs = Ok({"dlq", "list"});
    if (absl::StrContains(dlqs, "fragile.DLQ") && !absl::StrContains(dlqs, " 0\n")) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(dlqs,
            "DEAD-LETTER TOPIC  GROUP    EVENTS\n"
            "fragile.DLQ        fragile       1\n");
  auto read = json::ParseJson(Ok({"events", "read", "fragile.DLQ", "--json"}), "events");
  ASSERT_TRUE(read.ok());
  ASSERT_EQ((*read)["events"].Size(), 1u);
  const std::string partition = absl::StrCat((*read)["events"][0]["partition"].GetInt());
  const std::string offset = absl::StrCat((*read)["events"][0]["offset"].GetInt64());
  const std::string republished =
      Ok({"dlq", "republish", "fragile.DLQ", "--partition", partition, "--offset", offset});
  EXPECT_THAT(republished, HasSubstr("republished 1 event(s)\n"));
  EXPECT_THAT(republished, HasSubstr("risky"));
  auto again = consumer->Next(Command::kAsyncMessageToClient);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->body, HasSubstr("poison"));
  Result missing =
      Run({"dlq", "republish", "fragile.DLQ", "--partition", partition, "--offset=50"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("HTTP 404: no event at fragile.DLQ"));
  Result not_dlq = Run({"dlq", "republish", "risky", "--offset=0"});
  EXPECT_EQ(not_dlq.code, 1);
  EXPECT_THAT(not_dlq.err, HasSubstr("not a dead-letter topic"));
}

TEST_F(EmctlTest, ErrorsSayWhatIsWrong) {
  // Nothing listens there.
  EmctlEnvironment nowhere{absl::StrCat("127.0.0.1:", eventmesh::testing::FreeLoopbackPort()),
                           kToken};
  Result unreachable = Run({"topics", "list"}, &nowhere);
  EXPECT_EQ(unreachable.code, 1);
  EXPECT_THAT(unreachable.err,
              HasSubstr("emctl: cannot reach the admin API at http://" + nowhere.admin));
  EXPECT_THAT(unreachable.err, HasSubstr("set --admin or EMCTL_ADMIN"));
  // No token, a wrong one; the flag overrides the environment.
  EmctlEnvironment no_token{env_.admin, ""};
  Result anonymous = Run({"topics", "list"}, &no_token);
  EXPECT_EQ(anonymous.code, 1);
  EXPECT_THAT(anonymous.err, HasSubstr("HTTP 401"));
  EXPECT_THAT(anonymous.err, HasSubstr("--token or EMCTL_TOKEN"));
  Result wrong = Run({"topics", "list", "--token=nope"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("invalid admin token"));
  EXPECT_EQ(Run({"topics", "list", absl::StrCat("--token=", kToken)}, &no_token).code, 0);
  // Bad usage: exit 2 and a precise message.
  const std::vector<std::pair<std::vector<std::string>, std::string>> usage = {
      {{"topics"}, "\"topics\" needs a subcommand"},
      {{"topics", "explode"}, "unknown subcommand \"topics explode\""},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"topics", "create"}, "topics create needs a topic name"},
      {{"topics", "create", "t", "--partitions=0"}, "--partitions must be an integer in [1, 4096]"},
      {{"topics", "create", "t", "--retention=soon"}, "--retention must be a duration"},
      {{"topics", "list", "--colour"}, "unknown flag --colour"},
      {{"topics", "list", "--admin"}, "--admin needs a value"},
      {{"groups", "reset", "g", "--to=earliest"}, "needs --topic=T"},
      {{"clients", "reject"}, "needs at least one of --id"},
      {{"clients", "redirect", "--group=g", "--to=nowhere"}, "--to=HOST:PORT"},
      {{"dlq", "republish", "g.DLQ"}, "needs --offset=O"},
      {{"events", "read", "t", "--count=5000"}, "--count must be an integer in [1, 1000]"},
      {{"topics", "list", "--admin=ftp://x"}, "bad admin address"},
      {{"topics", "list", "extra"}, "unexpected argument \"extra\""},
  };
  for (const auto& [args, message] : usage) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << absl::StrJoin(args, " ");
    EXPECT_EQ(r.out, "");
  }
  Result help = Run({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: emctl"));
}

TEST_F(EmctlTest, TheBinaryTalksToTheRuntime) {
  const std::string log = absl::StrCat(getenv("TEST_TMPDIR"), "/emctl.log");
  auto process = eventmesh::testing::ChildProcess::Start(
      "eventmesh/cli/emctl",
      {absl::StrCat("--admin=", env_.admin), absl::StrCat("--token=", kToken), "status"}, log);
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->Wait(absl::Seconds(30)), 0) << (*process)->LogTail();
  EXPECT_THAT((*process)->LogTail(), HasSubstr("ready                yes"));
  auto refused = eventmesh::testing::ChildProcess::Start(
      "eventmesh/cli/emctl", {absl::StrCat("--admin=", env_.admin), "topics", "list"},
      absl::StrCat(log, ".2"));
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)->Wait(absl::Seconds(30)), 1);
  EXPECT_THAT((*refused)->LogTail(), HasSubstr("HTTP 401"));
}

}  // namespace
}  // namespace eventmesh::cli
