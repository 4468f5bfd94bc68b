#include "eventmesh/common/big_endian.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

TEST(BigEndianTest, Store32WritesMostSignificantByteFirst) {
  std::string out;
  AppendBigEndian32(&out, 0x01020304u);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04", 4));
}

TEST(BigEndianTest, RoundTrips32And64IncludingHighBit) {
  char buf[8];
  StoreBigEndian32(buf, 0xfffffffeu);
  EXPECT_EQ(LoadBigEndian32(buf), 0xfffffffeu);
  StoreBigEndian64(buf, 0x8000000000000001ull);
  EXPECT_EQ(LoadBigEndian64(buf), 0x8000000000000001ull);
  EXPECT_EQ(static_cast<unsigned char>(buf[0]), 0x80);
  EXPECT_EQ(static_cast<unsigned char>(buf[7]), 0x01);
}

}  // namespace
}  // namespace eventmesh
