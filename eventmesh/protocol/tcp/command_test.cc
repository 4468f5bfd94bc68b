#include "eventmesh/protocol/tcp/command.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

TEST(CommandTest, NamesAndOrdinalsMatchTheJavaEnum) {
  EXPECT_EQ(CommandName(Command::kHeartbeatRequest), "HEARTBEAT_REQUEST");
  EXPECT_EQ(CommandName(Command::kHelloRequest), "HELLO_REQUEST");
  EXPECT_EQ(CommandName(Command::kAsyncMessageToServer), "ASYNC_MESSAGE_TO_SERVER");
  EXPECT_EQ(static_cast<int>(Command::kAsyncMessageToServer), 20);
  EXPECT_EQ(CommandName(Command::kRedirectToClient), "REDIRECT_TO_CLIENT");
  EXPECT_EQ(static_cast<int>(Command::kRedirectToClient), 30);
  EXPECT_EQ(CommandName(Command::kSysLogToLogServer), "SYS_LOG_TO_LOGSERVER");
  EXPECT_EQ(CommandName(Command::kRecommendResponse), "RECOMMEND_RESPONSE");
  EXPECT_EQ(static_cast<int>(Command::kRecommendResponse), 36);
}

TEST(CommandTest, EveryCommandRoundTripsByNameAndOrdinal) {
  for (int i = 0; i < kCommandCount; ++i) {
    const auto cmd = static_cast<Command>(i);
    ASSERT_FALSE(CommandName(cmd).empty()) << i;
    EXPECT_EQ(ParseCommand(CommandName(cmd)), cmd);
    EXPECT_EQ(ParseCommand(std::to_string(i)), cmd);
    EXPECT_EQ(CommandFromOrdinal(i), cmd);
  }
}

TEST(CommandTest, RejectsUnknown) {
  EXPECT_EQ(ParseCommand(""), std::nullopt);
  EXPECT_EQ(ParseCommand("hello_request"), std::nullopt);
  EXPECT_EQ(ParseCommand("37"), std::nullopt);
  EXPECT_EQ(ParseCommand("-1"), std::nullopt);
  EXPECT_EQ(ParseCommand("2x"), std::nullopt);
  EXPECT_EQ(CommandFromOrdinal(37), std::nullopt);
  EXPECT_EQ(CommandFromOrdinal(-1), std::nullopt);
}

TEST(CommandTest, NearMissesOfEveryNameAreUnknown) {
  for (int i = 0; i < kCommandCount; ++i) {
    const std::string name(CommandName(static_cast<Command>(i)));
    EXPECT_EQ(ParseCommand(name + "_"), std::nullopt) << name;
    EXPECT_EQ(ParseCommand(name.substr(0, name.size() - 1)), std::nullopt) << name;
    EXPECT_EQ(ParseCommand(name.substr(1)), std::nullopt) << name;
    for (size_t at = 0; at < name.size(); ++at) {
      std::string changed = name;
      changed[at] = changed[at] == 'X' ? 'Y' : 'X';
      EXPECT_EQ(ParseCommand(changed), std::nullopt) << changed;
    }
  }
  EXPECT_EQ(ParseCommand("A"), std::nullopt);
  EXPECT_EQ(ParseCommand(std::string(1000, 'A')), std::nullopt);
  EXPECT_EQ(ParseCommand(absl::string_view("HELLO_REQUEST\0", 14)), std::nullopt);
}

TEST(CommandTest, ReplyCommand) {
  EXPECT_EQ(ReplyCommand(Command::kHelloRequest), Command::kHelloResponse);
  EXPECT_EQ(ReplyCommand(Command::kHeartbeatRequest), Command::kHeartbeatResponse);
  EXPECT_EQ(ReplyCommand(Command::kClientGoodbyeRequest), Command::kClientGoodbyeResponse);
  EXPECT_EQ(ReplyCommand(Command::kSubscribeRequest), Command::kSubscribeResponse);
  EXPECT_EQ(ReplyCommand(Command::kUnsubscribeRequest), Command::kUnsubscribeResponse);
  EXPECT_EQ(ReplyCommand(Command::kListenRequest), Command::kListenResponse);
  EXPECT_EQ(ReplyCommand(Command::kRequestToServer), Command::kResponseToClient);
  EXPECT_EQ(ReplyCommand(Command::kAsyncMessageToServer), Command::kAsyncMessageToServerAck);
  EXPECT_EQ(ReplyCommand(Command::kBroadcastMessageToServer),
            Command::kBroadcastMessageToServerAck);
  EXPECT_EQ(ReplyCommand(Command::kRecommendRequest), Command::kRecommendResponse);
  EXPECT_EQ(ReplyCommand(Command::kResponseToServer), Command::kResponseToServer);
  EXPECT_EQ(ReplyCommand(Command::kRegisterRequest), Command::kRegisterRequest);
}

TEST(CommandTest, Direction) {
  int c2s = 0, s2c = 0, unused = 0;
  for (int i = 0; i < kCommandCount; ++i) {
    switch (CommandDirection(static_cast<Command>(i))) {
      case Direction::kClientToServer:
        ++c2s;
        break;
      case Direction::kServerToClient:
        ++s2c;
        break;
      case Direction::kUnused:
        ++unused;
        break;
    }
  }
  EXPECT_EQ(c2s, 16);
  EXPECT_EQ(s2c, 15);
  EXPECT_EQ(unused, 6);
  EXPECT_TRUE(IsClientToServer(Command::kAsyncMessageToClientAck));
  EXPECT_FALSE(IsClientToServer(Command::kAsyncMessageToClient));
  EXPECT_FALSE(IsClientToServer(Command::kRegisterRequest));
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
