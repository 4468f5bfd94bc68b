#include "eventmesh/protocol/json/json.h"

#include <cmath>
#include <cstdint>
#include <string>

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

TEST(JsonTest, ValueLimitCountsScalarsContainersAndKeys) {
  // 1 object + 2 keys + 1 array + 3 numbers + 1 string = 8 values.
  const std::string text = R"({"a":[1,2,3],"b":"x"})";
  EXPECT_TRUE(ParseJson(text, "t", 8).ok());
  EXPECT_TRUE(ParseJson(text, "t").ok());
  auto doc = ParseJson(text, "request body", 7);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(doc.status().message(), "JSON in request body has more than 7 values");

  // Numbers read as text count the same.
  rapidjson::Document lenient;
  rapidjson::StringStream stream(text.c_str());
  ParseOutcome outcome = ParseInto<rapidjson::kParseNumbersAsStringsFlag>(
      stream, &lenient, static_cast<rapidjson::CrtAllocator*>(nullptr), size_t{7});
  EXPECT_TRUE(outcome.too_many);
  EXPECT_FALSE(outcome.too_deep);
  EXPECT_EQ(ParseError(outcome, "x").code(), absl::StatusCode::kOutOfRange);
}

// Two million zeros (4 MB) would be a DOM of over 32 MB: the parse stops at the limit.
TEST(JsonTest, AnArrayOfManySmallValuesStopsAtTheLimit) {
  std::string zeros = "[0";
  for (int i = 1; i < 2'000'000; ++i) zeros += ",0";
  zeros += "]";
  auto doc = ParseJson(zeros, "t", 65536);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message(), "JSON in t has more than 65536 values");
  EXPECT_TRUE(ParseJson(zeros, "t").ok()) << "no limit by default";
}

TEST(JsonTest, ParseIntoFillsACustomDocumentWithFlags) {
  rapidjson::Document doc;
  std::string text = R"({"n":12345678901234567890123})";
  rapidjson::StringStream stream(text.c_str());
  ParseOutcome outcome = ParseInto<rapidjson::kParseNumbersAsStringsFlag>(stream, &doc);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(GetString(doc, "n"), "12345678901234567890123");
}

// Found by event_mesh_message_fuzzer and redirect_info_fuzzer: RapidJSON 1.1's full-precision
// conversion read out of bounds (SEGV under ASan) on this literal. Numbers are converted by
// NumberConverter now.
TEST(JsonTest, LongLiteralThatCrashedRapidJsonFullPrecision) {
  const std::string number =
      "44444444444444444.000011483923333333333333333333333333333333"
      "33333333333333333333333333333333333333333333333333333333333333333333333333333333333334e-444";
  auto doc = ParseJson("[" + number + "," + number + "1]", "t");
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE((*doc)[0].IsDouble());
  EXPECT_EQ((*doc)[0].GetDouble(), 0.0);  // 4.4e-428 underflows
  EXPECT_TRUE(Validate<rapidjson::kParseFullPrecisionFlag>("{\"n\":" + number + "}").ok());
}

TEST(JsonTest, NumbersKeepRapidJsonTypesAndExactValues) {
  auto doc = ParseJson(
      "[0,-0,42,-2147483648,-2147483649,4294967295,4294967296,18446744073709551615,"
      "-9223372036854775808,18446744073709551616,0.1,-0.0,1e-400,2.2250738585072011e-308,"
      "1.7976931348623157e308,9007199254740993]",
      "t");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const rapidjson::Value& a = *doc;
  EXPECT_TRUE(a[0].IsInt() && a[0].GetInt() == 0);
  EXPECT_TRUE(a[1].IsInt() && a[1].GetInt() == 0);
  EXPECT_TRUE(a[2].IsInt() && a[2].GetInt() == 42);
  EXPECT_TRUE(a[3].IsInt() && a[3].GetInt() == -2147483647 - 1);
  EXPECT_TRUE(!a[4].IsInt() && a[4].IsInt64() && a[4].GetInt64() == -2147483649LL);
  EXPECT_TRUE(a[5].IsUint() && !a[5].IsInt() && a[5].GetUint() == 4294967295u);
  EXPECT_TRUE(!a[6].IsUint() && a[6].IsInt64() && a[6].GetInt64() == 4294967296LL);
  EXPECT_TRUE(a[7].IsUint64() && !a[7].IsInt64() && a[7].GetUint64() == 18446744073709551615ull);
  EXPECT_TRUE(a[8].IsInt64() && a[8].GetInt64() == INT64_MIN);
  EXPECT_TRUE(a[9].IsDouble() && a[9].GetDouble() == 18446744073709551616.0);
  EXPECT_TRUE(a[10].IsDouble() && a[10].GetDouble() == 0.1);
  EXPECT_TRUE(a[11].IsDouble() && a[11].GetDouble() == 0.0 && std::signbit(a[11].GetDouble()));
  EXPECT_TRUE(a[12].IsDouble() && a[12].GetDouble() == 0.0);
  EXPECT_EQ(a[13].GetDouble(), 2.2250738585072011e-308);
  EXPECT_EQ(a[14].GetDouble(), 1.7976931348623157e308);
  EXPECT_EQ(a[15].GetDouble(), 9007199254740992.0);  // correctly rounded (ties to even)

  auto big = ParseJson("[1, 1e400]", "t");
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("Number too big"));
  EXPECT_THAT(big.status().message(), HasSubstr("offset 4"));
}

// Found by http_binary_binding_fuzzer: RapidJSON stops at a NUL byte, so "{}\0garbage" passed as
// valid JSON and was later embedded as it is. A NUL outside a string is an error now.
TEST(JsonTest, NulAfterTheRootIsAnError) {
  const std::string text("{\"a\":1}\0garbage", 15);
  auto doc = ParseJson(text, "t");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.status().message(), HasSubstr("offset 7"));
  const ParseOutcome outcome = Validate<rapidjson::kParseFullPrecisionFlag>(text);
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.result.Offset(), 7u);
  EXPECT_FALSE(Validate(std::string("1\0", 2)).ok());
  EXPECT_FALSE(ParseJson(std::string("[1,\0 2]", 7), "t").ok());
}

}  // namespace
}  // namespace eventmesh::json
