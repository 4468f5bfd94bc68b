#include "eventmesh/cli/table.h"

#include <sstream>

#include "gtest/gtest.h"

namespace eventmesh::cli {
namespace {

TEST(TableTest, PadsColumnsAndRightAlignsNumbers) {
  Table t({"NAME", "COUNT#", "NOTE"});
  t.AddRow({"orders", "7", "a"});
  t.AddRow({"x", "1234", "multi\nline"});
  std::ostringstream out;
  t.Print(out, "none");
  EXPECT_EQ(out.str(),
            "NAME    COUNT  NOTE\n"
            "orders      7  a\n"
            "x        1234  multi line\n");
}

TEST(TableTest, CutsLongCellsAndSaysWhenEmpty) {
  Table t({"A", "B"}, 8);
  t.AddRow({"0123456789", "z"});
  std::ostringstream out;
  t.Print(out, "none");
  EXPECT_EQ(out.str(), "A         B\n01234...  z\n");
  Table empty({"A"});
  std::ostringstream none;
  empty.Print(none, "no topics");
  EXPECT_EQ(none.str(), "no topics\n");
}

}  // namespace
}  // namespace eventmesh::cli
