#include "eventmesh/protocol/cloudevents/cloud_event.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

using ::testing::HasSubstr;

CloudEvent MinimalEvent() {
  CloudEvent e;
  e.set_id("A234-1234-1234");
  e.set_source("/mycontext");
  e.set_type("com.example.someevent");
  return e;
}

// Expects InvalidArgument whose message contains "invalid CloudEvent: " + rule.
void ExpectInvalid(const CloudEvent& e, const std::string& rule) {
  absl::Status s = e.Validate();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("invalid CloudEvent: " + rule));
}

TEST(CloudEventTest, DefaultsToSpecVersion10AndNoOptionalAttributes) {
  CloudEvent e;
  EXPECT_EQ(e.spec_version(), "1.0");
  EXPECT_FALSE(e.data_content_type().has_value());
  EXPECT_FALSE(e.data_schema().has_value());
  EXPECT_FALSE(e.subject().has_value());
  EXPECT_FALSE(e.time().has_value());
  EXPECT_FALSE(e.has_data());
  EXPECT_EQ(e.data_encoding(), DataEncoding::kNone);
}

TEST(CloudEventTest, MinimalEventIsValid) { EXPECT_TRUE(MinimalEvent().Validate().ok()); }

TEST(CloudEventTest, FullEventIsValid) {
  CloudEvent e = MinimalEvent();
  e.set_data_content_type("application/json");
  e.set_data_schema("https://example.com/schema.json");
  e.set_subject("larger-context");
  e.set_time("2018-04-05T17:31:00Z");
  e.SetExtension("comexampleextension1", "value");
  e.SetExtension("comexampleothervalue", AttributeValue::Integer(5));
  e.SetExtension("flag", AttributeValue::Boolean(true));
  e.SetExtension("blob", AttributeValue{AttributeType::kBinary, "AQID"});
  e.SetExtension("link", AttributeValue{AttributeType::kUri, "urn:uuid:123"});
  e.SetExtension("ref", AttributeValue{AttributeType::kUriRef, "../x?y=1"});
  e.SetExtension("when", AttributeValue{AttributeType::kTimestamp, "2020-02-29T00:00:00+08:00"});
  e.set_data("{\"a\":1}", DataEncoding::kJson);
  EXPECT_TRUE(e.Validate().ok()) << e.Validate();
}

TEST(CloudEventTest, RequiredAttributes) {
  CloudEvent e = MinimalEvent();
  e.set_spec_version("");
  ExpectInvalid(e, "'specversion' is required");

  e = MinimalEvent();
  e.set_id("");
  ExpectInvalid(e, "'id' is required and must be a non-empty string");

  e = MinimalEvent();
  e.set_source("");
  ExpectInvalid(e, "'source' is required and must be a non-empty URI-reference");

  e = MinimalEvent();
  e.set_type("");
  ExpectInvalid(e, "'type' is required and must be a non-empty string");
}

TEST(CloudEventTest, SpecVersion) {
  CloudEvent e = MinimalEvent();
  e.set_spec_version("2.0");
  ExpectInvalid(e, "'specversion' must be \"1.0\" or \"0.3\", got \"2.0\"");
  e.set_spec_version("0.3");
  EXPECT_TRUE(e.Validate().ok());
}

TEST(CloudEventTest, SourceMustBeUriReference) {
  CloudEvent e = MinimalEvent();
  e.set_source("/my context");
  ExpectInvalid(e, "'source' must be a URI-reference");
  e.set_source("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66");
  EXPECT_TRUE(e.Validate().ok());
}

TEST(CloudEventTest, OptionalAttributesMustBeNonEmptyWhenPresent) {
  CloudEvent e = MinimalEvent();
  e.set_data_content_type("");
  ExpectInvalid(e, "'datacontenttype' must be a non-empty media type when present");

  e = MinimalEvent();
  e.set_subject("");
  ExpectInvalid(e, "'subject' must be a non-empty string when present");
}

