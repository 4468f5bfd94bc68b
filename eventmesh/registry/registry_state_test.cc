#include "eventmesh/registry/registry_state.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace eventmesh::registry {
namespace {

Instance Runtime(const std::string& mesh, const std::string& id) {
  Instance in;
  in.mesh = mesh;
  in.id = id;
  in.endpoints = {{"tcp", "127.0.0.1", 10000}};
  return in;
}

std::string TempFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::filesystem::remove(path);
  return path;
}

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(RegistryStateTest, LeasesExpireUnlessRenewed) {
  auto state = RegistryState::Open({}, kT0);
  ASSERT_TRUE(state.ok());
  auto stored = (*state)->Put(Runtime("m", "a"), absl::Seconds(2), kT0);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->lease_ttl_ms, 2000);
  EXPECT_EQ(stored->modify_index, 1u);
  ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
  ASSERT_TRUE((*state)->Renew("m", "a", kT0 + absl::Milliseconds(1500)).ok());
  EXPECT_EQ((*state)->Expire(kT0 + absl::Milliseconds(2500)), 1);  // b ran out, a renewed
  const Snapshot s = (*state)->List("m");
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].id, "a");
  EXPECT_EQ(s.index, 3u);
  EXPECT_EQ((*state)->Renew("m", "b", kT0 + absl::Seconds(3)).message(),
            "no instance 'b' in mesh 'm' (never registered, or its lease expired)");
}

TEST(RegistryStateTest, TtlIsClampedAndTheSameReportOnlyRenews) {
  RegistryStateOptions options;
  options.min_ttl = absl::Seconds(1);
  options.max_ttl = absl::Seconds(10);
  options.default_ttl = absl::Seconds(5);
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::Milliseconds(1), kT0)->lease_ttl_ms, 1000);
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::Hours(1), kT0)->lease_ttl_ms, 10'000);
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0)->lease_ttl_ms, 5000);
  const uint64_t index = (*state)->index();
  EXPECT_EQ((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0)->modify_index, index);
  EXPECT_EQ((*state)->index(), index);
  Instance changed = Runtime("m", "a");
  changed.load.clients = 4;
  EXPECT_EQ((*state)->Put(changed, absl::ZeroDuration(), kT0)->modify_index, index + 1);
}

TEST(RegistryStateTest, InvalidInstancesAndCapacityAreRefused) {
  RegistryStateOptions options;
  options.max_instances = 1;
  auto state = RegistryState::Open(options, kT0);
  ASSERT_TRUE(state.ok());
  Instance bad = Runtime("m", "a");
  bad.endpoints.clear();
  EXPECT_EQ((*state)->Put(bad, absl::ZeroDuration(), kT0).status().message(),
            "at least one endpoint is required");
  ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0).ok());
  EXPECT_EQ((*state)->Put(Runtime("m", "b"), absl::ZeroDuration(), kT0).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RegistryStateTest, WatchesFireWhenTheIndexPassesTheirs) {
  auto state = RegistryState::Open({}, kT0);
  ASSERT_TRUE(state.ok());
  int fired = 0;
  auto handle = (*state)->AddWatch(0, [&] { ++fired; });
  ASSERT_TRUE(handle.ok());
  EXPECT_NE(*handle, 0u);
  EXPECT_EQ(fired, 0);
  ASSERT_TRUE((*state)->Put(Runtime("m", "a"), absl::ZeroDuration(), kT0).ok());
  EXPECT_EQ(fired, 1);
  // Already passed: handle 0, and the notification is left to the caller.
  EXPECT_EQ(*(*state)->AddWatch(0, [&] { ++fired; }), 0u);
  EXPECT_EQ(fired, 1);
  auto cancelled = (*state)->AddWatch(5, [&] { ++fired; });
  EXPECT_TRUE((*state)->CancelWatch(*cancelled));
  EXPECT_FALSE((*state)->CancelWatch(*cancelled));
  ASSERT_TRUE((*state)->Remove("m", "a").ok());
  EXPECT_EQ(fired, 1);
  EXPECT_EQ((*state)->watchers(), 0u);
}

TEST(RegistryStateTest, StateSurvivesAReopenAndLeasesRestart) {
  RegistryStateOptions options;
  options.state_file = TempFile("registry-state.json");
  {
    auto state = RegistryState::Open(options, kT0);
    ASSERT_TRUE(state.ok());
    Instance in = Runtime("m", "a");
    in.topics = {{"orders", "sub", "g"}};
    ASSERT_TRUE((*state)->Put(in, absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Put(Runtime("m", "b"), absl::Seconds(2), kT0).ok());
    ASSERT_TRUE((*state)->Remove("m", "b").ok());
  }
  // Reopened long after the leases would have run out: they restart at load time.
  const absl::Time later = kT0 + absl::Hours(1);
  auto state = RegistryState::Open(options, later);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)->index(), 3u);
  Snapshot s = (*state)->List("");
  ASSERT_EQ(s.instances.size(), 1u);
  EXPECT_EQ(s.instances[0].topics.size(), 1u);
  EXPECT_EQ((*state)->Expire(later + absl::Seconds(1)), 0);
  EXPECT_EQ((*state)->Expire(later + absl::Seconds(3)), 1);
}

TEST(RegistryStateTest, CorruptStateFileIsNamed) {
  RegistryStateOptions options;
  options.state_file = TempFile("corrupt-state.json");
  std::ofstream(options.state_file) << "{\"index\": 3, \"instances\": [";
  auto state = RegistryState::Open(options, kT0);
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.status().message().find(options.state_file), std::string::npos) << state.status();
}

}  // namespace
}  // namespace eventmesh::registry
