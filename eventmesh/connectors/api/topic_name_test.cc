#include "eventmesh/connectors/api/topic_name.h"

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

TEST(TopicNameTest, ReadsLikeTheStringItWasMadeFrom) {
  const std::string text = "orders.created-by-the-checkout-service";
  const TopicName name(text);
  EXPECT_EQ(name.str(), text);
  EXPECT_EQ(name.size(), text.size());
  EXPECT_FALSE(name.empty());
  const std::string& as_string = name;
  EXPECT_EQ(as_string, text);
  const absl::string_view as_view = name;
  EXPECT_EQ(as_view, text);
  std::ostringstream out;
  out << name;
  EXPECT_EQ(out.str(), text);

  EXPECT_TRUE(name == text);
  EXPECT_TRUE(text == name);
  EXPECT_TRUE(name == "orders.created-by-the-checkout-service");
  EXPECT_TRUE(name != "orders");
  EXPECT_TRUE(name == absl::string_view(text));
  EXPECT_TRUE(name != std::string("orders"));
  EXPECT_TRUE(TopicName("a") < TopicName("b"));
}

TEST(TopicNameTest, EmptyNamesAreEqualWhateverTheirOrigin) {
  const TopicName defaulted;
  const TopicName from_empty_string{std::string()};
  EXPECT_TRUE(defaulted.empty());
  EXPECT_TRUE(from_empty_string.empty());
  EXPECT_EQ(defaulted.str(), "");
  EXPECT_EQ(defaulted, from_empty_string);
  EXPECT_TRUE(defaulted.SharesNameWith(from_empty_string));
  EXPECT_NE(defaulted, TopicName("t"));
}

TEST(TopicNameTest, CopiesShareOneNameAndEqualNamesMadeApartCompareByText) {
  const TopicName original("a-topic-name-longer-than-fifteen");
  const TopicName copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.SharesNameWith(original));
  EXPECT_EQ(copy.data(), original.data());  // one buffer, not a copy of the text

  const TopicName made_apart("a-topic-name-longer-than-fifteen");
  EXPECT_FALSE(made_apart.SharesNameWith(original));
  EXPECT_EQ(made_apart, original);
  EXPECT_NE(made_apart, TopicName("a-topic-name-longer-than-sixteen"));

  absl::flat_hash_set<TopicName> names = {original, made_apart, TopicName("other")};
  EXPECT_EQ(names.size(), 2u);
  EXPECT_EQ(absl::Hash<TopicName>()(original), absl::Hash<TopicName>()(made_apart));
}

TEST(TopicNameTest, CopiesMadeAndReleasedOnOtherThreadsKeepTheName) {
  TopicName name("shared-between-threads-topic");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([name] {
      std::vector<TopicName> copies;
      for (int i = 0; i < 1000; ++i) copies.push_back(name);
      for (const TopicName& copy : copies) ASSERT_EQ(copy.str(), "shared-between-threads-topic");
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(name.str(), "shared-between-threads-topic");
  name = TopicName("replaced");
  EXPECT_EQ(name.str(), "replaced");
}

}  // namespace
}  // namespace eventmesh::connectors
