#include "eventmesh/protocol/http/ret_code.h"

#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

TEST(RetCodeTest, CurrentNumbering) {
  const std::pair<int, const char*> kExpected[] = {
      {0, "SUCCESS"},
      {1, "OVERLOAD"},
      {2, "EVENTMESH_REQUESTCODE_INVALID"},
      {3, "EVENTMESH_SEND_SYNC_MSG_ERR"},
      {4, "EVENTMESH_WAITING_RR_MSG_ERR"},
      {6, "EVENTMESH_PROTOCOL_HEADER_ERR"},
      {7, "EVENTMESH_PROTOCOL_BODY_ERR"},
      {8, "EVENTMESH_PROTOCOL_BODY_SIZE_ERR"},
      {9, "EVENTMESH_STOP"},
      {10, "EVENTMESH_REJECT_BY_PROCESSOR_ERROR"},
      {11, "EVENTMESH_BATCH_PRODUCER_STOPED_ERR"},
      {12, "EVENTMESH_BATCH_SPEED_OVER_LIMIT_ERR"},
      {13, "EVENTMESH_PACKAGE_MSG_ERR"},
      {14, "EVENTMESH_GROUP_PRODUCER_STOPED_ERR"},
      {15, "EVENTMESH_SEND_ASYNC_MSG_ERR"},
      {16, "EVENTMESH_REPLY_MSG_ERR"},
      {17, "EVENTMESH_SEND_BATCHLOG_MSG_ERR"},
      {18, "EVENTMESH_RUNTIME_ERR"},
      {19, "EVENTMESH_SUBSCRIBE_ERR"},
      {20, "EVENTMESH_UNSUBSCRIBE_ERR"},
      {21, "EVENTMESH_HEARTBEAT_ERR"},
      {22, "EVENTMESH_ACL_ERR"},
      {23, "EVENTMESH_HTTP_MES_SEND_OVER_LIMIT_ERR"},
      {24, "EVENTMESH_FILTER_MSG_ERR"},
      {100, "EVENTMESH_OPERATE_FAIL"},
  };
  for (const auto& [value, name] : kExpected) {
    std::optional<EventMeshRetCode> code = EventMeshRetCodeFromInt(value);
    ASSERT_TRUE(code.has_value()) << value;
    EXPECT_EQ(RetCodeValue(*code), value);
    EXPECT_EQ(RetCodeName(*code), name);
    EXPECT_FALSE(RetCodeMessage(*code).empty()) << name;
  }
  EXPECT_EQ(EventMeshRetCodeFromInt(5), std::nullopt);
  EXPECT_EQ(EventMeshRetCodeFromInt(25), std::nullopt);
  EXPECT_EQ(EventMeshRetCodeFromInt(-1), std::nullopt);
  EXPECT_EQ(RetCodeMessage(EventMeshRetCode::kSuccess), "success");
  EXPECT_EQ(RetCodeValue(EventMeshRetCode::kStop), 9);
}

TEST(RetCodeTest, FormatRetMsgAppendsDetail) {
  EXPECT_EQ(FormatRetMsg(EventMeshRetCode::kProtocolBodyErr, "missing body field 'topic'"),
            "eventMesh protocol[body] err, missing body field 'topic'");
  EXPECT_EQ(FormatRetMsg(EventMeshRetCode::kSubscribeErr, "no url"),
            "eventMesh subscribe err, no url");
  EXPECT_EQ(FormatRetMsg(EventMeshRetCode::kSuccess, ""), "success");
}

TEST(RetCodeTest, ParseFailuresMapToHeaderAndBodyErrors) {
  EXPECT_EQ(HeaderParseRetCode(absl::InvalidArgumentError("x")),
            EventMeshRetCode::kProtocolHeaderErr);
  EXPECT_EQ(RetCodeValue(HeaderParseRetCode(absl::InvalidArgumentError("x"))), 6);
  EXPECT_EQ(BodyParseRetCode(absl::InvalidArgumentError("x")), EventMeshRetCode::kProtocolBodyErr);
  EXPECT_EQ(RetCodeValue(BodyParseRetCode(absl::InvalidArgumentError("x"))), 7);
  EXPECT_EQ(HeaderParseRetCode(absl::OkStatus()), EventMeshRetCode::kSuccess);
  EXPECT_EQ(BodyParseRetCode(absl::OkStatus()), EventMeshRetCode::kSuccess);
}

TEST(ClientRetCodeTest, ValuesNamesAndActions) {
  struct Case {
    int value;
    const char* name;
    PushAction action;
  };
  const Case kCases[] = {{0, "REMOTE_OK", PushAction::kDone},
                         {1, "OK", PushAction::kDone},
                         {2, "RETRY", PushAction::kRetry},
                         {3, "FAIL", PushAction::kGiveUp},
                         {5, "NOLISTEN", PushAction::kRetry}};
  for (const Case& c : kCases) {
    std::optional<ClientRetCode> code = ClientRetCodeFromInt(c.value);
    ASSERT_TRUE(code.has_value()) << c.value;
    EXPECT_EQ(ClientRetCodeName(*code), c.name);
    EXPECT_EQ(ActionForClientRetCode(*code), c.action) << c.name;
  }
  EXPECT_EQ(ClientRetCodeFromInt(4), std::nullopt);
  EXPECT_EQ(ClientRetCodeFromInt(-1), std::nullopt);
  EXPECT_EQ(ClientRetCodeFromInt(6), std::nullopt);
}

}  // namespace
}  // namespace eventmesh::protocol::http
