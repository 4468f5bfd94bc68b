#include "eventmesh/protocol/http/response.h"

#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

TEST(ResponseTest, MakesResponseJson) {
  EXPECT_EQ(MakeResponseJson(EventMeshRetCode::kSuccess, "success", 1700000000123),
            R"({"retCode":0,"retMsg":"success","resTime":1700000000123})");
  EXPECT_EQ(MakeResponseJson(7, "bad \"body\"\n", 5),
            R"({"retCode":7,"retMsg":"bad \"body\"\n","resTime":5})");
}

TEST(ResponseTest, ParsesResponseJson) {
  auto r = ParseResponseJson(R"({"retCode":15,"retMsg":"send failed","resTime":42})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ret_code, 15);
  EXPECT_EQ(r->ret_msg, "send failed");
  EXPECT_EQ(r->res_time_ms, 42);
  auto round = ParseResponseJson(MakeResponseJson(EventMeshRetCode::kAclErr, "no", 9));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->ret_code, 22);
}

TEST(ResponseTest, ResponseJsonErrors) {
  EXPECT_EQ(ParseResponseJson("[]").status().message(), "response must be a JSON object");
  EXPECT_EQ(ParseResponseJson(R"({"retMsg":"x"})").status().message(),
            "response has no integer 'retCode'");
  auto bad = ParseResponseJson("{");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("malformed JSON in response", 0), 0u);
}

TEST(ResponseTest, SubscriberReplies) {
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":0})"), ClientRetCode::kRemoteOk);
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":1})"), ClientRetCode::kOk);
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":"2"})"), ClientRetCode::kRetry);
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":3,"retMsg":"x"})"), ClientRetCode::kFail);
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":5})"), ClientRetCode::kNoListen);
  // Missing / unknown / empty / malformed => FAIL.
  EXPECT_EQ(ParseSubscriberReply(""), ClientRetCode::kFail);
  EXPECT_EQ(ParseSubscriberReply("{}"), ClientRetCode::kFail);
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":4})"), ClientRetCode::kFail);
  EXPECT_EQ(ParseSubscriberReply(R"({"retCode":null})"), ClientRetCode::kFail);
  EXPECT_EQ(ParseSubscriberReply("OK"), ClientRetCode::kFail);
  EXPECT_EQ(ParseSubscriberReply("[1]"), ClientRetCode::kFail);
}

TEST(ResponseTest, UriConstants) {
  EXPECT_EQ(uri::kPublish, "/eventmesh/publish/");
  EXPECT_EQ(uri::kSubscribeLocal, "/eventmesh/subscribe/local");
  EXPECT_EQ(uri::kUnsubscribeLocal, "/eventmesh/unsubscribe/local");
  EXPECT_EQ(uri::kTopicCreate, "/eventmesh/topic/create");
  EXPECT_EQ(uri::kTopicDelete, "/eventmesh/topic/delete");
  EXPECT_EQ(uri::kSubscriptionQueryLegacy, "/eventmesh/subscrition/query");
  EXPECT_EQ(uri::kSubscriptionQuery, "/eventmesh/subscription/query");
}

TEST(ResponseTest, MatchesUriEndpointsByPrefix) {
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/publish/orders"), UriEndpoint::kPublish);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/publish/batch"), UriEndpoint::kPublishBatch);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/subscribe/local?x=1"), UriEndpoint::kSubscribeLocal);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/subscribe/remote"), UriEndpoint::kSubscribeRemote);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/unsubscribe/local"), UriEndpoint::kUnsubscribeLocal);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/unsubscribe/remote"), UriEndpoint::kUnsubscribeRemote);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/topic/create"), UriEndpoint::kTopicCreate);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/topic/delete"), UriEndpoint::kTopicDelete);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/bridge/publish"), UriEndpoint::kBridgePublish);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/subscrition/query"), UriEndpoint::kSubscriptionQuery);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/subscription/query"), UriEndpoint::kSubscriptionQuery);
  // Code-based protocol: any other path, including the root and "/eventmesh/publish".
  EXPECT_EQ(MatchUriEndpoint("/"), std::nullopt);
  EXPECT_EQ(MatchUriEndpoint(""), std::nullopt);
  EXPECT_EQ(MatchUriEndpoint("/eventmesh/publish"), std::nullopt);
  EXPECT_EQ(MatchUriEndpoint("/?code=104"), std::nullopt);
}

TEST(ResponseTest, PublishTopicFromPath) {
  EXPECT_EQ(PublishTopicFromPath("/eventmesh/publish/orders"), "orders");
  EXPECT_EQ(PublishTopicFromPath("/eventmesh/publish/a/b?x=1"), "a/b");
  EXPECT_EQ(PublishTopicFromPath("/eventmesh/publish/"), "");
  EXPECT_EQ(PublishTopicFromPath("/other"), "");
}

}  // namespace
}  // namespace eventmesh::protocol::http
