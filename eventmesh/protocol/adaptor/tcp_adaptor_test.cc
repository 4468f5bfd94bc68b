#include "eventmesh/protocol/adaptor/tcp_adaptor.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::adaptor {
namespace {

using cloudevents::CloudEvent;
using cloudevents::DataEncoding;
using ::testing::HasSubstr;

tcp::Package PublishPackage(std::string body,
                            absl::string_view protocol_type = "eventmeshmessage") {
  tcp::Package p;
  p.header.cmd = tcp::Command::kAsyncMessageToServer;
  p.header.seq = "1234567890";
  p.header.properties = {{"protocoltype", std::string(protocol_type)},
                         {"protocolversion", "1.0"},
                         {"protocoldesc", "tcp"}};
  p.body = std::move(body);
  return p;
}

// The body a Java client writes for EventMeshMessage (Jackson field order).
constexpr char kJavaMessage[] =
    R"({"topic":"TEST-TOPIC-TCP-ASYNC","properties":{"ttl":"30000","keys":"k1"},)"
    R"("headers":{},"body":"testPublishMessage"})";

TEST(TcpAdaptorTest, EventMeshMessageBecomesCloudEventAsInApacheEventMesh) {
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->id(), "1234567890");
  EXPECT_EQ(event->source(), "/");
  EXPECT_EQ(event->type(), "eventmeshmessage");
  EXPECT_EQ(event->spec_version(), "1.0");
  EXPECT_EQ(EventTopic(*event), "TEST-TOPIC-TCP-ASYNC");
  EXPECT_EQ(event->data(), "testPublishMessage");
  EXPECT_EQ(event->data_encoding(), DataEncoding::kText);
  ASSERT_NE(event->FindExtension("ttl"), nullptr);
  EXPECT_EQ(*event->FindExtension("ttl"), "30000");
  EXPECT_EQ(*event->FindExtension("keys"), "k1");
  EXPECT_EQ(*event->FindExtension("protocoltype"), "eventmeshmessage");
  EXPECT_EQ(*event->FindExtension("protocoldesc"), "tcp");
  EXPECT_FALSE(event->data_content_type().has_value());
}

TEST(TcpAdaptorTest, MessagePropertyWinsOverHeaderPropertyAndContentTypeIsKept) {
  tcp::EventMeshMessage m;
  m.topic = "orders";
  m.body = R"({"id":7})";
  m.properties = {{"protocoldesc", "custom"}};
  m.headers = {{"datacontenttype", "application/json"}};
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(m.ToJson()));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(*event->FindExtension("protocoldesc"), "custom");
  EXPECT_EQ(event->data_content_type(), "application/json");
  EXPECT_EQ(event->data_encoding(), DataEncoding::kJson);
}

// Properties in any order, more than fit the adaptor's inline room, a name repeated in the
// message (the last one counts) and header properties replaced by the message's: the event's
// extensions are what inserting them one by one, header first, would give.
TEST(TcpAdaptorTest, ManyPropertiesInAnyOrderAreMergedLastOneWins) {
  std::string body = R"({"topic":"t","body":"x","properties":{)";
  std::map<std::string, std::string> expected = {
      {"protocoltype", "eventmeshmessage"}, {"protocolversion", "1.0"}, {"protocoldesc", "tcp"}};
  for (int i = 24; i >= 0; --i) {
    const std::string name = absl::StrCat("p", i % 5 == 0 ? 100 : i);  // p100 five times
    const std::string value = absl::StrCat("v", i);
    absl::StrAppend(&body, "\"", name, "\":\"", value, "\",");
    expected[name] = value;
  }
  absl::StrAppend(&body, R"("protocoldesc":"mine","a1":"first"}})");
  expected["protocoldesc"] = "mine";
  expected["a1"] = "first";
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(body));
  ASSERT_TRUE(event.ok()) << event.status();
  std::map<std::string, std::string> got;
  std::string previous;
  for (const auto& [name, value] : event->extensions()) {
    EXPECT_LT(previous, name);  // in name order, each once
    previous = name;
    got[name] = value.text;
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(*event->FindExtension("p100"), "v0");
}

TEST(TcpAdaptorTest, FirstBadPropertyNameInMessageOrderIsReported) {
  absl::StatusOr<CloudEvent> event =
      TcpPackageToCloudEvent(PublishPackage(R"({"topic":"t","properties":{"zz":"1","Bad1":"2",)"
                                            R"("bad_2":"3"}})"));
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(event.status().message()), HasSubstr("Abnormal propKey: Bad1"));
}

TEST(TcpAdaptorTest, RequiresTheThreeProtocolProperties) {
  tcp::Package p = PublishPackage(kJavaMessage);
  p.header.properties.erase("protocoldesc");
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(p);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(event.status().message(),
              HasSubstr("invalid protocol params protocolType eventmeshmessage|protocolVersion "
                        "1.0|protocolDesc null"));
}

TEST(TcpAdaptorTest, RejectsUnknownVersionTypeAndBadPropertyNames) {
  tcp::Package p = PublishPackage(kJavaMessage);
  p.header.properties["protocolversion"] = "2.0";
  EXPECT_THAT(TcpPackageToCloudEvent(p).status().message(),
              HasSubstr("Unsupported protocolVersion: 2.0"));

  p = PublishPackage(kJavaMessage, "openmessage");
  EXPECT_THAT(TcpPackageToCloudEvent(p).status().message(),
              HasSubstr("Unsupported protocolType: openmessage"));

  tcp::EventMeshMessage m;
  m.topic = "t";
  m.body = "x";
  m.properties = {{"Bad-Key", "v"}};
  EXPECT_THAT(TcpPackageToCloudEvent(PublishPackage(m.ToJson())).status().message(),
              HasSubstr("Abnormal propKey: Bad-Key"));
}

TEST(TcpAdaptorTest, RejectsMissingTopicSeqAndMalformedBody) {
  EXPECT_THAT(TcpPackageToCloudEvent(PublishPackage(R"({"body":"x"})")).status().message(),
              HasSubstr("message has no topic"));
  tcp::Package p = PublishPackage(kJavaMessage);
  p.header.seq.reset();
  EXPECT_THAT(TcpPackageToCloudEvent(p).status().message(), HasSubstr("has no seq"));
  absl::Status bad = TcpPackageToCloudEvent(PublishPackage("{\"topic\":")).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("malformed JSON"));
}

TEST(TcpAdaptorTest, StructuredCloudEventBodyMergesHeaderPropertiesWithoutOverriding) {
  const std::string body =
      R"({"specversion":"1.0","id":"e-1","source":"/app","type":"com.example.created",)"
      R"("subject":"orders","datacontenttype":"application/json","protocoldesc":"mine",)"
      R"("data":{"n":1}})";
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(body, "cloudevents"));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->id(), "e-1");
  EXPECT_EQ(EventTopic(*event), "orders");
  EXPECT_EQ(*event->FindExtension("protocoldesc"), "mine");
  EXPECT_EQ(*event->FindExtension("protocoltype"), "cloudevents");
  EXPECT_EQ(event->data(), R"({"n":1})");

  const std::string no_subject = R"({"specversion":"1.0","id":"e","source":"/","type":"t"})";
  EXPECT_THAT(TcpPackageToCloudEvent(PublishPackage(no_subject, "cloudevents")).status().message(),
              HasSubstr("no subject"));
}

