#include "eventmesh/protocol/cloudevents/proto_format.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/proto/testing/wire_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

using ::testing::HasSubstr;
using ProtoEvent = io::cloudevents::v1::CloudEvent;

CloudEvent Minimal() {
  CloudEvent e;
  e.set_id("1");
  e.set_source("/");
  e.set_type("t");
  return e;
}

// The generated classes' semantics, the reference for the direct wire codec.
absl::StatusOr<CloudEvent> ReferenceParse(const std::string& bytes) {
  ProtoEvent p;
  if (!p.ParseFromString(bytes)) return absl::InvalidArgumentError("malformed protobuf CloudEvent");
  return FromProto(p);
}

using protocol::wire::testing::LenField;
using protocol::wire::testing::VarField;
using protocol::wire::testing::Varint;
std::string Entry(const std::string& key, const std::string& value) {
  return LenField(5, LenField(1, key) + LenField(2, value));
}
const std::string kRequired =
    LenField(1, "1") + LenField(2, "/") + LenField(3, "1.0") + LenField(4, "t");

void ExpectAgreesWithReference(const std::string& bytes, bool expect_ok) {
  absl::StatusOr<CloudEvent> fast = ParseProto(bytes);
  absl::StatusOr<CloudEvent> ref = ReferenceParse(bytes);
  EXPECT_EQ(fast.ok(), expect_ok) << fast.status();
  EXPECT_EQ(ref.ok(), expect_ok) << ref.status();
  if (fast.ok() && ref.ok()) {
    EXPECT_EQ(*fast, *ref);
  }
}

void ExpectExactRoundTrip(const CloudEvent& e) {
  absl::StatusOr<std::string> bytes = SerializeProto(e);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<CloudEvent> back = ParseProto(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e) << SerializeJsonEvent(*back) << " vs " << SerializeJsonEvent(e);
}

// Field numbers and wire types of the spec's schema, checked byte by byte.
TEST(ProtoFormatTest, WireLayoutMatchesSpecFieldNumbers) {
  CloudEvent e;
  e.set_id("1");
  e.set_source("/");
  e.set_type("t");
  e.set_subject("s");
  e.set_data("x", DataEncoding::kText);
  absl::StatusOr<std::string> bytes = SerializeProto(e);
  ASSERT_TRUE(bytes.ok());
  const std::string expected = std::string(
      "\x0a\x01"
      "1"  // id = 1
      "\x12\x01"
      "/"  // source = 2
      "\x1a\x03"
      "1.0"  // spec_version = 3
      "\x22\x01"
      "t"                  // type = 4
      "\x2a\x0e"           // attributes = 5, entry of 14 bytes
      "\x0a\x07subject"    //   key = 1
      "\x12\x03\x1a\x01s"  //   value = 2 { ce_string = 3 }
      "\x3a\x01x");        // text_data = 7
  EXPECT_EQ(*bytes, expected);

  e.set_data("\x01", DataEncoding::kBinary);
  bytes = SerializeProto(e);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(bytes->size() - 3), "\x32\x01\x01");  // binary_data = 6

  CloudEvent typed = Minimal();
  typed.SetExtension("b", AttributeValue::Boolean(true));
  ProtoEvent p;
  ASSERT_TRUE(ToProto(typed, &p).ok());
  EXPECT_EQ(p.attributes().at("b").SerializeAsString(), "\x08\x01");  // ce_boolean = 1
  typed.SetExtension("b", AttributeValue::Integer(5));
  ASSERT_TRUE(ToProto(typed, &p).ok());
  EXPECT_EQ(p.attributes().at("b").SerializeAsString(), "\x10\x05");  // ce_integer = 2
  typed.SetExtension("b", AttributeValue{AttributeType::kBinary, "AQ=="});
  ASSERT_TRUE(ToProto(typed, &p).ok());
  EXPECT_EQ(p.attributes().at("b").SerializeAsString(), "\x22\x01\x01");  // ce_bytes = 4
  typed.SetExtension("b", AttributeValue{AttributeType::kUri, "a:b"});
  ASSERT_TRUE(ToProto(typed, &p).ok());
  EXPECT_EQ(p.attributes().at("b").SerializeAsString(),
            "\x2a\x03"
            "a:b");  // ce_uri = 5
  typed.SetExtension("b", AttributeValue{AttributeType::kUriRef, "/r"});
  ASSERT_TRUE(ToProto(typed, &p).ok());
  EXPECT_EQ(p.attributes().at("b").SerializeAsString(), "\x32\x02/r");  // ce_uri_ref = 6
  typed.SetExtension("b", AttributeValue{AttributeType::kTimestamp, "1970-01-01T00:00:01Z"});
  ASSERT_TRUE(ToProto(typed, &p).ok());
  // ce_timestamp = 7 { seconds = 1 }
  EXPECT_EQ(p.attributes().at("b").SerializeAsString(), "\x3a\x02\x08\x01");
}

