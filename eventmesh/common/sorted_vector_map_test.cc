#include "eventmesh/common/sorted_vector_map.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

using Map = SortedVectorMap<std::string>;

std::vector<std::pair<std::string, std::string>> Entries(const Map& m) {
  return {m.begin(), m.end()};
}

TEST(SortedVectorMapTest, IteratesInNameOrderWhateverTheInsertionOrder) {
  Map m;
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.try_emplace("ttl", "1").second);
  EXPECT_TRUE(m.emplace("bizseqno", "2").second);
  EXPECT_TRUE(m.insert_or_assign("zz", "3").second);
  m["protocoltype"] = "eventmeshmessage";
  m.try_emplace(m.end(), "a", "0");
  using E = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Entries(m), (E{{"a", "0"},
                           {"bizseqno", "2"},
                           {"protocoltype", "eventmeshmessage"},
                           {"ttl", "1"},
                           {"zz", "3"}}));
  EXPECT_EQ(m.size(), 5u);
}

TEST(SortedVectorMapTest, KeepsOrReplacesExistingEntriesAsStdMapDoes) {
  Map m{{"k", "first"}};
  auto [kept, inserted] = m.try_emplace("k", "second");
  EXPECT_FALSE(inserted);
  EXPECT_EQ(kept->second, "first");
  EXPECT_FALSE(m.emplace("k", "third").second);
  EXPECT_EQ(m.at("k"), "first");
  auto [replaced, added] = m.insert_or_assign("k", "fourth");
  EXPECT_FALSE(added);
  EXPECT_EQ(replaced->second, "fourth");
  m["k"] = "fifth";
  EXPECT_EQ(m.at("k"), "fifth");
  EXPECT_EQ(m.size(), 1u);
}

TEST(SortedVectorMapTest, FindsCountsAndErasesByAnyStringView) {
  Map m{{"b", "2"}, {"a", "1"}, {"c", "3"}};
  const Map& c = m;
  ASSERT_NE(c.find(absl::string_view("b")), c.end());
  EXPECT_EQ(c.find("b")->second, "2");
  EXPECT_EQ(c.find("bb"), c.end());
  EXPECT_EQ(c.find(""), c.end());
  EXPECT_EQ(c.count("a"), 1u);
  EXPECT_FALSE(c.contains("d"));
  EXPECT_THROW(c.at("d"), std::out_of_range);
  EXPECT_EQ(m.erase("nothing"), 0u);
  EXPECT_EQ(m.erase("a"), 1u);
  auto next = m.erase(m.find("b"));
  ASSERT_NE(next, m.end());
  EXPECT_EQ(next->first, "c");
  EXPECT_EQ(m.size(), 1u);
  m.clear();
  EXPECT_TRUE(m.empty());
}

TEST(SortedVectorMapTest, ComparesEntryForEntry) {
  Map a{{"x", "1"}, {"y", "2"}};
  Map b;
  b["y"] = "2";
  b["x"] = "1";
  EXPECT_EQ(a, b);
  b["x"] = "other";
  EXPECT_NE(a, b);
  EXPECT_NE(a, Map{});
}

TEST(SortedVectorMapTest, AgreesWithStdMapUnderRandomOperations) {
  std::mt19937 rng(7);
  Map m;
  std::map<std::string, std::string> reference;
  for (int i = 0; i < 5000; ++i) {
    const std::string key(1 + rng() % 3, static_cast<char>('a' + rng() % 4));
    const std::string value = std::to_string(i);
    switch (rng() % 5) {
      case 0:
        EXPECT_EQ(m.try_emplace(key, value).second, reference.try_emplace(key, value).second);
        break;
      case 1:
        EXPECT_EQ(m.insert_or_assign(key, value).second,
                  reference.insert_or_assign(key, value).second);
        break;
      case 2:
        EXPECT_EQ(m.erase(key), reference.erase(key));
        break;
      case 3:
        m[key] = value;
        reference[key] = value;
        break;
      default:
        EXPECT_EQ(m.count(key), reference.count(key));
        break;
    }
    ASSERT_EQ(Entries(m), (std::vector<std::pair<std::string, std::string>>(reference.begin(),
                                                                            reference.end())));
  }
}

}  // namespace
}  // namespace eventmesh