TEST(TcpAdaptorTest, PushPackageRoundTripsEventMeshMessage) {
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  ASSERT_TRUE(event.ok());
  absl::StatusOr<tcp::Package> push =
      CloudEventToTcpPackage(*event, tcp::Command::kAsyncMessageToClient, "42");
  ASSERT_TRUE(push.ok()) << push.status();
  EXPECT_EQ(push->header.cmd, tcp::Command::kAsyncMessageToClient);
  EXPECT_EQ(push->header.seq, "42");
  EXPECT_EQ(push->header.code, 0);
  EXPECT_EQ(push->header.properties.at("protocoltype"), "eventmeshmessage");
  absl::StatusOr<tcp::EventMeshMessage> m = tcp::EventMeshMessage::FromJson(push->body);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->topic, "TEST-TOPIC-TCP-ASYNC");
  EXPECT_EQ(m->body, "testPublishMessage");
  EXPECT_EQ(m->properties.at("ttl"), "30000");
  EXPECT_EQ(m->properties.at("keys"), "k1");
}

TEST(TcpAdaptorTest, PushPackageForCloudEventsIsStructuredJson) {
  const std::string body =
      R"({"specversion":"1.0","id":"e-1","source":"/app","type":"t","subject":"orders",)"
      R"("datacontenttype":"text/plain","data":"hello"})";
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(body, "cloudevents"));
  ASSERT_TRUE(event.ok()) << event.status();
  absl::StatusOr<tcp::Package> push =
      CloudEventToTcpPackage(*event, tcp::Command::kBroadcastMessageToClient, "7");
  ASSERT_TRUE(push.ok());
  EXPECT_EQ(push->header.properties.at("protocoltype"), "cloudevents");
  absl::StatusOr<CloudEvent> back = cloudevents::ParseJsonEvent(push->body);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *event);
}

TEST(TcpAdaptorTest, ConvertedEventSurvivesTheStoreFormatExactly) {
  for (const std::string& body :
       {std::string(kJavaMessage), std::string(R"({"topic":"t","body":"{\"a\":[1,2]}"})"),
        std::string(
            R"({"topic":"t","body":"plain text","headers":{"datacontenttype":"text/plain"}})")}) {
    absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(PublishPackage(body));
    ASSERT_TRUE(event.ok()) << event.status();
    absl::StatusOr<std::string> bytes = cloudevents::SerializeProto(*event);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<CloudEvent> stored = cloudevents::ParseProto(*bytes);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(*stored, *event) << body;
  }
}

// EncodeStoredPublish must give what the general path stores, or leave the package to it.
void ExpectEncodedAsConverted(const tcp::Package& package) {
  SCOPED_TRACE(package.body);
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(package);
  ASSERT_TRUE(event.ok()) << event.status();
  absl::StatusOr<std::string> expected = cloudevents::SerializeProto(*event);
  ASSERT_TRUE(expected.ok()) << expected.status();
  StoredPublish stored;
  stored.bytes = "left over from an earlier publish";
  ASSERT_TRUE(EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &stored));
  EXPECT_EQ(stored.bytes, *expected);
  EXPECT_EQ(stored.topic, *event->subject());
  EXPECT_EQ(stored.hints.data_size, event->data().size());
  EXPECT_EQ(stored.has_marker, event->FindExtension("eventmeshorigin") != nullptr);
}

TEST(TcpAdaptorTest, EncodedPublishIsTheStoredFormOfTheConvertedEvent) {
  std::string many_properties = R"({"topic":"t","body":"b","properties":{)";
  for (int i = 40; i > 0; --i) {
    absl::StrAppend(&many_properties, i == 40 ? "" : ",", "\"p", i % 17, "\":\"v", i, "\"");
  }
  absl::StrAppend(&many_properties, "}}");
  for (const std::string& body : {
           std::string(kJavaMessage),
           std::string(R"({"topic":"t","body":"{\"a\":[1,2]}"})"),
           std::string(
               R"({"topic":"t","body":"plain","headers":{"datacontenttype":"text/plain"}})"),
           std::string(R"({"topic":"t","body":"x","headers":{"datacontenttype":""}})"),
           std::string(R"({"topic":"t","body":"x","headers":{"datacontenttype":"a",)"
                       R"("datacontenttype":"application/json"}})"),
           std::string(R"({"topic":"t"})"),
           std::string(R"({"topic":"t","body":""})"),
           std::string(R"({"topic":"t","body":null,"properties":null})"),
           std::string(R"({"topic":"caf\u00e9 \u2603","body":"\ud83d\ude00 \"q\" \n",)"
                       R"("properties":{"k":"\u00fc","k":"last"}})"),
           std::string(R"({"topic":"t","body":"b","properties":{"eventmeshorigin":"mesh-a"}})"),
           std::string(R"({"topic":"t","body":"b","properties":{"protocoldesc":"mine"}})"),
           std::string(R"({"topic":"t","body":"b","properties":{"schemaurl":"x"}})"),
           std::string("{\n  \"body\" : \"b\",\n  \"topic\" : \"t\"\n}"),
           many_properties,
       }) {
    ExpectEncodedAsConverted(PublishPackage(body));
  }
  // Header properties join the message's; a version 0.3 event.
  tcp::Package with_header = PublishPackage(kJavaMessage);
  with_header.header.properties["ttl"] = "from the header";
  with_header.header.properties["zone"] = "z1";
  ExpectEncodedAsConverted(with_header);
  tcp::Package v03 = PublishPackage(kJavaMessage);
  v03.header.properties["protocolversion"] = "0.3";
  ExpectEncodedAsConverted(v03);
}

// EncodeStoredPublish of `package` through `memo` against the same without a memo (test step
// `step`): the same answer, bytes, topic, marker and data hints, and an attributes id from the
// memo only. The memo's result; nullopt when the package is refused.
std::optional<StoredPublish> EncodeThroughMemo(const tcp::Package& package,
                                               absl::string_view marker, StoredPublishMemo* memo,
                                               size_t step) {
  StoredPublish expected;
  const bool encodes = EncodeStoredPublish(package.header, package.body, marker, &expected);
  StoredPublish stored;
  stored.bytes = "left over";
  const bool memo_encodes =
      EncodeStoredPublish(package.header, package.body, marker, &stored, memo);
  EXPECT_EQ(memo_encodes, encodes) << step;
  if (!encodes || !memo_encodes) return std::nullopt;
  EXPECT_EQ(stored.bytes, expected.bytes) << step;
  EXPECT_EQ(stored.topic, expected.topic) << step;
  EXPECT_EQ(stored.has_marker, expected.has_marker) << step;
  EXPECT_EQ(stored.hints.plain_data, expected.hints.plain_data) << step;
  EXPECT_EQ(stored.hints.data_size, expected.hints.data_size) << step;
  EXPECT_EQ(expected.hints.attributes_id, 0u) << step;
  EXPECT_NE(stored.hints.attributes_id, 0u) << step;
  return stored;
}

