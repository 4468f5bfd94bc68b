#include "eventmesh/sdk/internal/http_requests.h"

#include <string>

#include "absl/strings/match.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/response.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

namespace ph = protocol::http;

std::string HeaderOf(const RuntimeRequest& r, absl::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

ph::BodyFields Fields(const RuntimeRequest& r) {
  auto fields = ph::BodyFields::FromForm(r.body);
  EXPECT_TRUE(fields.ok()) << fields.status();
  return fields.ok() ? *fields : ph::BodyFields();
}

HttpClientOptions Options() {
  HttpClientOptions o;
  o.pid = 4711;
  o.idc = "idc1";
  o.sys = "sys1";
  o.env = "test";
  o.username = "alice";
  o.password = "secret";
  o.producer_group = "pg";
  o.consumer_group = "cg";
  return o;
}

CloudEvent Event(const std::string& id) {
  CloudEvent e;
  e.set_id(id);
  e.set_source("/test");
  e.set_type("demo.type");
  e.set_subject("orders");
  e.set_data_content_type("application/json");
  e.set_data("{\"n\":1}", cloudevents::DataEncoding::kJson);
  return e;
}

TEST(HttpRequestsTest, PublishIsCode104WithIdentityAndAParsableBody) {
  Message m;
  m.topic = "orders";
  m.content = "hello world & more";
  m.tag = "t1";
  m.properties = {{"keys", "k1"}};
  auto r = BuildSendMessageRequest(Options(), ph::RequestCode::kMsgSendAsync, m);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->path, "/");
  EXPECT_EQ(HeaderOf(*r, "code"), "104");
  EXPECT_EQ(HeaderOf(*r, "idc"), "idc1");
  EXPECT_EQ(HeaderOf(*r, "sys"), "sys1");
  EXPECT_EQ(HeaderOf(*r, "pid"), "4711");
  EXPECT_EQ(HeaderOf(*r, "env"), "test");
  EXPECT_EQ(HeaderOf(*r, "username"), "alice");
  EXPECT_EQ(HeaderOf(*r, "passwd"), "secret");
  EXPECT_EQ(HeaderOf(*r, "protocoltype"), "eventmeshmessage");
  EXPECT_EQ(HeaderOf(*r, "Content-Type"), kFormContentType);

  // What the runtime's parsers make of it.
  ph::HeaderMap headers;
  for (const auto& [k, v] : r->headers) headers.Set(k, v);
  auto header = ph::RequestHeader::Parse(headers, ph::RequestCode::kMsgSendAsync);
  ASSERT_TRUE(header.ok()) << header.status();
  auto body = ph::SendMessageRequestBody::Parse(Fields(*r), ph::RequestCode::kMsgSendAsync);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->topic, "orders");
  EXPECT_EQ(body->content, "hello world & more");
  EXPECT_EQ(body->producer_group, "pg");
  EXPECT_EQ(body->tag, "t1");
  EXPECT_EQ(body->ttl_ms, ph::kDefaultMessageTtlMs);
  EXPECT_EQ(body->ext_fields.at("keys"), "k1");
  EXPECT_EQ(body->biz_seq_no.size(), 30u);
  EXPECT_EQ(body->unique_id.size(), 30u);
}

TEST(HttpRequestsTest, RequestIsCode101WithTtl) {
  Message m;
  m.topic = "rr";
  m.content = "ping";
  m.biz_seq_no = "b1";
  m.ttl_ms = 2500;
  auto r = BuildSendMessageRequest(Options(), ph::RequestCode::kMsgSendSync, m);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HeaderOf(*r, "code"), "101");
  auto body = ph::SendMessageRequestBody::Parse(Fields(*r), ph::RequestCode::kMsgSendSync);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->ttl_ms, 2500);
  EXPECT_EQ(body->biz_seq_no, "b1");

  m.ttl_ms = 0;
  EXPECT_EQ(BuildSendMessageRequest(Options(), ph::RequestCode::kMsgSendSync, m).status().message(),
            "request ttl must be positive");
}

