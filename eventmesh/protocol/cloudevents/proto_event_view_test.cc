#include "eventmesh/protocol/cloudevents/proto_event_view.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/proto/testing/wire_builder.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

CloudEvent Plain() {
  CloudEvent e;
  e.set_id("id-1");
  e.set_source("/orders");
  e.set_type("order.created");
  e.set_subject("orders");
  e.SetExtension("bizseqno", "7");
  e.SetExtension("protocoltype", "eventmeshmessage");
  e.set_data_content_type("text/plain");
  e.set_data("hello", DataEncoding::kText);
  return e;
}

std::string Bytes(const CloudEvent& e) {
  absl::StatusOr<std::string> bytes = SerializeProto(e);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::string();
}

// The view of SerializeProto(e) holds what ParseProto decodes and writes the same JSON.
void ExpectSameAsParseProto(const CloudEvent& e) {
  const std::string bytes = Bytes(e);
  absl::StatusOr<CloudEvent> decoded = ParseProto(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  std::optional<ProtoEventView> view = ProtoEventView::Parse(bytes);
  ASSERT_TRUE(view.has_value()) << SerializeJsonEvent(e);
  EXPECT_EQ(view->id(), decoded->id());
  EXPECT_EQ(view->source(), decoded->source());
  EXPECT_EQ(view->spec_version(), decoded->spec_version());
  EXPECT_EQ(view->type(), decoded->type());
  EXPECT_EQ(view->subject(), std::optional<absl::string_view>(decoded->subject()));
  EXPECT_EQ(view->data_content_type(),
            std::optional<absl::string_view>(decoded->data_content_type()));
  EXPECT_EQ(view->data(), decoded->data());
  ASSERT_EQ(view->extensions().size(), decoded->extensions().size());
  size_t i = 0;
  for (const auto& [name, value] : decoded->extensions()) {
    EXPECT_EQ(view->extensions()[i].first, name);
    EXPECT_EQ(view->extensions()[i].second.text, value.text);
    ASSERT_NE(view->FindExtension(name), nullptr);
    EXPECT_EQ(*view->FindExtension(name), value.text);
    ++i;
  }
  std::string json;
  AppendJsonEvent(*view, &json);
  EXPECT_EQ(json, SerializeJsonEvent(*decoded));
  // Bytes of a validated event read the same without the contents' checks.
  std::optional<ProtoEventView> structural =
      ProtoEventView::Parse(bytes, ProtoEventView::Checks::kStructure);
  ASSERT_TRUE(structural.has_value());
  std::string structural_json;
  AppendJsonEvent(*structural, &structural_json);
  EXPECT_EQ(structural_json, json);
}

TEST(ProtoEventViewTest, PlainEventsReadAsParseProtoDecodesThem) {
  std::vector<CloudEvent> events;
  events.push_back(Plain());
  {
    CloudEvent e = Plain();  // JSON data with a JSON content type: "data" written inline
    e.set_data_content_type("application/json");
    e.set_data(R"({"n":1,"s":"x"})", DataEncoding::kJson);
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();  // text that claims to be JSON but is not: a JSON string
    e.set_data_content_type("application/json");
    e.set_data("not json {", DataEncoding::kText);
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();  // no content type: text that parses as JSON is JSON
    e = CloudEvent();
    e.set_id("2");
    e.set_source("/");
    e.set_type("t");
    e.set_data("[1,2]", DataEncoding::kJson);
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();  // binary data, escapes and UTF-8 in attributes
    e.set_id("quote\" backslash\\ tab\t é 日本");
    e.SetExtension("note", std::string("nul\0inside", 10));
    e.set_data(std::string("\x00\xff\x80 bytes", 9), DataEncoding::kBinary);
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();  // spec 0.3 with binary data: datacontentencoding base64
    e.set_spec_version(std::string(kSpecVersion03));
    e.set_data("\x01\x02", DataEncoding::kBinary);
    events.push_back(e);
  }
  for (const char* time :
       {"2026-12-05T20:00:00Z", "2026-12-05T20:00:00.123456789+01:00", "0001-01-01T00:00:00Z"}) {
    CloudEvent e = Plain();  // time: written as a ce_timestamp, read back in UTC
    e.set_time(time);
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();  // no data, no subject, no content type, 40 extensions
    e = CloudEvent();
    e.set_id("3");
    e.set_source("urn:x");
    e.set_type("t");
    for (int i = 0; i < 40; ++i) e.SetExtension(absl::StrCat("ext", i), absl::StrCat("v", i));
    events.push_back(e);
  }
  for (const CloudEvent& e : events) {
    SCOPED_TRACE(SerializeJsonEvent(e));
    ExpectSameAsParseProto(e);
  }
}

TEST(ProtoEventViewTest, EventsThatAreNotPlainAreLeftToParseProto) {
  std::vector<CloudEvent> events;
  {
    CloudEvent e = Plain();
    e.set_data_schema("https://example.com/schema");
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();
    e.SetExtension("count", AttributeValue::Integer(3));
    events.push_back(e);
  }
  {
    CloudEvent e = Plain();
    e.SetExtension("flag", AttributeValue::Boolean(true));
    events.push_back(e);
  }
  for (const CloudEvent& e : events) {
    const std::string bytes = Bytes(e);
    EXPECT_TRUE(ParseProto(bytes).ok());
    EXPECT_FALSE(ProtoEventView::Parse(bytes).has_value()) << SerializeJsonEvent(e);
  }
}

using protocol::wire::testing::LenField;
using protocol::wire::testing::VarField;
using protocol::wire::testing::Varint;

std::string Entry(const std::string& key, const std::string& text) {
  return LenField(5, LenField(1, key) + LenField(2, LenField(3, text)));
}
std::string Required(const std::string& spec = "1.0", const std::string& source = "/") {
  return LenField(1, "1") + LenField(2, source) + LenField(3, spec) + LenField(4, "t");
}

TEST(ProtoEventViewTest, RefusesWhatParseProtoRefusesAndWhatIsNotWrittenOnce) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"source not a URI-reference", Required("1.0", "has space")},
      {"unknown specversion", Required("2.0")},
      {"no id", LenField(2, "/") + LenField(3, "1.0") + LenField(4, "t")},
      {"empty subject", Required() + Entry("subject", "")},
      {"empty content type", Required() + Entry("datacontenttype", "")},
      {"0.3 reserved extension", Required("0.3") + Entry("datacontentencoding", "base64")},
      {"0.3 schemaurl", Required("0.3") + Entry("schemaurl", "/s")},
      {"extension name not lower-case", Required() + Entry("Upper", "x")},
      {"core name as an entry", Required() + Entry("id", "x")},
      {"text data not UTF-8", Required() + LenField(7, "\xc3\x28")},
      {"extension text not UTF-8", Required() + Entry("ext", "\xff")},
      {"id twice", Required() + LenField(1, "2")},
      {"two data fields", Required() + LenField(6, "a") + LenField(7, "b")},
      {"subject twice", Required() + Entry("subject", "a") + Entry("subject", "b")},
      {"extensions out of order", Required() + Entry("b", "1") + Entry("a", "2")},
      {"extension twice", Required() + Entry("a", "1") + Entry("a", "2")},
      {"proto_data", Required() + LenField(8, "")},
      {"unknown field", Required() + LenField(9, "x")},
      {"varint field", Required() + Varint(10 << 3) + Varint(1)},
      {"time text not RFC 3339", Required() + Entry("time", "yesterday")},
      {"time after 9999",
       Required() +
           LenField(5, LenField(1, "time") + LenField(2, LenField(7, VarField(1, 1ULL << 40))))},
      {"time nanos negative",
       Required() +
           LenField(5, LenField(1, "time") + LenField(2, LenField(7, VarField(2, UINT64_MAX))))},
      {"time twice",
       Required() + Entry("time", "2026-12-05T20:00:00Z") + Entry("time", "2026-12-05T20:00:00Z")},
      {"truncated", Required().substr(0, 5)},
  };
  // What Checks::kStructure leaves unchecked: the contents of strings a validated event's bytes
  // hold. Everything else it refuses as kAll does.
  const std::set<std::string> contents = {"source not a URI-reference",
                                          "extension name not lower-case", "text data not UTF-8",
                                          "extension text not UTF-8"};
  for (const auto& [what, bytes] : cases) {
    EXPECT_FALSE(ProtoEventView::Parse(bytes).has_value()) << what;
    EXPECT_EQ(ProtoEventView::Parse(bytes, ProtoEventView::Checks::kStructure).has_value(),
              contents.count(what) == 1)
        << what;
  }
  // The same bytes with plain extensions are accepted, and time as text or as a timestamp.
  EXPECT_TRUE(ProtoEventView::Parse(Required() + Entry("a", "1") + Entry("b", "2")).has_value());
  // (A view points into its bytes: they are kept in locals.)
  const std::string text_time_bytes = Required() + Entry("time", "2026-12-05T21:00:00+01:00");
  std::optional<ProtoEventView> text_time = ProtoEventView::Parse(text_time_bytes);
  ASSERT_TRUE(text_time.has_value());
  EXPECT_EQ(text_time->time(), "2026-12-05T21:00:00+01:00");  // as ParseProto keeps it
  EXPECT_EQ(ParseProto(text_time_bytes)->time(), "2026-12-05T21:00:00+01:00");
  const std::string epoch_bytes =
      Required() + LenField(5, LenField(1, "time") + LenField(2, LenField(7, "")));
  std::optional<ProtoEventView> epoch = ProtoEventView::Parse(epoch_bytes);
  ASSERT_TRUE(epoch.has_value());
  EXPECT_EQ(epoch->time(), "1970-01-01T00:00:00Z");
}

