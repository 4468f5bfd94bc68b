#include "eventmesh/protocol/cloudevents/json_format.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

void ExpectError(absl::string_view json, absl::string_view message) {
  absl::StatusOr<CloudEvent> e = ParseJsonEvent(json);
  ASSERT_FALSE(e.ok()) << json;
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), HasSubstr(std::string(message))) << json;
}

// Byte-exact examples from the CloudEvents JSON event format spec (section 3.2).
constexpr char kSpecXmlExample[] = R"({
    "specversion" : "1.0",
    "type" : "com.example.someevent",
    "source" : "/mycontext",
    "id" : "B234-1234-1234",
    "time" : "2018-04-05T17:31:00Z",
    "comexampleextension1" : "value",
    "comexampleothervalue" : 5,
    "unsetextension": null,
    "datacontenttype" : "application/xml",
    "data" : "<much wow=\"xml\"/>"
})";

constexpr char kSpecJsonObjectExample[] = R"({
    "specversion" : "1.0",
    "type" : "com.example.someevent",
    "source" : "/mycontext",
    "subject": null,
    "id" : "C234-1234-1234",
    "time" : "2018-04-05T17:31:00Z",
    "comexampleextension1" : "value",
    "comexampleothervalue" : 5,
    "datacontenttype" : "application/json",
    "data" : {
        "appinfoA" : "abc",
        "appinfoB" : 123,
        "appinfoC" : true
    }
})";

constexpr char kSpecJsonStringExample[] = R"({
    "specversion" : "1.0",
    "type" : "com.example.someevent",
    "source" : "/mycontext",
    "subject": null,
    "id" : "D234-1234-1234",
    "time" : "2018-04-05T17:31:00Z",
    "comexampleextension1" : "value",
    "comexampleothervalue" : 5,
    "data" : "I'm just a string"
})";

// The spec's binary example carries a placeholder instead of base64.
constexpr char kSpecBinaryExample[] = R"({
    "specversion" : "1.0",
    "type" : "com.example.someevent",
    "source" : "/mycontext",
    "id" : "A234-1234-1234",
    "time" : "2018-04-05T17:31:00Z",
    "comexampleextension1" : "value",
    "comexampleothervalue" : 5,
    "datacontenttype" : "application/vnd.apache.thrift.binary",
    "data_base64" : "... base64 encoded string ..."
})";

constexpr char kSpecBatchExample[] = R"([
  {
      "specversion" : "1.0",
      "type" : "com.example.someevent",
      "source" : "/mycontext/4",
      "id" : "B234-1234-1234",
      "time" : "2018-04-05T17:31:00Z",
      "comexampleextension1" : "value",
      "comexampleothervalue" : 5,
      "datacontenttype" : "application/vnd.apache.thrift.binary",
      "data_base64" : "... base64 encoded string ..."
  },
  {
      "specversion" : "1.0",
      "type" : "com.example.someotherevent",
      "source" : "/mycontext/9",
      "id" : "C234-1234-1234",
      "time" : "2018-04-05T17:31:05Z",
      "comexampleextension1" : "value",
      "comexampleothervalue" : 5,
      "datacontenttype" : "application/json",
      "data" : {
          "appinfoA" : "abc",
          "appinfoB" : 123,
          "appinfoC" : true
      }
  }
])";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

CloudEvent ParseOrDie(absl::string_view json) {
  absl::StatusOr<CloudEvent> e = ParseJsonEvent(json);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : CloudEvent();
}

void ExpectStableRoundTrip(const CloudEvent& e) {
  const std::string json = SerializeJsonEvent(e);
  absl::StatusOr<CloudEvent> again = ParseJsonEvent(json);
  ASSERT_TRUE(again.ok()) << again.status() << " in " << json;
  EXPECT_EQ(*again, e) << json;
  EXPECT_EQ(SerializeJsonEvent(*again), json);
}

