#include "eventmesh/runtime/discovery/published_topics.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::discovery {
namespace {

using ::testing::ElementsAre;

// A fresh directory under the test's temporary directory.
std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(root != nullptr ? root : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PublishedTopicsTest, NewTopicsAreAppendedAndSurviveAReopen) {
  const std::string path = TempDir("published") + "/published-topics";
  {
    auto topics = PublishedTopics::Open(path);
    ASSERT_TRUE(topics.ok()) << topics.status();
    EXPECT_TRUE((*topics)->Topics().empty());
    EXPECT_THAT((*topics)->Update({"orders", "audit"}), ElementsAre("audit", "orders"));
    EXPECT_THAT((*topics)->Update({"orders", "billing"}),
                ElementsAre("audit", "billing", "orders"));
  }
  EXPECT_EQ(ReadFile(path), "orders\naudit\nbilling\n");  // each topic written once
  auto reopened = PublishedTopics::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_THAT((*reopened)->Topics(), ElementsAre("audit", "billing", "orders"));
}

TEST(PublishedTopicsTest, ATornLastLineIsCutAndTheNextTopicReadsBackWhole) {
  const std::string path = TempDir("published-torn") + "/published-topics";
  {
    std::ofstream out(path);
    out << "orders\nbill";  // a crash in the middle of appending "billing\n"
  }
  auto topics = PublishedTopics::Open(path);
  ASSERT_TRUE(topics.ok()) << topics.status();
  EXPECT_THAT((*topics)->Topics(), ElementsAre("orders"));
  (*topics)->Update({"billing"});
  EXPECT_EQ(ReadFile(path), "orders\nbilling\n");
}

TEST(PublishedTopicsTest, KeepsAtMostTheLimit) {
  const std::string path = TempDir("published-limit") + "/published-topics";
  auto topics = PublishedTopics::Open(path, /*max_topics=*/2);
  ASSERT_TRUE(topics.ok());
  EXPECT_THAT((*topics)->Update({"a", "b", "c"}), ElementsAre("a", "b"));
  EXPECT_EQ(ReadFile(path), "a\nb\n");
}

}  // namespace
}  // namespace eventmesh::runtime::discovery
