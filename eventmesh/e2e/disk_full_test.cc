// A disk that fills up under a running runtime with the embedded store: publishes fail with a
// precise "disk full" refusal, the process keeps serving, every acknowledged event is delivered,
// and publishing works again as soon as space is freed. The data directory is a small tmpfs
// mounted by the test (needs CAP_SYS_ADMIN, which the project's CI has; elsewhere the test says
// so and skips).

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

using protocol::tcp::Command;
using testing::TestClient;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = testing::TestDataDir("-tmpfs");
    std::filesystem::create_directories(mount_point_);
    if (mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=40m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs at " << mount_point_ << ": " << std::strerror(errno)
                   << " (the test needs CAP_SYS_ADMIN)";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
    if (mounted_) umount2(mount_point_.c_str(), MNT_DETACH);
  }

  std::string mount_point_;
  bool mounted_ = false;
  connectors::ConnectorRegistry registry_;
  std::unique_ptr<Server> server_;
};

TEST_F(DiskFullTest, PublishesAreRefusedThenResumeAndNothingAcknowledgedIsLost) {
  // Room for the store's files plus a few MiB of events, then the reserve.
  const std::string filler = mount_point_ + "/filler";
  std::ofstream(filler) << std::string(16 << 20, 'f');
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
  auto server = testing::StartTestServer(
      {{"eventMesh.storage.embedded.minFreeDiskBytes", std::to_string(8 << 20)},
       {"eventMesh.storage.embedded.syncMode", "batch"}},
      mount_point_ + "/data", registry_);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);

  auto subscriber = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_EQ((*subscriber)->Hello("sub", "readers")->header.code, 0);
  ASSERT_EQ((*subscriber)->Subscribe("fill")->header.code, 0);
  ASSERT_EQ((*subscriber)->Listen()->header.code, 0);
  auto publisher = TestClient::Connect(server_->tcp_port());
  ASSERT_TRUE(publisher.ok());
  ASSERT_EQ((*publisher)->Hello("pub", "writers")->header.code, 0);

  const std::string body(64 << 10, 'e');
  std::set<std::string> acknowledged;
  std::string refusal;
  for (int i = 0; i < 1000 && refusal.empty(); ++i) {
    const std::string tag = absl::StrCat("event-", i, "-");
    auto ack = (*publisher)->Publish("fill", tag + body);
    ASSERT_TRUE(ack.ok()) << ack.status();
    if (ack->header.code == 0) {
      acknowledged.insert(tag);
    } else {
      refusal = ack->header.desc;
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the disk never filled";
  EXPECT_TRUE(absl::StrContains(refusal, "disk full")) << refusal;
  EXPECT_TRUE(absl::StrContains(refusal, "minFreeDiskBytes")) << refusal;
  EXPECT_GT(acknowledged.size(), 10u);

  // Still full: refused again, and the runtime keeps answering.
  auto again = (*publisher)->Publish("fill", "event-again-" + body);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->header.code, 0);
  if (again->header.code == 0) acknowledged.insert("event-again-");

  // Space is freed: the next publish succeeds (no restart, no operator action).
  std::filesystem::remove(filler);
  auto resumed = (*publisher)->Publish("fill", "event-after-");
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->header.code, 0) << resumed->header.desc;
  acknowledged.insert("event-after-");

  // Every acknowledged event reaches the subscriber.
  std::set<std::string> delivered;
  for (size_t i = 0; i < acknowledged.size() + 5 && delivered.size() < acknowledged.size(); ++i) {
    auto push = (*subscriber)->Next(Command::kAsyncMessageToClient);
    ASSERT_TRUE(push.ok()) << push.status() << " after " << delivered.size() << " of "
                           << acknowledged.size();
    auto message = protocol::tcp::EventMeshMessage::FromJson(push->body);
    ASSERT_TRUE(message.ok());
    delivered.insert(message->body.substr(0, message->body.find('-', 6) + 1));
    ASSERT_TRUE((*subscriber)->Ack(*push).ok());
  }
  for (const std::string& tag : acknowledged) {
    EXPECT_TRUE(delivered.count(tag)) << tag << " was acknowledged but never delivered";
  }
}

}  // namespace
}  // namespace eventmesh::runtime
