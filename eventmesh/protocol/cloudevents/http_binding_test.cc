#include "eventmesh/protocol/cloudevents/http_binding.h"

#include <optional>
#include <string>
#include <vector>

#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

void ExpectError(const std::vector<HttpHeader>& headers, absl::string_view body,
                 const std::string& message) {
  absl::StatusOr<CloudEvent> e = FromBinaryHttp(headers, body);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), HasSubstr(message));
}

std::vector<HttpHeader> BaseHeaders() {
  return {{"ce-specversion", "1.0"},
          {"ce-type", "com.example.someevent"},
          {"ce-source", "/mycontext"},
          {"ce-id", "A234-1234-1234"}};
}

// The spec's XML example (JSON format spec 3.2) re-encoded in binary mode.
TEST(HttpBindingTest, SpecXmlExampleToBinary) {
  absl::StatusOr<CloudEvent> e = ParseJsonEvent(
      R"({"specversion":"1.0","type":"com.example.someevent","source":"/mycontext",)"
      R"("id":"B234-1234-1234","time":"2018-04-05T17:31:00Z","comexampleextension1":"value",)"
      R"("comexampleothervalue":5,"datacontenttype":"application/xml",)"
      R"("data":"<much wow=\"xml\"/>"})");
  ASSERT_TRUE(e.ok()) << e.status();
  HttpMessage m = ToBinaryHttp(*e);
  EXPECT_THAT(
      m.headers,
      ElementsAre(Pair("ce-specversion", "1.0"), Pair("ce-id", "B234-1234-1234"),
                  Pair("ce-source", "/mycontext"), Pair("ce-type", "com.example.someevent"),
                  Pair("ce-time", "2018-04-05T17:31:00Z"), Pair("ce-comexampleextension1", "value"),
                  Pair("ce-comexampleothervalue", "5"), Pair("Content-Type", "application/xml")));
  EXPECT_EQ(m.body, "<much wow=\"xml\"/>");
}

// The spec's binary-mode rendering of the JSON-object example, read back.
TEST(HttpBindingTest, SpecBinaryExampleFromHttp) {
  const std::vector<HttpHeader> headers = {
      {"ce-specversion", "1.0"},           {"ce-type", "com.example.someevent"},
      {"ce-source", "/mycontext"},         {"ce-id", "C234-1234-1234"},
      {"ce-time", "2018-04-05T17:31:00Z"}, {"ce-comexampleextension1", "value"},
      {"ce-comexampleothervalue", "5"},    {"content-type", "application/json"}};
  const std::string body =
      "{\n  \"appinfoA\" : \"abc\",\n  \"appinfoB\" : 123,\n  \"appinfoC\" : true\n}";
  EXPECT_EQ(DetectContentMode(headers), ContentMode::kBinary);
  absl::StatusOr<CloudEvent> e = FromBinaryHttp(headers, body);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->id(), "C234-1234-1234");
  EXPECT_EQ(e->time(), "2018-04-05T17:31:00Z");
  EXPECT_EQ(e->data_content_type(), "application/json");
  EXPECT_EQ(e->data_encoding(), DataEncoding::kJson);
  EXPECT_EQ(e->data(), body) << "body bytes are kept as they are";
  EXPECT_EQ(e->extensions().at("comexampleothervalue"), AttributeValue::String("5"))
      << "HTTP headers carry no type: extensions are Strings";
}

TEST(HttpBindingTest, JsonStringWithoutContentTypeGetsExplicitApplicationJson) {
  absl::StatusOr<CloudEvent> e = ParseJsonEvent(
      R"({"specversion":"1.0","type":"t","source":"/mycontext","id":"D234-1234-1234",)"
      R"("data":"I'm just a string"})");
  ASSERT_TRUE(e.ok());
  HttpMessage m = ToBinaryHttp(*e);
  EXPECT_EQ(m.headers.back(), HttpHeader("Content-Type", "application/json"));
  EXPECT_EQ(m.body, "\"I'm just a string\"");
  absl::StatusOr<CloudEvent> back = FromBinaryHttp(m.headers, m.body);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->data(), e->data());
  EXPECT_EQ(back->data_encoding(), DataEncoding::kJson);
  EXPECT_EQ(back->data_content_type(), "application/json");
}