// Frames decoded by one decoder carry their headers' shapes (tcp::HeaderReader::last_shape); the
// memo given them writes what it writes without them, as header properties change and return,
// and as another header text with the same properties comes.
TEST(TcpAdaptorTest, PublishesWithHeaderShapesAreTheEncodingsWithout) {
  std::vector<tcp::Package> packages;
  for (int i = 0; i < 12; ++i) {
    tcp::Package p = PublishPackage(absl::StrCat(R"({"topic":"t","body":"data )", i, R"("})"));
    p.header.seq = absl::StrCat(1000 + i);
    if (i == 2 || i == 3) p.header.desc = "d";  // another text, the same properties
    if (i >= 4 && i < 7) p.header.properties["protocolversion"] = "0.3";
    if (i >= 9) p.header.properties["zone"] = i == 10 ? "b" : "a";
    packages.push_back(std::move(p));
  }
  std::string wire;
  for (const tcp::Package& p : packages) {
    ASSERT_TRUE(tcp::EncodePackage(p, tcp::LengthConvention::kCurrent, &wire).ok());
  }
  tcp::PackageDecoder decoder;
  decoder.Feed(wire);
  StoredPublishMemo memo;
  std::set<uint64_t> shapes;
  for (size_t i = 0; i < packages.size(); ++i) {
    absl::StatusOr<std::optional<tcp::DecodedPackage>> decoded = decoder.Next();
    ASSERT_TRUE(decoded.ok() && decoded->has_value()) << i;
    const tcp::DecodedPackage& frame = **decoded;
    ASSERT_NE(frame.header_shape, 0u) << i;
    shapes.insert(frame.header_shape);
    StoredPublish expected;
    ASSERT_TRUE(
        EncodeStoredPublish(frame.package.header, frame.body(), "eventmeshorigin", &expected));
    StoredPublish stored;
    ASSERT_TRUE(EncodeStoredPublish(frame.package.header, frame.body(), "eventmeshorigin", &stored,
                                    &memo, frame.header_shape));
    EXPECT_EQ(stored.bytes, expected.bytes) << i;
    absl::StatusOr<CloudEvent> event = cloudevents::ParseProto(stored.bytes);
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->spec_version(), i >= 4 && i < 7 ? "0.3" : "1.0") << i;
  }
  // 1.0, with desc, 0.3, 1.0 again, zone a, b, a again: seven texts remembered.
  EXPECT_EQ(shapes.size(), 7u);
}

TEST(TcpAdaptorTest, EncodedPublishesThroughAMemoAreTheEncodingsWithout) {
  struct Step {
    tcp::Package package;
    std::string marker = "eventmeshorigin";
  };
  std::vector<Step> steps;
  const auto add = [&](tcp::Package package, std::string marker = "eventmeshorigin") {
    steps.push_back({std::move(package), std::move(marker)});
  };
  tcp::Package java = PublishPackage(kJavaMessage);
  add(java);
  tcp::Package next =
      PublishPackage(R"({"topic":"TEST-TOPIC-TCP-ASYNC","properties":{"ttl":"30000","keys":"k1"},)"
                     R"("headers":{},"body":"another \"body\""})");
  next.header.seq = "1234567891";
  add(next);  // the same attributes
  add(PublishPackage(
      R"({"topic":"TEST-TOPIC-TCP-ASYNC","properties":{"ttl":"30000","keys":"k1"}})"));
  tcp::Package zone = java;  // one more header property, then its value changed
  zone.header.properties["zone"] = "z1";
  add(zone);
  add(zone);
  zone.header.properties["zone"] = "z2";
  add(zone);
  tcp::Package desc = java;
  desc.header.properties["protocoldesc"] = "tcp2";
  add(desc);
  add(PublishPackage(R"({"topic":"TEST-TOPIC-TCP-ASYNC","properties":{"ttl":"1","keys":"k1"},)"
                     R"("body":"b"})"));
  add(PublishPackage(R"({"topic":"TEST-TOPIC-TCP-ASYNC","properties":{"keys":"k1","ttl":"1"},)"
                     R"("body":"b"})"));
  add(PublishPackage(R"({"topic":"other","properties":{"keys":"k1","ttl":"1"},"body":"b"})"));
  add(PublishPackage(R"({"topic":"other","properties":{"keys":"k1","ttl":"1"},"body":"b",)"
                     R"("headers":{"datacontenttype":"text/plain"}})"));
  add(PublishPackage(R"({"topic":"other","properties":{"k":"a","k":"b"},"body":"b"})"));
  add(PublishPackage(R"({"topic":"other","properties":{"k":"b"},"body":"b"})"));
  add(PublishPackage(R"({"topic":"other","properties":{"Bad":"x"},"body":"b"})"));  // refused
  add(PublishPackage(R"({"topic":"other","properties":{"k":"b"},"body":"b"})"));
  add(PublishPackage(std::string(R"({"topic":"other","properties":{"k":"b"},"body":")") +
                     "\xff\"}"));  // binary: refused
  add(PublishPackage(R"({"topic":"other","properties":{"k":"b"},"body":"b"})"));
  tcp::Package v03 = PublishPackage(R"({"topic":"other","properties":{"k":"b"},"body":"b"})");
  v03.header.properties["protocolversion"] = "0.3";
  add(v03);
  tcp::Package v03_reserved =
      PublishPackage(R"({"topic":"other","properties":{"k":"b","schemaurl":"x"},"body":"b"})");
  add(v03_reserved);
  v03_reserved.header.properties["protocolversion"] = "0.3";
  add(v03_reserved);  // refused
  tcp::Package marked =
      PublishPackage(R"({"topic":"t","properties":{"eventmeshorigin":"mesh-a"},"body":"b"})");
  add(marked);
  add(marked, "other-marker");
  add(marked, "eventmeshorigin");
  // Only the data changes (the memo writes these from the last body's start and end), or the
  // data needs reading (escapes, UTF-8, an empty string, a quote that moves the end).
  const auto body_with = [](absl::string_view data) {
    return PublishPackage(absl::StrCat(R"({"topic":"t","properties":{"k":"v"},"body":")", data,
                                       R"(","headers":{}})"));
  };
  add(body_with("first"));
  add(body_with("second, longer data"));
  add(body_with("x"));
  add(body_with(R"(an "escaped" quote)"));
  add(body_with("plain again"));
  add(body_with(R"(caf\u00e9)"));
  add(body_with("caf\xc3\xa9"));
  add(body_with("plain once more"));
  add(body_with(""));
  add(body_with("plain after empty"));
  add(body_with(R"(x","topic":"u)"));
  add(body_with("plain at last"));
  tcp::Package seq_changed = body_with("plain with another seq");
  seq_changed.header.seq = "another-seq";
  add(seq_changed);
  seq_changed.header.seq = "";
  add(seq_changed);  // refused: no seq
  add(PublishPackage(R"({"topic":"t","properties":{"k":"v"},"body":"last member"})"));
  add(PublishPackage(R"({"topic":"t","properties":{"k":"v"},"body":"last member too"})"));
  StoredPublishMemo memo;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& step = steps[i];
      uint64_t first_id = 0;
      for (int repeat = 0; repeat < 2; ++repeat) {
        const std::optional<StoredPublish> stored =
            EncodeThroughMemo(step.package, step.marker, &memo, i);
        if (!stored.has_value()) continue;
        // The repeat of a step gets the same attributes id, and the bytes end with the data.
        if (repeat == 1) {
          EXPECT_EQ(stored->hints.attributes_id, first_id) << i;
        }
        first_id = stored->hints.attributes_id;
        absl::StatusOr<CloudEvent> event = cloudevents::ParseProto(stored->bytes);
        ASSERT_TRUE(event.ok()) << event.status();
        ASSERT_LE(stored->hints.data_size, stored->bytes.size());
        EXPECT_EQ(stored->bytes.substr(stored->bytes.size() - stored->hints.data_size),
                  event->data())
            << i;
      }
    }
    if (pass == 0) memo.Clear();
  }
}

