#include "eventmesh/common/config/reference.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::config {
namespace {

using ::testing::HasSubstr;

constexpr char kDocument[] =
    "# title\n"
    "<!-- config-reference:begin -->\n"
    "| old |\n"
    "<!-- config-reference:end -->\n"
    "tail\n";

TEST(ReferenceTest, ExtractsAndReplacesTheTextBetweenTheMarkers) {
  EXPECT_EQ(*ExtractReference(kDocument), "| old |\n");
  EXPECT_EQ(*ReplaceReference(kDocument, "| new |\n| rows |\n"),
            "# title\n<!-- config-reference:begin -->\n| new |\n| rows |\n"
            "<!-- config-reference:end -->\ntail\n");
}

TEST(ReferenceTest, MissingMarkersAreNotFound) {
  EXPECT_EQ(ExtractReference("no markers").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(
      std::string(ExtractReference("<!-- config-reference:begin -->\n| x |\n").status().message()),
      HasSubstr("no <!-- config-reference:end --> marker"));
  EXPECT_EQ(ReplaceReference("<!-- config-reference:end -->", "x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ReferenceTest, CheckReadmeNamesTheFirstDifferenceAndTheCommand) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/README.md";
  std::ofstream(path) << kDocument;
  EXPECT_TRUE(CheckReadmeReference(path, "| old |\n", "cmd").ok());
  absl::Status differs = CheckReadmeReference(path, "| new |\n", "bazel run //x:config_reference");
  EXPECT_EQ(differs.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(differs.message()),
              HasSubstr("line 1:\n  README: | old |\n  table:  | new |"));
  EXPECT_THAT(std::string(differs.message()),
              HasSubstr("regenerate it with: bazel run //x:config_reference"));
  EXPECT_EQ(CheckReadmeReference(path + ".missing", "", "cmd").code(), absl::StatusCode::kNotFound);
}

struct Options {
  int32_t port = 80;
  bool enabled = false;
  std::string dir;
};

TEST(ReferenceTest, CheckKeyTableWantsDescriptionsAndDefaultsThatApply) {
  KeyTable<Options> good;
  good.Int("port", &Options::port, 1, 65535, "", "listen port")
      .Custom("dir", "$XDG_DATA_HOME/x", "", "directory",
              [](const std::string&, const std::string&, Options*) {
                return absl::InvalidArgumentError("never applied: a placeholder default");
              });
  EXPECT_TRUE(CheckKeyTable(good).ok());

  KeyTable<Options> bad;
  bad.Bool("enabled", &Options::enabled, "")
      .Int("port", &Options::port, 100, 200, "", "port")
      .Custom("dir", "x", "", "directory",
              [](const std::string& key, const std::string&, Options*) {
                return absl::InvalidArgumentError(absl::StrCat("bad ", key));
              });
  const std::string message(CheckKeyTable(bad).message());
  EXPECT_THAT(message, HasSubstr("enabled: no description"));
  EXPECT_THAT(message, HasSubstr("port: default does not apply: invalid value \"80\""));
  EXPECT_THAT(message, HasSubstr("dir: default does not apply: bad dir"));
}

TEST(KeyTablePrefixTest, MessagesNameTheKeyWithItsSection) {
  KeyTable<Options> table;
  table.Int("port", &Options::port, 1, 65535, "", "listen port");
  Options o;
  EXPECT_EQ(table.Apply("prot", "1", &o, "section.").message(),
            "unknown configuration key section.prot (did you mean section.port?)");
  EXPECT_EQ(table.Apply("port", "0", &o, "section.").message(),
            "invalid value \"0\" for key section.port: expected an integer in [1, 65535]");
  EXPECT_TRUE(table.ApplyAll(std::map<std::string, std::string>{{"port", "8"}}, &o).ok());
  EXPECT_EQ(o.port, 8);
  EXPECT_EQ(table.ApplyAll(std::map<std::string, std::string>{{"port", "9"}, {"x", "1"}}, &o, "s.")
                .message(),
            "unknown configuration key s.x");
}

}  // namespace
}  // namespace eventmesh::config
