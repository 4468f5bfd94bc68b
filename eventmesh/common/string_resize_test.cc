#include "eventmesh/common/string_resize.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

TEST(ResizeUninitializedTest, KeepsTheOldBytesAndTakesTheWrittenOnes) {
  std::string s = "abc";
  ResizeUninitialized(&s, 3 + 1000);
  ASSERT_EQ(s.size(), 1003u);
  EXPECT_EQ(s.compare(0, 3, "abc"), 0);
  for (size_t i = 3; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
  for (size_t i = 3; i < s.size(); ++i) ASSERT_EQ(s[i], static_cast<char>('a' + i % 26)) << i;
  EXPECT_EQ(s.c_str()[s.size()], '\0');
}

TEST(ResizeUninitializedTest, ShrinksAsResizeDoes) {
  std::string s(100, 'x');
  ResizeUninitialized(&s, 10);
  EXPECT_EQ(s, std::string(10, 'x'));
  EXPECT_EQ(s.c_str()[10], '\0');
  ResizeUninitialized(&s, 0);
  EXPECT_TRUE(s.empty());
}

TEST(ResizeUninitializedTest, GrowsGeometrically) {
  std::string s;
  size_t reallocations = 0;
  const char* data = s.data();
  for (size_t n = 1; n <= 100000; ++n) {
    ResizeUninitialized(&s, n);
    s[n - 1] = 'y';
    if (s.data() != data) {
      ++reallocations;
      data = s.data();
    }
  }
  EXPECT_EQ(s, std::string(100000, 'y'));
  EXPECT_LE(reallocations, 20u);  // doubling: about log2(100000 / 15)
}

TEST(ResizeUninitializedTest, WorksOnShortStringsInPlace) {
  std::string s = "ab";
  ResizeUninitialized(&s, 5);  // within the short-string buffer
  s[2] = 'c';
  s[3] = 'd';
  s[4] = 'e';
  EXPECT_EQ(s, "abcde");
}

}  // namespace
}  // namespace eventmesh
