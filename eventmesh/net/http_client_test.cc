#include "eventmesh/net/http_client.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/write.hpp"
#include "absl/strings/str_cat.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "eventmesh/net/testing/test_http_server.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

using ::eventmesh::net::testing::TestHttpServer;
using ::eventmesh::net::testing::TestRequest;
using ::eventmesh::net::testing::TestResponse;
using ::testing::HasSubstr;

absl::StatusOr<HttpResponse> SendSync(HttpClient& client, HttpRequest request,
                                      absl::Duration timeout = absl::Seconds(10)) {
  std::promise<absl::StatusOr<HttpResponse>> promise;
  auto future = promise.get_future();
  client.Send(std::move(request), timeout,
              [&promise](absl::StatusOr<HttpResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

std::unique_ptr<HttpClient> NewClient(HttpClientOptions options = {}) {
  auto client = HttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return std::move(*client);
}

// A gate the handler waits on, released by the test (bounded wait so a broken test ends).
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [this] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(ParseUrlTest, ParsesSchemesHostsPortsAndTargets) {
  auto url = ParseUrl("http://Example.COM/a/b?x=1#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/a/b?x=1");
  EXPECT_EQ(url->HostHeader(), "example.com");
  EXPECT_EQ(url->Origin(), "http://example.com:80");

  url = ParseUrl("HTTPS://127.0.0.1:8443");
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->tls());
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/");
  EXPECT_TRUE(url->host_is_ip());
  EXPECT_EQ(url->HostHeader(), "127.0.0.1:8443");

  url = ParseUrl("https://[::1]:9000?q");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->target, "/?q");
  EXPECT_EQ(url->HostHeader(), "[::1]:9000");
  EXPECT_EQ(ParseUrl("https://h/")->port, 443);
}

TEST(ParseUrlTest, RejectsMalformedUrlsWithClearErrors) {
  struct Case {
    const char* url;
    const char* message;
  };
  const Case cases[] = {
      {"example.com/x", "URL 'example.com/x' has no scheme (expected http:// or https://)"},
      {"ftp://h/", "URL 'ftp://h/' has unsupported scheme 'ftp' (expected http or https)"},
      {"http:///x", "URL 'http:///x' has an empty host"},
      {"http://h:99999/", "URL 'http://h:99999/' has an invalid port '99999'"},
      {"http://h:8a/", "URL 'http://h:8a/' has an invalid port '8a'"},
      {"http://h:/", "URL 'http://h:/' has an empty port"},
      {"http://u:p@h/", "URL 'http://u:p@h/' must not contain user info"},
      {"http://h/a b", "URL 'http://h/a b' contains whitespace or a control character"},
      {"http://[::1/", "URL 'http://[::1/' has an unterminated IPv6 address"},
      {"http://[zz]/", "URL 'http://[zz]/' has an invalid IPv6 address 'zz'"},
  };
  for (const Case& c : cases) {
    auto url = ParseUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_EQ(url.status().message(), c.message);
  }
}

TEST(HttpClientTest, PostsAndReadsTheResponse) {
  auto server = TestHttpServer::Start([](const TestRequest& r) {
    TestResponse response;
    response.status = 201;
    response.headers = {{"X-Echo-Method", r.method}, {"X-Echo-Type", r.header("content-type")}};
    response.body = r.target + "|" + r.body;
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  HttpRequest request;
  request.url = (*server)->Url("/hook?a=1");
  request.headers = {{"Content-Type", "text/plain"}};
  request.body = "hello";
  auto response = SendSync(*client, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "/hook?a=1|hello");
  ASSERT_NE(response->header("x-echo-method"), nullptr);
  EXPECT_EQ(*response->header("x-echo-method"), "POST");
  EXPECT_EQ(*response->header("X-ECHO-TYPE"), "text/plain");

  request.method = "OPTIONS";
  request.body.clear();
  response = SendSync(*client, request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(*response->header("x-echo-method"), "OPTIONS");

  request.method = "FROB";
  response = SendSync(*client, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response.status().message(), "unknown HTTP method 'FROB'");

  request.method = "GET";
  request.url = "gopher://x/";
  response = SendSync(*client, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpClientTest, ReusesKeepAliveConnections) {
  auto server = TestHttpServer::Start([](const TestRequest&) { return TestResponse{}; });
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  HttpRequest request;
  request.url = (*server)->Url("/");
  for (int i = 0; i < 5; ++i) {
    auto response = SendSync(*client, request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ((*server)->connections_accepted(), 1);
  EXPECT_EQ(client->connections_opened(), 1);
}

TEST(HttpClientTest, OpensANewConnectionAfterConnectionClose) {
  auto server = TestHttpServer::Start([](const TestRequest&) {
    TestResponse response;
    response.close = true;
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  HttpRequest request;
  request.url = (*server)->Url("/");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SendSync(*client, request).ok());
  EXPECT_EQ((*server)->connections_accepted(), 3);
}

TEST(HttpClientTest, RetriesOnceWhenTheServerDroppedTheIdleConnection) {
  auto server = TestHttpServer::Start([](const TestRequest&) {
    TestResponse response;
    response.drop_after = true;
    response.body = "ok";
    return response;
  });
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  HttpRequest request;
  request.url = (*server)->Url("/");
  for (int i = 0; i < 3; ++i) {
    auto response = SendSync(*client, request);
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    EXPECT_EQ(response->body, "ok");
  }
  EXPECT_EQ((*server)->connections_accepted(), 3);
  EXPECT_EQ((*server)->requests(), 3);
}

TEST(HttpClientTest, RunsOnAGivenIoContext) {
  auto server = TestHttpServer::Start([](const TestRequest&) { return TestResponse{}; });
  ASSERT_TRUE(server.ok());
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  {
    auto client = HttpClient::Create({}, &io);
    ASSERT_TRUE(client.ok());
    EXPECT_EQ(&(*client)->io_context(), &io);
    HttpRequest request;
    request.url = (*server)->Url("/");
    auto response = SendSync(**client, request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
  }
  guard.reset();
  runner.join();
}

TEST(HttpClientTest, OwnsOneIoContextPerThreadAndServesFromEach) {
  std::mutex mu;
  auto server = TestHttpServer::Start([](const TestRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // requests overlap
    return TestResponse{};
  });
  ASSERT_TRUE(server.ok());
  HttpClientOptions options;
  options.threads = 3;
  auto client = NewClient(options);
  std::set<boost::asio::io_context*> contexts;
  for (int i = 0; i < 6; ++i) contexts.insert(&client->NextIoContext());
  EXPECT_EQ(contexts.size(), 3u);
  EXPECT_TRUE(contexts.count(&client->io_context()));
  // Concurrent requests open several connections, dealt over the contexts; callbacks run on the
  // client's threads, and every request is answered.
  std::set<std::thread::id> callback_threads;
  std::vector<std::future<absl::StatusOr<HttpResponse>>> results;
  for (int i = 0; i < 12; ++i) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
    results.push_back(promise->get_future());
    HttpRequest request;
    request.url = (*server)->Url("/");
    client->Send(request, absl::Seconds(20), [&, promise](absl::StatusOr<HttpResponse> r) {
      {
        std::lock_guard<std::mutex> lock(mu);
        callback_threads.insert(std::this_thread::get_id());
      }
      promise->set_value(std::move(r));
    });
  }
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE((*server)->connections_accepted(), 2);
  EXPECT_GE(callback_threads.size(), 2u);
  EXPECT_LE(callback_threads.size(), 3u);
  EXPECT_FALSE(callback_threads.count(std::this_thread::get_id()));
}

// A hostile server announces an enormous body and sends its first byte with the header: the
// answer is refused by its announced length (once this threw std::bad_alloc out of the io
// thread), and the client goes on serving.
TEST(HttpClientTest, AnAnnouncedHugeBodyIsRefusedAndTheClientGoesOn) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  std::thread hostile([&] {
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) return;
    char data[4096];
    socket.read_some(boost::asio::buffer(data), ec);
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nxyz";
    boost::asio::write(socket, boost::asio::buffer(reply), ec);
    socket.read_some(boost::asio::buffer(data), ec);  // until the client closes
  });
  HttpClientOptions options;
  options.max_response_bytes = 1 << 20;
  auto client = NewClient(options);
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", port, "/");
  auto response = SendSync(*client, request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted) << response.status();
  EXPECT_THAT(response.status().message(), HasSubstr("exceeds 1048576 bytes"));
  hostile.join();
  auto server = TestHttpServer::Start([](const TestRequest&) { return TestResponse{}; });
  ASSERT_TRUE(server.ok());
  request.url = (*server)->Url("/");
  auto after = SendSync(*client, request);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, 200);
}

TEST(HttpClientTest, CapsConnectionsPerHost) {
  std::mutex mu;
  int concurrent = 0;
  int max_concurrent = 0;
  auto server = TestHttpServer::Start([&](const TestRequest&) {
    {
      std::lock_guard<std::mutex> lock(mu);
      max_concurrent = std::max(max_concurrent, ++concurrent);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(mu);
    --concurrent;
    return TestResponse{};
  });
  ASSERT_TRUE(server.ok());
  HttpClientOptions options;
  options.max_connections_per_host = 2;
  auto client = NewClient(options);
  std::vector<std::future<absl::StatusOr<HttpResponse>>> results;
  std::vector<std::shared_ptr<std::promise<absl::StatusOr<HttpResponse>>>> promises;
  for (int i = 0; i < 8; ++i) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<HttpResponse>>>();
    results.push_back(promise->get_future());
    HttpRequest request;
    request.url = (*server)->Url("/");
    client->Send(request, absl::Seconds(20),
                 [promise](absl::StatusOr<HttpResponse> r) { promise->set_value(std::move(r)); });
    promises.push_back(promise);
  }
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_LE((*server)->connections_accepted(), 2);
  EXPECT_LE(max_concurrent, 2);
}

TEST(HttpClientTest, TimesOutWithDeadlineExceeded) {
  Gate gate;
  auto server = TestHttpServer::Start([&](const TestRequest&) {
    gate.Wait();
    return TestResponse{};
  });
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  HttpRequest request;
  request.url = (*server)->Url("/slow");
  auto response = SendSync(*client, request, absl::Milliseconds(200));
  gate.Open();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(response.status().message(),
              HasSubstr("HTTP POST http://127.0.0.1:" + std::to_string((*server)->port()) +
                        "/slow timed out after 200 ms"));
}

TEST(HttpClientTest, TimesOutWhileWaitingForAPooledConnection) {
  Gate gate;
  auto server = TestHttpServer::Start([&](const TestRequest&) {
    gate.Wait();
    return TestResponse{};
  });
  ASSERT_TRUE(server.ok());
  HttpClientOptions options;
  options.max_connections_per_host = 1;
  auto client = NewClient(options);
  HttpRequest request;
  request.url = (*server)->Url("/");
  std::promise<absl::StatusOr<HttpResponse>> first;
  client->Send(request, absl::Seconds(20),
               [&first](absl::StatusOr<HttpResponse> r) { first.set_value(std::move(r)); });
  auto second = SendSync(*client, request, absl::Milliseconds(100));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(second.status().message(), HasSubstr("waiting for a free connection"));
  gate.Open();
  EXPECT_TRUE(first.get_future().get().ok());
}

TEST(HttpClientTest, RefusedPortIsUnavailable) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const int port = acceptor.local_endpoint().port();
  acceptor.close();
  auto client = NewClient();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto response = SendSync(*client, request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("error connecting"));
  EXPECT_THAT(response.status().message(), HasSubstr("Connection refused"));
}

TEST(HttpClientTest, SendAfterShutdownIsUnavailable) {
  auto client = NewClient();
  client->Shutdown();
  HttpRequest request;
  request.url = "http://127.0.0.1:1/";
  auto response = SendSync(*client, request);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(response.status().message(), "HTTP client shut down");
}

// A request sent while another thread shuts the client down gets an answer: sent in time it
// completes, otherwise it fails with Unavailable; none is left without its callback (a
// request that took a connection just before the client's threads ran out of work used to be).
TEST(HttpClientTest, EveryRequestRacingShutdownIsAnswered) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const std::string url =
      "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/";
  constexpr int kRounds = 200;
  constexpr int kRequests = 8;
  int unanswered = 0;
  struct Answers {
    std::mutex mu;
    std::condition_variable cv;
    int count = 0;
  };
  for (int round = 0; round < kRounds && unanswered == 0; ++round) {
    auto client = NewClient();
    auto answers = std::make_shared<Answers>();  // outlives a late callback
    std::thread sender([&client, &url, answers] {
      for (int i = 0; i < kRequests; ++i) {
        HttpRequest request;
        request.url = url;
        client->Send(std::move(request), absl::Seconds(5), [answers](absl::StatusOr<HttpResponse>) {
          std::lock_guard<std::mutex> lock(answers->mu);
          ++answers->count;
          answers->cv.notify_all();
        });
      }
    });
    client->Shutdown();
    sender.join();
    std::unique_lock<std::mutex> lock(answers->mu);
    answers->cv.wait_for(lock, std::chrono::seconds(5),
                         [&] { return answers->count == kRequests; });
    unanswered += kRequests - answers->count;
  }
  EXPECT_EQ(unanswered, 0);
}

TEST(HttpClientTest, BadCaFileIsInvalidArgument) {
  HttpClientOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto client = HttpClient::Create(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(client.status().message(), HasSubstr("cannot load CA file '/nonexistent/ca.pem'"));
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    auto certs = eventmesh::testing::GenerateTestCertificates(
        std::string(tmp != nullptr ? tmp : "/tmp") + "/http_client_certs");
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *certs;
    testing::TestTls tls{certs_.server_cert, certs_.server_key};
    auto server = TestHttpServer::Start(
        [](const TestRequest& r) {
          TestResponse response;
          response.body = "secure " + r.body;
          return response;
        },
        &tls);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  eventmesh::testing::TestCertificates certs_;
  std::unique_ptr<TestHttpServer> server_;
};

TEST_F(HttpsTest, TrustedCaSucceedsByIpAndByName) {
  HttpClientOptions options;
  options.ca_file = certs_.ca_cert;
  auto client = NewClient(options);
  HttpRequest request;
  request.url = server_->Url("/");
  request.body = "hi";
  auto response = SendSync(*client, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "secure hi");
  request.url = "https://localhost:" + std::to_string(server_->port()) + "/";
  response = SendSync(*client, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "secure hi");
}

TEST_F(HttpsTest, CertificateFromAnotherCaIsRejected) {
  HttpClientOptions options;
  options.ca_file = certs_.other_ca_cert;
  auto client = NewClient(options);
  HttpRequest request;
  request.url = server_->Url("/");
  auto response = SendSync(*client, request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("failed: certificate verification failed: "));
  EXPECT_THAT(response.status().message(), HasSubstr("local issuer certificate"));
}

TEST_F(HttpsTest, SystemStoreDoesNotTrustTheTestCa) {
  auto client = NewClient();
  HttpRequest request;
  request.url = server_->Url("/");
  auto response = SendSync(*client, request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(response.status().message(), HasSubstr("certificate verification failed"));
}

}  // namespace
}  // namespace eventmesh::net