TEST(JsonFormatTest, SpecXmlExample) {
  CloudEvent e = ParseOrDie(kSpecXmlExample);
  EXPECT_EQ(e.spec_version(), "1.0");
  EXPECT_EQ(e.type(), "com.example.someevent");
  EXPECT_EQ(e.source(), "/mycontext");
  EXPECT_EQ(e.id(), "B234-1234-1234");
  EXPECT_EQ(e.time(), "2018-04-05T17:31:00Z");
  EXPECT_EQ(e.data_content_type(), "application/xml");
  EXPECT_EQ(e.extensions().size(), 2u) << "null 'unsetextension' is absent";
  EXPECT_EQ(e.extensions().at("comexampleextension1"), AttributeValue::String("value"));
  EXPECT_EQ(e.extensions().at("comexampleothervalue"), AttributeValue::Integer(5));
  EXPECT_EQ(e.data_encoding(), DataEncoding::kText);
  EXPECT_EQ(e.data(), "<much wow=\"xml\"/>");
  EXPECT_EQ(SerializeJsonEvent(e),
            R"({"specversion":"1.0","id":"B234-1234-1234","source":"/mycontext",)"
            R"("type":"com.example.someevent","datacontenttype":"application/xml",)"
            R"("time":"2018-04-05T17:31:00Z","comexampleextension1":"value",)"
            R"("comexampleothervalue":5,"data":"<much wow=\"xml\"/>"})");
  ExpectStableRoundTrip(e);
}

TEST(JsonFormatTest, SpecJsonObjectExample) {
  CloudEvent e = ParseOrDie(kSpecJsonObjectExample);
  EXPECT_FALSE(e.subject().has_value()) << "null subject is absent";
  EXPECT_EQ(e.data_encoding(), DataEncoding::kJson);
  EXPECT_EQ(e.data(), R"({"appinfoA":"abc","appinfoB":123,"appinfoC":true})");
  EXPECT_EQ(
      SerializeJsonEvent(e),
      R"({"specversion":"1.0","id":"C234-1234-1234","source":"/mycontext",)"
      R"("type":"com.example.someevent","datacontenttype":"application/json",)"
      R"("time":"2018-04-05T17:31:00Z","comexampleextension1":"value",)"
      R"("comexampleothervalue":5,"data":{"appinfoA":"abc","appinfoB":123,"appinfoC":true}})");
  ExpectStableRoundTrip(e);
}

TEST(JsonFormatTest, SpecJsonStringExampleWithoutContentType) {
  CloudEvent e = ParseOrDie(kSpecJsonStringExample);
  EXPECT_FALSE(e.data_content_type().has_value());
  EXPECT_EQ(e.data_encoding(), DataEncoding::kJson) << "absent content type means JSON";
  EXPECT_EQ(e.data(), "\"I'm just a string\"");
  ExpectStableRoundTrip(e);
}

TEST(JsonFormatTest, SpecBinaryExample) {
  // Verbatim, the placeholder is not base64.
  ExpectError(kSpecBinaryExample, "invalid CloudEvent: 'data_base64' is not valid base64");
  CloudEvent e =
      ParseOrDie(Replace(kSpecBinaryExample, "... base64 encoded string ...", "AAECA/8="));
  EXPECT_EQ(e.data_encoding(), DataEncoding::kBinary);
  EXPECT_EQ(e.data(), std::string("\x00\x01\x02\x03\xff", 5));
  EXPECT_THAT(SerializeJsonEvent(e), HasSubstr(R"("data_base64":"AAECA/8="})"));
  ExpectStableRoundTrip(e);
}

// Every control character is written escaped, wherever it sits in a long or short string
// (RapidJSON 1.1.0's SSE2 writer left 0x1A-0x1F raw), so the output re-parses to the same event.
TEST(JsonFormatTest, ControlCharactersAreEscapedAndReadBack) {
  for (int c = 0; c < 0x20; ++c) {
    for (size_t length : {1, 7, 16, 33, 64}) {
      for (size_t at = 0; at < length; at += 5) {
        std::string text(length, 'k');
        text[at] = static_cast<char>(c);
        CloudEvent e;
        e.set_id("1");
        e.set_source("/");
        e.set_type("t");
        e.set_data_content_type("text/plain");
        e.SetExtension("note", text);
        e.set_data(text, DataEncoding::kText);
        const std::string json = SerializeJsonEvent(e);
        EXPECT_EQ(json.find(static_cast<char>(c)), std::string::npos)
            << "raw 0x" << std::hex << c << " in " << json;
        absl::StatusOr<CloudEvent> again = ParseJsonEvent(json);
        ASSERT_TRUE(again.ok()) << again.status() << " for " << json;
        EXPECT_EQ(*again, e);
      }
    }
  }
}

