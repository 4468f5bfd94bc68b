#include "eventmesh/protocol/cloudevents/timestamp.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

std::string Format(int64_t seconds, int32_t nanos) {
  char buf[kMaxRfc3339Size];
  return std::string(buf, FormatRfc3339Utc(seconds, nanos, buf));
}

TEST(TimestampTest, FormatsUtcWithTheFewestFractionDigitsThatKeepTheValue) {
  EXPECT_EQ(Format(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Format(-1, 0), "1969-12-31T23:59:59Z");
  EXPECT_EQ(Format(1764964800, 500000000), "2025-12-05T20:00:00.500Z");
  EXPECT_EQ(Format(1764964800, 1000), "2025-12-05T20:00:00.000001Z");
  EXPECT_EQ(Format(1764964800, 1), "2025-12-05T20:00:00.000000001Z");
  EXPECT_EQ(Format(951782400, 0), "2000-02-29T00:00:00Z");
  EXPECT_EQ(Format(kMaxRfc3339Seconds, 999999999).size(), kMaxRfc3339Size);
}

TEST(TimestampTest, TheRangeIsTheYearsZeroToNineThousandNineHundredNinetyNine) {
  EXPECT_EQ(kMinRfc3339Seconds, DaysFromCivil(0, 1, 1) * 86400);
  EXPECT_EQ(kMaxRfc3339Seconds, DaysFromCivil(10000, 1, 1) * 86400 - 1);
  EXPECT_EQ(Format(kMinRfc3339Seconds, 0), "0000-01-01T00:00:00Z");
  EXPECT_EQ(Format(kMaxRfc3339Seconds, 0), "9999-12-31T23:59:59Z");
  char buf[kMaxRfc3339Size];
  EXPECT_EQ(FormatRfc3339Utc(kMinRfc3339Seconds - 1, 0, buf), 0u);
  EXPECT_EQ(FormatRfc3339Utc(kMaxRfc3339Seconds + 1, 0, buf), 0u);
  EXPECT_EQ(FormatRfc3339Utc(0, -1, buf), 0u);
  EXPECT_EQ(FormatRfc3339Utc(0, 1000000000, buf), 0u);
}

}  // namespace
}  // namespace eventmesh::cloudevents