// A publisher that sets a property per message (a key, a timestamp): after two changes of
// values in a row the memo writes each package from its names and order without being rebuilt
// (every package a new attributes id). Whatever the sequence, the bytes are those written without
// a memo, and values that return to the memo's, or stop changing, are written from the memo again.
TEST(TcpAdaptorTest, PublishesWhosePropertyValuesChangeEachTimeAreTheEncodingsWithout) {
  const auto with = [](absl::string_view properties, absl::string_view data = "payload") {
    tcp::Package package = PublishPackage(
        absl::StrCat(R"({"topic":"t","properties":{)", properties, R"(},"body":")", data, R"("})"));
    package.header.properties["zone"] = "z1";
    return package;
  };
  const auto values = [&](int i) {
    return with(absl::StrCat(R"("seq":")", i, R"(","ts":")", 1000 + i, R"(","a":"x")"));
  };
  std::vector<tcp::Package> steps;
  for (int i = 0; i < 4; ++i) steps.push_back(values(i));  // built, rebuilt, shape, shape
  steps.push_back(values(1));                              // 4: the memo's values
  steps.push_back(with(R"("seq":"1","ts":"1001","a":"x")", "other data"));  // 5: and its body
  steps.push_back(values(7));
  steps.push_back(values(8));
  // Duplicate names (the last one counts), a header property's name, the marker.
  steps.push_back(with(R"("k":"1","k":"2","zone":"m1","eventmeshorigin":"a")"));
  steps.push_back(with(R"("k":"3","k":"4","zone":"m2","eventmeshorigin":"b")"));
  steps.push_back(with(R"("k":"5","k":"6","zone":"m3","eventmeshorigin":"c")"));
  steps.push_back(with(R"("k":"7","k":"\u00e9","zone":"m4","eventmeshorigin":"d")"));
  steps.push_back(with("\"k\":\"7\",\"k\":\"8\",\"zone\":\"m5\",\"eventmeshorigin\":\"\xff\""));
  steps.push_back(with(R"("k":"9","k":"10","zone":"m6","eventmeshorigin":"f")"));
  // The header's values change: not the memo's shape.
  tcp::Package other_zone = with(R"("k":"11","k":"12","zone":"m7","eventmeshorigin":"g")");
  other_zone.header.properties["zone"] = "z2";
  steps.push_back(other_zone);
  // More properties than the memo keeps the order of.
  for (int i = 0; i < 3; ++i) {
    std::string many;
    for (int p = 0; p < 40; ++p) {
      absl::StrAppend(&many, p > 0 ? "," : "", "\"p", p, "\":\"", i, "\"");
    }
    steps.push_back(with(many));
  }
  // Values that change for a while, then stop changing.
  const size_t settling = steps.size();
  for (int i = 0; i < 40; ++i) steps.push_back(values(100 + std::min(i, 20)));
  StoredPublishMemo memo;
  std::vector<uint64_t> ids;
  std::vector<size_t> encoded_steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::optional<StoredPublish> stored =
        EncodeThroughMemo(steps[i], "eventmeshorigin", &memo, i);
    if (!stored.has_value()) continue;
    ids.push_back(stored->hints.attributes_id);
    encoded_steps.push_back(i);
  }
  ASSERT_EQ(encoded_steps.size(), steps.size() - 1);  // all but the one that is not UTF-8
  // Packages 4 and 5 (the memo's values again) carry the id of package 1, which rebuilt it;
  // 2 and 3 went through its shape.
  EXPECT_EQ(ids[4], ids[1]);
  EXPECT_EQ(ids[5], ids[1]);
  EXPECT_NE(ids[2], ids[1]);
  EXPECT_NE(ids[3], ids[2]);
  // Once the values stop changing, the memo is rebuilt for them within kShapeRun packages and
  // the last packages share its id.
  const size_t last = ids.size() - 1;
  ASSERT_GT(last, settling);
  EXPECT_EQ(ids[last], ids[last - 1]);
  EXPECT_EQ(ids[last], ids[last - 2]);
}

TEST(TcpAdaptorTest, EncodedPublishLeavesOtherPackagesToTheGeneralPath) {
  struct Case {
    tcp::Package package;
    bool converts;  // whether TcpPackageToCloudEvent accepts it
  };
  std::vector<Case> cases;
  cases.push_back({PublishPackage(R"({"specversion":"1.0","id":"1","source":"/s","type":"t",)"
                                  R"("subject":"t"})",
                                  "cloudevents"),
                   true});
  cases.push_back({PublishPackage(std::string(R"({"topic":"t","body":")") + "\xff\xfe" + "\"}"),
                   true});  // binary data
  cases.push_back({PublishPackage(std::string(R"({"topic":"t\xff","body":"b"})")), false});
  cases.push_back({PublishPackage(R"({"body":"b"})"), false});
  cases.push_back({PublishPackage(R"({"topic":"t","body":"b","properties":{"Bad":"x"}})"), false});
  cases.push_back({PublishPackage(R"({"topic":"t","body":"b","properties":{"id":"x"}})"), false});
  cases.push_back({PublishPackage(std::string(R"({"topic":"t","body":"b","properties":{"k":")") +
                                  "\xc3" + "\"}}"),
                   false});
  cases.push_back({PublishPackage(R"({"topic":"t","body":"b")"), false});
  cases.push_back({PublishPackage("[]"), false});
  tcp::Package no_seq = PublishPackage(kJavaMessage);
  no_seq.header.seq.reset();
  cases.push_back({no_seq, false});
  tcp::Package bad_seq = PublishPackage(kJavaMessage);
  bad_seq.header.seq = "\xff";
  cases.push_back({bad_seq, false});
  tcp::Package v2 = PublishPackage(kJavaMessage);
  v2.header.properties["protocolversion"] = "2.0";
  cases.push_back({v2, false});
  tcp::Package blank_desc = PublishPackage(kJavaMessage);
  blank_desc.header.properties["protocoldesc"] = "  ";
  cases.push_back({blank_desc, false});
  tcp::Package v03_reserved =
      PublishPackage(R"({"topic":"t","body":"b","properties":{"schemaurl":"x"}})");
  v03_reserved.header.properties["protocolversion"] = "0.3";
  cases.push_back({v03_reserved, false});
  tcp::Package bad_header_name = PublishPackage(kJavaMessage);
  bad_header_name.header.properties["Upper"] = "x";
  cases.push_back({bad_header_name, false});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.package.body);
    StoredPublish stored;
    EXPECT_FALSE(EncodeStoredPublish(c.package.header, c.package.body, "m", &stored));
    EXPECT_EQ(TcpPackageToCloudEvent(c.package).ok(), c.converts);
  }
}

}  // namespace
}  // namespace eventmesh::protocol::adaptor

