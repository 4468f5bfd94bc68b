#include "eventmesh/connectors/testing/conformance_environment.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "eventmesh/connectors/builtin.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors::testing {

absl::Status ConformanceEnvironment::RegisterConnectors(ConnectorRegistry* registry) {
  return RegisterBuiltinConnectors(registry);
}

std::string ConformanceDataDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string dir = absl::StrCat(
      tmp != nullptr ? tmp : "/tmp", "/",
      test != nullptr ? absl::StrReplaceAll(test->test_suite_name(), {{"/", "_"}}) : "suite", "/",
      test != nullptr ? absl::StrReplaceAll(test->name(), {{"/", "_"}}) : "test", "/", name);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    ADD_FAILURE() << "cannot create " << dir << ": " << error.message();
  }
  return dir;
}

}  // namespace eventmesh::connectors::testing
