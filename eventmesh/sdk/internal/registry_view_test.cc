// RegistryView against real backends on loopback: the registry server (in-process, over HTTP)
// and a real etcd (Debian's etcd-server, started by the test). Registrations and removals reach
// the view through its long poll; Stop ends a long poll at once; a registry that goes away makes
// the view stale, its errors back off, and it recovers when the registry is back. Every wait is
// bounded.

#include "eventmesh/sdk/internal/registry_view.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/registry/client/etcd_registry.h"
#include "eventmesh/registry/client/http_registry.h"
#include "eventmesh/registry/registry_server.h"
#include "eventmesh/registry/testing/etcd_server.h"
#include "eventmesh/testing/child_process.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::internal {
namespace {

std::string TmpDir(const std::string& name) {
  static int n = 0;
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", name, "-", getpid(), "-", n++);
  std::filesystem::create_directories(dir);
  return dir;
}

registry::Instance Runtime(const std::string& id, int port) {
  registry::Instance in;
  in.mesh = "orders-mesh";
  in.id = id;
  in.endpoints = {{"tcp", "127.0.0.1", port}};
  return in;
}

// A backend the test can make clients of.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::unique_ptr<registry::Registry> NewClient() = 0;
};

class ServerBackend : public Backend {
 public:
  explicit ServerBackend(registry::RegistryServerOptions options = {}) {
    auto server = registry::RegistryServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }
  std::unique_ptr<registry::Registry> NewClient() override {
    if (server_ == nullptr) return nullptr;
    registry::HttpRegistryOptions options;
    options.addresses = {absl::StrCat("127.0.0.1:", server_->port())};
    options.timeout = absl::Seconds(3);
    auto client = registry::HttpRegistry::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::unique_ptr<registry::Registry>(*std::move(client)) : nullptr;
  }

 private:
  std::unique_ptr<registry::RegistryServer> server_;
};

class EtcdBackend : public Backend {
 public:
  EtcdBackend() {
    auto etcd = registry::testing::EtcdServer::Start(TmpDir("etcd"));
    EXPECT_TRUE(etcd.ok()) << etcd.status();
    if (etcd.ok()) etcd_ = *std::move(etcd);
  }
  std::unique_ptr<registry::Registry> NewClient() override {
    if (etcd_ == nullptr) return nullptr;
    registry::EtcdRegistryOptions options;
    options.endpoints = {etcd_->address()};
    options.timeout = absl::Seconds(3);
    auto client = registry::EtcdRegistry::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::unique_ptr<registry::Registry>(*std::move(client)) : nullptr;
  }

 private:
  std::unique_ptr<registry::testing::EtcdServer> etcd_;
};

// The ids of each snapshot the view handed to on_change, for waiting on them.
class Seen {
 public:
  RegistryView::OnChange Callback() {
    return [this](const registry::Snapshot& snapshot) {
      std::set<std::string> ids;
      for (const auto& in : snapshot.instances) ids.insert(in.id);
      absl::MutexLock lock(&mu_);
      latest_ = std::move(ids);
      ++count_;
    };
  }
  // True once the latest snapshot has exactly `ids` (within 30 s).
  bool WaitFor(const std::set<std::string>& ids) {
    absl::MutexLock lock(&mu_);
    auto matches = [&]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ > 0 && latest_ == ids; };
    return mu_.AwaitWithTimeout(absl::Condition(&matches), absl::Seconds(30));
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> latest_ ABSL_GUARDED_BY(mu_);
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

// Polls `done` every 20 ms for at most 30 s.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

class RegistryViewTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam()();
    writer_ = backend_->NewClient();
    watcher_ = backend_->NewClient();
    ASSERT_NE(writer_, nullptr);
    ASSERT_NE(watcher_, nullptr);
  }
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<registry::Registry> writer_;
  std::unique_ptr<registry::Registry> watcher_;
};