namespace eventmesh::protocol::adaptor {
namespace {

// AppendCloudEventFrame must write exactly what EncodePackage(CloudEventToTcpPackage(...))
// writes, for every kind of event the push path sees.
void ExpectSameFrame(const CloudEvent& event, tcp::LengthConvention convention) {
  absl::StatusOr<tcp::Package> package =
      CloudEventToTcpPackage(event, tcp::Command::kAsyncMessageToClient, "42");
  ASSERT_TRUE(package.ok()) << package.status();
  std::string expected = "previous bytes";
  ASSERT_TRUE(tcp::EncodePackage(*package, convention, &expected).ok());
  std::string frame = "previous bytes";
  ASSERT_TRUE(
      AppendCloudEventFrame(event, tcp::Command::kAsyncMessageToClient, "42", convention, &frame)
          .ok());
  EXPECT_EQ(frame, expected);
}

TEST(TcpAdaptorTest, AppendedPushFrameEqualsTheEncodedPushPackage) {
  absl::StatusOr<CloudEvent> message = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  ASSERT_TRUE(message.ok()) << message.status();
  for (auto convention : {tcp::LengthConvention::kCurrent, tcp::LengthConvention::kLegacy}) {
    ExpectSameFrame(*message, convention);
  }
  // Content type, quotes/escapes/UTF-8 in body and properties, no body.
  CloudEvent odd = *message;
  odd.set_data_content_type("application/json");
  odd.set_data(R"({"a":"q\"uote","u":"\u00e9"})", DataEncoding::kJson);
  odd.SetExtension("zkey", "line\nbreak \"quoted\" é");
  ExpectSameFrame(odd, tcp::LengthConvention::kCurrent);
  odd.set_data("", DataEncoding::kText);
  ExpectSameFrame(odd, tcp::LengthConvention::kCurrent);
  // Structured CloudEvents.
  absl::StatusOr<CloudEvent> structured = TcpPackageToCloudEvent(PublishPackage(
      R"({"specversion":"1.0","id":"e1","source":"/s","type":"t","subject":"topic-a",)"
      R"("datacontenttype":"text/plain","data":"hello"})",
      "cloudevents"));
  ASSERT_TRUE(structured.ok()) << structured.status();
  ExpectSameFrame(*structured, tcp::LengthConvention::kCurrent);
}

TEST(TcpAdaptorTest, AppendedPushFrameRefusesOversizeFramesAndLeavesOutput) {
  absl::StatusOr<CloudEvent> message = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  ASSERT_TRUE(message.ok());
  message->set_data(std::string(tcp::kMaxFrameSize, 'x'), DataEncoding::kText);
  std::string out = "kept";
  absl::Status status = AppendCloudEventFrame(*message, tcp::Command::kAsyncMessageToClient, "1",
                                              tcp::LengthConvention::kCurrent, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("-byte limit"));
  EXPECT_EQ(out, "kept");
}

// AppendStoredEventFrame writes, from the stored bytes alone, what AppendCloudEventFrame writes
// for the event those bytes decode to; nullopt (output untouched) for what it leaves to that path.
std::optional<std::string> StoredFrame(
    const std::string& stored, tcp::LengthConvention convention = tcp::LengthConvention::kCurrent) {
  std::string frame = "previous bytes";
  std::optional<absl::Status> written =
      AppendStoredEventFrame(stored, tcp::Command::kAsyncMessageToClient, "42", convention, &frame);
  if (!written.has_value()) {
    EXPECT_EQ(frame, "previous bytes");
    return std::nullopt;
  }
  EXPECT_TRUE(written->ok()) << *written;
  return frame;
}

std::string DecodedFrame(const std::string& stored,
                         tcp::LengthConvention convention = tcp::LengthConvention::kCurrent) {
  absl::StatusOr<CloudEvent> event = cloudevents::ParseProto(stored);
  EXPECT_TRUE(event.ok()) << event.status();
  std::string frame = "previous bytes";
  EXPECT_TRUE(
      AppendCloudEventFrame(*event, tcp::Command::kAsyncMessageToClient, "42", convention, &frame)
          .ok());
  return frame;
}

std::string Stored(const CloudEvent& event) {
  absl::StatusOr<std::string> stored = cloudevents::SerializeProto(event);
  EXPECT_TRUE(stored.ok()) << stored.status();
  return stored.ok() ? *stored : std::string();
}

// Events of every form AppendStoredEventFrame writes itself.
std::vector<CloudEvent> StoredFrameEvents() {
  absl::StatusOr<CloudEvent> message = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  EXPECT_TRUE(message.ok()) << message.status();
  if (!message.ok()) return {};
  std::vector<CloudEvent> events = {*message};
  CloudEvent odd = *message;  // content type, escapes and UTF-8 in data and properties
  odd.set_data_content_type("application/json");
  odd.set_data(R"({"a":"q\"uote","u":"\u00e9"})", DataEncoding::kJson);
  odd.SetExtension("zkey", "line\nbreak \"quoted\" é");
  odd.SetExtension("aaa", "");
  events.push_back(odd);
  CloudEvent no_data = odd;
  no_data.clear_data();
  events.push_back(no_data);
  CloudEvent empty_text = odd;
  empty_text.set_data("", DataEncoding::kText);
  events.push_back(empty_text);
  CloudEvent binary = *message;  // raw bytes, control characters included
  binary.set_data(std::string("\x00\x01\xff\x7f\"\\ bytes", 12), DataEncoding::kBinary);
  events.push_back(binary);
  CloudEvent no_subject = *message;
  no_subject.clear_subject();
  events.push_back(no_subject);
  CloudEvent timed = *message;  // an EventMeshMessage carries no time
  timed.set_time("2026-12-05T10:00:00.5Z");
  events.push_back(timed);
  CloudEvent many = *message;  // more properties than the inline capacity, spec version 0.3
  many.set_spec_version("0.3");
  for (int i = 0; i < 40; ++i) many.SetExtension(absl::StrCat("p", 100 + i), absl::StrCat(i));
  events.push_back(many);
  // Structured CloudEvents (protocoltype cloudevents): the event's JSON as the body.
  for (const char* data : {R"("hello")", R"({"k":[1,"two"]})"}) {
    absl::StatusOr<CloudEvent> structured = TcpPackageToCloudEvent(PublishPackage(
        absl::StrCat(R"({"specversion":"1.0","id":"e1","source":"/s","type":"t",)",
                     R"("subject":"topic-a","datacontenttype":"application/json","data":)", data,
                     "}"),
        "cloudevents"));
    EXPECT_TRUE(structured.ok()) << structured.status();
    if (structured.ok()) events.push_back(*structured);
  }
  return events;
}