TEST(ProtoFormatTest, OptionalAttributesGoToTheAttributeMap) {
  CloudEvent e = Minimal();
  e.set_data_content_type("application/json");
  e.set_data_schema("https://example.com/s");
  e.set_subject("topic");
  e.set_time("2018-04-05T17:31:00Z");
  ProtoEvent p;
  ASSERT_TRUE(ToProto(e, &p).ok());
  EXPECT_EQ(p.attributes().at("datacontenttype").ce_string(), "application/json");
  EXPECT_EQ(p.attributes().at("dataschema").ce_uri(), "https://example.com/s");
  EXPECT_EQ(p.attributes().at("subject").ce_string(), "topic");
  EXPECT_EQ(p.attributes().at("time").ce_timestamp().seconds(), 1522949460);
  EXPECT_EQ(p.attributes().at("time").ce_timestamp().nanos(), 0);
  EXPECT_EQ(p.attributes().size(), 4u);
  EXPECT_EQ(p.data_case(), ProtoEvent::DATA_NOT_SET);
}

TEST(ProtoFormatTest, ExactRoundTripOfParsedAndBuiltEvents) {
  for (const char* json : {
           R"({"specversion":"1.0","type":"com.example.someevent","source":"/mycontext",)"
           R"("id":"B234-1234-1234","time":"2018-04-05T17:31:00Z","comexampleextension1":"value",)"
           R"("comexampleothervalue":5,"datacontenttype":"application/xml",)"
           R"("data":"<much wow=\"xml\"/>"})",
           R"({"specversion":"1.0","type":"t","source":"/c","id":"C","datacontenttype":)"
           R"("application/json","data":{"appinfoA":"abc","appinfoB":123,"appinfoC":true}})",
           R"({"specversion":"1.0","type":"t","source":"/c","id":"D","data":"I'm just a string"})",
           R"({"specversion":"1.0","type":"t","source":"/c","id":"D","data":null})",
           R"({"specversion":"1.0","type":"t","source":"/c","id":"E","flag":false,)"
           R"("datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="})",
           R"({"specversion":"0.3","type":"t","source":"/c","id":"F","schemaurl":"/s",)"
           R"("datacontentencoding":"base64","data":"aGk="})",
       }) {
    absl::StatusOr<CloudEvent> e = ParseJsonEvent(json);
    ASSERT_TRUE(e.ok()) << e.status();
    ExpectExactRoundTrip(*e);
  }

  CloudEvent mesh;
  mesh.set_id("5839201746");
  mesh.set_source("/");
  mesh.set_type("eventmeshmessage");
  mesh.set_subject("TEST-TOPIC-TCP-ASYNC");
  mesh.set_data_content_type("text/plain");
  mesh.set_time("2024-02-29T08:00:00.125Z");
  mesh.SetExtension("protocoltype", "eventmeshmessage");
  mesh.SetExtension("protocolversion", "1.0");
  mesh.SetExtension("protocoldesc", "tcp");
  mesh.SetExtension("ttl", "4000");
  mesh.set_data("{\"looks\":\"like json\"}", DataEncoding::kText);
  ExpectExactRoundTrip(mesh);

  CloudEvent typed = Minimal();
  typed.SetExtension("b", AttributeValue::Boolean(true));
  typed.SetExtension("i", AttributeValue::Integer(-2147483647 - 1));
  typed.SetExtension("s", "");
  typed.SetExtension("bin", AttributeValue{AttributeType::kBinary, "AAEC/w=="});
  typed.SetExtension("u", AttributeValue{AttributeType::kUri, "https://example.com/x"});
  typed.SetExtension("r", AttributeValue{AttributeType::kUriRef, "../x"});
  typed.SetExtension("ts",
                     AttributeValue{AttributeType::kTimestamp, "1969-12-31T23:59:59.000001Z"});
  typed.set_data(std::string(), DataEncoding::kBinary);  // present but empty
  ExpectExactRoundTrip(typed);
}