TEST(HttpBindingTest, EventMeshEventRoundTrip) {
  CloudEvent e;
  e.set_id("5839201746");
  e.set_source("/");
  e.set_type("eventmeshmessage");
  e.set_subject("TEST TOPIC \xe2\x82\xac 100% \"quoted\"");
  e.set_data_content_type("text/plain; charset=utf-8");
  e.SetExtension("protocoltype", "eventmeshmessage");
  e.SetExtension("protocolversion", "1.0");
  e.SetExtension("protocoldesc", "http");
  e.SetExtension("ttl", "4000");
  e.set_data("hello mesh", DataEncoding::kText);
  HttpMessage m = ToBinaryHttp(e);
  EXPECT_EQ(*FindHttpHeader(m.headers, "CE-SUBJECT"),
            "TEST%20TOPIC%20%E2%82%AC%20100%25%20%22quoted%22");
  absl::StatusOr<CloudEvent> back = FromBinaryHttp(m.headers, m.body);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e);
}

// Structured and binary messages written from the event's stored bytes are the decoded event's.
TEST(HttpBindingTest, MessagesOfAStoredEventViewAreTheDecodedEvents) {
  CloudEvent e;
  e.set_id("5839201746");
  e.set_source("/");
  e.set_type("eventmeshmessage");
  e.set_subject("orders");
  e.set_time("2026-12-05T20:00:00.250Z");
  e.set_data_content_type("application/json");
  e.SetExtension("protocoltype", "eventmeshmessage");
  e.set_data(R"({"n":1})", DataEncoding::kJson);
  absl::StatusOr<std::string> stored = SerializeProto(e);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::optional<ProtoEventView> view = ProtoEventView::Parse(*stored);
  ASSERT_TRUE(view.has_value());
  HttpMessage from_view = ToStructuredHttp(*view);
  HttpMessage from_event = ToStructuredHttp(e);
  EXPECT_EQ(from_view.headers, from_event.headers);
  EXPECT_EQ(from_view.body, from_event.body);
  from_view = ToBinaryHttp(*view);
  from_event = ToBinaryHttp(e);
  EXPECT_EQ(from_view.headers, from_event.headers);
  EXPECT_EQ(from_view.body, from_event.body);
  // JSON data without a content type: binary mode says application/json for both.
  e.clear_data_content_type();
  stored = SerializeProto(e);
  ASSERT_TRUE(stored.ok()) << stored.status();
  view = ProtoEventView::Parse(*stored);
  ASSERT_TRUE(view.has_value());
  from_view = ToBinaryHttp(*view);
  EXPECT_EQ(from_view.headers, ToBinaryHttp(e).headers);
  EXPECT_EQ(*FindHttpHeader(from_view.headers, "content-type"), "application/json");
}

TEST(HttpBindingTest, BinaryDataRoundTrip) {
  CloudEvent e;
  e.set_id("1");
  e.set_source("/s");
  e.set_type("t");
  e.set_data_content_type("application/vnd.apache.thrift.binary");
  e.set_data_schema("https://example.com/schema");
  e.set_time("2018-04-05T17:31:00Z");
  e.set_data(std::string("\x00\x01\xff", 3), DataEncoding::kBinary);
  HttpMessage m = ToBinaryHttp(e);
  EXPECT_EQ(*FindHttpHeader(m.headers, "ce-dataschema"), "https://example.com/schema");
  absl::StatusOr<CloudEvent> back = FromBinaryHttp(m.headers, m.body);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e);
}

TEST(HttpBindingTest, PercentEncoding) {
  // The spec's example.
  EXPECT_EQ(PercentEncodeHeaderValue("Euro \xe2\x82\xac \xf0\x9f\x98\x80"),
            "Euro%20%E2%82%AC%20%F0%9F%98%80");
  EXPECT_EQ(PercentEncodeHeaderValue("a\tb\x7f~!"), "a%09b%7F~!");
  EXPECT_EQ(*DecodeHeaderValue("Euro%20%e2%82%ac%20%F0%9F%98%80", "ce-x"),
            "Euro \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(*DecodeHeaderValue("%41%62c", "ce-x"), "Abc") << "unneeded encoding accepted";
  EXPECT_EQ(*DecodeHeaderValue("  plain  ", "ce-x"), "plain");
  EXPECT_EQ(*DecodeHeaderValue(R"("a \"quoted\" %25 value")", "ce-x"), "a \"quoted\" % value");
}

TEST(HttpBindingTest, HeaderDecodingErrors) {
  struct Case {
    const char* raw;
    const char* message;
  };
  for (const Case& c : {
           Case{"%C0%A0", "header 'ce-x' is not valid UTF-8 after percent-decoding"},
           Case{"%ED%A0%80", "header 'ce-x' is not valid UTF-8 after percent-decoding"},
           Case{"%F4%90%80%80", "header 'ce-x' is not valid UTF-8 after percent-decoding"},
           Case{"%E2%82", "header 'ce-x' is not valid UTF-8 after percent-decoding"},
           Case{"\xff", "header 'ce-x' is not valid UTF-8 after percent-decoding"},
           Case{"abc%4", "invalid percent-encoding in header 'ce-x'"},
           Case{"abc%", "invalid percent-encoding in header 'ce-x'"},
           Case{"%GG", "invalid percent-encoding in header 'ce-x'"},
           Case{R"("abc\")", "invalid quoted-string in header 'ce-x'"},
           Case{R"("a"b")", "invalid quoted-string in header 'ce-x'"},
       }) {
    absl::StatusOr<std::string> v = DecodeHeaderValue(c.raw, "ce-x");
    ASSERT_FALSE(v.ok()) << c.raw;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(), c.message) << c.raw;
  }
}

