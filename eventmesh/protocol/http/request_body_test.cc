#include "eventmesh/protocol/http/request_body.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

BodyFields Form(const std::string& body) {
  auto f = BodyFields::FromForm(body);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : BodyFields();
}

BodyFields Fields(FormFields fields) { return BodyFields(std::move(fields)); }

template <typename T>
void ExpectBodyError(const absl::StatusOr<T>& result, const std::string& message) {
  ASSERT_FALSE(result.ok()) << "expected: " << message;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), message);
  EXPECT_EQ(RetCodeValue(BodyParseRetCode(result.status())), 7);
}

FormFields SendFields() {
  return {{"topic", "TEST-TOPIC-HTTP-ASYNC"},
          {"content", "testAsyncMessage"},
          {"bizseqno", "12345678901234567890"},
          {"uniqueid", "09876543210987654321"},
          {"producergroup", "EventMeshTest-producerGroup"},
          {"ttl", "4000"},
          {"tag", "tagA"},
          {"extFields", R"({"msgtype":"persistent","n":3})"}};
}

FormFields Without(FormFields fields, const std::string& key) {
  fields.erase(
      std::remove_if(fields.begin(), fields.end(), [&](const auto& kv) { return kv.first == key; }),
      fields.end());
  return fields;
}

FormFields With(FormFields fields, const std::string& key, const std::string& value) {
  fields = Without(std::move(fields), key);
  fields.emplace_back(key, value);
  return fields;
}

// ---------------------------------------------------------------------------------------
// BodyFields

TEST(BodyFieldsTest, ChoosesJsonOrFormByContentType) {
  auto json = BodyFields::Parse("Application/JSON; charset=utf-8",
                                R"({"topic":[{"topic":"t"}],"url":"u","n":5,"z":null})");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->Get("url"), "u");
  EXPECT_EQ(json->Get("n"), "5");
  EXPECT_EQ(json->Get("topic"), R"([{"topic":"t"}])");
  EXPECT_EQ(json->Get("z"), std::nullopt);
  auto form = BodyFields::Parse("application/x-www-form-urlencoded", "url=u&n=5");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->Get("n"), "5");
  auto no_type = BodyFields::Parse("", "a=1");
  ASSERT_TRUE(no_type.ok());
  EXPECT_EQ(no_type->Get("a"), "1");
}

TEST(BodyFieldsTest, LookupIsExactThenCaseInsensitive) {
  BodyFields f = Fields({{"bizSeqNo", "legacy"}, {"bizseqno", "current"}, {"uniqueId", "u"}});
  EXPECT_EQ(f.Get("bizseqno"), "current");
  EXPECT_EQ(f.Get("bizSeqNo"), "legacy");
  EXPECT_EQ(f.Get("uniqueid"), "u");
  EXPECT_EQ(f.Get("missing"), std::nullopt);
}

TEST(BodyFieldsTest, Errors) {
  ExpectBodyError(BodyFields::FromJson("[1]"), "request body must be a JSON object");
  auto bad = BodyFields::FromJson("{\"a\":");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("malformed JSON in request body"));
  ExpectBodyError(BodyFields::FromForm("a=%G1"), "invalid percent-escape '%G1' at position 2");
}

// ---------------------------------------------------------------------------------------
// 101 / 104

// A JSON body or field stops at kMaxJsonBodyValues values (a DOM costs 16 bytes or more each).
TEST(BodyFieldsTest, JsonOfTooManyValuesIsRefused) {
  std::string zeros = "[0";
  for (size_t i = 1; i < kMaxJsonBodyValues; ++i) zeros += ",0";
  zeros += "]";
  // {"a":[...]}: the object, the key, the array and its elements.
  auto body = BodyFields::FromJson(absl::StrCat(R"({"a":)", zeros, "}"));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(body.status().message(), "JSON in request body has more than 262144 values");
  // Exactly the limit: three elements fewer.
  body = BodyFields::FromJson(absl::StrCat(R"({"a":)", zeros.substr(0, zeros.size() - 7), "]}"));
  ASSERT_TRUE(body.ok()) << body.status();
}