TEST(HttpRequestsTest, PublishErrors) {
  Message m;
  EXPECT_EQ(
      BuildSendMessageRequest(Options(), ph::RequestCode::kMsgSendAsync, m).status().message(),
      "message topic is required");
  m.topic = "t";
  HttpClientOptions o = Options();
  o.producer_group.clear();
  EXPECT_EQ(BuildSendMessageRequest(o, ph::RequestCode::kMsgSendAsync, m).status().message(),
            "producer_group is required");
  EXPECT_EQ(BuildSendMessageRequest(Options(), ph::RequestCode::kHeartbeat, m).status().message(),
            "request code 203 is no send code");
}

TEST(HttpRequestsTest, CloudEventThroughCode104CarriesStructuredJson) {
  auto r = BuildSendCloudEventRequest(Options(), ph::RequestCode::kMsgSendAsync, Event("e1"), 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HeaderOf(*r, "protocoltype"), "cloudevents");
  EXPECT_EQ(HeaderOf(*r, "protocolversion"), "1.0");
  auto body =
      ph::SendMessageRequestBody::Parse(Fields(*r), ph::RequestCode::kMsgSendAsync, "cloudevents");
  ASSERT_TRUE(body.ok()) << body.status();
  auto event = cloudevents::ParseJsonEvent(body->content);
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(*event, Event("e1"));

  CloudEvent no_subject = Event("e2");
  no_subject.clear_subject();
  EXPECT_EQ(BuildSendCloudEventRequest(Options(), ph::RequestCode::kMsgSendAsync, no_subject, 0)
                .status()
                .message(),
            "CloudEvent subject (the topic) is required");
  CloudEvent invalid = Event("");
  EXPECT_EQ(BuildSendCloudEventRequest(Options(), ph::RequestCode::kMsgSendAsync, invalid, 0)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HttpRequestsTest, BatchesParseOnTheRuntimeSide) {
  Message a;
  a.topic = "t1";
  a.content = "a";
  Message b;
  b.topic = "t2";
  b.content = "b";
  b.ttl_ms = 1000;
  auto r = BuildBatchRequest(Options(), {a, b}, "batch-1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HeaderOf(*r, "code"), "102");
  auto body = ph::BatchSendRequestBody::Parse(Fields(*r));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->batch_id, "batch-1");
  EXPECT_EQ(body->producer_group, "pg");
  ASSERT_EQ(body->contents.size(), 2u);
  EXPECT_EQ(body->contents[0].topic, "t1");
  EXPECT_EQ(body->contents[1].msg, "b");
  EXPECT_EQ(body->contents[1].ttl_ms, 1000);

  EXPECT_EQ(BuildBatchRequest(Options(), {}, "").status().message(), "batch is empty");
  Message bad;
  EXPECT_EQ(BuildBatchRequest(Options(), {a, bad}, "").status().message(),
            "message [1]: topic is required");

  auto v2 = BuildBatchV2Request(Options(), a);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(HeaderOf(*v2, "code"), "107");
  auto v2body = ph::BatchSendV2RequestBody::Parse(Fields(*v2));
  ASSERT_TRUE(v2body.ok()) << v2body.status();
  EXPECT_EQ(v2body->topic, "t1");
  EXPECT_EQ(v2body->msg, "a");
}

TEST(HttpRequestsTest, CloudEventPublishBinaryStructuredAndBatch) {
  auto binary = BuildCloudEventPublishRequest(Options(), Event("e1"), CloudEventMode::kBinary, "");
  ASSERT_TRUE(binary.ok()) << binary.status();
  EXPECT_EQ(binary->path, "/eventmesh/publish/orders");
  EXPECT_EQ(binary->code, ph::RequestCode::kUnknown);
  EXPECT_EQ(HeaderOf(*binary, "producergroup"), "pg");
  auto from_binary = cloudevents::FromBinaryHttp(binary->headers, binary->body);
  ASSERT_TRUE(from_binary.ok()) << from_binary.status();
  EXPECT_EQ(*from_binary, Event("e1"));

  auto structured =
      BuildCloudEventPublishRequest(Options(), Event("e2"), CloudEventMode::kStructured, "other");
  ASSERT_TRUE(structured.ok()) << structured.status();
  EXPECT_EQ(structured->path, "/eventmesh/publish/other");
  auto from_structured = cloudevents::FromHttp(structured->headers, structured->body);
  ASSERT_TRUE(from_structured.ok()) << from_structured.status();
  ASSERT_EQ(from_structured->size(), 1u);
  EXPECT_EQ((*from_structured)[0], Event("e2"));

  auto batch = BuildCloudEventBatchRequest(Options(), {Event("b1"), Event("b2")}, "");
  ASSERT_TRUE(batch.ok()) << batch.status();
  auto from_batch = cloudevents::FromHttp(batch->headers, batch->body);
  ASSERT_TRUE(from_batch.ok()) << from_batch.status();
  ASSERT_EQ(from_batch->size(), 2u);
  EXPECT_EQ((*from_batch)[1].id(), "b2");

  CloudEvent no_subject = Event("x");
  no_subject.clear_subject();
  EXPECT_EQ(BuildCloudEventPublishRequest(Options(), no_subject, CloudEventMode::kBinary, "")
                .status()
                .message(),
            "topic is required (argument or CloudEvent subject)");
  EXPECT_EQ(BuildCloudEventPublishRequest(Options(), Event("x"), CloudEventMode::kBinary, "a/b")
                .status()
                .message(),
            "topic 'a/b' must not contain '/', '?', '#', '%' or whitespace");
  EXPECT_EQ(BuildCloudEventBatchRequest(Options(), {}, "t").status().message(), "batch is empty");
  EXPECT_EQ(
      BuildCloudEventBatchRequest(Options(), {Event("ok"), Event("")}, "t").status().message(),
      "event [1]: invalid CloudEvent: 'id' is required and must be a non-empty string");
}

TEST(HttpRequestsTest, SubscriptionRequests) {
  SubscriptionItem item;
  item.topic = "orders";
  auto sub = BuildSubscribeRequest(Options(), "http://127.0.0.1:9/hook", {item});
  ASSERT_TRUE(sub.ok()) << sub.status();
  EXPECT_EQ(HeaderOf(*sub, "code"), "206");
  auto sub_body = ph::SubscribeRequestBody::Parse(Fields(*sub));
  ASSERT_TRUE(sub_body.ok()) << sub_body.status();
  EXPECT_EQ(sub_body->url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(sub_body->consumer_group, "cg");
  ASSERT_EQ(sub_body->topics.size(), 1u);
  EXPECT_EQ(sub_body->topics[0], ToProtocolSubscription(item));
  EXPECT_EQ(sub_body->topics[0].topic, "orders");
  EXPECT_EQ(sub_body->topics[0].mode, ph::SubscriptionMode::kClustering);
  EXPECT_EQ(sub_body->topics[0].type, ph::SubscriptionType::kAsync);
  EXPECT_EQ(ToProtocolSubscription({"t", SubscriptionMode::kBroadcasting, SubscriptionType::kSync}),
            (ph::SubscriptionItem{"t", ph::SubscriptionMode::kBroadcasting,
                                  ph::SubscriptionType::kSync}));

  auto unsub = BuildUnsubscribeRequest(Options(), "http://h/x", {"orders"});
  ASSERT_TRUE(unsub.ok()) << unsub.status();
  EXPECT_EQ(HeaderOf(*unsub, "code"), "207");
  auto unsub_body = ph::UnsubscribeRequestBody::Parse(Fields(*unsub));
  ASSERT_TRUE(unsub_body.ok()) << unsub_body.status();
  EXPECT_EQ(unsub_body->topics, std::vector<std::string>{"orders"});

  auto hb = BuildHeartbeatRequest(Options(), "http://h/x", {"a", "b"});
  ASSERT_TRUE(hb.ok()) << hb.status();
  EXPECT_EQ(HeaderOf(*hb, "code"), "203");
  auto hb_body = ph::HeartbeatRequestBody::Parse(Fields(*hb));
  ASSERT_TRUE(hb_body.ok()) << hb_body.status();
  EXPECT_EQ(hb_body->client_type, ph::ClientType::kSub);
  EXPECT_EQ(hb_body->consumer_group, "cg");
  ASSERT_EQ(hb_body->entities.size(), 2u);
  EXPECT_EQ(hb_body->entities[1].topic, "b");
  EXPECT_EQ(hb_body->entities[1].url, "http://h/x");

  auto binary =
      BuildSubscribeRequest(Options(), "http://h/x", {item}, PushFormat::kCloudEventsBinary);
  ASSERT_TRUE(binary.ok());
  EXPECT_EQ(Fields(*binary).Get("pushformat"), "cloudevents-binary");
  auto batch =
      BuildSubscribeRequest(Options(), "http://h/x", {item}, PushFormat::kCloudEventsBatch);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(Fields(*batch).Get("pushformat"), "cloudevents-batch");
  EXPECT_EQ(Fields(*sub).Get("pushformat"), std::nullopt);

  EXPECT_EQ(BuildSubscribeRequest(Options(), "", {item}).status().message(),
            "webhook url is required");
  EXPECT_EQ(BuildSubscribeRequest(Options(), "http://h/", {}).status().message(),
            "at least one topic is required");
  HttpClientOptions no_group = Options();
  no_group.consumer_group.clear();
  EXPECT_EQ(BuildHeartbeatRequest(no_group, "http://h/", {"a"}).status().message(),
            "consumer_group is required");
}

TEST(HttpRequestsTest, ReplyIsCode301) {
  ph::ReplyMessageRequestBody reply;
  reply.orig_topic = "rr";
  reply.biz_seq_no = "b";
  reply.unique_id = "u";
  reply.content = "pong";
  auto r = BuildReplyRequest(Options(), reply);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(HeaderOf(*r, "code"), "301");
  auto body = ph::ReplyMessageRequestBody::Parse(Fields(*r));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->producer_group, "pg");
  EXPECT_EQ(body->content, "pong");
  reply.orig_topic.clear();
  EXPECT_EQ(BuildReplyRequest(Options(), reply).status().message(), "reply origtopic is required");
}

TEST(StatusFromRuntimeResponseTest, SuccessReturnsRetMsg) {
  auto ok = StatusFromRuntimeResponse(200, ph::MakeResponseJson(0, "success", 1));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "success");
}

