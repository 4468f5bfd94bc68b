#include "eventmesh/protocol/http/url_encoding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(UrlEncodingTest, EncodesLikeJavaUrlEncoder) {
  EXPECT_EQ(UrlEncode("aZ09.-*_"), "aZ09.-*_");
  EXPECT_EQ(UrlEncode("a b"), "a+b");
  EXPECT_EQ(UrlEncode("{\"k\":\"v\"}"), "%7B%22k%22%3A%22v%22%7D");
  EXPECT_EQ(UrlEncode("a&b=c+d%"), "a%26b%3Dc%2Bd%25");
  EXPECT_EQ(UrlEncode("\xc3\xa9"), "%C3%A9");  // UTF-8 bytes
  EXPECT_EQ(UrlEncode(std::string("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(UrlEncode("~"), "%7E");
}

TEST(UrlEncodingTest, Decodes) {
  EXPECT_EQ(*UrlDecode("a+b%20c"), "a b c");
  EXPECT_EQ(*UrlDecode("%7b%7D"), "{}");
  EXPECT_EQ(*UrlDecode("%C3%A9"), "\xc3\xa9");
  EXPECT_EQ(*UrlDecode(""), "");
  EXPECT_EQ(*UrlDecode("%00"), std::string(1, '\0'));
  // Plain runs between, before and after escapes; escapes back to back.
  EXPECT_EQ(*UrlDecode("abc+def%21ghi"), "abc def!ghi");
  EXPECT_EQ(*UrlDecode("++%41%42+"), "  AB ");
  EXPECT_EQ(*UrlDecode("plain-text_only.*"), "plain-text_only.*");
}

TEST(UrlEncodingTest, InvalidEscapesNamePosition) {
  auto bad = UrlDecode("abc%4G");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "invalid percent-escape '%4G' at position 3");
  EXPECT_EQ(UrlDecode("%").status().message(), "invalid percent-escape '%' at position 0");
  EXPECT_EQ(UrlDecode("ab%2").status().message(), "invalid percent-escape '%2' at position 2");
}

TEST(UrlEncodingTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto decoded = UrlDecode(UrlEncode(all));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, all);
  const std::string json = R"([{"topic":"T 1","mode":"CLUSTERING","type":"ASYNC"}])";
  EXPECT_EQ(*UrlDecode(UrlEncode(json)), json);
}

TEST(FormTest, ParsesFieldsInOrderWithDuplicates) {
  auto fields = ParseForm("a=1&b=x+y&&a=2&flag&empty=&k%3D=v%26");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_THAT(*fields, ElementsAre(Pair("a", "1"), Pair("b", "x y"), Pair("a", "2"),
                                   Pair("flag", ""), Pair("empty", ""), Pair("k=", "v&")));
  auto form = Form::Parse("a=1&b=x+y&a=2");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->Get("a"), "1");
  EXPECT_EQ(form->Get("A"), std::nullopt);
  EXPECT_EQ(form->Get("missing"), std::nullopt);
  EXPECT_THAT(form->GetAll("a"), ElementsAre("1", "2"));
  EXPECT_TRUE(ParseForm("")->empty());
  EXPECT_THAT(*ParseForm("=v"), ElementsAre(Pair("", "v")));
  EXPECT_THAT(*ParseForm("a=b=c"), ElementsAre(Pair("a", "b=c")));
}

TEST(FormTest, ErrorPositionIsRelativeToBody) {
  auto bad = ParseForm("topic=abc&content=x%zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "invalid percent-escape '%zz' at position 19");
  EXPECT_EQ(ParseForm("ok=1&b%x=1").status().message(),
            "invalid percent-escape '%x' at position 6");
}

TEST(FormTest, EncodeRoundTrips) {
  FormFields fields = {{"topic", "[{\"topic\":\"t\",\"mode\":\"CLUSTERING\"}]"},
                       {"url", "http://127.0.0.1:8088/sub?x=1&y=2"},
                       {"with space", "a+b c"},
                       {"empty", ""}};
  const std::string encoded = EncodeForm(fields);
  EXPECT_EQ(encoded.find(' '), std::string::npos);
  auto parsed = ParseForm(encoded);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, fields);
  Form form(fields);
  form.Add("extra", "1");
  EXPECT_EQ(*Form::Parse(form.Encode())->Get("extra"), "1");
  EXPECT_EQ(EncodeForm({{"a", "1"}, {"b", "2"}}), "a=1&b=2");
}

// Each field costs 64 bytes or more in memory however short its text: a form stops at
// kMaxFormFields (empty segments, which make no field, are not counted).
TEST(FormTest, FieldsBeyondTheLimitAreRefused) {
  std::string form = "a";
  for (size_t i = 1; i < kMaxFormFields; ++i) form += "&a";
  form += "&&&";
  auto fields = ParseForm(form);
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(fields->size(), kMaxFormFields);
  fields = ParseForm(form + "b");
  ASSERT_FALSE(fields.ok());
  EXPECT_EQ(fields.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(fields.status().message(), "form with more than 4096 fields");
}

}  // namespace
}  // namespace eventmesh::protocol::http