TEST(TcpAdaptorTest, StoredEventFrameEqualsTheFrameOfTheDecodedEvent) {
  const std::vector<CloudEvent> events = StoredFrameEvents();
  ASSERT_FALSE(events.empty());
  for (const CloudEvent& event : events) {
    const std::string stored = Stored(event);
    for (auto convention : {tcp::LengthConvention::kCurrent, tcp::LengthConvention::kLegacy}) {
      std::optional<std::string> frame = StoredFrame(stored, convention);
      ASSERT_TRUE(frame.has_value()) << event.id();
      EXPECT_EQ(*frame, DecodedFrame(stored, convention));
    }
  }
}

// An event whose protocoltype extension names no TCP format (a publisher set it as a message
// property, or it arrived over gRPC with such an attribute) is pushed as an EventMeshMessage that
// keeps the value among its properties: it is never undeliverable.
TEST(TcpAdaptorTest, EventsOfOtherProtocolTypesArePushedAsEventMeshMessages) {
  const tcp::Package publish =
      PublishPackage(R"({"topic":"t","properties":{"protocoltype":"5"},"body":"payload"})");
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(publish);
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_NE(event->FindExtension("protocoltype"), nullptr);
  EXPECT_EQ(*event->FindExtension("protocoltype"), "5");  // the message property wins, as in Java
  StoredPublish stored;
  ASSERT_TRUE(EncodeStoredPublish(publish.header, publish.body, "m", &stored));
  EXPECT_EQ(stored.bytes, Stored(*event));

  CloudEvent other;  // no EventMeshMessage origin at all
  other.set_id("e9");
  other.set_source("/s");
  other.set_type("t");
  other.set_subject("orders");
  other.set_data("hello", DataEncoding::kText);
  other.SetExtension("protocoltype", "openmessage");
  for (const CloudEvent* e : {&*event, &other}) {
    SCOPED_TRACE(e->id());
    absl::StatusOr<tcp::Package> push =
        CloudEventToTcpPackage(*e, tcp::Command::kAsyncMessageToClient, "42");
    ASSERT_TRUE(push.ok()) << push.status();
    EXPECT_EQ(push->header.properties.at("protocoltype"), "eventmeshmessage");
    absl::StatusOr<tcp::EventMeshMessage> m = tcp::EventMeshMessage::FromJson(push->body);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->topic, *e->subject());
    EXPECT_EQ(m->body, e->data());
    EXPECT_EQ(m->properties.at("protocoltype"), *e->FindExtension("protocoltype"));
    ExpectSameFrame(*e, tcp::LengthConvention::kCurrent);
    const std::optional<std::string> frame = StoredFrame(Stored(*e));
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(*frame, DecodedFrame(Stored(*e)));
  }
}

TEST(TcpAdaptorTest, StoredEventFramesThroughAMemoAreTheFramesWithout) {
  std::vector<CloudEvent> events = StoredFrameEvents();
  ASSERT_FALSE(events.empty());
  // Runs of events with the same attributes and different ids and data (with and without data),
  // between the varied ones.
  const CloudEvent first = events.front();
  for (int i = 0; i < 4; ++i) {
    CloudEvent next = first;
    next.set_id(absl::StrCat("run-", i));
    if (i != 2) next.set_data(absl::StrCat("body \"", i, "\""), DataEncoding::kText);
    if (i == 2) next.clear_data();
    events.push_back(next);
  }
  // The same attributes and one more after them (a longer run), and a run split by the data.
  CloudEvent longer = first;
  longer.SetExtension("zzz", "last");
  events.push_back(longer);
  events.push_back(longer);
  events.push_back(first);
  std::vector<std::string> stored;
  for (const CloudEvent& event : events) stored.push_back(Stored(event));
  // An attribute entry {"zzz": "x"} after the data: the event's attributes are the run and it.
  stored.push_back(Stored(first) + std::string("\x2a\x0a\x0a\x03zzz\x12\x03\x1a\x01x", 12));
  stored.push_back(stored.back());
  StoredFrameMemo memo;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < stored.size(); ++i) {
      for (int repeat = 0; repeat < 2; ++repeat) {  // the second one through the memo
        std::string frame = "previous bytes";
        std::optional<absl::Status> written = AppendStoredEventFrame(
            stored[i], tcp::Command::kAsyncMessageToClient, "42", tcp::LengthConvention::kCurrent,
            &frame, tcp::kMaxFrameSize, cloudevents::ProtoEventView::Checks::kStructure, &memo);
        ASSERT_TRUE(written.has_value() && written->ok()) << i;
        EXPECT_EQ(frame, DecodedFrame(stored[i])) << "event " << i << " pass " << pass;
      }
    }
    if (pass == 0) memo.Clear();
  }
  // An oversize frame through the memo is refused as without it, the output left as it was.
  CloudEvent large = first;
  large.set_data(std::string(4096, 'x'), DataEncoding::kText);
  const std::string large_stored = Stored(large);
  for (int repeat = 0; repeat < 2; ++repeat) {
    std::string out = "kept";
    std::optional<absl::Status> written = AppendStoredEventFrame(
        large_stored, tcp::Command::kAsyncMessageToClient, "1", tcp::LengthConvention::kCurrent,
        &out, /*max_frame_size=*/4096, cloudevents::ProtoEventView::Checks::kAll, &memo);
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(written->code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(out, "kept");
  }
}