TEST(SendMessageRequestBodyTest, ParsesAsyncForm) {
  auto b =
      SendMessageRequestBody::Parse(Form(EncodeForm(SendFields())), RequestCode::kMsgSendAsync);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->topic, "TEST-TOPIC-HTTP-ASYNC");
  EXPECT_EQ(b->content, "testAsyncMessage");
  EXPECT_EQ(b->biz_seq_no, "12345678901234567890");
  EXPECT_EQ(b->unique_id, "09876543210987654321");
  EXPECT_EQ(b->producer_group, "EventMeshTest-producerGroup");
  EXPECT_EQ(b->ttl_ms, 4000);
  EXPECT_EQ(b->tag, "tagA");
  EXPECT_THAT(b->ext_fields, ElementsAre(Pair("msgtype", "persistent"), Pair("n", "3")));
  // Round trip.
  auto again =
      SendMessageRequestBody::Parse(Form(EncodeForm(b->ToForm())), RequestCode::kMsgSendAsync);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToForm(), b->ToForm());
}

TEST(SendMessageRequestBodyTest, AsyncTtlDefaultsAndSyncRequiresTtl) {
  BodyFields no_ttl = Fields(Without(SendFields(), "ttl"));
  auto async = SendMessageRequestBody::Parse(no_ttl, RequestCode::kMsgSendAsync);
  ASSERT_TRUE(async.ok());
  EXPECT_EQ(async->ttl_ms, 14400000);
  ExpectBodyError(SendMessageRequestBody::Parse(no_ttl, RequestCode::kMsgSendSync),
                  "missing body field 'ttl'");
  auto sync = SendMessageRequestBody::Parse(Fields(SendFields()), RequestCode::kMsgSendSync);
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(sync->ttl_ms, 4000);
  ExpectBodyError(SendMessageRequestBody::Parse(Fields(With(SendFields(), "ttl", "3s")),
                                                RequestCode::kMsgSendSync),
                  "body field 'ttl' must be a non-negative integer, got '3s'");
  ExpectBodyError(SendMessageRequestBody::Parse(Fields(With(SendFields(), "ttl", "-1")),
                                                RequestCode::kMsgSendAsync),
                  "body field 'ttl' must be a non-negative integer, got '-1'");
}

TEST(SendMessageRequestBodyTest, RequiredFields) {
  for (const char* key : {"topic", "bizseqno", "uniqueid", "producergroup"}) {
    ExpectBodyError(SendMessageRequestBody::Parse(Fields(Without(SendFields(), key)),
                                                  RequestCode::kMsgSendAsync),
                    std::string("missing body field '") + key + "'");
    ExpectBodyError(SendMessageRequestBody::Parse(Fields(With(SendFields(), key, "  ")),
                                                  RequestCode::kMsgSendAsync),
                    std::string("missing body field '") + key + "'");
  }
  ExpectBodyError(SendMessageRequestBody::Parse(Fields(Without(SendFields(), "content")),
                                                RequestCode::kMsgSendAsync),
                  "missing body field 'content'");
  // Empty content is allowed (present, non-null).
  EXPECT_TRUE(SendMessageRequestBody::Parse(Fields(With(SendFields(), "content", "")),
                                            RequestCode::kMsgSendAsync)
                  .ok());
  ExpectBodyError(SendMessageRequestBody::Parse(Fields(SendFields()), RequestCode::kHeartbeat),
                  "request code 203 has no send-message body");
}

TEST(SendMessageRequestBodyTest, LegacyCamelCaseKeys) {
  BodyFields f = Fields({{"topic", "t"},
                         {"content", "c"},
                         {"bizSeqNo", "b"},
                         {"uniqueId", "u"},
                         {"producerGroup", "g"}});
  auto b = SendMessageRequestBody::Parse(f, RequestCode::kMsgSendAsync);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->biz_seq_no, "b");
  EXPECT_EQ(b->unique_id, "u");
  EXPECT_EQ(b->producer_group, "g");
}

TEST(SendMessageRequestBodyTest, ExtFieldsErrors) {
  ExpectBodyError(SendMessageRequestBody::Parse(Fields(With(SendFields(), "extFields", "[1]")),
                                                RequestCode::kMsgSendAsync),
                  "body field 'extFields' must be a JSON object");
  ExpectBodyError(
      SendMessageRequestBody::Parse(Fields(With(SendFields(), "extFields", R"({"a":{"b":1}})")),
                                    RequestCode::kMsgSendAsync),
      "body field 'extFields' value of 'a' must be a string");
  auto bad_json = SendMessageRequestBody::Parse(Fields(With(SendFields(), "extFields", "{")),
                                                RequestCode::kMsgSendAsync);
  ASSERT_FALSE(bad_json.ok());
  EXPECT_THAT(bad_json.status().message(), HasSubstr("malformed JSON in body field 'extFields'"));
}

