// The embedded table holds exactly the files of assets/, byte for byte, with their content types.

#include "eventmesh/runtime/admin/dashboard/dashboard_assets.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace eventmesh::runtime::admin {
namespace {

std::string ReadSource(const std::string& name) {
  std::ifstream in("eventmesh/runtime/admin/dashboard/assets/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(DashboardAssetsTest, EmbedsEveryFileUnchanged) {
  ASSERT_EQ(DashboardAssets().size(), 3u);
  for (const char* name : {"index.html", "dashboard.css", "dashboard.js"}) {
    const DashboardAsset* asset = FindDashboardAsset(name);
    ASSERT_NE(asset, nullptr) << name;
    const std::string source = ReadSource(name);
    ASSERT_FALSE(source.empty()) << name;
    EXPECT_EQ(asset->body, source) << name;
  }
  EXPECT_EQ(FindDashboardAsset("index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(FindDashboardAsset("dashboard.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(FindDashboardAsset("dashboard.js")->content_type, "text/javascript; charset=utf-8");
}

TEST(DashboardAssetsTest, OnlyExactNamesAreFound) {
  for (const char* name : {"", "index", "INDEX.HTML", "../index.html", "assets/index.html",
                           "index.html/", "./index.html", "BUILD.bazel", "embed_assets.sh"}) {
    EXPECT_EQ(FindDashboardAsset(name), nullptr) << name;
  }
  EXPECT_EQ(ContentTypeFor("x.bin"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("logo.svg"), "image/svg+xml");
}

}  // namespace
}  // namespace eventmesh::runtime::admin