TEST(ProtoFormatTest, WireCodecAgreesWithGeneratedCode) {
  CloudEvent e = Minimal();
  e.set_data_content_type("application/json");
  e.set_data_schema("https://example.com/schema");
  e.set_subject("topic \xe2\x82\xac");
  e.set_time("2018-04-05T17:31:00.250Z");
  e.SetExtension("b", AttributeValue::Boolean(false));
  e.SetExtension("i", AttributeValue::Integer(-1));
  e.SetExtension("s", "str");
  e.SetExtension("bin", AttributeValue{AttributeType::kBinary, "AAEC"});
  e.SetExtension("u", AttributeValue{AttributeType::kUri, "urn:x"});
  e.SetExtension("r", AttributeValue{AttributeType::kUriRef, "/r"});
  e.SetExtension("ts", AttributeValue{AttributeType::kTimestamp, "1900-01-01T00:00:00.000001Z"});
  e.set_data("[1,{\"a\":null}]", DataEncoding::kJson);
  for (int variant = 0; variant < 4; ++variant) {
    if (variant == 1) e.set_data(std::string("\0\1", 2), DataEncoding::kBinary);
    if (variant == 2) e.clear_data();
    if (variant == 3) e.set_spec_version("0.3");
    absl::StatusOr<std::string> fast = SerializeProto(e);
    ASSERT_TRUE(fast.ok());
    absl::StatusOr<CloudEvent> ref = ReferenceParse(*fast);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(*ref, e);

    ProtoEvent p;
    ASSERT_TRUE(ToProto(e, &p).ok());
    const std::string generated = p.SerializeAsString();
    EXPECT_EQ(generated.size(), fast->size());
    absl::StatusOr<CloudEvent> back = ParseProto(generated);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, e);
  }
}