TEST(ProtoEventViewTest, NoPrefixOfAnEventIsReadPastItsEnd) {
  const std::string bytes = Bytes(Plain());
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string prefix = bytes.substr(0, n);  // its own allocation, for ASan
    std::optional<ProtoEventView> view = ProtoEventView::Parse(prefix);
    if (view.has_value()) {
      EXPECT_TRUE(ParseProto(prefix).ok()) << n;
    }
    EXPECT_EQ(ProtoEventView::Parse(prefix, ProtoEventView::Checks::kStructure).has_value(),
              view.has_value())
        << n;
  }
}

// Two readings agree: the same fields and extensions, pointing into the same bytes.
void ExpectSameView(const std::optional<ProtoEventView>& a, const std::optional<ProtoEventView>& b,
                    const std::string& what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (!a.has_value()) return;
  const auto same = [](absl::string_view x, absl::string_view y) {
    return x.data() == y.data() && x.size() == y.size();
  };
  EXPECT_TRUE(same(a->id(), b->id())) << what;
  EXPECT_TRUE(same(a->source(), b->source())) << what;
  EXPECT_TRUE(same(a->spec_version(), b->spec_version())) << what;
  EXPECT_TRUE(same(a->type(), b->type())) << what;
  ASSERT_EQ(a->subject().has_value(), b->subject().has_value()) << what;
  if (a->subject()) {
    EXPECT_TRUE(same(*a->subject(), *b->subject())) << what;
  }
  ASSERT_EQ(a->data_content_type().has_value(), b->data_content_type().has_value()) << what;
  if (a->data_content_type()) {
    EXPECT_TRUE(same(*a->data_content_type(), *b->data_content_type())) << what;
  }
  EXPECT_EQ(a->time(), b->time()) << what;
  EXPECT_TRUE(same(a->data(), b->data())) << what;
  EXPECT_EQ(a->data_field_encoding(), b->data_field_encoding()) << what;
  ASSERT_EQ(a->extensions().size(), b->extensions().size()) << what;
  for (size_t i = 0; i < a->extensions().size(); ++i) {
    EXPECT_TRUE(same(a->extensions()[i].first, b->extensions()[i].first)) << what << " " << i;
    EXPECT_TRUE(same(a->extensions()[i].second.text, b->extensions()[i].second.text))
        << what << " " << i;
  }
}

