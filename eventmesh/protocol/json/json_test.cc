#include "eventmesh/protocol/json/json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::json {
namespace {

using ::testing::HasSubstr;

TEST(JsonTest, ParsesObjectAndReadsTypedMembers) {
  auto doc = ParseJson(R"({"a":"x","n":42,"s":"17","z":null})", "test");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(GetString(*doc, "a"), "x");
  EXPECT_EQ(GetString(*doc, "n"), std::nullopt);
  EXPECT_EQ(GetString(*doc, "z"), std::nullopt);
  EXPECT_EQ(GetInt64(*doc, "n"), 42);
  EXPECT_EQ(GetInt64(*doc, "s"), 17);
  EXPECT_EQ(GetInt64(*doc, "a"), std::nullopt);
  EXPECT_EQ(GetInt64(*doc, "missing"), std::nullopt);
}

TEST(JsonTest, ErrorNamesInputReasonAndOffset) {
  auto doc = ParseJson(R"({"a":})", "package header");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(), HasSubstr("package header"));
  EXPECT_THAT(doc.status().message(), HasSubstr("offset 5"));
}

TEST(JsonTest, RejectsTrailingGarbageAndDoesNotReadPastLength) {
  EXPECT_FALSE(ParseJson("{} x", "t").ok());
  const char text[] = "{\"a\":1}GARBAGE";
  EXPECT_TRUE(ParseJson(absl::string_view(text, 7), "t").ok());
}

TEST(JsonTest, WriterKeepsEmbeddedNul) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  WriteKey(w, "k");
  WriteString(w, absl::string_view("a\0b", 3));
  w.EndObject();
  EXPECT_EQ(std::string(buf.GetString(), buf.GetSize()), "{\"k\":\"a\\u0000b\"}");
}

std::string Nested(int levels, char open = '[', char close = ']') {
  return std::string(levels, open) + std::string(levels, close);
}

TEST(JsonTest, AcceptsNestingUpToTheLimit) {
  auto doc = ParseJson(Nested(kMaxDepth), "t");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->IsArray());
  EXPECT_TRUE(Validate(Nested(kMaxDepth)).ok());
}

TEST(JsonTest, RefusesNestingPastTheLimitWithOffset) {
  auto doc = ParseJson(Nested(kMaxDepth + 1), "package header");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(doc.status().message(),
              HasSubstr("malformed JSON in package header: nesting deeper than 128 levels"));
  const ParseOutcome outcome = Validate(Nested(kMaxDepth + 1));
  EXPECT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.too_deep);
}

// About 2 MB of brackets: the recursive parser overflowed the stack on this and took the whole
// process down. Objects and arrays mixed, and an unterminated variant.
TEST(JsonTest, MegabytesOfNestingAreRefusedNotACrash) {
  const std::string arrays = Nested(1 << 20);
  EXPECT_FALSE(ParseJson(arrays, "t").ok());
  EXPECT_TRUE(Validate(arrays).too_deep);
  std::string objects;
  for (int i = 0; i < 300'000; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(300'000, '}');
  auto doc = ParseJson(objects, "t");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.status().message(), HasSubstr("nesting deeper than"));
  EXPECT_TRUE(Validate(std::string(2 << 20, '[')).too_deep);
}

TEST(JsonTest, ParseIntoFillsACustomDocumentWithFlags) {
  rapidjson::Document doc;
  std::string text = R"({"n":12345678901234567890123})";
  rapidjson::StringStream stream(text.c_str());
  ParseOutcome outcome = ParseInto<rapidjson::kParseNumbersAsStringsFlag>(stream, &doc);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(GetString(doc, "n"), "12345678901234567890123");
}

}  // namespace
}  // namespace eventmesh::json