TEST(SendMessageRequestBodyTest, CloudEventsNeedsOnlyContentAndProducerGroup) {
  BodyFields f = Fields({{"content", R"({"specversion":"1.0","id":"1","source":"/","type":"t"})"},
                         {"producergroup", "g"}});
  auto b = SendMessageRequestBody::Parse(f, RequestCode::kMsgSendAsync, "cloudevents");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->producer_group, "g");
  ExpectBodyError(SendMessageRequestBody::Parse(Fields({{"content", "{}"}}),
                                                RequestCode::kMsgSendAsync, "cloudevents"),
                  "missing body field 'producergroup'");
  ExpectBodyError(SendMessageRequestBody::Parse(f, RequestCode::kMsgSendAsync),
                  "missing body field 'topic'");
}

TEST(SendMessageRequestBodyTest, JsonBody) {
  auto fields = BodyFields::FromJson(
      R"({"topic":"t","content":"c","bizseqno":"b","uniqueid":"u","producergroup":"g",)"
      R"("ttl":3000,"extFields":{"k":"v"}})");
  ASSERT_TRUE(fields.ok());
  auto b = SendMessageRequestBody::Parse(*fields, RequestCode::kMsgSendSync);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->ttl_ms, 3000);
  EXPECT_THAT(b->ext_fields, ElementsAre(Pair("k", "v")));
}

// ---------------------------------------------------------------------------------------
// 102

FormFields BatchFields() {
  return {{"batchId", "batch-1"},
          {"size", "2"},
          {"producerGroup", "pg"},
          {"contents", R"([{"bizSeqNo":"1","topic":"t1","msg":"m1","tag":"a","ttl":"3000"},)"
                       R"({"topic":"t2","msg":"m2","ttl":5000}])"}};
}

TEST(BatchSendRequestBodyTest, Parses) {
  auto b = BatchSendRequestBody::Parse(Fields(BatchFields()));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->batch_id, "batch-1");
  EXPECT_EQ(b->producer_group, "pg");
  ASSERT_EQ(b->contents.size(), 2u);
  EXPECT_EQ(b->contents[0].biz_seq_no, "1");
  EXPECT_EQ(b->contents[0].topic, "t1");
  EXPECT_EQ(b->contents[0].msg, "m1");
  EXPECT_EQ(b->contents[0].tag, "a");
  EXPECT_EQ(b->contents[0].ttl_ms, 3000);
  EXPECT_EQ(b->contents[1].ttl_ms, 5000);
  auto again = BatchSendRequestBody::Parse(Form(EncodeForm(b->ToForm())));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->ToForm(), b->ToForm());
}

TEST(BatchSendRequestBodyTest, Errors) {
  ExpectBodyError(BatchSendRequestBody::Parse(Fields(With(BatchFields(), "size", "3"))),
                  "body field 'size' is 3 but 'contents' has 2 entries");
  ExpectBodyError(BatchSendRequestBody::Parse(Fields(With(BatchFields(), "size", "two"))),
                  "body field 'size' must be a non-negative integer, got 'two'");
  for (const char* key : {"batchId", "size", "producerGroup", "contents"}) {
    ExpectBodyError(BatchSendRequestBody::Parse(Fields(Without(BatchFields(), key))),
                    std::string("missing body field '") + key + "'");
  }
  ExpectBodyError(BatchSendRequestBody::Parse(Fields(With(BatchFields(), "contents", "[]"))),
                  "body field 'contents' must be a non-empty JSON array");
  ExpectBodyError(BatchSendRequestBody::Parse(Fields(With(BatchFields(), "contents", "{}"))),
                  "body field 'contents' must be a non-empty JSON array");
  ExpectBodyError(BatchSendRequestBody::Parse(
                      Fields(With(BatchFields(), "contents", R"([{"topic":"t"},{"msg":"m"}])"))),
                  "body field 'contents'[0]: missing 'msg'");
  ExpectBodyError(BatchSendRequestBody::Parse(Fields(
                      With(BatchFields(), "contents", R"([{"topic":"t","msg":"m"},{"msg":"m"}])"))),
                  "body field 'contents'[1]: missing 'topic'");
  ExpectBodyError(
      BatchSendRequestBody::Parse(Fields(With(With(BatchFields(), "size", "1"), "contents",
                                              R"([{"topic":"t","msg":"m","ttl":"x"}])"))),
      "body field 'contents'[0]: 'ttl' must be a non-negative integer");
  ExpectBodyError(BatchSendRequestBody::Parse(
                      Fields(With(With(BatchFields(), "size", "1"), "contents", R"([1])"))),
                  "body field 'contents'[0]: must be a JSON object");
  ExpectBodyError(BatchSendRequestBody::Parse(Fields(With(
                      With(BatchFields(), "size", "1"), "contents", R"([{"topic":7,"msg":"m"}])"))),
                  "body field 'contents'[0]: 'topic' must be a string");
}

