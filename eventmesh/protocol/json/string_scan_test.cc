#include "eventmesh/protocol/json/string_scan.h"

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace eventmesh::json {
namespace {

using string_scan_internal::FindSpecialBytewise;
using string_scan_internal::FindSpecialByWords;
using string_scan_internal::FindSpecialShort;

// Every single special byte at every position of strings from 0 to 140 bytes (both sides of
// the 16- and 64-byte steps) is found where the byte-by-byte reference finds it.
TEST(StringScanTest, AgreesWithTheBytewiseScanAtEveryPositionAndLength) {
  for (int c = 0; c < 256; ++c) {
    for (size_t n = 0; n <= 140; ++n) {
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

// The word-at-a-time scans (used below 16 bytes, and for every length without SSE2) on their
// own: every special byte at every position of every length up to 40.
TEST(StringScanTest, WordScansAgreeWithTheBytewiseScan) {
  for (int c = 0; c < 256; ++c) {
    for (size_t n = 0; n <= 40; ++n) {
      for (size_t at = 0; at < n; ++at) {
        std::string s(n, 'a');
        s[at] = static_cast<char>(c);
        for (bool non_ascii : {false, true}) {
          const size_t want = FindSpecialBytewise(s.data(), s.size(), non_ascii);
          ASSERT_EQ(FindSpecialShort(s.data(), s.size(), non_ascii), want) << c << " " << at;
          if (n >= 8) {
            ASSERT_EQ(FindSpecialByWords<uint64_t>(s.data(), s.size(), non_ascii), want);
          }
          if (n >= 4) {
            ASSERT_EQ(FindSpecialByWords<uint32_t>(s.data(), s.size(), non_ascii), want);
          }
        }
      }
    }
  }
}

// Two special bytes (a borrow from the first one marks bytes above it inside a word; the
// answer must still be the first), and random texts drawn mostly from the bytes near the
// boundaries (0x1F/0x20, '"', '\\', 0x7F/0x80, 0xFF).
TEST(StringScanTest, TheFirstOfTwoAndRandomTextsAgreeWithTheBytewiseScan) {
  const unsigned char kSpecials[] = {0x00, 0x01, 0x1F, '"', '\\', 0x80, 0xFF};
  for (size_t n = 2; n <= 40; ++n) {
    for (size_t first = 0; first < n; ++first) {
      for (size_t second = first + 1; second < n; ++second) {
        for (unsigned char a : kSpecials) {
          for (unsigned char b : kSpecials) {
            std::string s(n, 'b');
            s[first] = static_cast<char>(a);
            s[second] = static_cast<char>(b);
            for (bool non_ascii : {false, true}) {
              const size_t want = FindSpecialBytewise(s.data(), s.size(), non_ascii);
              ASSERT_EQ(FindJsonSpecialByte(s.data(), s.size(), non_ascii), want);
              ASSERT_EQ(FindSpecialShort(s.data(), s.size(), non_ascii), want);
            }
          }
        }
      }
    }
  }
  const unsigned char kNear[] = {0x1E, 0x1F, 0x20, 0x21, '"',  0x23, 0x5B, '\\',
                                 0x5D, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 'a'};
  std::mt19937 rng(12345);
  for (int round = 0; round < 20000; ++round) {
    const size_t n = rng() % 200;
    std::string s(n, 'c');
    for (char& ch : s) {
      if (rng() % 8 == 0) ch = static_cast<char>(kNear[rng() % sizeof(kNear)]);
    }
    for (bool non_ascii : {false, true}) {
      const size_t want = FindSpecialBytewise(s.data(), s.size(), non_ascii);
      ASSERT_EQ(FindJsonSpecialByte(s.data(), s.size(), non_ascii), want) << "round " << round;
      ASSERT_EQ(FindSpecialShort(s.data(), s.size(), non_ascii), want) << "round " << round;
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
