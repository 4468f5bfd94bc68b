#include "eventmesh/protocol/json/string_scan.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh::json {
namespace {

using string_scan_internal::FindSpecialBytewise;

// Every single special byte at every position of strings from 0 to 40 bytes (both sides of
// the 16-byte steps) is found where the byte-by-byte reference finds it.
TEST(StringScanTest, AgreesWithTheBytewiseScanAtEveryPositionAndLength) {
  for (int c = 0; c < 256; ++c) {
    for (size_t n = 0; n <= 40; ++n) {
      for (size_t at = 0; at < n; ++at) {
        std::string s(n, 'a');
        s[at] = static_cast<char>(c);
        for (bool non_ascii : {false, true}) {
          ASSERT_EQ(FindJsonSpecialByte(s.data(), s.size(), non_ascii),
                    FindSpecialBytewise(s.data(), s.size(), non_ascii))
              << "byte " << c << " at " << at << " of " << n << " non_ascii=" << non_ascii;
        }
      }
    }
  }
}

TEST(StringScanTest, FindsTheFirstOfSeveral) {
  const std::string s = std::string(20, 'x') + "\\" + std::string(3, 'y') + "\"";
  EXPECT_EQ(FindJsonSpecialByte(s.data(), s.size()), 20u);
  EXPECT_EQ(FindJsonSpecialByte(s.data() + 21, s.size() - 21), 3u);
}

TEST(StringScanTest, NonAsciiStopsOnlyWhenAsked) {
  const std::string s = std::string(17, 'x') + "\xc3\xa9" + "\"";
  EXPECT_EQ(FindJsonSpecialByte(s.data(), s.size(), false), 19u);
  EXPECT_EQ(FindJsonSpecialByte(s.data(), s.size(), true), 17u);
}

TEST(StringScanTest, NeedsEscapeForQuotesBackslashesAndControlsOnly) {
  EXPECT_FALSE(NeedsJsonEscape("", 0));
  const std::string plain = "plain text with / slashes, UTF-8 \xc3\xa9 and digits 0123456789";
  EXPECT_FALSE(NeedsJsonEscape(plain.data(), plain.size()));
  for (const std::string& bad :
       {std::string("tab\there and more text"), std::string("a \"quote\""),
        std::string(33, 'z') + "\\", std::string(31, 'z') + '\x7f' + '\n'}) {
    EXPECT_TRUE(NeedsJsonEscape(bad.data(), bad.size())) << bad;
  }
  const std::string del = std::string(30, 'z') + '\x7f';  // DEL is written as it is
  EXPECT_FALSE(NeedsJsonEscape(del.data(), del.size()));
}

}  // namespace
}  // namespace eventmesh::json