TEST(ProtoFormatTest, WireCodecEdgeCasesMatchGeneratedCode) {
  // Unknown fields of every wire type are skipped.
  ExpectAgreesWithReference(kRequired + VarField(15, 300) + Varint(15 << 3 | 1) +
                                std::string(8, 'x') + Varint(15 << 3 | 5) + "abcd" +
                                LenField(99, "skip") + Varint(16 << 3 | 3) + VarField(1, 1) +
                                Varint(16 << 3 | 4),
                            true);
  // Last scalar wins; map entries replace; repeated embedded timestamps merge.
  ExpectAgreesWithReference(
      kRequired + LenField(1, "second-id") + Entry("subject", LenField(3, "a")) +
          Entry("subject", LenField(3, "b")) +
          Entry("time", LenField(7, VarField(1, 100)) + LenField(7, VarField(2, 5000000))),
      true);
  // Extension entries replace too, with a few entries and with many (past the scan's reach).
  ExpectAgreesWithReference(kRequired + Entry("ext", LenField(3, "old")) +
                                Entry("other", LenField(3, "o")) + Entry("ext", LenField(3, "new")),
                            true);
  {
    std::string many = kRequired;
    for (int i = 0; i < 40; ++i) many += Entry("e" + std::to_string(i), LenField(3, "v"));
    many += Entry("e5", LenField(3, "newer")) + Entry("e39", LenField(3, "newest"));
    ExpectAgreesWithReference(many, true);
    absl::StatusOr<CloudEvent> e = ParseProto(many);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->extensions().size(), 40u);
    ASSERT_NE(e->FindExtension("e5"), nullptr);
    EXPECT_EQ(*e->FindExtension("e5"), "newer");
    EXPECT_EQ(*e->FindExtension("e39"), "newest");
  }
  {
    absl::StatusOr<CloudEvent> e =
        ParseProto(kRequired + Entry("time", LenField(7, VarField(1, 100)) +
                                                 LenField(7, VarField(2, 5000000))));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->time(), "1970-01-01T00:01:40.005Z");
  }
  // A value message split over two occurrences merges; a oneof switch drops the timestamp.
  ExpectAgreesWithReference(
      kRequired + LenField(5, LenField(1, "x") + LenField(2, LenField(7, VarField(1, 9))) +
                                  LenField(2, LenField(3, "s"))),
      true);
  // Oneof data: the last member wins; wrong wire types are unknown fields.
  ExpectAgreesWithReference(kRequired + LenField(7, "text") + LenField(6, "bin"), true);
  ExpectAgreesWithReference(kRequired + VarField(7, 1), true);
  ExpectAgreesWithReference(
      kRequired + LenField(8, LenField(1, "type.googleapis.com/x")) + LenField(7, "text"), true);
  ExpectAgreesWithReference(kRequired + LenField(8, LenField(1, "type.googleapis.com/x")), false);
  // A 5-byte tag keeps its low 32 bits (an unknown fixed32 field here).
  ExpectAgreesWithReference(kRequired +
                                "\xfd\xf1\xbc\xcd\x33"
                                "abcd",
                            true);
  // Non-minimal lengths up to 5 bytes are accepted.
  ExpectAgreesWithReference(kRequired + std::string("\x3a\x81\x80\x80\x80\x00x", 7), true);
  // int32 and bool from wide varints.
  ExpectAgreesWithReference(
      kRequired + Entry("i", VarField(2, 0xFFFFFFFFFFFFFFFFull)) + Entry("b", VarField(1, 2)),
      true);
  // Malformed input.
  for (const std::string& bad : {
           kRequired + Varint(16 << 3 | 4),                        // stray end-group
           kRequired + Varint(16 << 3 | 3) + Varint(17 << 3 | 4),  // mismatched end-group
           kRequired + Varint(16 << 3 | 3),                        // unterminated group
           kRequired + "\x08",                                     // truncated varint field
           kRequired + "\x3a\x05"
                       "ab",                                            // length past the end
           kRequired + std::string(1, '\0'),                            // field number 0
           kRequired + "\x0f",                                          // wire type 7
           kRequired + std::string(11, '\xff'),                         // overlong varint
           kRequired + std::string("\x3a\x80\x80\x80\x80\x80\x00", 7),  // 6-byte length
           LenField(1, "\xc0\xa0") + kRequired,                         // id not UTF-8
           kRequired + LenField(7, "\xff") + LenField(6, "b"),          // overridden, still checked
           kRequired + Entry("s", LenField(3, "\xff")) + Entry("s", LenField(3, "ok")),
           kRequired + LenField(8, LenField(1, "\xff")) + LenField(7, "t"),
       }) {
    SCOPED_TRACE(absl::CEscape(bad));
    ExpectAgreesWithReference(bad, false);
    EXPECT_EQ(ParseProto(bad).status().message(), "malformed protobuf CloudEvent");
  }
}

TEST(ProtoFormatTest, CanonicalTimestampsRoundTripExactly) {
  for (const char* text :
       {"2018-04-05T17:31:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
        "2018-04-05T17:31:00.123Z", "2018-04-05T17:31:00.123456Z", "2018-04-05T17:31:00.000000001Z",
        "0001-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
        "2000-02-29T12:00:00Z", "2100-03-01T00:00:00Z"}) {
    absl::StatusOr<google::protobuf::Timestamp> ts = ParseRfc3339(text);
    ASSERT_TRUE(ts.ok()) << text;
    absl::StatusOr<std::string> back = FormatRfc3339(*ts);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, text);
  }
  EXPECT_EQ(ParseRfc3339("0001-01-01T00:00:00Z")->seconds(), -62135596800);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59Z")->seconds(), 253402300799);
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59Z")->seconds(), -1);
}

