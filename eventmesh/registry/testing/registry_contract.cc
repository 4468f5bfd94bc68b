#include "eventmesh/registry/testing/registry_contract.h"

#include <atomic>
#include <thread>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::registry::testing {
namespace {

// A mesh name no other test uses (backends may be shared between tests).
std::string FreshMesh() {
  static std::atomic<int> n{0};
  absl::BitGen gen;
  return absl::StrCat("mesh-", n.fetch_add(1), "-", absl::Uniform<uint32_t>(gen));
}

Instance Runtime(const std::string& mesh, const std::string& id, int port = 10000) {
  Instance in;
  in.mesh = mesh;
  in.id = id;
  in.idc = "idc1";
  in.endpoints = {{"tcp", "127.0.0.1", port}, {"http", "127.0.0.1", port + 105}};
  return in;
}

// Polls until `done` holds or 10 s pass.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace

void RegistryContractTest::SetUp() {
  backend_ = GetParam()();
  ASSERT_NE(backend_, nullptr);
  registry_ = backend_->NewClient();
  ASSERT_NE(registry_, nullptr);
}

TEST_P(RegistryContractTest, RegisterListDeregister) {
  const std::string mesh = FreshMesh();
  Instance a = Runtime(mesh, "a", 10000);
  a.topics = {{"orders", "pub", ""}, {"orders", "sub", "billing"}};
  a.load.clients = 7;
  auto ttl = registry_->Register(a, absl::Seconds(30));
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_EQ(*ttl, absl::Seconds(30));
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "b", 11000), absl::Seconds(30)).ok());
  ASSERT_TRUE(registry_->Register(Runtime(FreshMesh(), "other"), absl::Seconds(30)).ok());

  auto listed = registry_->List(mesh);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->instances.size(), 2u);
  EXPECT_GT(listed->index, 0u);
  const Instance* got = nullptr;
  for (const Instance& in : listed->instances) {
    if (in.id == "a") got = &in;
  }
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->SameReport(a));
  EXPECT_EQ(got->lease_ttl_ms, 30'000);

  auto all = registry_->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->instances.size(), 3u);

  ASSERT_TRUE(registry_->Deregister(mesh, "a").ok());
  listed = registry_->List(mesh);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->instances.size(), 1u);
  EXPECT_EQ(listed->instances[0].id, "b");
  EXPECT_EQ(registry_->Deregister(mesh, "a").code(), absl::StatusCode::kNotFound);
}

TEST_P(RegistryContractTest, ALeaseRunsOutUnlessRenewed) {
  const std::string mesh = FreshMesh();
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "kept"), absl::Seconds(2)).ok());
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "dropped"), absl::Seconds(2)).ok());
  // Renew "kept" every 300 ms while "dropped" runs out.
  bool only_kept = false;
  for (int i = 0; i < 40 && !only_kept; ++i) {
    ASSERT_TRUE(registry_->Renew(mesh, "kept").ok()) << "round " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto listed = registry_->List(mesh);
    ASSERT_TRUE(listed.ok());
    only_kept = listed->instances.size() == 1 && listed->instances[0].id == "kept";
  }
  EXPECT_TRUE(only_kept);
  EXPECT_EQ(registry_->Renew(mesh, "dropped").code(), absl::StatusCode::kNotFound);
  // Registering again brings it back.
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "dropped"), absl::Seconds(2)).ok());
  EXPECT_TRUE(registry_->Renew(mesh, "dropped").ok());
}

TEST_P(RegistryContractTest, AWatchWakesOnTheNextChange) {
  const std::string mesh = FreshMesh();
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "a"), absl::Seconds(30)).ok());
  auto before = registry_->List(mesh);
  ASSERT_TRUE(before.ok());
  std::unique_ptr<Registry> writer = backend_->NewClient();
  std::thread change([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Instance b = Runtime(mesh, "b");
    ASSERT_TRUE(writer->Register(b, absl::Seconds(30)).ok());
  });
  // Wakes for changes of this mesh; changes elsewhere may wake it too, so loop until seen.
  bool seen = false;
  uint64_t index = before->index;
  for (int i = 0; i < 20 && !seen; ++i) {
    auto watched = registry_->Watch(mesh, index, absl::Seconds(10));
    ASSERT_TRUE(watched.ok()) << watched.status();
    index = watched->index;
    seen = watched->instances.size() == 2;
  }
  change.join();
  EXPECT_TRUE(seen);
  EXPECT_GT(index, before->index);
}

TEST_P(RegistryContractTest, AWatchWithoutChangeEndsAfterItsWait) {
  const std::string mesh = FreshMesh();
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "a"), absl::Seconds(30)).ok());
  auto now = registry_->List(mesh);
  ASSERT_TRUE(now.ok());
  // Far beyond the current index: nothing can reach it, so the wait runs out.
  auto watched = registry_->Watch(mesh, now->index + 1'000'000, absl::Milliseconds(500));
  ASSERT_TRUE(watched.ok()) << watched.status();
  ASSERT_EQ(watched->instances.size(), 1u);
}

TEST_P(RegistryContractTest, ShutdownEndsAWatchInProgress) {
  const std::string mesh = FreshMesh();
  auto now = registry_->List(mesh);
  ASSERT_TRUE(now.ok() || absl::IsNotFound(now.status())) << now.status();
  const uint64_t index = now.ok() ? now->index : 0;
  std::unique_ptr<Registry> watcher = backend_->NewClient();
  std::atomic<bool> ended{false};
  absl::Status result;
  // A wait of ten minutes: only Shutdown can end it before the test's own timeout.
  std::thread watching([&] {
    auto watched = watcher->Watch(mesh, index + 1'000'000, absl::Minutes(10));
    result = watched.status();
    ended = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the long poll start
  EXPECT_FALSE(ended.load());
  watcher->Shutdown();
  watching.join();
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsUnavailable(result) || absl::IsCancelled(result)) << result;
  // Later calls fail at once; another client of the backend is unaffected.
  EXPECT_FALSE(watcher->List(mesh).ok());
  EXPECT_FALSE(watcher->Watch(mesh, index + 1'000'000, absl::Minutes(10)).ok());
  ASSERT_TRUE(registry_->Register(Runtime(mesh, "a"), absl::Seconds(30)).ok());
}

TEST_P(RegistryContractTest, ANewReportReplacesTheOldOne) {
  const std::string mesh = FreshMesh();
  Instance a = Runtime(mesh, "a");
  ASSERT_TRUE(registry_->Register(a, absl::Seconds(30)).ok());
  a.topics = {{"payments", "sub", "ledger"}};
  a.load.clients = 12;
  ASSERT_TRUE(registry_->Register(a, absl::Seconds(30)).ok());
  ASSERT_TRUE(Eventually([&] {
    auto listed = registry_->List(mesh);
    return listed.ok() && listed->instances.size() == 1 && listed->instances[0].SameReport(a);
  }));
}

TEST_P(RegistryContractTest, AnInvalidInstanceIsRefusedWithTheField) {
  Instance bad = Runtime(FreshMesh(), "a");
  bad.endpoints[0].port = 0;
  auto r = registry_->Register(bad, absl::Seconds(30));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("endpoints[0].port"), std::string::npos) << r.status();
}

}  // namespace eventmesh::registry::testing