TEST(ProtoEventViewTest, AMemoReadsEventsWithTheSameAttributesOnce) {
  CloudEvent second = Plain();
  second.set_id("id-2");
  second.set_data("another body", DataEncoding::kText);
  CloudEvent more = Plain();
  more.SetExtension("zone", "b");
  CloudEvent other_topic = Plain();
  other_topic.set_subject("payments");
  CloudEvent timed = Plain();
  timed.set_time("2026-12-06T04:00:00Z");
  CloudEvent timed_later = timed;
  timed_later.set_time("2026-12-06T04:00:01Z");
  CloudEvent binary = Plain();
  binary.set_data(std::string("\x00\xff", 2), DataEncoding::kBinary);
  // (expected hit, event): each read after the ones above it, through one memo.
  const std::vector<std::pair<bool, CloudEvent>> events = {
      {false, Plain()}, {true, second},       {true, Plain()},     {false, more},
      {true, more},     {false, other_topic}, {false, Plain()},    {true, binary},
      {false, timed},   {false, timed_later}, {true, timed_later}, {false, second},
  };
  for (const auto checks : {ProtoEventView::Checks::kAll, ProtoEventView::Checks::kStructure}) {
    ProtoEventView::AttributeMemo memo;
    std::vector<std::string> kept;  // views point into their bytes
    for (size_t i = 0; i < events.size(); ++i) {
      kept.push_back(Bytes(events[i].second));
      const std::string& bytes = kept.back();
      const uint64_t generation = memo.generation();
      std::optional<ProtoEventView> view = ProtoEventView::Parse(bytes, checks, &memo);
      ASSERT_TRUE(view.has_value()) << i;
      EXPECT_EQ(memo.last_hit(), events[i].first) << i;
      // The reading changes exactly when the memo is not used.
      EXPECT_EQ(memo.generation() == generation, events[i].first) << i;
      ExpectSameView(view, ProtoEventView::Parse(bytes, checks), absl::StrCat("event ", i));
    }
  }
}