TEST(ProtoFormatTest, NonCanonicalTimestampsKeepTheInstant) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : {
           Case{"2018-04-05T19:31:00+02:00", "2018-04-05T17:31:00Z"},
           Case{"2018-04-05T17:31:00-00:30", "2018-04-05T18:01:00Z"},
           Case{"2018-04-05t17:31:00z", "2018-04-05T17:31:00Z"},
           Case{"2018-04-05T17:31:00.5Z", "2018-04-05T17:31:00.500Z"},
           Case{"2018-04-05T17:31:00.000Z", "2018-04-05T17:31:00Z"},
           Case{"2018-04-05T17:31:00.1234567891Z", "2018-04-05T17:31:00.123456789Z"},
           Case{"1990-12-31T23:59:60Z", "1991-01-01T00:00:00Z"},
           Case{"2000-01-01T00:30:00+01:00", "1999-12-31T23:30:00Z"},
       }) {
    CloudEvent e = Minimal();
    e.set_time(c.in);
    absl::StatusOr<std::string> bytes = SerializeProto(e);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<CloudEvent> back = ParseProto(*bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->time(), c.out) << c.in;
  }
}

TEST(ProtoFormatTest, TimestampErrors) {
  absl::StatusOr<google::protobuf::Timestamp> ts = ParseRfc3339("2018-02-30T00:00:00Z");
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.status().message(), "'2018-02-30T00:00:00Z' is not an RFC 3339 timestamp");

  google::protobuf::Timestamp bad;
  bad.set_nanos(-1);
  EXPECT_EQ(FormatRfc3339(bad).status().message(), "timestamp nanos -1 out of range");
  bad.set_nanos(0);
  bad.set_seconds(253402300800);
  EXPECT_EQ(FormatRfc3339(bad).status().message(),
            "timestamp seconds 253402300800 outside years 0000-9999");

  ProtoEvent p;
  p.set_id("1");
  p.set_source("/");
  p.set_spec_version("1.0");
  p.set_type("t");
  (*p.mutable_attributes())["time"].mutable_ce_timestamp()->set_nanos(1000000000);
  absl::StatusOr<CloudEvent> e = FromProto(p);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "invalid CloudEvent: attribute 'time': timestamp nanos 1000000000 out of range");
}

TEST(ProtoFormatTest, TextDataEncodingIsDerivedFromContentType) {
  ProtoEvent p;
  p.set_id("1");
  p.set_source("/");
  p.set_spec_version("1.0");
  p.set_type("t");
  p.set_text_data("{\"a\":1}");
  absl::StatusOr<CloudEvent> e = FromProto(p);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kJson) << "no content type: JSON";

  (*p.mutable_attributes())["datacontenttype"].set_ce_string("text/plain");
  e = FromProto(p);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kText);

  (*p.mutable_attributes())["datacontenttype"].set_ce_string("application/json");
  p.set_text_data("not json");
  e = FromProto(p);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->data_encoding(), DataEncoding::kText) << "invalid JSON text stays text";
  EXPECT_EQ(e->data(), "not json");
}

// What the EventMesh gRPC SDK sends: every optional attribute as ce_string.
TEST(ProtoFormatTest, StringTypedOptionalAttributesAreAccepted) {
  ProtoEvent p;
  p.set_id("abc");
  p.set_source("/");
  p.set_spec_version("1.0");
  p.set_type("eventmeshmessage");
  auto& a = *p.mutable_attributes();
  a["subject"].set_ce_string("TEST-TOPIC-GRPC-ASYNC");
  a["datacontenttype"].set_ce_string("text/plain");
  a["time"].set_ce_string("2023-01-01T08:00:00+08:00");
  a["dataschema"].set_ce_string("https://example.com/s");
  a["protocoltype"].set_ce_string("cloudevents");
  a["protocoldesc"].set_ce_string("grpc-cloud-event");
  a["ttl"].set_ce_string("4000");
  p.set_text_data("hello");
  absl::StatusOr<CloudEvent> e = FromProto(p);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->subject(), "TEST-TOPIC-GRPC-ASYNC");
  EXPECT_EQ(e->time(), "2023-01-01T08:00:00+08:00") << "string time is kept verbatim";
  EXPECT_EQ(e->data_schema(), "https://example.com/s");
  EXPECT_EQ(*e->FindExtension("ttl"), "4000");
  EXPECT_EQ(e->data_encoding(), DataEncoding::kText);
  EXPECT_EQ(e->extensions().size(), 3u);
}

