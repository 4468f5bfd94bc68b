#include "eventmesh/sdk/internal/url_rotation.h"

#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

std::vector<RuntimeUrl> Urls(std::vector<int> ports) {
  std::vector<RuntimeUrl> urls;
  for (int port : ports) urls.push_back(RuntimeUrl{false, "127.0.0.1", port});
  return urls;
}

TEST(UrlRotationTest, RoundRobin) {
  UrlRotation rotation(Urls({1, 2, 3}));
  EXPECT_EQ(rotation.Next().url.port, 1);
  EXPECT_EQ(rotation.Next().url.port, 2);
  EXPECT_EQ(rotation.Next().url.port, 3);
  EXPECT_EQ(rotation.Next().url.port, 1);
  EXPECT_FALSE(rotation.AllFailed());
}

TEST(UrlRotationTest, FailedUrlsArePassedOverWhileOthersWork) {
  UrlRotation rotation(Urls({1, 2}));
  auto first = rotation.Next();
  rotation.Report(first, /*reached=*/false);
  EXPECT_EQ(rotation.Next().url.port, 2);
  EXPECT_EQ(rotation.Next().url.port, 2);
  EXPECT_FALSE(rotation.AllFailed());
  auto second = rotation.Next();
  rotation.Report(second, false);
  EXPECT_TRUE(rotation.AllFailed());
  // All failed: round-robin over all again.
  EXPECT_NE(rotation.Next().url.port, rotation.Next().url.port);
  rotation.Report(first, true);
  EXPECT_FALSE(rotation.AllFailed());
  EXPECT_EQ(rotation.Next().url.port, 1);
}

TEST(UrlRotationTest, ReplaceForgetsFailuresAndIgnoresOldPicks) {
  UrlRotation rotation(Urls({1}));
  auto old = rotation.Next();
  rotation.Report(old, false);
  EXPECT_TRUE(rotation.AllFailed());
  rotation.Replace(Urls({7, 8}));
  EXPECT_FALSE(rotation.AllFailed());
  rotation.Report(old, false);  // About the old list: ignored.
  EXPECT_FALSE(rotation.AllFailed());
  EXPECT_EQ(rotation.Next().url.port, 7);
  EXPECT_EQ(rotation.urls().size(), 2u);
}

}  // namespace
}  // namespace eventmesh::sdk::http