TEST(CloudEventTest, DataSchemaMustBeAbsoluteUri) {
  CloudEvent e = MinimalEvent();
  e.set_data_schema("/relative/schema");
  ExpectInvalid(e, "'dataschema' must be an absolute URI");
  e.set_data_schema("http://example.com/has space");
  ExpectInvalid(e, "'dataschema' must be an absolute URI");
  e.set_data_schema("http://example.com/schema");
  EXPECT_TRUE(e.Validate().ok());
}

TEST(CloudEventTest, SchemaUrlOfSpec03IsUriReference) {
  CloudEvent e = MinimalEvent();
  e.set_spec_version("0.3");
  e.set_data_schema("/relative/schema");
  EXPECT_TRUE(e.Validate().ok());
  e.set_data_schema("");
  ExpectInvalid(e, "'schemaurl' must be a non-empty URI-reference");
}

TEST(CloudEventTest, TimeMustBeRfc3339) {
  CloudEvent e = MinimalEvent();
  for (const char* good :
       {"2018-04-05T17:31:00Z", "1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00",
        "2024-02-29T00:00:00z", "1990-12-31T23:59:60Z"}) {
    e.set_time(good);
    EXPECT_TRUE(e.Validate().ok()) << good;
  }
  for (const char* bad :
       {"2018-04-05", "2018-04-05 17:31:00Z", "2018-13-05T17:31:00Z", "2018-04-05T24:00:00Z",
        "2018-04-05T17:31:00", "2018-04-05T17:31:00.Z", "2018-04-05T17:31:00+0100",
        "2023-02-29T00:00:00Z", "2018-04-31T00:00:00Z", "yesterday"}) {
    e.set_time(bad);
    ExpectInvalid(e, "'time' must be an RFC 3339 timestamp");
  }
}

TEST(CloudEventTest, ExtensionNamesAreLowerCaseAlphanumeric) {
  for (const char* bad : {"Upper", "with-dash", "under_score", "dot.ted", ""}) {
    CloudEvent e = MinimalEvent();
    e.SetExtension(bad, "v");
    ExpectInvalid(e, std::string("extension name '") + bad +
                         "' must consist of lower-case letters a-z and digits 0-9");
  }
  CloudEvent e = MinimalEvent();
  e.SetExtension("reqeventmesh2mqtimestamp", "1");  // longer than 20: accepted
  EXPECT_TRUE(e.Validate().ok());
}

TEST(CloudEventTest, ReservedNamesAreNotExtensions) {
  for (const char* reserved : {"id", "source", "specversion", "type", "datacontenttype",
                               "dataschema", "subject", "time", "data"}) {
    CloudEvent e = MinimalEvent();
    e.SetExtension(reserved, "v");
    ExpectInvalid(e, std::string("extension name '") + reserved + "' is a reserved attribute name");
  }
  // 0.3 attribute names are reserved in 0.3 events only.
  CloudEvent e = MinimalEvent();
  e.SetExtension("schemaurl", "x");
  EXPECT_TRUE(e.Validate().ok());
  e.set_spec_version("0.3");
  ExpectInvalid(e, "extension name 'schemaurl' is a reserved attribute name");
  e.RemoveExtension("schemaurl");
  e.SetExtension("datacontentencoding", "base64");
  ExpectInvalid(e, "extension name 'datacontentencoding' is a reserved attribute name");
}

