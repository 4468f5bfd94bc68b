// Decodes the requests of testdata/java_sdk/ (bytes as Apache EventMesh's Java SDK sends them
// through Apache HttpClient; see the README there) with our header, form and body codecs and
// checks every header and field.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

struct GoldenRequest {
  std::string request_line;
  HeaderMap headers;
  std::string body;
};

GoldenRequest ReadGolden(const std::string& name) {
  std::string path = absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"),
                                  "/eventmesh/protocol/http/testdata/java_sdk/", name, ".http");
  std::ifstream in(path, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();
  std::string text = data.str();
  GoldenRequest r;
  size_t end = text.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << path;
  if (end == std::string::npos) return r;
  r.body = text.substr(end + 4);
  std::vector<std::string> lines = absl::StrSplit(text.substr(0, end), "\r\n");
  r.request_line = lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(": ");
    EXPECT_NE(colon, std::string::npos) << lines[i];
    r.headers.Set(lines[i].substr(0, colon), lines[i].substr(colon + 2));
  }
  return r;
}

// The client-identity headers every Java SDK request carries (EventMeshHttpClientConfig).
void ExpectClientHeaders(const GoldenRequest& r) {
  EXPECT_EQ(r.request_line, "POST / HTTP/1.1");
  EXPECT_EQ(r.headers.Get(header_key::kEnv), "test");
  EXPECT_EQ(r.headers.Get(header_key::kIdc), "FT");
  EXPECT_EQ(r.headers.Get(header_key::kIp), "192.168.1.10");
  EXPECT_EQ(r.headers.Get(header_key::kPid), "32893");
  EXPECT_EQ(r.headers.Get(header_key::kSys), "1234");
  EXPECT_EQ(r.headers.Get(header_key::kUsername), "eventmesh");
  EXPECT_EQ(r.headers.Get(header_key::kPasswd), "pass");
  EXPECT_EQ(r.headers.Get(header_key::kVersion), kProtocolVersion1);
  EXPECT_EQ(r.headers.Get(header_key::kLanguage), kDefaultLanguage);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/x-www-form-urlencoded; charset=UTF-8");
  EXPECT_EQ(r.headers.Get("Content-Length"), absl::StrCat(r.body.size()));
}

void ExpectProducerHeaders(const GoldenRequest& r) {
  ExpectClientHeaders(r);
  EXPECT_EQ(r.headers.Get(header_key::kProtocolType), "eventmeshmessage");
  EXPECT_EQ(r.headers.Get(header_key::kProtocolDesc), "http");
  EXPECT_EQ(r.headers.Get(header_key::kProtocolVersion), "1.0");
  EXPECT_EQ(r.headers.size(), 19u);  // 13 of the SDK + 6 of HttpClient.
}

RequestCode CodeOf(const GoldenRequest& r) {
  auto text = r.headers.Get(header_key::kCode);
  EXPECT_TRUE(text.has_value());
  auto code = ParseRequestCode(text.value_or(""));
  EXPECT_TRUE(code.has_value());
  return code.value_or(RequestCode::kUnknown);
}

BodyFields Fields(const GoldenRequest& r) {
  auto fields = BodyFields::Parse(r.headers.GetOr("Content-Type", ""), r.body);
  EXPECT_TRUE(fields.ok()) << fields.status();
  return fields.ok() ? *fields : BodyFields();
}

constexpr absl::string_view kContent = R"({"content":"testPublishMessage"})";

TEST(JavaSdkHttpGoldenTest, PublishAsync104) {
  GoldenRequest r = ReadGolden("publish_async_104");
  ExpectProducerHeaders(r);
  ASSERT_EQ(CodeOf(r), RequestCode::kMsgSendAsync);
  BodyFields fields = Fields(r);
  EXPECT_EQ(fields.fields().size(), 6u);
  auto body = SendMessageRequestBody::Parse(fields, RequestCode::kMsgSendAsync, "eventmeshmessage");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->topic, "TEST-TOPIC-HTTP-ASYNC");
  EXPECT_EQ(body->content, kContent);
  EXPECT_EQ(body->biz_seq_no, "391720458163027485910364728153");
  EXPECT_EQ(body->unique_id, "820461739502816473920586134720");
  EXPECT_EQ(body->producer_group, "EventMeshTest-producerGroup");
  EXPECT_EQ(body->ttl_ms, 4000);
  EXPECT_EQ(body->tag, "");
  EXPECT_TRUE(body->ext_fields.empty());
}