// StoredPublish::hints.plain_data is set exactly for bodies a JSON writer copies as they are, and a
// frame written with plain_data (through the memo, where it is used) is the frame without.
TEST(TcpAdaptorTest, PlainDataMarksBodiesJsonHoldsAsTheyAre) {
  struct Case {
    std::string body_json;  // the body member's JSON text
    bool plain;
  };
  const std::vector<Case> cases = {
      {R"j("plain text, 0-9 and punctuation ~!@#$%^&*()")j", true},
      {R"("")", true},
      {R"("an escaped \"quote\"")", false},
      {R"("a tab\tand a newline\n")", false},
      {R"("a solidus \/ written escaped")", false},
      {"\"caf\xc3\xa9\"", false},
      {R"("\u00e9")", false},
      {"\"DEL \x7f\"", true},  // JSON holds DEL as it is
  };
  StoredFrameMemo memo;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body_json);
    const tcp::Package package = PublishPackage(
        R"({"topic":"plain-data","properties":{"k":"v"},"body":)" + c.body_json + "}");
    StoredPublish stored;
    ASSERT_TRUE(EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &stored));
    absl::StatusOr<CloudEvent> event = cloudevents::ParseProto(stored.bytes);
    ASSERT_TRUE(event.ok()) << event.status();
    const std::string& data = event->data();
    bool needs_nothing = true;
    for (const char ch : data) {
      const auto byte = static_cast<unsigned char>(ch);
      if (byte < 0x20 || byte >= 0x80 || ch == '"' || ch == '\\') needs_nothing = false;
    }
    // Never marked when it is not so.
    if (stored.hints.plain_data) {
      EXPECT_TRUE(needs_nothing) << data;
    }
    EXPECT_EQ(stored.hints.plain_data, c.plain);
    // Twice: the second frame comes through the memo's JSON, where plain_data is used.
    for (int repeat = 0; repeat < 2; ++repeat) {
      std::string frame = "previous bytes";
      std::optional<absl::Status> written = AppendStoredEventFrame(
          stored.bytes, tcp::Command::kAsyncMessageToClient, "42", tcp::LengthConvention::kCurrent,
          &frame, tcp::kMaxFrameSize, cloudevents::ProtoEventView::Checks::kStructure, &memo,
          stored.hints);
      ASSERT_TRUE(written.has_value() && written->ok());
      EXPECT_EQ(frame, DecodedFrame(stored.bytes));
    }
  }
}

// StoredPublish::hints.plain_attributes is set only when the topic, the content type and every
// property value (the message's and the header's) need no JSON escaping; frames written with it
// (without a memo, and through a StoredFrameMemo's JSON) are the frames of the decoded events.
// Through a StoredPublishMemo too: values that change every time, plain or not.
TEST(TcpAdaptorTest, PlainAttributesMarkTopicsTypesAndPropertiesJsonHoldsAsTheyAre) {
  struct Case {
    std::string message;               // the EventMeshMessage JSON
    std::string header_value = "tcp";  // the header's protocoldesc
    bool plain;
  };
  const std::vector<Case> cases = {
      {R"({"topic":"t","properties":{"k":"v","seq":"1"},"body":"b"})", "tcp", true},
      {R"({"topic":"t","properties":{"k":"v","seq":"2"},"body":"b"})", "tcp", true},
      {R"({"topic":"t","properties":{"k":"v","seq":"3"},"body":"b"})", "tcp", true},
      {R"({"topic":"t","properties":{"k":"v\"q","seq":"4"},"body":"b"})", "tcp", false},
      {R"({"topic":"t","properties":{"k":"v","seq":"5"},"body":"b"})", "tcp", true},
      {"{\"topic\":\"t\",\"properties\":{\"k\":\"caf\xc3\xa9\",\"seq\":\"6\"},\"body\":\"b\"}",
       "tcp", false},
      {R"({"topic":"t","properties":{"k":"v","seq":"7"},"body":"b"})", "a \"quoted\" desc", false},
      {R"({"topic":"t","properties":{"k":"v","seq":"8"},"body":"b"})", "tab\there", false},
      {R"({"topic":"t","properties":{"k":"v","seq":"9"},"body":"b"})", "tcp", true},
      {R"({"topic":"t\/x","properties":{"k":"v"},"body":"b"})", "tcp", false},
      {R"({"topic":"t","properties":{"k":"v"},"headers":{"datacontenttype":"text/\"x\""},)"
       R"("body":"b"})",
       "tcp", false},
      {R"({"topic":"t","properties":{"k":"v"},"headers":{"datacontenttype":"text/plain"},)"
       R"("body":"b"})",
       "tcp", true},
      {R"({"topic":"t","properties":{"k":"v"},"body":"an escaped \"body\""})", "tcp", false},
  };
  StoredPublishMemo publish_memo;
  StoredFrameMemo frame_memo;
  for (int pass = 0; pass < 2; ++pass) {  // the second time through the publish memo
    for (const Case& c : cases) {
      SCOPED_TRACE(c.message + " / " + c.header_value);
      tcp::Package package = PublishPackage(c.message);
      package.header.properties["protocoldesc"] = c.header_value;
      StoredPublish stored;
      ASSERT_TRUE(EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &stored,
                                      pass == 0 ? nullptr : &publish_memo));
      // Never claimed when it is not so; claimed for every plain case without a memo.
      if (pass == 0 || !c.plain) {
        EXPECT_EQ(stored.hints.plain_attributes, c.plain);
      }
      for (int repeat = 0; repeat < 2; ++repeat) {  // the second frame through the memo's JSON
        std::string frame = "previous bytes";
        std::optional<absl::Status> written =
            AppendStoredEventFrame(stored.bytes, tcp::Command::kAsyncMessageToClient, "42",
                                   tcp::LengthConvention::kCurrent, &frame, tcp::kMaxFrameSize,
                                   cloudevents::ProtoEventView::Checks::kStructure,
                                   repeat == 0 ? nullptr : &frame_memo, stored.hints);
        ASSERT_TRUE(written.has_value() && written->ok());
        EXPECT_EQ(frame, DecodedFrame(stored.bytes));
      }
    }
  }
}