TEST(JsonFormatTest, EventMeshMessageEvent) {
  CloudEvent e;
  e.set_id("5839201746");
  e.set_source("/");
  e.set_type("eventmeshmessage");
  e.set_subject("TEST-TOPIC-TCP-ASYNC");
  e.set_data_content_type("text/plain");
  e.SetExtension("protocoltype", "eventmeshmessage");
  e.SetExtension("protocolversion", "1.0");
  e.SetExtension("protocoldesc", "tcp");
  e.SetExtension("ttl", "30000");
  e.SetExtension("keys", "biz-7");
  e.set_data("testAsyncMessage", DataEncoding::kText);
  ASSERT_TRUE(e.Validate().ok());
  const std::string golden =
      R"({"specversion":"1.0","id":"5839201746","source":"/","type":"eventmeshmessage",)"
      R"("datacontenttype":"text/plain","subject":"TEST-TOPIC-TCP-ASYNC","keys":"biz-7",)"
      R"("protocoldesc":"tcp","protocoltype":"eventmeshmessage","protocolversion":"1.0",)"
      R"("ttl":"30000","data":"testAsyncMessage"})";
  EXPECT_EQ(SerializeJsonEvent(e), golden);
  EXPECT_EQ(ParseOrDie(golden), e);
}

TEST(JsonFormatTest, TypedExtensionsAreWrittenAsJsonTypes) {
  CloudEvent e =
      ParseOrDie(R"({"specversion":"1.0","id":"1","source":"s","type":"t","b":true,"f":false,)"
                 R"("i":-2147483648,"s":"5"})");
  EXPECT_EQ(e.extensions().at("b"), AttributeValue::Boolean(true));
  EXPECT_EQ(e.extensions().at("f"), AttributeValue::Boolean(false));
  EXPECT_EQ(e.extensions().at("i"), AttributeValue::Integer(-2147483648));
  EXPECT_EQ(e.extensions().at("s"), AttributeValue::String("5"));
  EXPECT_EQ(SerializeJsonEvent(e),
            R"({"specversion":"1.0","id":"1","source":"s","type":"t","b":true,"f":false,)"
            R"("i":-2147483648,"s":"5"})");
  // URI / Timestamp typed extensions are strings in JSON.
  e.SetExtension("u", AttributeValue{AttributeType::kUri, "https://x"});
  EXPECT_THAT(SerializeJsonEvent(e), HasSubstr(R"("u":"https://x")"));
}

TEST(JsonFormatTest, JsonDataValuesOfEveryKind) {
  for (const char* value : {"null", "true", "0", "-1.5", "1e300", "18446744073709551615",
                            "[1,[2,{}],\"x\"]", "{\"k\":{\"n\":null}}", "\"\\u0000\\n\""}) {
    const std::string json = absl::StrCat(
        R"({"specversion":"1.0","id":"1","source":"s","type":"t","data":)", value, "}");
    CloudEvent e = ParseOrDie(json);
    EXPECT_EQ(e.data_encoding(), DataEncoding::kJson) << value;
    ExpectStableRoundTrip(e);
  }
  CloudEvent e =
      ParseOrDie(R"({"specversion":"1.0","id":"1","source":"s","type":"t","data" : [ 1 , 2 ]})");
  EXPECT_EQ(e.data(), "[1,2]") << "compact re-serialization";
}

TEST(JsonFormatTest, NullDataWithNonJsonContentTypeIsAbsent) {
  CloudEvent e = ParseOrDie(
      R"({"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"text/plain",)"
      R"("data":null})");
  EXPECT_FALSE(e.has_data());
}

TEST(JsonFormatTest, SpecVersion03Base64Data) {
  CloudEvent e =
      ParseOrDie(R"({"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"/schema",)"
                 R"("datacontentencoding":"base64","datacontenttype":"application/octet-stream",)"
                 R"("data":"aGVsbG8="})");
  EXPECT_EQ(e.spec_version(), "0.3");
  EXPECT_EQ(e.data_schema(), "/schema");
  EXPECT_EQ(e.data_encoding(), DataEncoding::kBinary);
  EXPECT_EQ(e.data(), "hello");
  EXPECT_TRUE(e.extensions().empty());
  EXPECT_EQ(SerializeJsonEvent(e),
            R"({"specversion":"0.3","id":"1","source":"/s","type":"t",)"
            R"("datacontenttype":"application/octet-stream","schemaurl":"/schema",)"
            R"("datacontentencoding":"base64","data":"aGVsbG8="})");
  ExpectStableRoundTrip(e);

  CloudEvent json03 =
      ParseOrDie(R"({"specversion":"0.3","id":"1","source":"/s","type":"t","data":{"a":1}})");
  EXPECT_EQ(json03.data_encoding(), DataEncoding::kJson);
  ExpectStableRoundTrip(json03);
}

