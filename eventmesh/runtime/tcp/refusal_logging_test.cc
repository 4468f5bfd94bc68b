// A client that keeps sending refused requests gets each refusal answered, but the log shows
// the first ones with their reason and then only a bounded trickle with a count of the dropped.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_client.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::tcp {
namespace {

// Collects the runtime's WARNING lines about refusals.
class RefusalSink : public google::LogSink {
 public:
  void send(google::LogSeverity severity, const char*, const char*, int, const struct ::tm*,
            const char* message, size_t length) override {
    const std::string line(message, length);
    if (severity == google::GLOG_WARNING && absl::StrContains(line, "refused")) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(line);
    }
  }
  std::vector<std::string> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
};

TEST(RefusalLoggingTest, AFloodOfRefusalsIsLoggedWithItsReasonButBounded) {
  connectors::ConnectorRegistry registry;
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry).ok());
  auto server = runtime::testing::StartTestServer({}, runtime::testing::TestDataDir(), registry);
  ASSERT_TRUE(server.ok()) << server.status();
  RefusalSink sink;
  google::AddLogSink(&sink);
  auto client = runtime::testing::TestClient::Connect((*server)->tcp_port());
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE((*client)->Hello("pub", "noisy").ok());
  const absl::Time start = absl::Now();
  constexpr int kRequests = 300;
  for (int i = 0; i < kRequests; ++i) {
    // Reserved for the mesh: refused with the reason, every time.
    auto reply = (*client)->Publish("eventmesh-reserved", "x");
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_NE(reply->header.code, 0);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  google::RemoveLogSink(&sink);
  const std::vector<std::string> lines = sink.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], ::testing::HasSubstr("(group noisy): ASYNC_MESSAGE_TO_SERVER refused"));
  EXPECT_THAT(lines[0], ::testing::HasSubstr("eventmesh-reserved"));
  // A burst of 10, then one per second per client address.
  EXPECT_LE(lines.size(), 10 + static_cast<size_t>(seconds) + 1) << seconds << " s";
  EXPECT_LT(lines.size(), static_cast<size_t>(kRequests));
  if (lines.size() > 10) {
    EXPECT_THAT(lines[10], ::testing::HasSubstr("similar messages dropped)"));
  }
}

}  // namespace
}  // namespace eventmesh::runtime::tcp