TEST_P(RegistryViewTest, RegistrationsAndRemovalsReachTheView) {
  ASSERT_TRUE(writer_->Register(Runtime("rt-a", 10001), absl::Seconds(30)).ok());
  Seen seen;
  RegistryViewOptions options;
  options.mesh = "orders-mesh";
  options.wait = absl::Seconds(20);
  RegistryView view(watcher_.get(), options, seen.Callback());
  ASSERT_TRUE(seen.WaitFor({"rt-a"}));

  ASSERT_TRUE(writer_->Register(Runtime("rt-b", 10002), absl::Seconds(30)).ok());
  ASSERT_TRUE(seen.WaitFor({"rt-a", "rt-b"}));
  ASSERT_TRUE(writer_->Deregister("orders-mesh", "rt-a").ok());
  ASSERT_TRUE(seen.WaitFor({"rt-b"}));
  // Another mesh's runtimes do not show.
  registry::Instance elsewhere = Runtime("rt-x", 10009);
  elsewhere.mesh = "other-mesh";
  ASSERT_TRUE(writer_->Register(elsewhere, absl::Seconds(30)).ok());
  ASSERT_TRUE(writer_->Register(Runtime("rt-c", 10003), absl::Seconds(30)).ok());
  ASSERT_TRUE(seen.WaitFor({"rt-b", "rt-c"}));

  auto fresh = view.Fresh();
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->instances.size(), 2u);
  const RegistryView::Stats stats = view.stats();
  EXPECT_TRUE(stats.fresh);
  EXPECT_EQ(stats.errors, 0u);
  EXPECT_GE(stats.changes, 4u);
  EXPECT_EQ(stats.index, fresh->index);
}

TEST_P(RegistryViewTest, StopEndsALongPollAtOnce) {
  ASSERT_TRUE(writer_->Register(Runtime("rt-a", 10001), absl::Seconds(30)).ok());
  Seen seen;
  RegistryViewOptions options;
  options.mesh = "orders-mesh";
  options.wait = absl::Minutes(10);  // only Stop can end the poll before the test's timeout
  RegistryView view(watcher_.get(), options, seen.Callback());
  ASSERT_TRUE(seen.WaitFor({"rt-a"}));
  view.Stop();
  view.Stop();  // idempotent
  EXPECT_EQ(view.stats().answers, 1u);
  // The view's client is shut down; the backend serves others.
  EXPECT_FALSE(watcher_->List("orders-mesh").ok());
  EXPECT_TRUE(writer_->List("orders-mesh").ok());
}

INSTANTIATE_TEST_SUITE_P(Server, RegistryViewTest, ::testing::Values(BackendFactory([] {
                           return std::make_unique<ServerBackend>();
                         })));
INSTANTIATE_TEST_SUITE_P(Etcd, RegistryViewTest, ::testing::Values(BackendFactory([] {
                           return std::make_unique<EtcdBackend>();
                         })));

TEST(RegistryViewErrorsTest, AGoneRegistryMakesTheViewStaleUntilItIsBack) {
  registry::RegistryServerOptions server_options;
  server_options.http.port = eventmesh::testing::FreeLoopbackPort();
  server_options.state.state_file = TmpDir("view-state") + "/registry-state.json";
  auto backend = std::make_unique<ServerBackend>(server_options);
  auto writer = backend->NewClient();
  auto watcher = backend->NewClient();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(writer->Register(Runtime("rt-a", 10001), absl::Minutes(5)).ok());

  Seen seen;
  RegistryViewOptions options;
  options.mesh = "orders-mesh";
  options.wait = absl::Seconds(20);
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Milliseconds(400);
  RegistryView view(watcher.get(), options, seen.Callback());
  ASSERT_TRUE(seen.WaitFor({"rt-a"}));
  ASSERT_TRUE(view.Fresh().has_value());

  const absl::Time gone = absl::Now();
  backend.reset();  // the registry goes away: the long poll in flight fails
  ASSERT_TRUE(Eventually([&] { return view.stats().errors >= 3; }));
  EXPECT_FALSE(view.Fresh().has_value());
  EXPECT_FALSE(view.stats().fresh);
  // Backed off, not spinning: after the first retries, at most one call per 100 ms.
  EXPECT_LE(view.stats().errors,
            static_cast<uint64_t>((absl::Now() - gone) / absl::Milliseconds(100)) + 2);

  // Back on the same port with its state: the view is fresh again and sees new changes.
  backend = std::make_unique<ServerBackend>(server_options);
  writer = backend->NewClient();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Register(Runtime("rt-b", 10002), absl::Minutes(5)).ok());
  ASSERT_TRUE(seen.WaitFor({"rt-a", "rt-b"}));
  ASSERT_TRUE(Eventually([&] { return view.Fresh().has_value(); }));
}

}  // namespace
}  // namespace eventmesh::sdk::internal
