#include "eventmesh/runtime/mqtt/state_store.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::mqtt {
namespace {

std::string Dir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name + "/mqtt";
}

TEST(StateStoreTest, SessionsAndRetainedSurviveReload) {
  const std::string dir = Dir("reload");
  {
    StateStore store(dir);
    ASSERT_TRUE(store.Load().ok());
    PersistedSession s;
    s.subscriptions = {{"a/+", 1}, {"$share/g/b", 0}};
    s.expiry_s = 60;
    s.topics = {"a/x"};
    ASSERT_TRUE(store.PutSession("client \"1\"", s).ok());
    RetainedMessage m;
    m.event.set_id("e");
    m.event.set_source("/s");
    m.event.set_type("t");
    m.event.set_spec_version("1.0");
    m.event.set_subject("a/x");
    m.event.set_data("v", cloudevents::DataEncoding::kText);
    m.event.set_data_content_type("text/plain");
    m.qos = 1;
    ASSERT_TRUE(store.Retain("a/x", m, false).ok());
    ASSERT_TRUE(store.Retain("a/y", m, false).ok());
    ASSERT_TRUE(store.Retain("a/y", m, true).ok());  // cleared
  }
  StateStore store(dir);
  ASSERT_TRUE(store.Load().ok());
  auto s = store.FindSession("client \"1\"", 0);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->subscriptions, (std::vector<PersistedSubscription>{{"a/+", 1}, {"$share/g/b", 0}}));
  EXPECT_EQ(s->expiry_s, 60);
  EXPECT_EQ(s->topics, std::vector<std::string>{"a/x"});
  auto retained = store.Retained([](const std::string&) { return true; });
  ASSERT_EQ(retained.size(), 1u);
  EXPECT_EQ(retained[0].event.subject(), "a/x");
  EXPECT_EQ(retained[0].event.data(), "v");
  EXPECT_EQ(retained[0].qos, 1);
}

TEST(StateStoreTest, SessionsExpireAfterDisconnection) {
  StateStore store(Dir("expiry"));
  ASSERT_TRUE(store.Load().ok());
  PersistedSession s;
  s.expiry_s = 10;
  s.disconnected_ms = 1'000;
  ASSERT_TRUE(store.PutSession("gone", s).ok());
  s.disconnected_ms = 0;  // connected: never expires
  ASSERT_TRUE(store.PutSession("here", s).ok());
  EXPECT_TRUE(store.FindSession("gone", 10'999).has_value());
  EXPECT_EQ(store.ExpireSessions(11'000), std::vector<std::string>{"gone"});
  EXPECT_FALSE(store.FindSession("gone", 11'000).has_value());
  EXPECT_TRUE(store.FindSession("here", 1'000'000'000).has_value());
}

TEST(StateStoreTest, MalformedFileIsDataLoss) {
  const std::string dir = Dir("malformed");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/sessions.json") << "{not json";
  StateStore store(dir);
  absl::Status s = store.Load();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("sessions.json"));
}

}  // namespace
}  // namespace eventmesh::runtime::mqtt