TEST(JsonFormatTest, SpecVersion03Errors) {
  ExpectError(
      R"({"specversion":"0.3","id":"1","source":"/s","type":"t","datacontentencoding":"gzip",)"
      R"("data":"x"})",
      "invalid CloudEvent: 'datacontentencoding' must be \"base64\"");
  ExpectError(R"({"specversion":"0.3","id":"1","source":"/s","type":"t",)"
              R"("datacontentencoding":"base64","data":"@@"})",
              "invalid CloudEvent: 'data' is not valid base64 (datacontentencoding is base64)");
  ExpectError(
      R"({"specversion":"0.3","id":"1","source":"/s","type":"t",)"
      R"("datacontentencoding":"base64","data":{}})",
      "invalid CloudEvent: 'data' must be a JSON string when datacontentencoding is base64");
}

TEST(JsonFormatTest, SyntaxErrors) {
  ExpectError("", "malformed JSON in CloudEvent: ");
  ExpectError("{\"id\":", "malformed JSON in CloudEvent: ");
  ExpectError("{} x", "malformed JSON in CloudEvent: ");
  ExpectError(std::string(200, '[') + std::string(200, ']'),
              "malformed JSON in CloudEvent: nesting deeper than 128 levels at offset 128");
  ExpectError("[]", "invalid CloudEvent: a structured event must be a JSON object");
}

TEST(JsonFormatTest, RequiredAttributesAreValidated) {
  ExpectError(R"({"id":"1","source":"s","type":"t"})",
              "invalid CloudEvent: 'specversion' is required");
  ExpectError(R"({"specversion":"1.0","source":"s","type":"t"})",
              "invalid CloudEvent: 'id' is required and must be a non-empty string");
  ExpectError(R"({"specversion":"1.0","id":null,"source":"s","type":"t"})",
              "invalid CloudEvent: 'id' is required and must be a non-empty string");
  ExpectError(R"({"specversion":"1.0","id":"1","type":"t"})",
              "invalid CloudEvent: 'source' is required and must be a non-empty URI-reference");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s"})",
              "invalid CloudEvent: 'type' is required and must be a non-empty string");
  ExpectError(R"({"specversion":"2.0","id":"1","source":"s","type":"t"})",
              "invalid CloudEvent: 'specversion' must be \"1.0\" or \"0.3\", got \"2.0\"");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","time":"today"})",
              "invalid CloudEvent: 'time' must be an RFC 3339 timestamp");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","dataschema":"/x"})",
              "invalid CloudEvent: 'dataschema' must be an absolute URI");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","Ext":"x"})",
              "invalid CloudEvent: extension name 'Ext' must consist of lower-case letters");
}

TEST(JsonFormatTest, AttributeTypeErrors) {
  ExpectError(R"({"specversion":1.0,"id":"1","source":"s","type":"t"})",
              "invalid CloudEvent: 'specversion' must be a JSON string");
  ExpectError(R"({"specversion":"1.0","id":7,"source":"s","type":"t"})",
              "invalid CloudEvent: 'id' must be a JSON string");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","subject":[]})",
              "invalid CloudEvent: 'subject' must be a JSON string");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","ext":1.5})",
              "invalid CloudEvent: extension 'ext' must be a JSON string, boolean or integer "
              "within 32 bits");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","ext":2147483648})",
              "invalid CloudEvent: extension 'ext' must be a JSON string, boolean or integer");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","ext":{"a":1}})",
              "invalid CloudEvent: extension 'ext' must be a JSON string, boolean or integer");
  ExpectError(R"({"specversion":"1.0","id":"1","id":"2","source":"s","type":"t"})",
              "invalid CloudEvent: attribute 'id' appears more than once");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","x":"a","x":"b"})",
              "invalid CloudEvent: attribute 'x' appears more than once");
}

