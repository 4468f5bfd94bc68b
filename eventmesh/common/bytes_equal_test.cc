#include "eventmesh/common/bytes_equal.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/common/sorted_vector_map.h"
#include "gtest/gtest.h"

namespace eventmesh {
namespace {

// Every length up to 40 (each branch and both sides of its bounds) equal, then differing at
// each position in turn. The strings sit at odd offsets in larger buffers,
// as views into frames do.
TEST(BytesEqualTest, EqualAtEveryLengthAndUnequalForEveryDifferingByte) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a_buffer(n + 3, 'x');
    std::string b_buffer(n + 5, 'y');
    for (size_t i = 0; i < n; ++i) {
      a_buffer[1 + i] = static_cast<char>('a' + i % 26);
      b_buffer[3 + i] = static_cast<char>('a' + i % 26);
    }
    const absl::string_view a(a_buffer.data() + 1, n);
    const absl::string_view b(b_buffer.data() + 3, n);
    EXPECT_TRUE(BytesEqual(a, b)) << n;
    for (size_t i = 0; i < n; ++i) {
      const char kept = b_buffer[3 + i];
      for (const char other : {'\0', '\x80', static_cast<char>(kept ^ 1)}) {
        b_buffer[3 + i] = other;
        EXPECT_FALSE(BytesEqual(a, b)) << n << " at " << i;
      }
      b_buffer[3 + i] = kept;
    }
    // A length that differs, with the same leading bytes.
    if (n > 0) {
      EXPECT_FALSE(BytesEqual(a, b.substr(0, n - 1))) << n;
    }
    EXPECT_FALSE(BytesEqual(a, absl::string_view(b_buffer.data() + 3, n + 1))) << n;
  }
}

TEST(BytesEqualTest, EmptyStringsAreEqualWhateverTheirPointers) {
  EXPECT_TRUE(BytesEqual(absl::string_view(), absl::string_view("", 0)));
  EXPECT_FALSE(BytesEqual(absl::string_view(), "a"));
}

TEST(PairsEqualTest, ComparesNamesAndValuesInOrder) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  const Pairs properties = {
      {"protocoldesc", "tcp"}, {"protocoltype", "eventmeshmessage"}, {"protocolversion", "1.0"}};
  Pairs same = properties;
  EXPECT_TRUE(PairsEqual(properties, same));
  Pairs value = properties;
  value[2].second = "0.3";
  EXPECT_FALSE(PairsEqual(properties, value));
  Pairs name = properties;
  name[0].first = "protocoldesk";
  EXPECT_FALSE(PairsEqual(properties, name));
  Pairs order = {properties[1], properties[0], properties[2]};
  EXPECT_FALSE(PairsEqual(properties, order));
  Pairs shorter(properties.begin(), properties.end() - 1);
  EXPECT_FALSE(PairsEqual(properties, shorter));
  EXPECT_FALSE(PairsEqual(shorter, properties));
  EXPECT_TRUE(PairsEqual(Pairs(), Pairs()));
  // Views against strings (a message's properties against the remembered ones).
  const std::vector<std::pair<absl::string_view, absl::string_view>> views = {
      {"protocoldesc", "tcp"}, {"protocoltype", "eventmeshmessage"}, {"protocolversion", "1.0"}};
  EXPECT_TRUE(PairsEqual(views, properties));
}

// A header's properties (a SortedVectorMap) against another header's and against remembered
// pairs, as HeaderReader and StoredPublishMemo compare them.
TEST(PairsEqualTest, ComparesSortedVectorMaps) {
  SortedVectorMap<std::string> header;
  header["protocoltype"] = "eventmeshmessage";
  header["protocolversion"] = "1.0";
  header["protocoldesc"] = "tcp";
  SortedVectorMap<std::string> same = header;
  EXPECT_TRUE(PairsEqual(header, same));
  same["protocolversion"] = "0.3";
  EXPECT_FALSE(PairsEqual(header, same));
  const std::vector<std::pair<std::string, std::string>> remembered(header.begin(), header.end());
  EXPECT_TRUE(PairsEqual(header, remembered));
  SortedVectorMap<std::string> more = header;
  more["idc"] = "FT";
  EXPECT_FALSE(PairsEqual(header, more));
  EXPECT_FALSE(PairsEqual(more, remembered));
}

}  // namespace
}  // namespace eventmesh
