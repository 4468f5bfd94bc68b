// ClusterRebalancer over a real connector (the embedded store, shared in-process by two
// rebalancers as if they were two runtimes) with fake session hooks: reports, liveness,
// accounting of moves, invalid reports, leaving, drain and recommendation.

#include "eventmesh/runtime/cluster/rebalancer.h"

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/runtime/discovery/registry_agent.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::cluster {
namespace {

// The sessions of one fake runtime. A redirect moves the session to the target's list (the
// client follows at once) unless `follow` is false.
class FakeRuntime {
 public:
  explicit FakeRuntime(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }

  void Add(const std::string& group, const std::string& purpose, int count) {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < count; ++i) {
      LocalSession s;
      s.id = ++next_id_;
      s.group = group;
      s.purpose = purpose;
      s.age_ms = 1'000'000;
      sessions_.push_back(s);
    }
  }
  size_t Count() {
    absl::MutexLock lock(&mu_);
    return sessions_.size();
  }
  int redirects() {
    absl::MutexLock lock(&mu_);
    return redirects_;
  }
  int double_redirects() {
    absl::MutexLock lock(&mu_);
    return double_redirects_;
  }

  SessionHooks Hooks(std::map<int, FakeRuntime*>* by_port, bool follow = true) {
    SessionHooks hooks;
    hooks.list_sessions = [this] {
      absl::MutexLock lock(&mu_);
      return sessions_;
    };
    hooks.redirect = [this, by_port, follow](uint64_t id, const std::string& ip, int port) {
      LocalSession moved;
      {
        absl::MutexLock lock(&mu_);
        auto it = std::find_if(sessions_.begin(), sessions_.end(),
                               [id](const LocalSession& s) { return s.id == id; });
        if (it == sessions_.end()) return false;
        ++redirects_;
        if (!follow) {
          if (it->redirected) ++double_redirects_;
          it->redirected = true;
          return true;
        }
        moved = *it;
        sessions_.erase(it);
      }
      EXPECT_EQ(ip, "127.0.0.1");
      by_port->at(port)->Add(moved.group, moved.purpose, 1);
      return true;
    };
    return hooks;
  }

 private:
  const std::string id_;
  absl::Mutex mu_;
  std::vector<LocalSession> sessions_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  int redirects_ ABSL_GUARDED_BY(mu_) = 0;
  int double_redirects_ ABSL_GUARDED_BY(mu_) = 0;
};

class RebalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    auto connector = registry_.Create("embedded", {{"path", dir + "/store"}, {"syncMode", "none"}});
    ASSERT_TRUE(connector.ok()) << connector.status();
    connector_ = std::move(*connector);
  }
  void TearDown() override {
    rebalancers_.clear();
    connector_->Shutdown();
  }

  ClusterRebalancer* Start(FakeRuntime* runtime, int port, int64_t interval_ms,
                           bool follow = true) {
    by_port_[port] = runtime;
    RebalancerOptions options;
    options.runtime_id = runtime->id();
    options.ip = "127.0.0.1";
    options.port = port;
    options.interval_ms = interval_ms;
    options.redirect_sleep_ms = 0;
    options.policy.min_session_age_ms = interval_ms;
    auto started =
        ClusterRebalancer::Start(connector_.get(), options, runtime->Hooks(&by_port_, follow));
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return nullptr;
    rebalancers_.push_back(std::move(*started));
    return rebalancers_.back().get();
  }

  static void WaitFor(const std::function<bool()>& condition, const std::string& what) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (!condition()) {
      ASSERT_LT(absl::Now(), deadline) << "timed out waiting for " << what;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  // Fake runtimes live as long as the fixture: the rebalancers call their hooks from their own
  // threads until TearDown stops them, after the test body's scope ended.
  FakeRuntime& Runtime(const std::string& id) { return runtimes_.emplace_back(id); }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<connectors::Connector> connector_;
  std::deque<FakeRuntime> runtimes_;
  std::map<int, FakeRuntime*> by_port_;
  std::vector<std::unique_ptr<ClusterRebalancer>> rebalancers_;
};

TEST_F(RebalancerTest, TwoRuntimesSettleAtFiveAndFourWithoutExtraMoves) {
  FakeRuntime& a = Runtime("a");
  FakeRuntime& b = Runtime("b");
  a.Add("g", kPurposeSub, 9);
  ClusterRebalancer* ra = Start(&a, 1001, 100);
  ClusterRebalancer* rb = Start(&b, 1002, 100);
  WaitFor([&] { return ra->LivePeers().size() == 1 && rb->LivePeers().size() == 1; }, "peers");
  WaitFor([&] { return a.Count() == 5 && b.Count() == 4; }, "5/4");
  // Further rounds on both sides change nothing.
  const int64_t rounds = ra->stats().rounds;
  WaitFor([&] { return ra->stats().rounds >= rounds + 3 && rb->stats().rounds >= 3; }, "rounds");
  EXPECT_EQ(a.Count(), 5u);
  EXPECT_EQ(b.Count(), 4u);
  EXPECT_EQ(a.redirects(), 4);
  EXPECT_EQ(b.redirects(), 0);
  EXPECT_EQ(ra->stats().redirects, 4);
  EXPECT_GT(ra->stats().reports_published, 0);
  EXPECT_GT(rb->stats().reports_received, 0);
  // b is the place for a new subscriber of g (4 < 5), as seen from either runtime.
  EXPECT_EQ(ra->Recommend(PoolKey{"g", kPurposeSub}).runtime_id, "b");
  EXPECT_EQ(rb->Recommend(PoolKey{"g", kPurposeSub}).port, 1002);
}