TEST(JsonFormatTest, DataErrors) {
  ExpectError(
      R"({"specversion":"1.0","id":"1","source":"s","type":"t","data":"x","data_base64":"eA=="})",
      "invalid CloudEvent: 'data' and 'data_base64' are mutually exclusive");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":5})",
              "invalid CloudEvent: 'data_base64' must be a JSON string");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","data_base64":"*"})",
              "invalid CloudEvent: 'data_base64' is not valid base64");
  ExpectError(
      R"({"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"application/xml",)"
      R"("data":{"a":1}})",
      "invalid CloudEvent: 'data' must be a JSON string when datacontenttype 'application/xml' "
      "is not JSON");
}

TEST(JsonFormatTest, NonUtf8StringsAreRejected) {
  ExpectError(
      "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\","
      "\"datacontenttype\":\"text/plain\",\"data\":\"\xff\"}",
      "invalid CloudEvent: 'data' must be valid UTF-8 for text and JSON data");
  ExpectError("{\"specversion\":\"1.0\",\"id\":\"\xc0\xa0\",\"source\":\"s\",\"type\":\"t\"}",
              "invalid CloudEvent: 'id' must be valid UTF-8");
}

TEST(JsonFormatTest, AppendAndWriterVariants) {
  CloudEvent e = ParseOrDie(kSpecXmlExample);
  std::string out = "prefix:";
  AppendJsonEvent(e, &out);
  EXPECT_EQ(out, "prefix:" + SerializeJsonEvent(e));

  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartArray();
  WriteJsonEvent(e, w);
  WriteJsonEvent(e, w);
  w.EndArray();
  absl::StatusOr<std::vector<CloudEvent>> batch =
      ParseJsonBatch(absl::string_view(buf.GetString(), buf.GetSize()));
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[1], e);
}

// The string writer (strings without escapes copied in one block, JSON data copied whole) writes
// byte for byte what RapidJSON's own writer writes (WriteJsonEvent into a json::Writer), for
// text, JSON and binary data, plain and escaped strings, typed extensions, and in batches.
TEST(JsonFormatTest, AppendedJsonIsByteForByteRapidJsonsOutput) {
  std::vector<CloudEvent> events;
  for (const std::string& text :
       {std::string("plain"), std::string("q\"uote\\slash/"), std::string("tab\there\x01"),
        std::string("\xc3\xa9t\xc3\xa9 \xe2\x82\xac"), std::string(300, 'z'), std::string()}) {
    CloudEvent e;
    e.set_id(text.empty() ? "id" : text);
    e.set_source("/src");
    e.set_type("t");
    e.set_subject(text + "-topic");
    e.SetExtension("note", text.empty() ? "n" : text);
    e.SetExtension("flag", AttributeValue::Boolean(true));
    e.SetExtension("count", AttributeValue::Integer(42));
    e.set_data_content_type("text/plain");
    e.set_data(text, DataEncoding::kText);
    events.push_back(e);
    e.set_data_content_type("application/json");
    e.set_data(absl::StrCat(R"({"v":")", text.empty() ? "x" : "y", R"(","n":[1,2,{}]})"),
               DataEncoding::kJson);
    events.push_back(e);
    e.set_data_content_type("application/octet-stream");
    e.set_data(std::string("\x00\xff\x10"
                           "bin",
                           6),
               DataEncoding::kBinary);
    events.push_back(e);
  }
  for (const CloudEvent& e : events) {
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    WriteJsonEvent(e, w);
    EXPECT_EQ(SerializeJsonEvent(e), std::string(buf.GetString(), buf.GetSize()));
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartArray();
  for (const CloudEvent& e : events) WriteJsonEvent(e, w);
  w.EndArray();
  EXPECT_EQ(SerializeJsonBatch(events), std::string(buf.GetString(), buf.GetSize()));
}

TEST(JsonFormatTest, SpecBatchExample) {
  absl::StatusOr<std::vector<CloudEvent>> verbatim = ParseJsonBatch(kSpecBatchExample);
  ASSERT_FALSE(verbatim.ok());
  EXPECT_EQ(verbatim.status().message(),
            "event [0]: invalid CloudEvent: 'data_base64' is not valid base64");

  absl::StatusOr<std::vector<CloudEvent>> batch =
      ParseJsonBatch(Replace(kSpecBatchExample, "... base64 encoded string ...", "3q2+7w=="));
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[0].data(), "\xde\xad\xbe\xef");
  EXPECT_EQ((*batch)[0].data_encoding(), DataEncoding::kBinary);
  EXPECT_EQ((*batch)[1].type(), "com.example.someotherevent");
  EXPECT_EQ((*batch)[1].data_encoding(), DataEncoding::kJson);

  const std::string json = SerializeJsonBatch(*batch);
  EXPECT_THAT(json, StartsWith(R"([{"specversion":"1.0","id":"B234-1234-1234")"));
  absl::StatusOr<std::vector<CloudEvent>> again = ParseJsonBatch(json);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *batch);
}

