#include "eventmesh/sdk/internal/tcp_client_options.h"

#include <unistd.h>

#include "eventmesh/sdk/internal/tcp_messages.h"
#include "gtest/gtest.h"

namespace eventmesh::sdk {
namespace {

TcpClientOptions Valid() {
  TcpClientOptions options;
  options.group = "producers";
  return options;
}

TEST(TcpClientOptionsTest, DefaultsWithAGroupAreValid) {
  TcpClientOptions options = Valid();
  EXPECT_TRUE(options.Validate().ok());
  EXPECT_EQ(options.port, 10000);
  EXPECT_EQ(options.heartbeat_interval, absl::Seconds(30));
  EXPECT_EQ(options.ack_mode, AckMode::kAuto);
}

TEST(TcpClientOptionsTest, ErrorsNameTheField) {
  TcpClientOptions options = Valid();
  options.group = "  ";
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("group is required"));
  options = Valid();
  options.host = "";
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("host is required"));
  options = Valid();
  options.port = 70000;
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("port must be in 1..65535, got 70000"));
  options = Valid();
  options.version = "";
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("version is required"));
  options = Valid();
  options.request_timeout = absl::ZeroDuration();
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("request_timeout must be positive"));
  options = Valid();
  options.heartbeat_interval = -absl::Seconds(1);
  EXPECT_EQ(options.Validate(), absl::InvalidArgumentError("heartbeat_interval must be positive"));
}

TEST(TcpClientOptionsTest, UserAgentCarriesTheIdentity) {
  TcpClientOptions options = Valid();
  options.purpose = ClientPurpose::kSubscribe;
  options.env = "prod";
  options.idc = "idc1";
  options.subsystem = "1234";
  options.username = "alice";
  options.password = "secret";
  options.unack = 5;
  auto agent = ToUserAgent(options);
  EXPECT_EQ(agent.purpose, "sub");
  EXPECT_EQ(agent.group, "producers");
  EXPECT_EQ(agent.env, "prod");
  EXPECT_EQ(agent.idc, "idc1");
  EXPECT_EQ(agent.subsystem, "1234");
  EXPECT_EQ(agent.username, "alice");
  EXPECT_EQ(agent.password, "secret");
  EXPECT_EQ(agent.version, "2.0");
  EXPECT_EQ(agent.unack, 5);
  EXPECT_EQ(agent.pid, static_cast<int>(getpid()));
  EXPECT_TRUE(agent.Validate().ok());
  options.purpose = ClientPurpose::kPublish;
  options.pid = 42;
  EXPECT_EQ(ToUserAgent(options).purpose, "pub");
  EXPECT_EQ(ToUserAgent(options).pid, 42);
}

}  // namespace
}  // namespace eventmesh::sdk