TEST(CloudEventTest, TypedExtensionValues) {
  struct Case {
    AttributeType type;
    const char* text;
    const char* rule;  // nullptr: valid
  };
  const Case cases[] = {
      {AttributeType::kBoolean, "true", nullptr},
      {AttributeType::kBoolean, "TRUE", "extension 'x' must be a Boolean"},
      {AttributeType::kInteger, "-2147483648", nullptr},
      {AttributeType::kInteger, "2147483648", "extension 'x' must be a 32-bit Integer"},
      {AttributeType::kInteger, "+5", "extension 'x' must be a 32-bit Integer"},
      {AttributeType::kInteger, "05", "extension 'x' must be a 32-bit Integer"},
      {AttributeType::kInteger, "1.5", "extension 'x' must be a 32-bit Integer"},
      {AttributeType::kBinary, "AQIDBA==", nullptr},
      {AttributeType::kBinary, "AQIDBA", "extension 'x' must be base64 Binary"},
      {AttributeType::kBinary, "!!", "extension 'x' must be base64 Binary"},
      {AttributeType::kUri, "https://example.com/a", nullptr},
      {AttributeType::kUri, "/relative", "extension 'x' must be an absolute URI"},
      {AttributeType::kUriRef, "/relative", nullptr},
      {AttributeType::kUriRef, "a b", "extension 'x' must be a URI-reference"},
      {AttributeType::kTimestamp, "2018-04-05T17:31:00Z", nullptr},
      {AttributeType::kTimestamp, "2018-04-05", "extension 'x' must be an RFC 3339 Timestamp"},
      {AttributeType::kString, "anything goes", nullptr},
  };
  for (const Case& c : cases) {
    CloudEvent e = MinimalEvent();
    e.SetExtension("x", AttributeValue{c.type, c.text});
    if (c.rule == nullptr) {
      EXPECT_TRUE(e.Validate().ok()) << AttributeTypeName(c.type) << " " << c.text;
    } else {
      SCOPED_TRACE(c.text);
      ExpectInvalid(e, c.rule);
    }
  }
}

TEST(CloudEventTest, AttributesAndTextDataMustBeUtf8) {
  const std::string bad = "caf\xc3";  // truncated sequence
  CloudEvent e = MinimalEvent();
  e.set_id(bad);
  ExpectInvalid(e, "'id' must be valid UTF-8");
  e = MinimalEvent();
  e.set_subject("ok \xe2\x82\xac" + bad);
  ExpectInvalid(e, "'subject' must be valid UTF-8");
  e = MinimalEvent();
  e.SetExtension("x", bad);
  ExpectInvalid(e, "extension 'x' must be valid UTF-8");
  e = MinimalEvent();
  e.set_data(bad, DataEncoding::kText);
  ExpectInvalid(e, "'data' must be valid UTF-8 for text and JSON data (use binary data)");
  e.set_data("\"" + bad + "\"", DataEncoding::kJson);
  ExpectInvalid(e, "'data' must be valid UTF-8 for text and JSON data");
  e.set_data(bad, DataEncoding::kBinary);
  EXPECT_TRUE(e.Validate().ok());
}

TEST(CloudEventTest, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii, longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(IsValidUtf8("Euro \xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9 \xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xa0"));          // overlong space
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("12345678\x80"));      // stray continuation after fast path
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(CloudEventTest, AttributeValueFactories) {
  EXPECT_EQ(AttributeValue::Boolean(false), (AttributeValue{AttributeType::kBoolean, "false"}));
  EXPECT_EQ(AttributeValue::Integer(-7), (AttributeValue{AttributeType::kInteger, "-7"}));
  EXPECT_EQ(AttributeValue::String("s"), (AttributeValue{AttributeType::kString, "s"}));
  EXPECT_NE(AttributeValue::String("5"), AttributeValue::Integer(5));
  EXPECT_EQ(AttributeTypeName(AttributeType::kUriRef), "URI-reference");
  EXPECT_EQ(AttributeTypeName(AttributeType::kTimestamp), "Timestamp");
}

TEST(CloudEventTest, ExtensionAccessors) {
  CloudEvent e = MinimalEvent();
  EXPECT_EQ(e.FindExtension("ttl"), nullptr);
  e.SetExtension("ttl", AttributeValue::Integer(3000));
  ASSERT_NE(e.FindExtension("ttl"), nullptr);
  EXPECT_EQ(*e.FindExtension("ttl"), "3000");
  e.RemoveExtension("ttl");
  EXPECT_EQ(e.FindExtension("ttl"), nullptr);
}

