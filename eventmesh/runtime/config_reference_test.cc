// The configuration reference in eventmesh/runtime/README.md (between the config-reference
// markers) must be exactly what RuntimeKeyTable() renders, so the documented keys, defaults and
// ranges cannot drift from the code. To update the README:
//   bazel run //eventmesh/runtime:config_reference

#include <fstream>
#include <sstream>
#include <string>

#include "eventmesh/runtime/config.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

constexpr char kBegin[] = "<!-- config-reference:begin -->\n";
constexpr char kEnd[] = "<!-- config-reference:end -->";

TEST(ConfigReferenceTest, ReadmeMatchesTheKeyTable) {
  std::ifstream in("eventmesh/runtime/README.md");
  ASSERT_TRUE(in) << "README.md is not in the test's runfiles";
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const size_t begin = readme.find(kBegin);
  const size_t end = readme.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "no " << kBegin << " marker in README.md";
  ASSERT_NE(end, std::string::npos) << "no " << kEnd << " marker in README.md";
  const std::string documented =
      readme.substr(begin + sizeof(kBegin) - 1, end - begin - sizeof(kBegin) + 1);
  EXPECT_EQ(documented, RuntimeKeyTable().Markdown())
      << "eventmesh/runtime/README.md's configuration reference differs from RuntimeKeyTable(); "
         "regenerate it with: bazel run //eventmesh/runtime:config_reference";
}

TEST(ConfigReferenceTest, EveryKeyHasADescriptionAndAppliesItsOwnDefault) {
  for (const auto& key : RuntimeKeyTable().keys()) {
    EXPECT_FALSE(key.description.empty()) << key.name;
    RuntimeConfig config;
    // Defaults shown as plain values parse back (placeholders like $XDG_... or "" are not
    // values).
    if (key.default_text.empty() || key.default_text[0] == '$' || key.default_text == "\"\"") {
      continue;
    }
    EXPECT_TRUE(key.apply(key.name, key.default_text, &config).ok()) << key.name;
  }
}

}  // namespace
}  // namespace eventmesh::runtime