// ---------------------------------------------------------------------------------------
// 107

TEST(BatchSendV2RequestBodyTest, ParsesAndRequiresFields) {
  FormFields f = {
      {"bizseqno", "b"}, {"topic", "t"}, {"msg", "m"}, {"tag", "x"}, {"producergroup", "g"}};
  auto b = BatchSendV2RequestBody::Parse(Fields(f));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->ttl_ms, 14400000);
  EXPECT_EQ(b->tag, "x");
  auto again = BatchSendV2RequestBody::Parse(Fields(b->ToForm()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToForm(), b->ToForm());
  for (const char* key : {"bizseqno", "topic", "msg", "producergroup"}) {
    ExpectBodyError(BatchSendV2RequestBody::Parse(Fields(Without(f, key))),
                    std::string("missing body field '") + key + "'");
  }
  ExpectBodyError(BatchSendV2RequestBody::Parse(Fields(With(f, "ttl", "1.5"))),
                  "body field 'ttl' must be a non-negative integer, got '1.5'");
}

// ---------------------------------------------------------------------------------------
// 203

FormFields HeartbeatFields() {
  return {{"clientType", "SUB"},
          {"consumerGroup", "cg"},
          {"heartbeatEntities",
           R"([{"topic":"t","serviceId":"s","url":"http://10.1.1.1:8088/sub","instanceId":"i"}])"}};
}

TEST(HeartbeatRequestBodyTest, Parses) {
  auto b = HeartbeatRequestBody::Parse(Fields(HeartbeatFields()));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->client_type, ClientType::kSub);
  EXPECT_EQ(b->consumer_group, "cg");
  ASSERT_EQ(b->entities.size(), 1u);
  EXPECT_EQ(b->entities[0].topic, "t");
  EXPECT_EQ(b->entities[0].service_id, "s");
  EXPECT_EQ(b->entities[0].url, "http://10.1.1.1:8088/sub");
  EXPECT_EQ(b->entities[0].instance_id, "i");
  auto again = HeartbeatRequestBody::Parse(Form(EncodeForm(b->ToForm())));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToForm(), b->ToForm());
  auto pub = HeartbeatRequestBody::Parse(
      Fields({{"clientType", "PUB"}, {"producerGroup", "pg"}, {"heartbeatEntities", "[]"}}));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->client_type, ClientType::kPub);
  EXPECT_TRUE(pub->entities.empty());
}

TEST(HeartbeatRequestBodyTest, Errors) {
  ExpectBodyError(HeartbeatRequestBody::Parse(Fields(With(HeartbeatFields(), "clientType", "sub"))),
                  "body field 'clientType' must be PUB or SUB, got 'sub'");
  ExpectBodyError(HeartbeatRequestBody::Parse(Fields(Without(HeartbeatFields(), "clientType"))),
                  "missing body field 'clientType'");
  ExpectBodyError(HeartbeatRequestBody::Parse(Fields(Without(HeartbeatFields(), "consumerGroup"))),
                  "missing body field 'consumerGroup'");
  ExpectBodyError(HeartbeatRequestBody::Parse(Fields(With(HeartbeatFields(), "clientType", "PUB"))),
                  "missing body field 'producerGroup'");
  ExpectBodyError(
      HeartbeatRequestBody::Parse(Fields(Without(HeartbeatFields(), "heartbeatEntities"))),
      "missing body field 'heartbeatEntities'");
  ExpectBodyError(HeartbeatRequestBody::Parse(Fields(
                      With(HeartbeatFields(), "heartbeatEntities", R"([{"topic":"t","url":""}])"))),
                  "body field 'heartbeatEntities'[0]: missing 'url'");
  ExpectBodyError(
      HeartbeatRequestBody::Parse(Fields(With(HeartbeatFields(), "heartbeatEntities",
                                              R"([{"topic":"t","url":"u"},{"url":"u"}])"))),
      "body field 'heartbeatEntities'[1]: missing 'topic'");
  ExpectBodyError(
      HeartbeatRequestBody::Parse(Fields(With(HeartbeatFields(), "heartbeatEntities", "{}"))),
      "body field 'heartbeatEntities' must be a JSON array");
}