TEST(HttpBindingTest, HeaderNamesAreCaseInsensitive) {
  std::vector<HttpHeader> headers = {{"CE-SpecVersion", "1.0"}, {"Ce-Type", "t"},
                                     {"ce-SOURCE", "/s"},       {"cE-id", "1"},
                                     {"CE-MyExt", "v"},         {"CONTENT-TYPE", "text/plain"},
                                     {"X-Other", "ignored"}};
  absl::StatusOr<CloudEvent> e = FromBinaryHttp(headers, "hi");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->type(), "t");
  EXPECT_EQ(*e->FindExtension("myext"), "v");
  EXPECT_EQ(e->extensions().size(), 1u);
  EXPECT_EQ(e->data_encoding(), DataEncoding::kText);
}

TEST(HttpBindingTest, BodyToDataMapping) {
  auto with_ct = [](const char* ct) {
    std::vector<HttpHeader> h = BaseHeaders();
    if (ct != nullptr) h.emplace_back("Content-Type", ct);
    return h;
  };
  absl::StatusOr<CloudEvent> e = FromBinaryHttp(with_ct("application/json"), "");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kNone) << "empty body: no data";
  EXPECT_EQ(e->data_content_type(), "application/json");

  e = FromBinaryHttp(with_ct("application/cloudevents-ish+json; charset=utf-8"), "[1]");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kJson);

  e = FromBinaryHttp(with_ct("Text/CSV"), "a,b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kText);

  e = FromBinaryHttp(with_ct("text/plain; charset=iso-8859-1"), "caf\xe9");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->data_encoding(), DataEncoding::kBinary) << "non-UTF-8 text stays bytes";

  e = FromBinaryHttp(with_ct("application/octet-stream"), "\x01\x02");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kBinary);

  e = FromBinaryHttp(with_ct(nullptr), "{\"a\":1}");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kBinary) << "no Content-Type: opaque bytes";
  EXPECT_FALSE(e->data_content_type().has_value());
}

TEST(HttpBindingTest, BinaryModeErrors) {
  std::vector<HttpHeader> h = BaseHeaders();
  h.emplace_back("Content-Type", "application/json");
  ExpectError(h, "{bad", "body with a JSON Content-Type is not valid JSON: ");
  ExpectError(h, std::string(300, '[') + std::string(300, ']'),
              "body with a JSON Content-Type is not valid JSON: nesting deeper than 128 levels");

  h = BaseHeaders();
  h.emplace_back("CE-ID", "2");
  ExpectError(h, "", "duplicate header 'ce-id'");

  h = BaseHeaders();
  h.emplace_back("ce-ext", "1");
  h.emplace_back("Ce-Ext", "2");
  ExpectError(h, "", "duplicate header 'ce-ext'");

  h = BaseHeaders();
  h.emplace_back("content-type", "a/b");
  h.emplace_back("Content-Type", "a/c");
  ExpectError(h, "", "duplicate header 'content-type'");

  h = BaseHeaders();
  h.emplace_back("ce-datacontenttype", "text/plain");
  ExpectError(h, "", "header 'ce-datacontenttype' must not be present in binary mode");

  h = BaseHeaders();
  h.emplace_back("ce-subject", "%ZZ");
  ExpectError(h, "", "invalid percent-encoding in header 'ce-subject'");

  h = {{"ce-specversion", "1.0"}, {"ce-source", "/s"}, {"ce-type", "t"}};
  ExpectError(h, "", "invalid CloudEvent: 'id' is required and must be a non-empty string");

  h = {{"ce-id", "1"}, {"ce-source", "/s"}, {"ce-type", "t"}};
  ExpectError(h, "", "invalid CloudEvent: 'specversion' is required");

  h = BaseHeaders();
  h.emplace_back("ce-Bad_Name", "x");
  ExpectError(h, "", "invalid CloudEvent: extension name 'bad_name' must consist of");
}