// Publishes encoded through StoredPublishMemos (two publishers, interleaved) carry attribute ids;
// their push frames written with those hints, through one StoredFrameMemo (where the id of the
// memo's JSON skips reading the bytes), are the frames of the decoded events: across topic,
// property and content type changes, plain and escaped data, empty bodies, and a cleared memo.
TEST(TcpAdaptorTest, FramesWrittenWithAttributeIdsAreTheFramesOfTheDecodedEvents) {
  const std::vector<std::string> bodies = {
      R"({"topic":"ids-a","properties":{"k":"v"},"body":"one"})",
      R"({"topic":"ids-a","properties":{"k":"v"},"body":"two"})",
      R"({"topic":"ids-a","properties":{"k":"v"},"body":"an \"escaped\" one\n"})",
      R"({"topic":"ids-a","properties":{"k":"v"},"body":""})",
      R"({"topic":"ids-a","properties":{"k":"v"}})",
      R"({"topic":"ids-a","properties":{"k":"v"},"body":"caf\u00e9 \u2603"})",
      R"({"topic":"ids-a","properties":{"k":"w"},"body":"other property"})",
      R"({"topic":"ids-a","properties":{"k":"w"},"body":"other property again"})",
      R"({"topic":"ids-b","properties":{"k":"w"},"body":"other topic"})",
      R"({"topic":"ids-b","properties":{"k":"w"},"headers":{"datacontenttype":"text/plain"},)"
      R"("body":"with a content type"})",
      R"({"topic":"ids-b","properties":{"k":"w"},"headers":{"datacontenttype":"text/plain"},)"
      R"("body":"with a content type again"})",
      R"({"topic":"ids-a","properties":{"k":"v"},"body":"back to the first"})",
      R"({"topic":"ids-a","properties":{"k":"v"},"body":"and once more"})",
  };
  StoredPublishMemo publishers[2];
  StoredFrameMemo memo;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < bodies.size() * 2; ++i) {
      SCOPED_TRACE(testing::Message() << "pass " << pass << " publish " << i);
      // Publisher i % 2 sends body i / 2: both send the same bodies, one step apart.
      const tcp::Package package = PublishPackage(bodies[i / 2]);
      StoredPublish stored;
      ASSERT_TRUE(EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &stored,
                                      &publishers[i % 2]));
      ASSERT_NE(stored.hints.attributes_id, 0u);
      for (int repeat = 0; repeat < 2; ++repeat) {
        std::string frame = "previous bytes";
        std::optional<absl::Status> written = AppendStoredEventFrame(
            stored.bytes, tcp::Command::kAsyncMessageToClient, "42",
            tcp::LengthConvention::kCurrent, &frame, tcp::kMaxFrameSize,
            cloudevents::ProtoEventView::Checks::kStructure, &memo, stored.hints);
        ASSERT_TRUE(written.has_value() && written->ok());
        EXPECT_EQ(frame, DecodedFrame(stored.bytes)) << "repeat " << repeat;
      }
      // The memo's JSON is now this event's attributes': only the data at the end of the bytes
      // is read (bytes whose attributes do not parse give the same frame).
      const std::string unreadable =
          std::string(stored.bytes.size() - stored.hints.data_size, '\xff') +
          stored.bytes.substr(stored.bytes.size() - stored.hints.data_size);
      for (auto convention : {tcp::LengthConvention::kCurrent, tcp::LengthConvention::kLegacy}) {
        std::string frame = "previous bytes";
        std::optional<absl::Status> written = AppendStoredEventFrame(
            unreadable, tcp::Command::kAsyncMessageToClient, "42", convention, &frame,
            tcp::kMaxFrameSize, cloudevents::ProtoEventView::Checks::kStructure, &memo,
            stored.hints);
        ASSERT_TRUE(written.has_value() && written->ok());
        EXPECT_EQ(frame, DecodedFrame(stored.bytes, convention));
      }
    }
    memo.Clear();
    publishers[0].Clear();
  }
  // An oversize frame from the memo's JSON is refused, the output left as it was.
  const tcp::Package large = PublishPackage(R"({"topic":"ids-a","properties":{"k":"v"},"body":")" +
                                            std::string(4096, 'x') + "\"}");
  StoredPublish stored;
  ASSERT_TRUE(
      EncodeStoredPublish(large.header, large.body, "eventmeshorigin", &stored, &publishers[0]));
  for (int repeat = 0; repeat < 3; ++repeat) {  // the third from the memo's JSON
    std::string out = "kept";
    std::optional<absl::Status> written =
        AppendStoredEventFrame(stored.bytes, tcp::Command::kAsyncMessageToClient, "1",
                               tcp::LengthConvention::kCurrent, &out, /*max_frame_size=*/4096,
                               cloudevents::ProtoEventView::Checks::kAll, &memo, stored.hints);
    ASSERT_TRUE(written.has_value());
    EXPECT_EQ(written->code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(out, "kept");
  }
}

TEST(TcpAdaptorTest, StoredEventFrameLeavesOtherEventsToTheDecodingPath) {
  absl::StatusOr<CloudEvent> message = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  ASSERT_TRUE(message.ok()) << message.status();
  // Typed extensions and dataschema: the general path writes them.
  CloudEvent typed = *message;
  typed.SetExtension("count", cloudevents::AttributeValue::Integer(7));
  CloudEvent schema = *message;
  schema.set_data_schema("https://example.com/schema");
  for (const CloudEvent& event : {typed, schema}) {
    const std::string stored = Stored(event);
    EXPECT_FALSE(StoredFrame(stored).has_value()) << event.id();
    // ... which writes them.
    EXPECT_NE(DecodedFrame(stored), "previous bytes");
  }
  // Bytes that are not a stored event, or one that would not validate.
  const std::string stored = Stored(*message);
  for (const std::string& bad : {stored.substr(0, stored.size() - 3), std::string("\xff\xff\xff"),
                                 std::string(), Stored([&] {
                                   CloudEvent no_id = *message;
                                   no_id.set_id("");
                                   return no_id;
                                 }())}) {
    EXPECT_FALSE(StoredFrame(bad).has_value());
  }
}

TEST(TcpAdaptorTest, StoredEventFrameRefusesOversizeFramesAndLeavesOutput) {
  absl::StatusOr<CloudEvent> message = TcpPackageToCloudEvent(PublishPackage(kJavaMessage));
  ASSERT_TRUE(message.ok());
  message->set_data(std::string(4096, 'x'), DataEncoding::kText);
  std::string out = "kept";
  std::optional<absl::Status> written =
      AppendStoredEventFrame(Stored(*message), tcp::Command::kAsyncMessageToClient, "1",
                             tcp::LengthConvention::kCurrent, &out, /*max_frame_size=*/4096);
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(written->message(), HasSubstr("-byte limit"));
  EXPECT_EQ(out, "kept");
}

// A structured CloudEvent body and its header may each carry any number of names: the header's
// properties join in one merge (the test's timeout catches one insertion each, with every body
// extension shifted behind it), and a body extension is not replaced.
TEST(TcpAdaptorTest, ManyHeaderPropertiesJoinManyBodyExtensionsInOneMerge) {
  constexpr int kCount = 100000;
  std::string body = R"({"specversion":"1.0","id":"1","source":"/s","type":"t","subject":"topic")";
  for (int i = 0; i < kCount; ++i) absl::StrAppend(&body, ",\"z", i, "\":\"body\"");
  body += R"(,"a5":"body"})";
  tcp::Package p = PublishPackage(body, "cloudevents");
  std::vector<tcp::Header::Properties::value_type> properties(p.header.properties.begin(),
                                                              p.header.properties.end());
  for (int i = 0; i < kCount; ++i) properties.emplace_back(absl::StrCat("a", i), "header");
  p.header.properties.Assign(std::move(properties), tcp::Header::Properties::Duplicates::kKeepLast);
  absl::StatusOr<CloudEvent> event = TcpPackageToCloudEvent(p);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->extensions().size(), static_cast<size_t>(2 * kCount + 3));
  EXPECT_EQ(*event->FindExtension("a5"), "body");
  EXPECT_EQ(*event->FindExtension("a6"), "header");
  EXPECT_EQ(*event->FindExtension("protocoltype"), "cloudevents");
}

}  // namespace
}  // namespace eventmesh::protocol::adaptor