// ---------------------------------------------------------------------------------------
// 206 / 207 and the local URI endpoints

FormFields SubscribeFields() {
  return {{"topic", R"([{"topic":"t1","mode":"CLUSTERING","type":"ASYNC"},)"
                    R"({"topic":"t2","mode":"BROADCASTING","type":"SYNC"},{"topic":"t3"}])"},
          {"url", "http://10.1.1.1:8088/sub/test"},
          {"consumerGroup", "cg"}};
}

TEST(SubscribeRequestBodyTest, Parses) {
  auto b = SubscribeRequestBody::Parse(Fields(SubscribeFields()));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->url, "http://10.1.1.1:8088/sub/test");
  EXPECT_EQ(b->consumer_group, "cg");
  EXPECT_THAT(
      b->topics,
      ElementsAre(SubscriptionItem{"t1", SubscriptionMode::kClustering, SubscriptionType::kAsync},
                  SubscriptionItem{"t2", SubscriptionMode::kBroadcasting, SubscriptionType::kSync},
                  SubscriptionItem{"t3", SubscriptionMode::kClustering, SubscriptionType::kAsync}));
  auto again = SubscribeRequestBody::Parse(Form(EncodeForm(b->ToForm())));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->topics, b->topics);
}

TEST(SubscribeRequestBodyTest, LocalEndpointJsonBody) {
  auto fields = BodyFields::Parse("application/json",
                                  R"({"url":"http://127.0.0.1:8088/sub","consumerGroup":"cg",)"
                                  R"("topic":[{"topic":"t","mode":"CLUSTERING","type":"ASYNC"}]})");
  ASSERT_TRUE(fields.ok());
  auto b = SubscribeRequestBody::Parse(*fields);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->topics.size(), 1u);
  EXPECT_EQ(b->topics[0].topic, "t");
  auto remote = BodyFields::FromJson(
      R"({"url":"u","consumerGroup":"cg","topic":[{"topic":"t"}],"remoteMesh":"http://m:10105"})");
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(SubscribeRequestBody::Parse(*remote)->remote_mesh, "http://m:10105");
}

TEST(SubscribeRequestBodyTest, Errors) {
  for (const char* key : {"url", "consumerGroup", "topic"}) {
    ExpectBodyError(SubscribeRequestBody::Parse(Fields(Without(SubscribeFields(), key))),
                    std::string("missing body field '") + key + "'");
  }
  ExpectBodyError(SubscribeRequestBody::Parse(Fields(With(SubscribeFields(), "topic", "[]"))),
                  "body field 'topic' must be a non-empty JSON array");
  ExpectBodyError(SubscribeRequestBody::Parse(
                      Fields(With(SubscribeFields(), "topic", R"([{"topic":"t","mode":"ALL"}])"))),
                  "body field 'topic'[0]: mode must be CLUSTERING or BROADCASTING, got 'ALL'");
  ExpectBodyError(SubscribeRequestBody::Parse(Fields(
                      With(SubscribeFields(), "topic", R"([{"topic":"t","type":"async"}])"))),
                  "body field 'topic'[0]: type must be ASYNC or SYNC, got 'async'");
  ExpectBodyError(SubscribeRequestBody::Parse(Fields(With(SubscribeFields(), "topic", R"(["t"])"))),
                  "body field 'topic'[0]: must be a JSON object");
  ExpectBodyError(SubscribeRequestBody::Parse(
                      Fields(With(SubscribeFields(), "topic", R"([{"mode":"CLUSTERING"}])"))),
                  "body field 'topic'[0]: missing 'topic'");
  auto bad = SubscribeRequestBody::Parse(Fields(With(SubscribeFields(), "topic", "[{")));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("malformed JSON in body field 'topic'"));
}