TEST(CloudEventTest, EqualityComparesEveryField) {
  CloudEvent a = MinimalEvent();
  a.set_subject("topic");
  a.SetExtension("ttl", "3000");
  a.set_data("hello", DataEncoding::kText);
  CloudEvent b = a;
  EXPECT_EQ(a, b);

  b.set_data("hello", DataEncoding::kBinary);
  EXPECT_NE(a, b) << "data encoding is part of equality";
  b = a;
  b.SetExtension("ttl", AttributeValue::Integer(3000));
  EXPECT_NE(a, b) << "extension type is part of equality";
  b = a;
  b.clear_subject();
  EXPECT_NE(a, b);
  b = a;
  b.set_time("2018-04-05T17:31:00Z");
  EXPECT_NE(a, b);
  b = a;
  b.set_spec_version("0.3");
  EXPECT_NE(a, b);
  b = a;
  b.set_data_content_type("text/plain");
  EXPECT_NE(a, b);
  b = a;
  b.clear_data();
  EXPECT_NE(a, b);
  EXPECT_FALSE(b.has_data());
}

TEST(CloudEventTest, IsJsonContentType) {
  EXPECT_TRUE(IsJsonContentType(""));
  EXPECT_TRUE(IsJsonContentType("application/json"));
  EXPECT_TRUE(IsJsonContentType("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(IsJsonContentType("text/json"));
  EXPECT_TRUE(IsJsonContentType("application/cloudevents+json"));
  EXPECT_TRUE(IsJsonContentType("application/vnd.api+JSON ;x=1"));
  EXPECT_FALSE(IsJsonContentType("application/xml"));
  EXPECT_FALSE(IsJsonContentType("text/plain"));
  EXPECT_FALSE(IsJsonContentType("application/jsonx"));
  EXPECT_FALSE(IsJsonContentType("json"));
  EXPECT_FALSE(IsJsonContentType("application/json-seq"));
}

TEST(CloudEventTest, NameHelpers) {
  EXPECT_TRUE(IsValidAttributeName("abc123"));
  EXPECT_FALSE(IsValidAttributeName("abC"));
  EXPECT_TRUE(IsCoreAttributeName("data_base64"));
  EXPECT_FALSE(IsCoreAttributeName("ttl"));
}

// IsValidAttributeName checks 8 bytes per step: every byte value at every position of names of
// 1 to 24 bytes gets the answer of the byte-at-a-time definition.
TEST(CloudEventTest, AttributeNameCheckMatchesByteDefinition) {
  auto by_bytes = [](absl::string_view name) {
    if (name.empty()) return false;
    for (const char ch : name) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
  };
  EXPECT_FALSE(IsValidAttributeName(""));
  for (size_t len = 1; len <= 24; ++len) {
    std::string name(len, 'k');
    for (size_t at = 0; at < len; ++at) {
      for (int b = 0; b < 256; ++b) {
        name[at] = static_cast<char>(b);
        ASSERT_EQ(IsValidAttributeName(name), by_bytes(name))
            << "length " << len << " byte " << b << " at " << at;
      }
      name[at] = at % 2 == 0 ? '7' : 'z';
    }
    EXPECT_TRUE(IsValidAttributeName(name)) << name;
  }
}

TEST(CloudEventTest, ByteSizeCountsAttributesAndData) {
  CloudEvent e = MinimalEvent();
  const size_t base = e.ByteSizeLong();
  e.set_data(std::string(100, 'x'), DataEncoding::kBinary);
  e.SetExtension("ttl", "3000");
  EXPECT_EQ(e.ByteSizeLong(), base + 100 + 3 + 4);
}

}  // namespace
}  // namespace eventmesh::cloudevents