TEST(JsonFormatTest, EmptyBatch) {
  absl::StatusOr<std::vector<CloudEvent>> batch = ParseJsonBatch(" [ ] ");
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->empty());
  EXPECT_EQ(SerializeJsonBatch({}), "[]");
}

TEST(JsonFormatTest, BatchErrors) {
  absl::StatusOr<std::vector<CloudEvent>> b = ParseJsonBatch(R"({"specversion":"1.0"})");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status().message(), "invalid CloudEvents batch: expected a JSON array");

  b = ParseJsonBatch("[");
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()), StartsWith("malformed JSON in CloudEvents batch"));

  const std::string good = R"({"specversion":"1.0","id":"1","source":"s","type":"t"})";
  b = ParseJsonBatch("[" + good + "," + good + "," + good + R"(,{"specversion":"1.0"}])");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(b.status().message(),
            "event [3]: invalid CloudEvent: 'id' is required and must be a non-empty string");

  b = ParseJsonBatch("[" + good + ",7]");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "event [1]: invalid CloudEvent: a structured event must be a JSON object");
}

TEST(JsonFormatTest, ProgrammaticEventsRoundTrip) {
  CloudEvent e;
  e.set_id("id-1");
  e.set_source("https://example.com/src");
  e.set_type("com.example.t");
  e.set_data_content_type("application/octet-stream");
  e.set_data_schema("https://example.com/schema");
  e.set_time("2024-02-29T12:00:00.123456789+01:00");
  e.SetExtension("count", AttributeValue::Integer(-3));
  e.SetExtension("on", AttributeValue::Boolean(false));
  e.SetExtension("utf8", "\xe2\x82\xac \"quoted\" \\ \x01");
  e.set_data(std::string("\x00\xff\x10 binary", 10), DataEncoding::kBinary);
  ExpectStableRoundTrip(e);

  e.set_data_content_type("text/plain; charset=utf-8");
  e.set_data(std::string("text with \x00 nul and \xc3\xa9", 22), DataEncoding::kText);
  ExpectStableRoundTrip(e);
}

TEST(JsonFormatTest, CheckJsonText) {
  EXPECT_TRUE(CheckJsonText(" {\"a\": [1, 2.5, null]} ", "x").ok());
  EXPECT_TRUE(CheckJsonText("\"s\"", "x").ok());
  absl::Status s = CheckJsonText("{\"a\":}", "body");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), StartsWith("body is not valid JSON: "));
  s = CheckJsonText("1 2", "body");
  EXPECT_THAT(std::string(s.message()), StartsWith("body is not valid JSON: "));
  EXPECT_EQ(CheckJsonText("", "body").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckJsonText(std::string(129, '[') + std::string(129, ']'), "body").message(),
            "body is not valid JSON: nesting deeper than 128 levels");
  EXPECT_TRUE(CheckJsonText(std::string(128, '[') + std::string(128, ']'), "body").ok());
}

TEST(JsonFormatTest, IsJsonTextAgreesWithCheckJsonText) {
  for (const std::string& text :
       {std::string(" {\"a\": [1, 2.5, null]} "), std::string("\"s\""), std::string("{\"a\":}"),
        std::string("1 2"), std::string(""), std::string("xxxx"), std::string("nul"),
        std::string("true"), std::string("-0.5e3"), std::string(129, '[') + std::string(129, ']'),
        std::string(128, '[') + std::string(128, ']'), std::string("\"a\0b\"", 5)}) {
    EXPECT_EQ(IsJsonText(text), CheckJsonText(text, "x").ok()) << text;
  }
  EXPECT_TRUE(IsJsonText("{}"));
  EXPECT_FALSE(IsJsonText("xxxx"));
}

