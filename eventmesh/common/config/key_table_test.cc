#include "eventmesh/common/config/key_table.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::config {
namespace {

using ::testing::HasSubstr;

struct Nested {
  int64_t depth = 3;
};
struct Options {
  int32_t port = 80;
  bool enabled = true;
  std::string name;
  std::vector<std::string> list;
  Nested nested;
};

KeyTable<Options> Table() {
  KeyTable<Options> table;
  table.Int("x.port", &Options::port, 0, 65535, "", "listen port")
      .Bool("x.enabled", &Options::enabled, "on or off")
      .String("x.name", &Options::name, "a name", /*non_empty=*/true)
      .Int(
          "x.nested.depth", [](Options& o) -> int64_t& { return o.nested.depth; }, 1, 10, "levels",
          "how deep")
      .Custom("x.list", "\"\"", "", "comma-separated | items",
              [](const std::string&, const std::string& value, Options* o) {
                o->list = ParseList(value);
                return absl::OkStatus();
              });
  return table;
}

TEST(KeyTableTest, AppliesTypedValuesIncludingNestedFields) {
  const KeyTable<Options> table = Table();
  Options o;
  ASSERT_TRUE(table.Apply("x.port", "8080", &o).ok());
  ASSERT_TRUE(table.Apply("x.enabled", "false", &o).ok());
  ASSERT_TRUE(table.Apply("x.name", "n", &o).ok());
  ASSERT_TRUE(table.Apply("x.nested.depth", "7", &o).ok());
  ASSERT_TRUE(table.Apply("x.list", "a, b,,c", &o).ok());
  EXPECT_EQ(o.port, 8080);
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.name, "n");
  EXPECT_EQ(o.nested.depth, 7);
  EXPECT_EQ(o.list, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(KeyTableTest, BadValuesNameTheKey) {
  const KeyTable<Options> table = Table();
  Options o;
  EXPECT_EQ(table.Apply("x.port", "70000", &o).message(),
            "invalid value \"70000\" for key x.port: expected an integer in [0, 65535]");
  EXPECT_EQ(table.Apply("x.enabled", "yes", &o).message(),
            "invalid value \"yes\" for key x.enabled: expected true or false");
  EXPECT_EQ(table.Apply("x.name", "", &o).message(), "empty value for key x.name");
}

TEST(KeyTableTest, UnknownAndMisspeltKeysAreRefusedWithAHint) {
  const KeyTable<Options> table = Table();
  Options o;
  absl::Status misspelt = table.Apply("x.prot", "1", &o);
  EXPECT_EQ(misspelt.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(misspelt.message(), "unknown configuration key x.prot (did you mean x.port?)");
  EXPECT_EQ(table.Apply("something.else.entirely", "1", &o).message(),
            "unknown configuration key something.else.entirely");
  EXPECT_THAT(std::string(table.Apply("X.ENABLED", "true", &o).message()),
              HasSubstr("did you mean x.enabled?"));
}

TEST(KeyTableTest, MarkdownShowsDefaultsFromTheStructAndRanges) {
  const std::string markdown = Table().Markdown();
  EXPECT_THAT(markdown, HasSubstr("| `x.port` | `80` |  | listen port [0..65535] |\n"));
  EXPECT_THAT(markdown, HasSubstr("| `x.enabled` | `true` |  | on or off |\n"));
  EXPECT_THAT(markdown, HasSubstr("| `x.name` | `\"\"` |  | a name |\n"));
  EXPECT_THAT(markdown, HasSubstr("| `x.nested.depth` | `3` | levels | how deep [1..10] |\n"));
  EXPECT_THAT(markdown, HasSubstr("comma-separated \\| items"));
}

TEST(ValuesTest, HostPortAndProperties) {
  auto hp = ParseHostPort("k", "[::1]:10000", true);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 10000);
  EXPECT_EQ(ParseHostPort("k", "host", false)->port, 0);
  EXPECT_EQ(ParseHostPort("k", "host", true).status().message(),
            "invalid value \"host\" for key k: expected host:port");
  EXPECT_FALSE(ParseHostPort("k", "h:0", false).ok());
  auto props = ParseProperties("# c\n a = 1 \nb: two\n\n! x\n");
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(props->at("a"), "1");
  EXPECT_EQ(props->at("b"), "two");
  EXPECT_EQ(ParseProperties("novalue").status().message(),
            "line 1: expected key=value, got \"novalue\"");
}

}  // namespace
}  // namespace eventmesh::config
