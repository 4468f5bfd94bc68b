// An HTTP client that keeps sending refused requests gets each refusal answered, but the log
// shows the first ones with their reason and then only a bounded trickle.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::http {
namespace {

class RefusalSink : public google::LogSink {
 public:
  void send(google::LogSeverity severity, const char*, const char*, int, const struct ::tm*,
            const char* message, size_t length) override {
    const std::string line(message, length);
    if (severity == google::GLOG_WARNING && absl::StartsWith(line, "http ") &&
        absl::StrContains(line, "refused")) {
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

TEST(HttpRefusalLoggingTest, AFloodOfRefusalsIsLoggedWithItsReasonButBounded) {
  connectors::ConnectorRegistry registry;
  ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry).ok());
  auto server = runtime::testing::StartTestServer({}, runtime::testing::TestDataDir(), registry);
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = net::HttpClient::Create({});
  ASSERT_TRUE(client.ok()) << client.status();
  RefusalSink sink;
  google::AddLogSink(&sink);
  const absl::Time start = absl::Now();
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = absl::StrCat("http://127.0.0.1:", (*server)->http_port(),
                               "/eventmesh/publish/eventmesh-reserved");
    request.headers = {{"ce-specversion", "1.0"},
                       {"ce-id", absl::StrCat(i)},
                       {"ce-source", "/test"},
                       {"ce-type", "t"}};
    request.body = "x";
    absl::Notification done;
    absl::StatusOr<net::HttpResponse> response;
    (*client)->Send(std::move(request), absl::Seconds(10),
                    [&](absl::StatusOr<net::HttpResponse> r) {
                      response = std::move(r);
                      done.Notify();
                    });
    done.WaitForNotification();
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_THAT(response->body, ::testing::HasSubstr("reserved"));
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  google::RemoveLogSink(&sink);
  const std::vector<std::string> lines = sink.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], ::testing::HasSubstr("http 127.0.0.1: POST /eventmesh/publish/"
                                             "eventmesh-reserved refused, HTTP "));
  EXPECT_THAT(lines[0], ::testing::HasSubstr("reserved for the mesh"));
  EXPECT_LE(lines.size(), 10 + static_cast<size_t>(seconds) + 1) << seconds << " s";
}

}  // namespace
}  // namespace eventmesh::runtime::http