TEST_F(RebalancerTest, ClientsThatDoNotFollowAreNeverAskedTwice) {
  // The clients ignore REDIRECT_TO_CLIENT: a session asked once is not counted for a any more
  // and never asked again.
  FakeRuntime& a = Runtime("a");
  FakeRuntime& b = Runtime("b");
  a.Add("g", kPurposeSub, 12);
  ClusterRebalancer* ra = Start(&a, 1001, 100, /*follow=*/false);
  Start(&b, 1002, 100);
  WaitFor([&] { return ra->LivePeers().size() == 1; }, "peer");
  WaitFor([&] { return ra->stats().rounds >= 15; }, "rounds");
  EXPECT_GT(a.redirects(), 0);
  EXPECT_EQ(a.double_redirects(), 0);
  EXPECT_EQ(a.redirects(), ra->stats().redirects);
  EXPECT_EQ(a.Count(), 12u);  // still connected
}

TEST_F(RebalancerTest, PeerThatStopsReportingExpiresAndGetsNoClients) {
  FakeRuntime& a = Runtime("a");
  FakeRuntime& b = Runtime("b");
  ClusterRebalancer* ra = Start(&a, 1001, 100);
  ClusterRebalancer* rb = Start(&b, 1002, 100);
  WaitFor([&] { return ra->LivePeers().size() == 1; }, "peer");
  rb->Stop();  // silent, no leaving report: as if the process died
  WaitFor([&] { return ra->LivePeers().empty(); }, "b expiring");
  a.Add("g", kPurposeSub, 9);
  const int64_t rounds = ra->stats().rounds;
  WaitFor([&] { return ra->stats().rounds >= rounds + 3; }, "rounds");
  EXPECT_EQ(a.redirects(), 0);
  EXPECT_EQ(b.Count(), 0u);
  EXPECT_EQ(ra->Recommend(PoolKey{"g", kPurposeSub}).runtime_id, "a");
}

TEST_F(RebalancerTest, InvalidReportsAreCountedAndIgnored) {
  FakeRuntime& a = Runtime("a");
  ClusterRebalancer* ra = Start(&a, 1001, 100);
  cloudevents::CloudEvent junk;
  junk.set_id("x");
  junk.set_source("/test");
  junk.set_type("not.a.report");
  junk.set_subject(kLoadTopic);
  std::promise<absl::Status> published;
  connector_->Publish(junk, [&published](absl::StatusOr<connectors::PublishResult> r) {
    published.set_value(r.status());
  });
  ASSERT_TRUE(published.get_future().get().ok());
  WaitFor([&] { return ra->stats().invalid_reports == 1; }, "invalid report");
  EXPECT_TRUE(ra->LivePeers().empty());
}