// A message without a ttl prop: the SDK sends the bare field name; the default ttl applies.
TEST(JavaSdkHttpGoldenTest, PublishAsyncWithoutTtl104) {
  GoldenRequest r = ReadGolden("publish_async_no_ttl_104");
  ExpectProducerHeaders(r);
  ASSERT_EQ(CodeOf(r), RequestCode::kMsgSendAsync);
  BodyFields fields = Fields(r);
  EXPECT_EQ(fields.Get("ttl"), "");
  auto body = SendMessageRequestBody::Parse(fields, RequestCode::kMsgSendAsync, "eventmeshmessage");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->topic, "TEST-TOPIC-HTTP-ASYNC");
  EXPECT_EQ(body->content, kContent);
  EXPECT_EQ(body->biz_seq_no, "502817364920183746501928374650");
  EXPECT_EQ(body->unique_id, "610293847561029384756102938475");
  EXPECT_EQ(body->producer_group, "EventMeshTest-producerGroup");
  EXPECT_EQ(body->ttl_ms, kDefaultMessageTtlMs);
}

TEST(JavaSdkHttpGoldenTest, RequestSync101) {
  GoldenRequest r = ReadGolden("request_sync_101");
  ExpectProducerHeaders(r);
  ASSERT_EQ(CodeOf(r), RequestCode::kMsgSendSync);
  auto body =
      SendMessageRequestBody::Parse(Fields(r), RequestCode::kMsgSendSync, "eventmeshmessage");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->topic, "TEST-TOPIC-HTTP-SYNC");
  EXPECT_EQ(body->content, kContent);
  EXPECT_EQ(body->biz_seq_no, "728391046518273940561827394056");
  EXPECT_EQ(body->unique_id, "193847560192837465019283746501");
  EXPECT_EQ(body->producer_group, "EventMeshTest-producerGroup");
  EXPECT_EQ(body->ttl_ms, 3000);
}

TEST(JavaSdkHttpGoldenTest, Subscribe206) {
  GoldenRequest r = ReadGolden("subscribe_206");
  ExpectClientHeaders(r);
  EXPECT_EQ(r.headers.size(), 16u);
  ASSERT_EQ(CodeOf(r), RequestCode::kSubscribe);
  auto body = SubscribeRequestBody::Parse(Fields(r));
  ASSERT_TRUE(body.ok()) << body.status();
  ASSERT_EQ(body->topics.size(), 1u);
  EXPECT_EQ(body->topics[0].topic, "TEST-TOPIC-HTTP-ASYNC");
  EXPECT_EQ(body->topics[0].mode, SubscriptionMode::kClustering);
  EXPECT_EQ(body->topics[0].type, SubscriptionType::kAsync);
  EXPECT_EQ(body->url, "http://127.0.0.1:8088/sub/test");
  EXPECT_EQ(body->consumer_group, "EventMeshTest-consumerGroup");
}

TEST(JavaSdkHttpGoldenTest, Heartbeat203) {
  GoldenRequest r = ReadGolden("heartbeat_203");
  ExpectClientHeaders(r);
  ASSERT_EQ(CodeOf(r), RequestCode::kHeartbeat);
  auto body = HeartbeatRequestBody::Parse(Fields(r));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->client_type, ClientType::kSub);
  EXPECT_EQ(body->consumer_group, "EventMeshTest-consumerGroup");
  ASSERT_EQ(body->entities.size(), 1u);
  EXPECT_EQ(body->entities[0].topic, "TEST-TOPIC-HTTP-ASYNC");
  EXPECT_EQ(body->entities[0].url, "http://127.0.0.1:8088/sub/test");
  EXPECT_EQ(body->entities[0].service_id, "");
  EXPECT_EQ(body->entities[0].instance_id, "");
}

TEST(JavaSdkHttpGoldenTest, Unsubscribe207) {
  GoldenRequest r = ReadGolden("unsubscribe_207");
  ExpectClientHeaders(r);
  ASSERT_EQ(CodeOf(r), RequestCode::kUnsubscribe);
  auto body = UnsubscribeRequestBody::Parse(Fields(r));
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->topics, std::vector<std::string>{"TEST-TOPIC-HTTP-ASYNC"});
  EXPECT_EQ(body->url, "http://127.0.0.1:8088/sub/test");
  EXPECT_EQ(body->consumer_group, "EventMeshTest-consumerGroup");
}

// HttpClient adds these after the SDK's own headers; none is required by the protocol.
TEST(JavaSdkHttpGoldenTest, HttpClientHeaders) {
  for (const char* name : {"publish_async_104", "publish_async_no_ttl_104", "request_sync_101",
                           "subscribe_206", "heartbeat_203", "unsubscribe_207"}) {
    SCOPED_TRACE(name);
    GoldenRequest r = ReadGolden(name);
    EXPECT_EQ(r.headers.Get("Host"), "127.0.0.1:10105");
    EXPECT_EQ(r.headers.Get("Connection"), "Keep-Alive");
    EXPECT_EQ(r.headers.Get("Accept-Encoding"), "gzip,deflate");
    EXPECT_TRUE(absl::StartsWith(r.headers.GetOr("User-Agent", ""), "Apache-HttpClient/"));
  }
}

}  // namespace
}  // namespace eventmesh::protocol::http