TEST(ProtoFormatTest, FromProtoErrors) {
  ProtoEvent base;
  base.set_id("1");
  base.set_source("/");
  base.set_spec_version("1.0");
  base.set_type("t");

  ProtoEvent p = base;
  (*p.mutable_attributes())["datacontenttype"].set_ce_integer(3);
  EXPECT_EQ(FromProto(p).status().message(),
            "invalid CloudEvent: attribute 'datacontenttype' must be a string value");

  p = base;
  (*p.mutable_attributes())["ext"];
  EXPECT_EQ(FromProto(p).status().message(), "invalid CloudEvent: attribute 'ext' has no value");

  p = base;
  p.mutable_proto_data()->set_type_url("type.googleapis.com/x.Y");
  EXPECT_EQ(FromProto(p).status().message(),
            "invalid CloudEvent: proto_data (google.protobuf.Any) is not supported; use "
            "binary_data");

  p = base;
  p.clear_id();
  absl::StatusOr<CloudEvent> e = FromProto(p);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(),
            "invalid CloudEvent: 'id' is required and must be a non-empty string");

  p = base;
  (*p.mutable_attributes())["Bad"].set_ce_string("x");
  EXPECT_THAT(std::string(FromProto(p).status().message()),
              HasSubstr("extension name 'Bad' must consist of lower-case letters"));

  e = ParseProto("\xff\xff\xff");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "malformed protobuf CloudEvent");
}

TEST(ProtoFormatTest, ToProtoErrors) {
  CloudEvent e = Minimal();
  e.SetExtension("n", AttributeValue{AttributeType::kInteger, "abc"});
  absl::StatusOr<std::string> bytes = SerializeProto(e);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bytes.status().message(),
            "invalid CloudEvent: extension 'n' is not a valid Integer and cannot be converted "
            "to protobuf");

  e = Minimal();
  e.SetExtension("ts", AttributeValue{AttributeType::kTimestamp, "yesterday"});
  EXPECT_EQ(SerializeProto(e).status().message(),
            "invalid CloudEvent: extension 'ts' is not a valid Timestamp and cannot be "
            "converted to protobuf");

  e = Minimal();
  e.set_time("today");
  EXPECT_EQ(SerializeProto(e).status().message(),
            "invalid CloudEvent: 'time' must be an RFC 3339 timestamp");
}

TEST(ProtoFormatTest, Batch) {
  CloudEvent a = Minimal();
  CloudEvent b = Minimal();
  b.set_id("2");
  b.set_data("bytes", DataEncoding::kBinary);
  absl::StatusOr<std::string> bytes = SerializeProtoBatch({a, b});
  ASSERT_TRUE(bytes.ok());
  absl::StatusOr<std::vector<CloudEvent>> back = ParseProtoBatch(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, (std::vector<CloudEvent>{a, b}));

  absl::StatusOr<std::vector<CloudEvent>> empty = ParseProtoBatch("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  CloudEvent bad = Minimal();
  bad.set_id("");
  bytes = SerializeProtoBatch({a, a, bad});
  ASSERT_TRUE(bytes.ok());
  back = ParseProtoBatch(*bytes);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message(),
            "event [2]: invalid CloudEvent: 'id' is required and must be a non-empty string");

  bad.set_id("x");
  bad.set_time("never");
  bytes = SerializeProtoBatch({a, bad});
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().message(),
            "event [1]: invalid CloudEvent: 'time' must be an RFC 3339 timestamp");

  EXPECT_EQ(ParseProtoBatch("\x0a\xff").status().message(), "malformed protobuf CloudEventBatch");
}

