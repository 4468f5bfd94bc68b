#include "eventmesh/common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

TEST(Utf8Test, AcceptsAsciiAndMultiByteSequences) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii text that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
}

TEST(Utf8Test, RejectsInvalidSequences) {
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong 3-byte
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
  EXPECT_FALSE(IsValidUtf8("12345678\xff"));      // after the ASCII fast path
}

// The ASCII check reads 16 bytes (or a word) at a time and re-reads the tail: a stray byte at
// any position of any length, through several 16-byte steps, is still found, and a valid
// sequence anywhere is still accepted.
TEST(Utf8Test, EveryPositionOfEveryShortLength) {
  for (size_t n = 1; n <= 80; ++n) {
    for (size_t at = 0; at < n; ++at) {
      std::string s(n, 'a');
      s[at] = '\xff';
      EXPECT_FALSE(IsValidUtf8(s)) << "0xff at " << at << " of " << n;
      s[at] = '\x7f';
      EXPECT_TRUE(IsValidUtf8(s)) << "0x7f at " << at << " of " << n;
      if (at + 2 <= n) {
        s.replace(at, 2, "\xc3\xa9");
        EXPECT_TRUE(IsValidUtf8(s)) << "U+00E9 at " << at << " of " << n;
      }
    }
  }
}

}  // namespace
}  // namespace eventmesh