TEST(UnsubscribeRequestBodyTest, ParsesNamesAndItems) {
  auto b = UnsubscribeRequestBody::Parse(
      Fields({{"topic", R"(["t1",{"topic":"t2","mode":"CLUSTERING"}])"},
              {"url", "u"},
              {"consumerGroup", "cg"}}));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->topics, ElementsAre("t1", "t2"));
  auto again = UnsubscribeRequestBody::Parse(Form(EncodeForm(b->ToForm())));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->topics, b->topics);
  auto json = BodyFields::FromJson(R"({"url":"u","consumerGroup":"cg","topic":["a"]})");
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(UnsubscribeRequestBody::Parse(*json)->topics, ElementsAre("a"));
}

TEST(UnsubscribeRequestBodyTest, Errors) {
  FormFields f = {{"topic", R"(["t"])"}, {"url", "u"}, {"consumerGroup", "cg"}};
  for (const char* key : {"url", "consumerGroup", "topic"}) {
    ExpectBodyError(UnsubscribeRequestBody::Parse(Fields(Without(f, key))),
                    std::string("missing body field '") + key + "'");
  }
  ExpectBodyError(UnsubscribeRequestBody::Parse(Fields(With(f, "topic", "[]"))),
                  "body field 'topic' must be a non-empty JSON array");
  ExpectBodyError(UnsubscribeRequestBody::Parse(Fields(With(f, "topic", R"([" "])"))),
                  "body field 'topic'[0]: must not be blank");
  ExpectBodyError(UnsubscribeRequestBody::Parse(Fields(With(f, "topic", R"(["a",3])"))),
                  "body field 'topic'[1]: must be a topic name");
}

// ---------------------------------------------------------------------------------------
// 301, topic endpoints, push form

TEST(ReplyMessageRequestBodyTest, ParsesAndRequiresFields) {
  FormFields f = {{"origtopic", "t"},     {"bizseqno", "b"},
                  {"uniqueid", "u"},      {"content", "reply"},
                  {"producergroup", "g"}, {"extFields", R"({"cluster":"LS"})"}};
  auto b = ReplyMessageRequestBody::Parse(Fields(f));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->orig_topic, "t");
  EXPECT_THAT(b->ext_fields, ElementsAre(Pair("cluster", "LS")));
  auto again = ReplyMessageRequestBody::Parse(Fields(b->ToForm()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToForm(), b->ToForm());
  for (const char* key : {"origtopic", "bizseqno", "uniqueid", "content", "producergroup"}) {
    ExpectBodyError(ReplyMessageRequestBody::Parse(Fields(Without(f, key))),
                    std::string("missing body field '") + key + "'");
  }
}

TEST(TopicRequestBodyTest, ParsesJson) {
  auto f = BodyFields::FromJson(R"({"topic":"orders"})");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(TopicRequestBody::Parse(*f)->topic, "orders");
  ExpectBodyError(TopicRequestBody::Parse(*BodyFields::FromJson("{}")),
                  "missing body field 'topic'");
  ExpectBodyError(TopicRequestBody::Parse(*BodyFields::FromJson(R"({"topic":""})")),
                  "missing body field 'topic'");
}

TEST(PushMessageFormTest, BuildsTheWebhookForm) {
  PushMessageForm p;
  p.content = "hello world";
  p.biz_seq_no = "12345678901234567890";
  p.unique_id = "u-1";
  p.random_no = "42";
  p.topic = "orders";
  p.ext_fields = {{"protocoltype", "eventmeshmessage"}, {"ttl", "4000"}};
  const std::string encoded = p.Encode();
  EXPECT_EQ(encoded,
            "content=hello+world&bizseqno=12345678901234567890&uniqueId=u-1&randomNo=42"
            "&topic=orders&extFields=%7B%22protocoltype%22%3A%22eventmeshmessage%22%2C"
            "%22ttl%22%3A%224000%22%7D");
  auto parsed = PushMessageForm::Parse(Form(encoded));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->content, p.content);
  EXPECT_EQ(parsed->unique_id, "u-1");
  EXPECT_EQ(parsed->random_no, "42");
  EXPECT_EQ(parsed->ext_fields, p.ext_fields);
  ExpectBodyError(PushMessageForm::Parse(Form("content=x")), "missing body field 'topic'");
  ExpectBodyError(PushMessageForm::Parse(Form("topic=x")), "missing body field 'content'");
  EXPECT_EQ(PushRequestCode(SubscriptionType::kAsync), RequestCode::kHttpPushClientAsync);
  EXPECT_EQ(PushRequestCode(SubscriptionType::kSync), RequestCode::kHttpPushClientSync);
}

}  // namespace
}  // namespace eventmesh::protocol::http