TEST(StatusFromRuntimeResponseTest, RetCodesMapToStatusCodesWithRetMsg) {
  struct Case {
    int ret_code;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {1, absl::StatusCode::kResourceExhausted},   {2, absl::StatusCode::kInvalidArgument},
      {3, absl::StatusCode::kUnavailable},         {4, absl::StatusCode::kDeadlineExceeded},
      {6, absl::StatusCode::kInvalidArgument},     {7, absl::StatusCode::kInvalidArgument},
      {8, absl::StatusCode::kInvalidArgument},     {9, absl::StatusCode::kUnavailable},
      {10, absl::StatusCode::kResourceExhausted},  {12, absl::StatusCode::kResourceExhausted},
      {15, absl::StatusCode::kUnavailable},        {18, absl::StatusCode::kInternal},
      {19, absl::StatusCode::kFailedPrecondition}, {21, absl::StatusCode::kFailedPrecondition},
      {22, absl::StatusCode::kPermissionDenied},   {23, absl::StatusCode::kResourceExhausted},
      {100, absl::StatusCode::kInternal},          {77, absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    auto s = StatusFromRuntimeResponse(200, ph::MakeResponseJson(c.ret_code, "detail text", 1));
    ASSERT_FALSE(s.ok()) << c.ret_code;
    EXPECT_EQ(s.status().code(), c.code) << c.ret_code;
    EXPECT_EQ(s.status().message(), "detail text");
    EXPECT_EQ(RetCodeOf(s.status()), c.ret_code);
  }
}

TEST(StatusFromRuntimeResponseTest, EmptyRetMsgNamesTheCode) {
  auto s = StatusFromRuntimeResponse(200, "{\"retCode\":7}");
  EXPECT_EQ(s.status().message(), "retCode 7 (EVENTMESH_PROTOCOL_BODY_ERR)");
  auto unknown = StatusFromRuntimeResponse(200, "{\"retCode\":77}");
  EXPECT_EQ(unknown.status().message(), "retCode 77 (unknown)");
}

TEST(StatusFromRuntimeResponseTest, HttpErrorsAndMalformedBodies) {
  auto bad = StatusFromRuntimeResponse(400, ph::MakeResponseJson(2, "unknown request code", 1));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown request code");
  EXPECT_EQ(RetCodeOf(bad.status()), 2);
  auto acl = StatusFromRuntimeResponse(403, ph::MakeResponseJson(22, "no permission", 1));
  EXPECT_EQ(acl.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(acl.status().message(), "no permission");
  auto odd = StatusFromRuntimeResponse(404, ph::MakeResponseJson(0, "success", 1));
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(odd.status().message(), "runtime answered HTTP 404: success");

  auto unavailable = StatusFromRuntimeResponse(503, "busy");
  EXPECT_EQ(unavailable.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(unavailable.status().message(), "runtime answered HTTP 503: busy");
  EXPECT_EQ(RetCodeOf(unavailable.status()), std::nullopt);

  auto not_allowed = StatusFromRuntimeResponse(405, "");
  EXPECT_EQ(not_allowed.status().code(), absl::StatusCode::kInternal);

  auto garbage = StatusFromRuntimeResponse(200, "<html>");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StartsWith(garbage.status().message(), "malformed runtime response: "))
      << garbage.status();
}

TEST(ParseReplyMessageTest, ReadsTheReplyJson) {
  auto reply =
      ParseReplyMessage(R"({"topic":"rr","body":"pong","properties":{"k":"v","bizseqno":"b-7"}})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->topic, "rr");
  EXPECT_EQ(reply->content, "pong");
  EXPECT_EQ(reply->properties.at("k"), "v");
  EXPECT_EQ(reply->biz_seq_no, "b-7");
  auto bad = ParseReplyMessage("nope");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "malformed reply message: "));
}

TEST(HttpRequestsTest, ReplyBodyCarriesTheRequestsCorrelation) {
  ReceivedEvent request;
  request.kind = EventKind::kRequest;
  Message m;
  m.topic = "rr";
  m.biz_seq_no = "b-1";
  m.properties = {{"rrcorrelationid", "c-1"}, {"keys", "k"}};
  request.payload = m;
  Message reply;
  reply.content = "pong";
  reply.properties["keys"] = "k2";
  auto body = BuildReplyBody(request, reply);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->orig_topic, "rr");
  EXPECT_EQ(body->biz_seq_no, "b-1");
  EXPECT_EQ(body->unique_id, "b-1");  // no unique id: the bizseqno
  EXPECT_EQ(body->content, "pong");
  EXPECT_EQ(body->ext_fields.at("rrcorrelationid"), "c-1");
  EXPECT_EQ(body->ext_fields.at("keys"), "k2");

  // A TCP request of an HTTP requester carries them as properties only.
  Message tcp;
  tcp.topic = "rr";
  tcp.properties = {{"bizseqno", "b-2"}, {"uniqueid", "u-2"}};
  request.payload = tcp;
  body = BuildReplyBody(request, reply);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->biz_seq_no, "b-2");
  EXPECT_EQ(body->unique_id, "u-2");

  CloudEvent ce = Event("ce-1");
  ce.SetExtension("rrcorrelationid", "c-3");
  request.payload = ce;
  body = BuildReplyBody(request, reply);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->orig_topic, "orders");
  EXPECT_EQ(body->biz_seq_no, "ce-1");
  EXPECT_EQ(body->unique_id, "ce-1");
  EXPECT_EQ(body->ext_fields.at("rrcorrelationid"), "c-3");
}

TEST(RandomDigitsTest, DigitsOnly) {
  const std::string d = RandomDigits(30);
  ASSERT_EQ(d.size(), 30u);
  for (char c : d) EXPECT_TRUE(c >= '0' && c <= '9');
  EXPECT_NE(RandomDigits(30), d);
}

}  // namespace
}  // namespace eventmesh::sdk::http
