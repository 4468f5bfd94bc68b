#include "eventmesh/common/sorted_vector_map.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
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

TEST(SortedVectorMapTest, EmplaceFromViewBuildsTheValueInPlaceAndKeepsFirstOrLast) {
  Map m;
  const std::string text = "zz protocoltype eventmeshmessage";
  const absl::string_view view(text);
  auto [added, inserted] =
      m.EmplaceFromView(view.substr(3, 12), Map::Duplicates::kKeepFirst, view.data() + 16, 16);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(added->first, "protocoltype");
  EXPECT_EQ(added->second, "eventmeshmessage");
  EXPECT_TRUE(m.EmplaceFromView(view.substr(0, 2), Map::Duplicates::kKeepLast, "last").second);
  EXPECT_TRUE(m.EmplaceFromView("a", Map::Duplicates::kKeepLast, 3, 'x').second);
  auto [kept, kept_inserted] =
      m.EmplaceFromView("protocoltype", Map::Duplicates::kKeepFirst, "ignored");
  EXPECT_FALSE(kept_inserted);
  EXPECT_EQ(kept->second, "eventmeshmessage");
  auto [replaced, replaced_inserted] =
      m.EmplaceFromView("zz", Map::Duplicates::kKeepLast, std::string("replaced"));
  EXPECT_FALSE(replaced_inserted);
  EXPECT_EQ(replaced->second, "replaced");
  using E = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(Entries(m),
            (E{{"a", "xxx"}, {"protocoltype", "eventmeshmessage"}, {"zz", "replaced"}}));
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

TEST(SortedVectorMapTest, AssignSortsOnceAndKeepsTheFirstOrLastOfEqualNames) {
  std::vector<std::pair<std::string, std::string>> entries = {{"c", "1"}, {"a", "2"}, {"c", "3"},
                                                              {"b", "4"}, {"a", "5"}, {"c", "6"}};
  Map first;
  EXPECT_EQ(first.Assign(entries, Map::Duplicates::kKeepFirst), "a");
  EXPECT_EQ(Entries(first),
            (std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"b", "4"}, {"c", "1"}}));
  Map last;
  last["stale"] = "x";  // replaced, not merged
  EXPECT_EQ(last.Assign(entries, Map::Duplicates::kKeepLast), "a");
  EXPECT_EQ(Entries(last),
            (std::vector<std::pair<std::string, std::string>>{{"a", "5"}, {"b", "4"}, {"c", "6"}}));
  Map unique;
  EXPECT_EQ(unique.Assign({{"y", "1"}, {"x", "2"}}, Map::Duplicates::kKeepFirst), std::nullopt);
  EXPECT_EQ(unique.find("x")->second, "2");
  EXPECT_EQ(unique.Assign({}, Map::Duplicates::kKeepLast), std::nullopt);
  EXPECT_TRUE(unique.empty());
}

// Many names in reverse order (what a hostile message may carry): one sort, not a shift per
// entry. 300,000 entries inserted one by one would take minutes; the test's timeout catches a
// quadratic Assign.
TEST(SortedVectorMapTest, AssignTakesManyNamesInReverseOrder) {
  std::vector<std::pair<std::string, std::string>> entries;
  constexpr int kCount = 300000;
  for (int i = kCount; i > 0; --i) entries.emplace_back("p" + std::to_string(i), "v");
  Map m;
  EXPECT_EQ(m.Assign(std::move(entries), Map::Duplicates::kKeepLast), std::nullopt);
  ASSERT_EQ(m.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(m.begin()->first, "p1");
  EXPECT_NE(m.find("p123456"), m.end());
}

TEST(SortedVectorMapTest, MergeFromReplacesEqualNamesInOneMerge) {
  Map m;
  m["b"] = "old";
  m["d"] = "4";
  Map other;
  other.Assign({{"a", "1"}, {"b", "new"}, {"c", "3"}, {"e", "5"}}, Map::Duplicates::kKeepLast);
  m.MergeFrom(other);
  EXPECT_EQ(Entries(m), (std::vector<std::pair<std::string, std::string>>{
                            {"a", "1"}, {"b", "new"}, {"c", "3"}, {"d", "4"}, {"e", "5"}}));
  Map empty;
  empty.MergeFrom(other);
  EXPECT_EQ(empty, other);
  m.MergeFrom(Map());
  EXPECT_EQ(m.size(), 5u);
}

// Counts the moves of an Assign of many names in reverse order: about n log n (a merge sort),
// not the n * n / 2 of inserting them one by one.
TEST(SortedVectorMapTest, AssignMovesAboutNLogNEntries) {
  struct Counted {
    Counted() = default;
    Counted(const Counted&) = default;
    Counted(Counted&& o) noexcept {
      ++*o.moves;
      moves = o.moves;
    }
    Counted& operator=(const Counted&) = default;
    Counted& operator=(Counted&& o) noexcept {
      ++*o.moves;
      moves = o.moves;
      return *this;
    }
    bool operator==(const Counted&) const { return true; }
    int64_t* moves = nullptr;
  };
  int64_t moves = 0;
  constexpr int kCount = 1 << 14;
  std::vector<std::pair<std::string, Counted>> entries;
  entries.reserve(kCount);
  for (int i = kCount; i > 0; --i) {
    Counted c;
    c.moves = &moves;
    entries.emplace_back(std::to_string(1000000 + i), c);
  }
  moves = 0;
  SortedVectorMap<Counted> m;
  m.Assign(std::move(entries), SortedVectorMap<Counted>::Duplicates::kKeepLast);
  EXPECT_EQ(m.size(), static_cast<size_t>(kCount));
  EXPECT_LT(moves, int64_t{4} * kCount * 14);  // n * 2 log n plus slack; one by one: 134 M
}

// The filler agrees with inserting one by one (try_emplace / insert_or_assign) on both sides of
// its 32 direct insertions, and reports the first repeated name.
TEST(SortedVectorMapTest, FillerAgreesWithOneByOneInsertion) {
  for (const auto keep : {Map::Duplicates::kKeepFirst, Map::Duplicates::kKeepLast}) {
    for (int count : {0, 5, 32, 33, 200}) {
      std::mt19937 rng(count);
      Map filled;
      filled["pre"] = "existing";
      std::map<std::string, std::string> reference = {{"pre", "existing"}};
      std::optional<std::string> first_repeat;
      {
        SortedVectorMapFiller<std::string> filler(&filled, keep);
        for (int i = 0; i < count; ++i) {
          const std::string name = "k" + std::to_string(rng() % 150);
          const std::string value = std::to_string(i);
          if (i % 2 == 0) {
            filler.Add(name, value);
          } else {
            filler.Add(name, value.data(), value.size());  // built in place from its parts
          }
          const bool inserted = keep == Map::Duplicates::kKeepFirst
                                    ? reference.try_emplace(name, value).second
                                    : reference.insert_or_assign(name, value).second;
          if (!inserted && !first_repeat.has_value()) first_repeat = name;
        }
        EXPECT_EQ(filler.Finish().has_value(), first_repeat.has_value()) << count;
      }
      EXPECT_EQ(Entries(filled), (std::vector<std::pair<std::string, std::string>>(
                                     reference.begin(), reference.end())))
          << count;
    }
  }
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