TEST_F(RebalancerTest, DrainAnnouncesLeavingAndSpreadsSessionsOverLivePeers) {
  FakeRuntime& a = Runtime("a");
  FakeRuntime& b = Runtime("b");
  FakeRuntime& c = Runtime("c");
  a.Add("g", kPurposeSub, 3);
  a.Add("p", kPurposePub, 2);
  ClusterRebalancer* ra = Start(&a, 1001, 5'000);
  ClusterRebalancer* rb = Start(&b, 1002, 5'000);
  Start(&c, 1003, 5'000);
  WaitFor([&] { return ra->LivePeers().size() == 2 && rb->LivePeers().size() == 2; }, "peers");
  EXPECT_EQ(ra->Drain(), 5u);
  EXPECT_EQ(a.Count(), 0u);
  EXPECT_EQ(b.Count() + c.Count(), 5u);
  EXPECT_EQ(ra->stats().drained, 5);
  // The leaving report takes a out of b's view at once.
  WaitFor([&] { return rb->LivePeers().size() == 1; }, "a leaving");
  EXPECT_EQ(rb->LivePeers()[0].runtime_id, "c");
}

TEST_F(RebalancerTest, DrainWithoutPeersMovesNothing) {
  FakeRuntime& a = Runtime("a");
  a.Add("g", kPurposeSub, 2);
  ClusterRebalancer* ra = Start(&a, 1001, 5'000);
  EXPECT_EQ(ra->Drain(), 0u);
  EXPECT_EQ(a.Count(), 2u);
}

TEST_F(RebalancerTest, StartFailsWhenTheConnectorRefuses) {
  connector_->Shutdown();
  FakeRuntime& a = Runtime("a");
  RebalancerOptions options;
  options.runtime_id = "a";
  options.ip = "127.0.0.1";
  options.port = 1;
  auto started = ClusterRebalancer::Start(connector_.get(), options, a.Hooks(&by_port_));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable) << started.status();
  EXPECT_TRUE(absl::StartsWith(started.status().message(),
                               "cannot subscribe to the load topic eventmesh-runtimes: "))
      << started.status();
}

// With a registry, the peers come from the mesh's registry records (written by each runtime's
// RegistryAgent), not from the store's load topic: a report forged on the topic changes nothing,
// and a runtime that deregisters leaves the view at the next round.
class RegistryRebalancerTest : public RebalancerTest {
 protected:
  void SetUp() override {
    RebalancerTest::SetUp();
    auto server = registry::RegistryServer::Start(registry::RegistryServerOptions{});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    registry::HttpRegistryOptions client_options;
    client_options.addresses = {absl::StrCat("127.0.0.1:", server_->port())};
    client_options.timeout = absl::Seconds(5);
    auto client = registry::HttpRegistry::Create(client_options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }
  void TearDown() override {
    for (auto& agent : agents_) agent->Stop();
    rebalancers_.clear();
    agents_.clear();
    server_.reset();
    RebalancerTest::TearDown();
  }

  // A rebalancer in registry mode and the agent that registers its runtime with its report.
  ClusterRebalancer* StartWithAgent(FakeRuntime* runtime, int port) {
    by_port_[port] = runtime;
    RebalancerOptions options;
    options.runtime_id = runtime->id();
    options.ip = "127.0.0.1";
    options.port = port;
    options.interval_ms = 100;
    options.redirect_sleep_ms = 0;
    options.policy.min_session_age_ms = 100;
    options.registry = client_.get();
    options.mesh = "m";
    auto started = ClusterRebalancer::Start(connector_.get(), options, runtime->Hooks(&by_port_));
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return nullptr;
    ClusterRebalancer* rebalancer = started->get();
    rebalancers_.push_back(*std::move(started));
    discovery::RegistryAgentOptions agent_options;
    agent_options.identity.mesh = "m";
    agent_options.identity.id = runtime->id();
    agent_options.identity.endpoints = {{"tcp", "127.0.0.1", port}};
    agent_options.lease = absl::Seconds(5);
    agent_options.report_interval = absl::Milliseconds(50);
    auto agent = discovery::RegistryAgent::Start(client_.get(), agent_options, [rebalancer] {
      discovery::RuntimeReport report;
      report.metadata[kLoadMetadataKey] = rebalancer->CurrentReport();
      return report;
    });
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (agent.ok()) agents_.push_back(*std::move(agent));
    return rebalancer;
  }

  std::unique_ptr<registry::RegistryServer> server_;
  std::unique_ptr<registry::HttpRegistry> client_;
  std::vector<std::unique_ptr<discovery::RegistryAgent>> agents_;
};

TEST_F(RegistryRebalancerTest, PeersComeFromTheRegistryNotFromTheStoreTopic) {
  FakeRuntime& a = Runtime("a");
  FakeRuntime& b = Runtime("b");
  a.Add("g", kPurposeSub, 9);
  ClusterRebalancer* ra = StartWithAgent(&a, 1001);
  ClusterRebalancer* rb = StartWithAgent(&b, 1002);
  ASSERT_TRUE(ra != nullptr && rb != nullptr);
  WaitFor([&] { return a.Count() == 5 && b.Count() == 4; }, "5/4 through the registry view");
  EXPECT_EQ(ra->stats().reports_published, 0);  // nothing went to the store

  // A report forged on the store's load topic (an idle runtime "evil") is never read.
  ASSERT_TRUE(connector_->CreateTopic(kLoadTopic, 1).ok());
  LoadReport forged;
  forged.load = CountSessions("evil", "127.0.0.1", 9999, {});
  forged.timestamp_ms = absl::ToUnixMillis(absl::Now());
  forged.interval_ms = 100;
  std::promise<absl::Status> published;
  connector_->Publish(forged.ToCloudEvent(1),
                      [&published](absl::StatusOr<connectors::PublishResult> r) {
                        published.set_value(r.status());
                      });
  ASSERT_TRUE(published.get_future().get().ok());
  a.Add("g", kPurposeSub, 2);  // 7 / 4: one more move, to b
  WaitFor([&] { return a.Count() == 6 && b.Count() == 5; }, "6/5");
  const int64_t rounds = ra->stats().rounds;
  WaitFor([&] { return ra->stats().rounds >= rounds + 3; }, "rounds");
  for (const RuntimeLoad& peer : ra->LivePeers()) EXPECT_NE(peer.runtime_id, "evil");
  EXPECT_EQ(ra->Recommend(PoolKey{"g", kPurposeSub}).runtime_id, "b");

  // b deregisters (a graceful shutdown): it leaves a's view at a's next round.
  agents_[1]->Stop();
  WaitFor([&] { return ra->LivePeers().empty(); }, "b gone from the registry view");
  EXPECT_EQ(ra->Recommend(PoolKey{"g", kPurposeSub}).runtime_id, "a");
}

}  // namespace
}  // namespace eventmesh::runtime::cluster
