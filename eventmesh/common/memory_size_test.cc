#include "eventmesh/common/memory_size.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

TEST(MemorySizeTest, HeapBlocksRoundUpToSixteenBytes) {
  EXPECT_EQ(HeapBlockBytes(0), 0u);
  EXPECT_EQ(HeapBlockBytes(1), 16u);
  EXPECT_EQ(HeapBlockBytes(16), 16u);
  EXPECT_EQ(HeapBlockBytes(17), 32u);
  EXPECT_EQ(HeapBlockBytes(1001), 1008u);
}

TEST(MemorySizeTest, ShortStringsOwnNoHeapBlock) {
  EXPECT_EQ(StringHeapBytes(std::string()), 0u);
  EXPECT_EQ(StringHeapBytes(std::string("eventmesh")), 0u);
}

TEST(MemorySizeTest, LongStringsOwnTheirCapacity) {
  std::string s(1000, 'x');
  EXPECT_GE(StringHeapBytes(s), s.capacity() + 1);
  EXPECT_LT(StringHeapBytes(s), s.capacity() + 1 + 16);
  s.reserve(5000);
  EXPECT_GE(StringHeapBytes(s), 5001u);  // capacity, not size
}

}  // namespace
}  // namespace eventmesh