// The wire reader takes the newest entry of each name first, and protobuf maps come in any
// order: either way extensions are sorted once (the test's timeout catches a quadratic
// insertion).
TEST(ProtoFormatTest, ManyExtensionsRoundTripInOneSort) {
  constexpr int kCount = 200000;
  CloudEvent e;
  e.set_id("1");
  e.set_source("/s");
  e.set_type("t");
  std::vector<CloudEvent::Extensions::value_type> extensions;
  for (int i = 0; i < kCount; ++i) {
    extensions.emplace_back("x" + std::to_string(i), AttributeValue::String("v"));
  }
  e.mutable_extensions()->Assign(std::move(extensions),
                                 CloudEvent::Extensions::Duplicates::kKeepFirst);
  absl::StatusOr<std::string> bytes = SerializeProto(e);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<CloudEvent> parsed = ParseProto(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, e);
  ProtoEvent proto;
  ASSERT_TRUE(ToProto(e, &proto).ok());
  absl::StatusOr<CloudEvent> from_proto = FromProto(proto);
  ASSERT_TRUE(from_proto.ok()) << from_proto.status();
  EXPECT_EQ(*from_proto, e);
}

// AppendPlainProtoWithId after AppendPlainAfterId writes what AppendPlainProto (and
// AppendPlainProtoAround) does, and that is SerializeProto's encoding of the event: with and
// without an id, each data encoding, ids and data past one varint byte, attributes or none.
TEST(ProtoFormatTest, PlainProtoInTwoStepsIsTheEventsEncoding) {
  const std::vector<std::pair<absl::string_view, absl::string_view>> extensions = {{"alpha", "1"},
                                                                                   {"beta", "two"}};
  const std::string long_id(300, 'i');
  const std::string long_data(200, 'd');
  for (const std::string& id : {std::string("id-1"), long_id}) {
    for (DataEncoding encoding :
         {DataEncoding::kNone, DataEncoding::kText, DataEncoding::kBinary}) {
      for (const std::string& data : {std::string(), std::string("payload"), long_data}) {
        for (bool with_attributes : {false, true}) {
          if (encoding == DataEncoding::kNone && !data.empty()) continue;
          PlainEventFields fields;
          fields.spec_version = "1.0";
          fields.id = id;
          fields.source = "/src";
          fields.type = "t";
          if (with_attributes) {
            fields.subject = "topic";
            fields.data_content_type = "text/plain";
            fields.extensions = extensions;
          }
          fields.data = data;
          fields.data_encoding = encoding;
          std::string attributes;
          AppendPlainAttributes(fields, &attributes);
          std::string after_id;
          AppendPlainAfterId(fields, attributes, &after_id);
          std::string two_steps = "kept";
          AppendPlainProtoWithId(id, after_id, encoding, data, &two_steps);
          std::string one_step = "kept";
          AppendPlainProto(fields, &one_step);
          EXPECT_EQ(two_steps, one_step) << id.size() << " " << data.size();
          std::string around = "kept";
          AppendPlainProtoAround(fields, attributes, &around);
          EXPECT_EQ(around, one_step);
          CloudEvent event;
          event.set_id(id);
          event.set_source("/src");
          event.set_type("t");
          if (with_attributes) {
            event.set_subject("topic");
            event.set_data_content_type("text/plain");
            for (const auto& [name, text] : extensions) {
              event.SetExtension(std::string(name), std::string(text));
            }
          }
          if (encoding != DataEncoding::kNone) event.set_data(data, encoding);
          absl::StatusOr<std::string> serialized = SerializeProto(event);
          ASSERT_TRUE(serialized.ok()) << serialized.status();
          EXPECT_EQ(two_steps.substr(4), *serialized);
        }
      }
    }
  }
}

}  // namespace
}  // namespace eventmesh::cloudevents
