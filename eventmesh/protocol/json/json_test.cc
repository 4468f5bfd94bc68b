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

}  // namespace
}  // namespace eventmesh::json