// IsJsonText rejects by the first and last byte before parsing: every first/last byte pair
// around a valid core, with and without surrounding whitespace, still agrees with the parser.
TEST(JsonFormatTest, IsJsonTextEndsCheckAgreesWithTheParser) {
  const std::vector<std::string> cores = {"{}",   "[]",          "\"\"",        "0",
                                          "-1",   "1.5e3",       "true",        "false",
                                          "null", "{\"a\":[1]}", "[\"x\",null]"};
  for (const std::string& core : cores) {
    for (const std::string& pad : {std::string(), std::string(" \t\r\n")}) {
      const std::string text = pad + core + pad;
      EXPECT_TRUE(IsJsonText(text)) << text;
      for (int c = 0; c < 256; ++c) {
        const std::string before = std::string(1, static_cast<char>(c)) + text;
        const std::string after = text + std::string(1, static_cast<char>(c));
        EXPECT_EQ(IsJsonText(before), CheckJsonText(before, "x").ok()) << c << " " << before;
        EXPECT_EQ(IsJsonText(after), CheckJsonText(after, "x").ok()) << c << " " << after;
      }
    }
  }
  for (const std::string& text : {std::string(" "), std::string("\t\n"), std::string("\0"),
                                  std::string("0123456789abcdefxxxx"), std::string("01"),
                                  std::string("tru"), std::string("nulll")}) {
    EXPECT_EQ(IsJsonText(text), CheckJsonText(text, "x").ok()) << text;
  }
}

// Any number of extensions in any order: sorted once (the test's timeout catches a quadratic
// insertion, minutes for this many in reverse order); a duplicate is still refused.
TEST(JsonFormatTest, ManyExtensionsInReverseOrderAreReadInOneSort) {
  // Up to the limit with the 4 required attributes and the duplicate below.
  constexpr int kCount = kMaxJsonAttributes - 5;
  std::string json = R"({"specversion":"1.0","id":"1","source":"/s","type":"t")";
  for (int i = kCount; i > 0; --i) absl::StrAppend(&json, ",\"x", i, "\":\"v\"");
  absl::StatusOr<CloudEvent> e = ParseJsonEvent(json + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->extensions().size(), static_cast<size_t>(kCount));
  EXPECT_EQ(e->extensions().begin()->first, "x1");
  absl::StatusOr<CloudEvent> duplicate = ParseJsonEvent(json + R"(,"x5":"again"})");
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(duplicate.status().message()), HasSubstr("x5"));
}

// The compact text json::ToJsonString gives for `json`: what "data" read as a DOM gave.
std::string CompactText(absl::string_view json) {
  absl::StatusOr<rapidjson::Document> doc = json::ParseJson(json, "test data");
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? json::ToJsonString(*doc) : "";
}

TEST(JsonFormatTest, ObjectAndArrayDataIsTheCompactTextOfTheValue) {
  const std::vector<std::string> values = {
      "{}",
      "[]",
      R"( { "a" : [ 1 , -2 , 3.25 , 1e300 , -0.0 , 18446744073709551615 , -9223372036854775808 ] ,
            "b" : { "c" : null , "d" : true , "e" : false } , "f" : "\u00e9\n\"\u0001/" } )",
      R"([[[]],{"":""},"x",0.1,123456789012345678901234567890])",
      R"({"dup":1,"dup":2})",
  };
  for (const std::string& value : values) {
    const std::string json =
        absl::StrCat(R"({"specversion":"1.0","id":"1","source":"s","type":"t","data":)", value,
                     R"(,"subject":"after"})");
    CloudEvent e = ParseOrDie(json);
    EXPECT_EQ(e.data_encoding(), DataEncoding::kJson) << value;
    EXPECT_EQ(e.data(), CompactText(value)) << value;
    EXPECT_EQ(e.subject(), "after") << "members after the data are read";
    ExpectStableRoundTrip(e);
  }
}