TEST(ProtoEventViewTest, AMemoGivesWhatParseGivesForAnyFollowingBytes) {
  const std::string subject = Entry("subject", "orders");
  const std::string run = subject + Entry("b", "2") + Entry("d", "4");
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The run, then more entries: accepted in order, refused out of order or repeated.
      {"more entries in order", Required() + run + Entry("e", "5") + LenField(7, "x")},
      {"an entry before the run's last", Required() + run + Entry("c", "3")},
      {"an entry again", Required() + run + Entry("d", "4")},
      {"the subject again", Required() + run + subject},
      // The run after other fields, or split by them.
      {"run last", LenField(7, "x") + Required() + run},
      {"run split", Required() + subject + LenField(7, "x") + Entry("b", "2") + Entry("d", "4")},
      // What follows the run is broken.
      {"truncated after the run", Required() + run + LenField(7, "xyz").substr(0, 3)},
      {"id twice after the run", Required() + run + LenField(1, "2")},
      {"no id", LenField(2, "/") + LenField(3, "1.0") + LenField(4, "t") + run},
      // The run cut short: a prefix of the memo's run is not the run.
      {"a shorter run", Required() + subject + Entry("b", "2")},
      {"the run cut inside an entry", Required() + run.substr(0, run.size() - 1)},
  };
  for (const auto checks : {ProtoEventView::Checks::kAll, ProtoEventView::Checks::kStructure}) {
    for (const auto& [what, bytes] : cases) {
      ProtoEventView::AttributeMemo memo;
      const std::string first = Required() + run + LenField(7, "first");
      ASSERT_TRUE(ProtoEventView::Parse(first, checks, &memo).has_value());
      ASSERT_EQ(memo.run(), run);
      ExpectSameView(ProtoEventView::Parse(bytes, checks, &memo),
                     ProtoEventView::Parse(bytes, checks), what);
    }
  }
}

