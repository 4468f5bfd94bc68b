#include "eventmesh/common/config/secret_file.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::config {
namespace {

using ::testing::HasSubstr;

std::string Write(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

TEST(ReadSecretFileTest, ReturnsTheFirstLineTrimmed) {
  auto secret = ReadSecretFile("--token_file", Write("token", "  s3cret \nsecond line\n"));
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "s3cret");
}

TEST(ReadSecretFileTest, ErrorsNameTheKeyAndThePath) {
  auto missing = ReadSecretFile("--token_file", "/nonexistent/token");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot read --token_file /nonexistent/token"));
  const std::string blank = Write("blank", "   \n");
  auto empty = ReadSecretFile("eventMesh.storage.store.tokenFile", blank);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(),
              HasSubstr(absl::StrCat("eventMesh.storage.store.tokenFile ", blank, " is empty")));
}

}  // namespace
}  // namespace eventmesh::config