TEST(JsonFormatTest, BatchDataTextBelongsToItsOwnEvent) {
  const std::string batch = R"([
      {"specversion":"1.0","id":"a","source":"s","type":"t","data":{"n":1}},
      {"specversion":"1.0","id":"b","source":"s","type":"t"},
      {"specversion":"1.0","id":"c","source":"s","type":"t","data":7},
      {"specversion":"1.0","id":"d","source":"s","type":"t","data":"text","x":"y"},
      {"specversion":"1.0","id":"e","source":"s","type":"t","data":[{"n":[2]}]}])";
  absl::StatusOr<std::vector<CloudEvent>> b = ParseJsonBatch(batch);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 5u);
  EXPECT_EQ((*b)[0].data(), R"({"n":1})");
  EXPECT_EQ((*b)[1].data_encoding(), DataEncoding::kNone);
  EXPECT_EQ((*b)[2].data(), "7");
  EXPECT_EQ((*b)[3].data(), R"("text")");
  EXPECT_EQ((*b)[4].data(), R"([{"n":[2]}])");
  EXPECT_EQ((*b)[4].id(), "e");

  // Non-object elements take no event number: the data after them is still the right one's.
  b = ParseJsonBatch(R"([{"specversion":"1.0","id":"a","source":"s","type":"t","data":[1]},[[0]],)"
                     R"({"specversion":"1.0","id":"b","source":"s","type":"t","data":[2]}])");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(),
            "event [1]: invalid CloudEvent: a structured event must be a JSON object");
}

TEST(JsonFormatTest, ContainersWhereNoneIsReadGiveTheUsualErrors) {
  ExpectError(R"({"specversion":"1.0","id":["1",{"x":[]}],"source":"s","type":"t"})",
              "invalid CloudEvent: 'id' must be a JSON string");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","ext":[[1],{"a":[2]}]})",
              "invalid CloudEvent: extension 'ext' must be a JSON string, boolean or integer");
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","data":[1],"data":{}})",
              "invalid CloudEvent: attribute 'data' appears more than once");
  ExpectError(R"([{"specversion":"1.0","id":"1","source":"s","type":"t"}])",
              "invalid CloudEvent: a structured event must be a JSON object");
  absl::StatusOr<std::vector<CloudEvent>> b = ParseJsonBatch(R"({"a":[1,2,3]})");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "invalid CloudEvents batch: expected a JSON array");
  // Syntax and nesting errors inside a skipped or written-out value are still found.
  ExpectError(R"({"specversion":"1.0","id":"1","source":"s","type":"t","data":[1,}])",
              "malformed JSON in CloudEvent");
  ExpectError(absl::StrCat(R"({"specversion":"1.0","id":"1","source":"s","type":"t","x":)",
                           std::string(200, '['), std::string(200, ']'), "}"),
              "nesting deeper than 128 levels");
}

TEST(JsonFormatTest, DocumentsBeyondTheLimitsAreRefusedWithOutOfRange) {
  const std::string good = R"({"specversion":"1.0","id":"1","source":"s","type":"t"})";
  std::string batch = "[" + good;
  for (size_t i = 1; i < kMaxJsonBatchEvents; ++i) absl::StrAppend(&batch, ",", good);
  absl::StatusOr<std::vector<CloudEvent>> b = ParseJsonBatch(batch + "]");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->size(), kMaxJsonBatchEvents);
  b = ParseJsonBatch(batch + ",0]");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(b.status().message(), "a CloudEvents batch of more than 10000 events");

  std::string event = R"({"specversion":"1.0","id":"1","source":"s","type":"t")";
  for (size_t i = 4; i <= kMaxJsonAttributes; ++i) absl::StrAppend(&event, ",\"x", i, "\":1");
  absl::StatusOr<CloudEvent> e = ParseJsonEvent(event + "}");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(e.status().message(), "CloudEvents JSON with more than 131072 attributes");

  // Counted over the whole batch.
  std::string wide = R"({"specversion":"1.0","id":"1","source":"s","type":"t")";
  for (int i = 0; i < 20; ++i) absl::StrAppend(&wide, ",\"x", i, "\":true");
  wide += "}";
  std::string wide_batch = "[" + wide;
  for (size_t i = 1; i < kMaxJsonAttributes / 24 + 1; ++i) absl::StrAppend(&wide_batch, ",", wide);
  b = ParseJsonBatch(wide_batch + "]");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace eventmesh::cloudevents