TEST(ProtoEventViewTest, AMemoReadWithoutTheContentsChecksServesOnlyThoseReads) {
  // An extension that is not UTF-8: kStructure reads it, kAll refuses it, through a memo too.
  const std::string run = Entry("ext", "\xff") + Entry("subject", "orders");
  const std::string bytes = Required() + run + LenField(7, "x");
  ProtoEventView::AttributeMemo memo;
  ASSERT_TRUE(ProtoEventView::Parse(bytes, ProtoEventView::Checks::kStructure, &memo).has_value());
  EXPECT_EQ(memo.run(), run);
  EXPECT_FALSE(ProtoEventView::Parse(bytes, ProtoEventView::Checks::kAll, &memo).has_value());
  EXPECT_FALSE(memo.last_hit());
  // A reading with every check serves both.
  const std::string good = Required() + Entry("ext", "ok") + LenField(7, "x");
  ASSERT_TRUE(ProtoEventView::Parse(good, ProtoEventView::Checks::kAll, &memo).has_value());
  ASSERT_TRUE(ProtoEventView::Parse(good, ProtoEventView::Checks::kStructure, &memo).has_value());
  EXPECT_TRUE(memo.last_hit());
  ASSERT_TRUE(ProtoEventView::Parse(good, ProtoEventView::Checks::kAll, &memo).has_value());
  EXPECT_TRUE(memo.last_hit());
}

// Attributes that change with every event (a per-event extension): after two misses in a row the
// memo keeps the run it has (no copy per event) but for every 16th; Parse gives what it gives
// without a memo, and once the attributes repeat the memo takes them up within 16 events.
TEST(ProtoEventViewTest, AMemoSkipsMostRunsOfAStreakOfChangingAttributes) {
  const auto event = [](int i) {
    return Required() + Entry("seq", std::to_string(i)) + LenField(7, "x");
  };
  ProtoEventView::AttributeMemo memo;
  uint64_t generation = memo.generation();
  int remembered = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string bytes = event(i);
    ExpectSameView(ProtoEventView::Parse(bytes, ProtoEventView::Checks::kAll, &memo),
                   ProtoEventView::Parse(bytes), "changing");
    EXPECT_FALSE(memo.last_hit());
    if (memo.generation() != generation) ++remembered;
    generation = memo.generation();
  }
  EXPECT_EQ(remembered, 4);  // the first two, the 16th and the 32nd
  const std::string same = event(1000);
  int parses = 0;
  while (!memo.last_hit() && parses < 16) {
    ExpectSameView(ProtoEventView::Parse(same, ProtoEventView::Checks::kAll, &memo),
                   ProtoEventView::Parse(same), "same");
    ++parses;
  }
  EXPECT_TRUE(memo.last_hit()) << parses;
  ASSERT_TRUE(ProtoEventView::Parse(same, ProtoEventView::Checks::kAll, &memo).has_value());
  EXPECT_TRUE(memo.last_hit());
}

TEST(ProtoEventViewTest, AMemoDoesNotKeepLargeRunsAndClearFreesIt) {
  const std::string large = Required() + Entry("big", std::string(5000, 'x'));
  ProtoEventView::AttributeMemo memo;
  for (int i = 0; i < 2; ++i) {
    ExpectSameView(ProtoEventView::Parse(large, ProtoEventView::Checks::kAll, &memo),
                   ProtoEventView::Parse(large), "large");
    EXPECT_FALSE(memo.last_hit());
    EXPECT_TRUE(memo.run().empty());
  }
  const std::string small = Required() + Entry("small", "x");
  ASSERT_TRUE(ProtoEventView::Parse(small, ProtoEventView::Checks::kAll, &memo).has_value());
  EXPECT_FALSE(memo.run().empty());
  const uint64_t generation = memo.generation();
  memo.Clear();
  EXPECT_TRUE(memo.run().empty());
  EXPECT_NE(memo.generation(), generation);
  ASSERT_TRUE(ProtoEventView::Parse(small, ProtoEventView::Checks::kAll, &memo).has_value());
  EXPECT_FALSE(memo.last_hit());
}

}  // namespace
}  // namespace eventmesh::cloudevents
