#include "eventmesh/protocol/http/request_code.h"

#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

TEST(RequestCodeTest, ParsesEveryCodeAndNamesIt) {
  const std::pair<const char*, const char*> kExpected[] = {
      {"101", "MSG_SEND_SYNC"},
      {"102", "MSG_BATCH_SEND"},
      {"104", "MSG_SEND_ASYNC"},
      {"105", "HTTP_PUSH_CLIENT_ASYNC"},
      {"106", "HTTP_PUSH_CLIENT_SYNC"},
      {"107", "MSG_BATCH_SEND_V2"},
      {"201", "REGISTER"},
      {"202", "UNREGISTER"},
      {"203", "HEARTBEAT"},
      {"206", "SUBSCRIBE"},
      {"207", "UNSUBSCRIBE"},
      {"301", "REPLY_MESSAGE"},
      {"601", "ADMIN_SHUTDOWN"},
      {"603", "ADMIN_METRICS"},
      {"0", "UNKNOWN"},
  };
  for (const auto& [text, name] : kExpected) {
    std::optional<RequestCode> code = ParseRequestCode(text);
    ASSERT_TRUE(code.has_value()) << text;
    EXPECT_EQ(RequestCodeName(*code), name);
    EXPECT_EQ(std::to_string(RequestCodeValue(*code)), text);
  }
}

TEST(RequestCodeTest, ToleratesWhitespace) {
  EXPECT_EQ(ParseRequestCode(" 104\t"), RequestCode::kMsgSendAsync);
}

TEST(RequestCodeTest, RejectsNonCodes) {
  for (const char* bad : {"", " ", "103", "abc", "-104", "+104", "104a", "0x68", "1e2",
                          "99999999999999999999", "1.0"}) {
    EXPECT_EQ(ParseRequestCode(bad), std::nullopt) << bad;
  }
}

TEST(RequestCodeTest, ClientIdentityRequiredForClientCodes) {
  for (RequestCode c :
       {RequestCode::kMsgSendSync, RequestCode::kMsgBatchSend, RequestCode::kMsgSendAsync,
        RequestCode::kMsgBatchSendV2, RequestCode::kHeartbeat, RequestCode::kSubscribe,
        RequestCode::kUnsubscribe, RequestCode::kReplyMessage}) {
    EXPECT_TRUE(RequiresClientIdentity(c)) << RequestCodeName(c);
  }
  for (RequestCode c :
       {RequestCode::kUnknown, RequestCode::kHttpPushClientAsync, RequestCode::kHttpPushClientSync,
        RequestCode::kRegister, RequestCode::kUnregister, RequestCode::kAdminShutdown,
        RequestCode::kAdminMetrics}) {
    EXPECT_FALSE(RequiresClientIdentity(c)) << RequestCodeName(c);
  }
}

}  // namespace
}  // namespace eventmesh::protocol::http