TEST(HttpBindingTest, SpecVersion03) {
  std::vector<HttpHeader> h = {{"ce-specversion", "0.3"},
                               {"ce-id", "1"},
                               {"ce-source", "/s"},
                               {"ce-type", "t"},
                               {"ce-schemaurl", "/schema"},
                               {"ce-datacontentencoding", "base64"},
                               {"content-type", "application/octet-stream"}};
  absl::StatusOr<CloudEvent> e = FromBinaryHttp(h, "aGVsbG8=");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->data_schema(), "/schema");
  EXPECT_EQ(e->data(), "hello");
  EXPECT_EQ(e->data_encoding(), DataEncoding::kBinary);
  EXPECT_TRUE(e->extensions().empty());
  HttpMessage m = ToBinaryHttp(*e);
  EXPECT_EQ(*FindHttpHeader(m.headers, "ce-schemaurl"), "/schema");
  EXPECT_EQ(m.body, "hello");

  h[5].second = "gzip";
  ExpectError(h, "x", "header 'ce-datacontentencoding' must be \"base64\" when present");
  h[5].second = "base64";
  ExpectError(h, "***", "body is not valid base64 although ce-datacontentencoding is base64");
}

TEST(HttpBindingTest, DetectContentMode) {
  EXPECT_EQ(DetectContentMode({{"Content-Type", "application/cloudevents+json; charset=UTF-8"}}),
            ContentMode::kStructured);
  EXPECT_EQ(DetectContentMode({{"content-type", "Application/CloudEvents-Batch+JSON"}}),
            ContentMode::kBatch);
  EXPECT_EQ(DetectContentMode({{"Content-Type", "application/json"}, {"Ce-SpecVersion", "1.0"}}),
            ContentMode::kBinary);
  EXPECT_EQ(DetectContentMode({{"Content-Type", "application/json"}}), ContentMode::kNone);
  EXPECT_EQ(DetectContentMode({}), ContentMode::kNone);
}

TEST(HttpBindingTest, FromHttpAllModes) {
  CloudEvent e;
  e.set_id("1");
  e.set_source("/s");
  e.set_type("t");
  e.set_data("{\"k\":[1,2]}", DataEncoding::kJson);

  HttpMessage structured = ToStructuredHttp(e);
  EXPECT_EQ(structured.headers[0], HttpHeader("Content-Type", "application/cloudevents+json"));
  absl::StatusOr<std::vector<CloudEvent>> got = FromHttp(structured.headers, structured.body);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(e));

  HttpMessage batch = ToBatchHttp({e, e});
  EXPECT_EQ(batch.headers[0], HttpHeader("Content-Type", "application/cloudevents-batch+json"));
  got = FromHttp(batch.headers, batch.body);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(e, e));

  HttpMessage binary = ToBinaryHttp(e);
  got = FromHttp(binary.headers, binary.body);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].data(), e.data());

  got = FromHttp({{"Content-Type", "application/json"}}, "{}");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("not a CloudEvents HTTP message"));

  got = FromHttp({{"Content-Type", "application/cloudevents+xml"}}, "<e/>");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(),
            "unsupported CloudEvents event format 'application/cloudevents+xml'");

  got = FromHttp({{"Content-Type", "application/cloudevents+json"}}, "{}");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("'specversion' is required"));
}

// Thousands of extension headers in reverse order (what fits the runtime's 64 KiB of headers):
// one sort, not a shift of the entries behind each header.
TEST(HttpBindingTest, ManyExtensionHeadersInReverseOrderAreReadInOneSort) {
  std::vector<HttpHeader> h = BaseHeaders();
  constexpr int kCount = 100000;
  for (int i = kCount; i > 0; --i) h.emplace_back("ce-x" + std::to_string(i), "v");
  absl::StatusOr<CloudEvent> e = FromBinaryHttp(h, "");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->extensions().size(), static_cast<size_t>(kCount));
  EXPECT_EQ(e->extensions().begin()->first, "x1");
}

}  // namespace
}  // namespace eventmesh::cloudevents
