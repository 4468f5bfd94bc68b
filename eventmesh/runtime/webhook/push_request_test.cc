#include "eventmesh/runtime/webhook/push_request.h"

#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::webhook {
namespace {

cloudevents::CloudEvent MakeEvent() {
  cloudevents::CloudEvent event;
  event.set_id("id-1");
  event.set_source("/");
  event.set_type("eventmeshmessage");
  event.set_subject("orders");
  event.set_data("payload text", cloudevents::DataEncoding::kText);
  event.set_data_content_type("text/plain");
  event.SetExtension("bizseqno", "12345678901234567890");
  event.SetExtension("uniqueid", "u-1");
  event.SetExtension("protocoltype", "eventmeshmessage");
  event.SetExtension("color", "blue");
  return event;
}

RuntimeIdentity Identity() {
  RuntimeIdentity id;
  id.cluster = "C1";
  id.ip = "10.0.0.9";
  id.env = "TEST";
  id.idc = "IDC1";
  return id;
}

TEST(PushRequestTest, EventMeshAsyncPushHasTheReferenceHeadersAndFields) {
  net::HttpRequest request = BuildPushRequest(MakeEvent(), "http://h/x", PushFormat::kEventMeshForm,
                                              false, Identity(), 42);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://h/x");
  auto header = [&](const char* name) {
    const std::string* v = net::FindHeader(request.headers, name);
    return v == nullptr ? std::string("<absent>") : *v;
  };
  EXPECT_EQ(header("code"), "105");
  EXPECT_EQ(header("language"), "JAVA");
  EXPECT_EQ(header("version"), "1.0");
  EXPECT_EQ(header("eventmeshcluster"), "C1");
  EXPECT_EQ(header("eventmeship"), "10.0.0.9");
  EXPECT_EQ(header("eventmeshenv"), "TEST");
  EXPECT_EQ(header("eventmeshidc"), "IDC1");
  EXPECT_EQ(header("Content-Type"), "application/x-www-form-urlencoded;charset=UTF-8");
  auto form = protocol::http::Form::Parse(request.body);
  ASSERT_TRUE(form.ok());
  std::vector<std::string> keys;
  for (const auto& [k, v] : form->fields()) keys.push_back(k);
  EXPECT_THAT(keys, ::testing::ElementsAre("content", "bizseqno", "uniqueId", "randomNo", "topic",
                                           "extFields"));
  EXPECT_EQ(*form->Get("content"), "payload text");
  EXPECT_EQ(*form->Get("bizseqno"), "12345678901234567890");
  EXPECT_EQ(*form->Get("uniqueId"), "u-1");
  EXPECT_EQ(*form->Get("randomNo"), "42");
  EXPECT_EQ(*form->Get("topic"), "orders");
  auto parsed = protocol::http::PushMessageForm::Parse(protocol::http::BodyFields(form->fields()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ext_fields.at("color"), "blue");
  EXPECT_EQ(parsed->ext_fields.at("protocoltype"), "eventmeshmessage");
}

TEST(PushRequestTest, SyncCloudEventsProtocolAndMissingBizSeqNo) {
  cloudevents::CloudEvent event = MakeEvent();
  event.SetExtension("protocoltype", "cloudevents");
  event.RemoveExtension("bizseqno");
  event.RemoveExtension("uniqueid");
  net::HttpRequest request =
      BuildPushRequest(event, "http://h/", PushFormat::kEventMeshForm, true, Identity(), 7);
  EXPECT_EQ(*net::FindHeader(request.headers, "code"), "106");
  auto form = protocol::http::Form::Parse(request.body);
  ASSERT_TRUE(form.ok());
  auto content = cloudevents::ParseJsonEvent(std::string(*form->Get("content")));
  ASSERT_TRUE(content.ok()) << content.status();
  EXPECT_EQ(*content, event);
  const std::string biz(*form->Get("bizseqno"));
  EXPECT_EQ(biz.size(), 20u);
  EXPECT_EQ(biz.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(*form->Get("uniqueId"), "id-1");
}

TEST(PushRequestTest, CloudEventsPushesParseBackToTheEvent) {
  const cloudevents::CloudEvent event = MakeEvent();
  net::HttpRequest binary =
      BuildPushRequest(event, "http://h/", PushFormat::kCloudEventsBinary, false, Identity(), 1);
  auto from_binary = cloudevents::FromBinaryHttp(binary.headers, binary.body);
  ASSERT_TRUE(from_binary.ok()) << from_binary.status();
  EXPECT_EQ(*from_binary, event);
  net::HttpRequest structured = BuildPushRequest(
      event, "http://h/", PushFormat::kCloudEventsStructured, false, Identity(), 1);
  EXPECT_EQ(*net::FindHeader(structured.headers, "content-type"), "application/cloudevents+json");
  auto from_json = cloudevents::ParseJsonEvent(structured.body);
  ASSERT_TRUE(from_json.ok());
  EXPECT_EQ(*from_json, event);
}

TEST(PushRequestTest, BatchPushParsesBackToTheEventsInOrder) {
  std::vector<cloudevents::CloudEvent> events;
  BatchPushBuilder builder("http://h/hook");
  for (int i = 0; i < 3; ++i) {
    cloudevents::CloudEvent event = MakeEvent();
    event.set_id(absl::StrCat("e-", i));
    if (i == 1)
      event.set_data(std::string("\x00\xff binary", 9), cloudevents::DataEncoding::kBinary);
    ASSERT_TRUE(builder.AddEvent(event, std::numeric_limits<size_t>::max()));
    events.push_back(std::move(event));
  }
  EXPECT_EQ(builder.events(), 3u);
  net::HttpRequest request = builder.Finish();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://h/hook");
  EXPECT_EQ(*net::FindHeader(request.headers, "content-type"),
            "application/cloudevents-batch+json");
  auto parsed = cloudevents::FromHttp(request.headers, request.body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, events);
}

TEST(PushRequestTest, BatchPushKeepsItsBodyUnderTheCapButAlwaysTakesOneEvent) {
  const cloudevents::CloudEvent event = MakeEvent();
  const size_t one = cloudevents::SerializeJsonEvent(event).size() + 2;  // "[" event "]"
  BatchPushBuilder small("http://h/");
  EXPECT_TRUE(small.AddEvent(event, 1));  // the first event always goes, even over the cap
  EXPECT_FALSE(small.AddEvent(event, one));
  EXPECT_EQ(small.events(), 1u);
  BatchPushBuilder fits("http://h/");
  EXPECT_TRUE(fits.AddEvent(event, 2 * one));
  EXPECT_TRUE(fits.AddEvent(event, 2 * one));  // "[" a "," b "]" = 2 * one - 1 bytes
  EXPECT_FALSE(fits.AddEvent(event, 2 * one));
  EXPECT_EQ(fits.events(), 2u);
  EXPECT_LE(fits.Finish().body.size(), 2 * one);
}

// An event added as a view of its stored bytes gives the body the decoded event gives, and the
// cap takes back a view's JSON that does not fit as it does an event's.
TEST(PushRequestTest, BatchOfStoredEventViewsIsTheBatchOfTheDecodedEvents) {
  std::vector<std::string> stored;
  for (int i = 0; i < 3; ++i) {
    cloudevents::CloudEvent event = MakeEvent();
    event.set_id(absl::StrCat("e-", i));
    if (i == 1) {
      event.set_data(std::string("\x00\xff binary", 9), cloudevents::DataEncoding::kBinary);
    }
    absl::StatusOr<std::string> bytes = cloudevents::SerializeProto(event);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    stored.push_back(*std::move(bytes));
  }
  BatchPushBuilder from_views("http://h/hook");
  BatchPushBuilder from_events("http://h/hook");
  for (const std::string& bytes : stored) {
    std::optional<cloudevents::ProtoEventView> view = cloudevents::ProtoEventView::Parse(bytes);
    ASSERT_TRUE(view.has_value());
    absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(bytes);
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_TRUE(from_views.AddEvent(*view, std::numeric_limits<size_t>::max()));
    ASSERT_TRUE(from_events.AddEvent(*event, std::numeric_limits<size_t>::max()));
  }
  const std::string body = from_views.Finish().body;
  EXPECT_EQ(body, from_events.Finish().body);

  std::optional<cloudevents::ProtoEventView> first = cloudevents::ProtoEventView::Parse(stored[0]);
  ASSERT_TRUE(first.has_value());
  BatchPushBuilder capped("http://h/hook");
  ASSERT_TRUE(capped.AddEvent(*first, 1));
  const size_t one = capped.Finish().body.size();
  BatchPushBuilder two("http://h/hook");
  ASSERT_TRUE(two.AddEvent(*first, one + 1));
  EXPECT_FALSE(two.AddEvent(*first, 2 * one - 2));  // "[" a "," a "]" is 2 * one - 1 bytes
  EXPECT_EQ(two.events(), 1u);
  EXPECT_EQ(two.Finish().body.size(), one);  // the refused event left nothing behind
}

// Every single-event format written from a view of the stored bytes is the POST of the decoded
// event: EventMesh form (data, a structured CloudEvent for protocoltype cloudevents, extensions
// as headers for protocoltype http), CloudEvents binary and structured.
TEST(PushRequestTest, PushesOfStoredEventViewsAreThePushesOfTheDecodedEvents) {
  std::vector<cloudevents::CloudEvent> events;
  events.push_back(MakeEvent());
  {
    cloudevents::CloudEvent e = MakeEvent();
    e.SetExtension("protocoltype", "cloudevents");
    e.SetExtension("bizseqno", "12345");
    e.SetExtension("uniqueid", "u-1");
    e.set_time("2026-12-05T20:00:00.5Z");
    events.push_back(e);
  }
  {
    cloudevents::CloudEvent e = MakeEvent();
    e.SetExtension("protocoltype", "http");
    e.SetExtension("plain", "fine");
    e.SetExtension("evil", "x\r\nX-Injected: yes");
    events.push_back(e);
  }
  {
    cloudevents::CloudEvent e = MakeEvent();  // JSON data, no content type
    e = cloudevents::CloudEvent();
    e.set_id("j-1");
    e.set_source("/");
    e.set_type("t");
    e.set_data(R"({"a":[1,2]})", cloudevents::DataEncoding::kJson);
    events.push_back(e);
  }
  {
    cloudevents::CloudEvent e = MakeEvent();
    e.set_data(std::string("\x00\xff", 2), cloudevents::DataEncoding::kBinary);
    events.push_back(e);
  }
  for (const cloudevents::CloudEvent& original : events) {
    absl::StatusOr<std::string> stored = cloudevents::SerializeProto(original);
    ASSERT_TRUE(stored.ok()) << stored.status();
    std::optional<cloudevents::ProtoEventView> view = cloudevents::ProtoEventView::Parse(*stored);
    ASSERT_TRUE(view.has_value()) << original.id();
    absl::StatusOr<cloudevents::CloudEvent> decoded = cloudevents::ParseProto(*stored);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    for (PushFormat format : {PushFormat::kEventMeshForm, PushFormat::kCloudEventsBinary,
                              PushFormat::kCloudEventsStructured}) {
      for (bool sync : {false, true}) {
        SCOPED_TRACE(absl::StrCat(original.id(), " ", PushFormatName(format), " sync ", sync));
        net::HttpRequest from_view =
            BuildPushRequest(*view, "http://h/x", format, sync, Identity(), 4242);
        net::HttpRequest from_event =
            BuildPushRequest(*decoded, "http://h/x", format, sync, Identity(), 4242);
        EXPECT_EQ(from_view.method, from_event.method);
        EXPECT_EQ(from_view.url, from_event.url);
        EXPECT_EQ(from_view.headers, from_event.headers);
        EXPECT_EQ(from_view.body, from_event.body);
      }
    }
  }
}

net::HttpResponse Response(int status, std::string body = "", net::HttpHeaders headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// An HTTP-published event's extensions become headers of the push, but one whose value holds
// CR/LF must not: it would inject headers (or a whole request) into the subscriber's stream.
TEST(PushRequestTest, ExtensionValuesWithLineBreaksNeverBecomeHeaders) {
  cloudevents::CloudEvent event = MakeEvent();
  event.SetExtension("protocoltype", "http");
  event.SetExtension("plain", "fine");
  event.SetExtension("evil", "x\r\nX-Injected: yes");
  event.SetExtension("evil2", "y\nSet-Cookie: a=b");
  net::HttpRequest request =
      BuildPushRequest(event, "http://h/x", PushFormat::kEventMeshForm, false, Identity(), 42);
  for (const auto& [name, value] : request.headers) {
    EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos) << name;
    EXPECT_NE(name, "evil");
    EXPECT_NE(name, "evil2");
  }
  EXPECT_NE(net::FindHeader(request.headers, "plain"), nullptr);
  // The values still reach the subscriber, encoded in the form body.
  auto form = protocol::http::ParseForm(request.body);
  ASSERT_TRUE(form.ok());
  EXPECT_NE(request.body.find("X-Injected"), std::string::npos);
}

TEST(PushRequestTest, ClassifiesEventMeshAnswers) {
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  auto classify = [&](absl::StatusOr<net::HttpResponse> r) {
    return ClassifyResponse(PushFormat::kEventMeshForm, r, now);
  };
  EXPECT_EQ(classify(Response(200, R"({"retCode":0})")).outcome, PushOutcome::kAccepted);
  EXPECT_EQ(classify(Response(200, R"({"retCode":1})")).outcome, PushOutcome::kAccepted);
  EXPECT_EQ(classify(Response(204, R"({"retCode":"1"})")).outcome, PushOutcome::kAccepted);
  PushVerdict retry = classify(Response(200, R"({"retCode":2})"));
  EXPECT_EQ(retry.outcome, PushOutcome::kRetry);
  EXPECT_EQ(retry.reason, "endpoint answered retCode 2 (RETRY)");
  EXPECT_EQ(classify(Response(200, R"({"retCode":5})")).outcome, PushOutcome::kRetry);
  PushVerdict fail = classify(Response(200, R"({"retCode":3})"));
  EXPECT_EQ(fail.outcome, PushOutcome::kGiveUp);
  EXPECT_EQ(fail.reason, "endpoint answered retCode 3 (FAIL)");
  EXPECT_EQ(classify(Response(200, "")).reason,
            "the push response has no retCode (treated as FAIL)");
  EXPECT_EQ(classify(Response(200, "not json")).outcome, PushOutcome::kGiveUp);
  EXPECT_EQ(classify(Response(200, R"({"retCode":9})")).reason,
            "unknown retCode 9 (treated as FAIL)");
  EXPECT_EQ(classify(Response(500)).outcome, PushOutcome::kRetry);
  EXPECT_EQ(classify(Response(410)).outcome, PushOutcome::kReject);
  EXPECT_EQ(classify(Response(415)).reason, "endpoint answered HTTP 415 (no retry)");
  PushVerdict limited = classify(Response(429, "", {{"Retry-After", "2"}}));
  EXPECT_EQ(limited.outcome, PushOutcome::kRetry);
  EXPECT_EQ(limited.retry_after_ms, 2000);
  PushVerdict io = classify(absl::UnavailableError("connection refused"));
  EXPECT_EQ(io.outcome, PushOutcome::kRetry);
  EXPECT_EQ(io.reason, "connection refused");
}

TEST(PushRequestTest, ClassifiesCloudEventsAnswers) {
  const absl::Time now = absl::Now();
  EXPECT_EQ(ClassifyResponse(PushFormat::kCloudEventsBinary, Response(202), now).outcome,
            PushOutcome::kAccepted);
  EXPECT_EQ(ClassifyResponse(PushFormat::kCloudEventsStructured, Response(200, "x"), now).outcome,
            PushOutcome::kAccepted);
  EXPECT_EQ(ClassifyResponse(PushFormat::kCloudEventsBinary, Response(503), now).outcome,
            PushOutcome::kRetry);
  EXPECT_EQ(ClassifyResponse(PushFormat::kCloudEventsBinary, Response(410), now).outcome,
            PushOutcome::kReject);
}

TEST(PushRequestTest, ParsesRetryAfterSecondsAndDates) {
  const absl::Time now = absl::FromUnixSeconds(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), 120'000);
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), 0);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:50:07 GMT", now), 30'000);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now), 0);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now), std::nullopt);
}

// Delta-seconds above INT64_MAX / 1000 overflowed the conversion to
// milliseconds (undefined behaviour; in practice a negative delay). They saturate now.
TEST(PushRequestTest, RetryAfterSecondsSaturate) {
  const absl::Time now = absl::FromUnixSeconds(784111777);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ParseRetryAfter("9223372036854775", now), 9223372036854775000);
  EXPECT_EQ(ParseRetryAfter("9223372036854776", now), kMax);
  EXPECT_EQ(ParseRetryAfter("9223372036854775807", now), kMax);
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now), kMax);
  PushVerdict verdict =
      ClassifyResponse(PushFormat::kCloudEventsBinary,
                       Response(429, "", {{"Retry-After", "9999999999999999"}}), now);
  EXPECT_EQ(verdict.retry_after_ms, kMax);
}

}  // namespace
}  // namespace eventmesh::runtime::webhook
