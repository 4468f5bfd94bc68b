#include "eventmesh/net/http_pipeline.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "eventmesh/net/testing/test_http_server.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/testing/tls_certs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using ::eventmesh::net::testing::TestHttpServer;
using ::eventmesh::net::testing::TestRequest;
using ::eventmesh::net::testing::TestResponse;
using ::testing::HasSubstr;

// An io_context run by one thread for the test's pipelines.
class IoThread {
 public:
  IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Collects answers in the order their callbacks ran.
class Answers {
 public:
  HttpCallback Callback(int index) {
    return [this, index](absl::StatusOr<HttpResponse> result) {
      std::lock_guard<std::mutex> lock(mu_);
      order_.push_back(index);
      results_.push_back(std::move(result));
      cv_.notify_all();
    };
  }
  // Waits (at most 30 s) for `n` answers.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return results_.size() >= n; });
  }
  std::vector<int> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  absl::StatusOr<HttpResponse> at(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return results_.at(i);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> order_;
  std::vector<absl::StatusOr<HttpResponse>> results_;
};

HttpRequest Post(const std::string& path, const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = path;
  request.body = body;
  return request;
}

std::shared_ptr<HttpPipeline> NewPipeline(asio::io_context& io, const std::string& origin,
                                          std::shared_ptr<asio::ssl::context> tls = nullptr,
                                          HttpPipelineOptions options = {}) {
  auto pipeline = HttpPipeline::Create(io, origin, std::move(tls), options);
  EXPECT_TRUE(pipeline.ok()) << pipeline.status();
  return pipeline.ok() ? *pipeline : nullptr;
}

// A raw server that reads `n` requests from one connection before it answers any of them: a
// client that waited for each answer before sending the next request would never get one.
class ReadAllThenAnswerServer {
 public:
  explicit ReadAllThenAnswerServer(int n)
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this, n] { Run(n); }) {}
  ~ReadAllThenAnswerServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  void Run(int n) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    // Bounded: a client that does not pipeline is cut off after 20 s.
    struct timeval tv {
      20, 0
    };
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    beast::flat_buffer buffer;
    std::vector<std::string> bodies;
    for (int i = 0; i < n; ++i) {
      beast::http::request<beast::http::string_body> request;
      beast::http::read(socket, buffer, request, ec);
      if (ec) return;
      bodies.push_back(request.body());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_ = bodies;
    }
    for (const std::string& body : bodies) {
      beast::http::response<beast::http::string_body> response{beast::http::status::ok, 11};
      response.body() = "echo " + body;
      response.prepare_payload();
      beast::http::write(socket, response, ec);
      if (ec) return;
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

TEST(HttpPipelineTest, RequestsAreWrittenBeforeEarlierOnesAreAnswered) {
  constexpr int kRequests = 5;
  ReadAllThenAnswerServer server(kRequests);
  IoThread io;
  auto pipeline = NewPipeline(io.io(), absl::StrCat("http://127.0.0.1:", server.port()));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  for (int i = 0; i < kRequests; ++i) {
    pipeline->Send(Post("/p", absl::StrCat("b", i)), answers.Callback(i));
  }
  ASSERT_TRUE(answers.WaitFor(kRequests));
  EXPECT_EQ(answers.order(), (std::vector<int>{0, 1, 2, 3, 4}));
  for (int i = 0; i < kRequests; ++i) {
    auto answer = answers.at(i);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, absl::StrCat("echo b", i));
  }
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"}));
  EXPECT_EQ(pipeline->pending(), 0);
}

TEST(HttpPipelineTest, ManyRequestsOnOneConnectionInOrder) {
  std::mutex mu;
  std::vector<std::string> seen;
  auto server = TestHttpServer::Start([&](const TestRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(r.body);
    TestResponse response;
    response.status = r.body == "b7" ? 503 : 200;  // an HTTP error is an answer
    response.body = absl::StrCat(r.target, " ", r.body, " conn ", r.connection);
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.status();
  IoThread io;
  auto pipeline = NewPipeline(io.io(), (*server)->Url(""));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    pipeline->Send(Post((*server)->Url("/x"), absl::StrCat("b", i)), answers.Callback(i));
  }
  ASSERT_TRUE(answers.WaitFor(kRequests));
  std::vector<int> expected(kRequests);
  for (int i = 0; i < kRequests; ++i) expected[i] = i;
  EXPECT_EQ(answers.order(), expected);
  for (int i = 0; i < kRequests; ++i) {
    auto answer = answers.at(i);
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status();
    EXPECT_EQ(answer->status, i == 7 ? 503 : 200);
    EXPECT_EQ(answer->body, absl::StrCat("/x b", i, " conn 1"));
  }
  EXPECT_EQ((*server)->connections_accepted(), 1);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kRequests));
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(seen[i], absl::StrCat("b", i));
}

TEST(HttpPipelineTest, AConnectionCloseAbortsEverythingAfterItAndLaterSends) {
  auto server = TestHttpServer::Start([](const TestRequest& r) {
    TestResponse response;
    response.body = r.body;
    response.close = r.body == "b2";
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.status();
  IoThread io;
  auto pipeline = NewPipeline(io.io(), (*server)->Url(""));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  for (int i = 0; i < 6; ++i) pipeline->Send(Post("/", absl::StrCat("b", i)), answers.Callback(i));
  ASSERT_TRUE(answers.WaitFor(6));
  EXPECT_EQ(answers.order(), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  for (int i = 0; i < 3; ++i) {
    auto answer = answers.at(i);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->body, absl::StrCat("b", i));
  }
  // The server processes nothing after its "Connection: close" answer: the rest may be sent
  // again (Aborted), on another connection.
  for (int i = 3; i < 6; ++i) {
    auto answer = answers.at(i);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kAborted);
    EXPECT_THAT(answer.status().message(), HasSubstr("closed the connection after answering"));
  }
  EXPECT_FALSE(pipeline->usable());
  pipeline->Send(Post("/", "late"), answers.Callback(6));
  ASSERT_TRUE(answers.WaitFor(7));
  EXPECT_FALSE(answers.at(6).ok());
  EXPECT_EQ(pipeline->pending(), 0);
}

// A raw server that answers the first request of its one connection and then closes it without
// saying so (as a server does with an idle keep-alive connection); it also records the bytes
// of its first read.
class AnswerOnceThenCloseServer {
 public:
  AnswerOnceThenCloseServer()
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this] { Run(); }) {}
  ~AnswerOnceThenCloseServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  // Waits (at most 30 s) until the connection is closed; the bytes of the first read.
  std::string WaitClosed() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return closed_; });
    return first_read_;
  }

 private:
  void Run() {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    std::string first;
    if (!ec) {
      char data[65536];
      const size_t n = socket.read_some(asio::buffer(data), ec);
      first.assign(data, ec ? 0 : n);
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (!ec) asio::write(socket, asio::buffer(answer), ec);
      socket.close(ec);
    }
    std::lock_guard<std::mutex> lock(mu_);
    first_read_ = first;
    closed_ = true;
    cv_.notify_all();
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::string first_read_;
  std::thread thread_;
};

TEST(HttpPipelineTest, AnIdleConnectionTheServerClosedAbortsTheNextRequest) {
  AnswerOnceThenCloseServer server;
  IoThread io;
  auto pipeline = NewPipeline(io.io(), absl::StrCat("http://127.0.0.1:", server.port()));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "first"), answers.Callback(0));
  ASSERT_TRUE(answers.WaitFor(1));
  ASSERT_TRUE(answers.at(0).ok()) << answers.at(0).status();
  server.WaitClosed();
  pipeline->Send(Post("/", "second"), answers.Callback(1));
  ASSERT_TRUE(answers.WaitFor(2));
  EXPECT_EQ(answers.at(1).status().code(), absl::StatusCode::kAborted) << answers.at(1).status();
  EXPECT_THAT(answers.at(1).status().message(), HasSubstr("closed the idle connection"));
  EXPECT_FALSE(pipeline->usable());
}

TEST(HttpPipelineTest, RequestsQueuedBeforeTheConnectionOpensGoOutInOneWrite) {
  AnswerOnceThenCloseServer server;
  asio::io_context io;  // run only after every Send is queued
  auto pipeline = NewPipeline(io, absl::StrCat("http://127.0.0.1:", server.port()));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  constexpr int kRequests = 10;
  for (int i = 0; i < kRequests; ++i) {
    pipeline->Send(Post("/hook", absl::StrCat("event ", i)), answers.Callback(i));
  }
  std::thread runner([&] { io.run(); });
  ASSERT_TRUE(answers.WaitFor(kRequests));
  runner.join();
  const std::string first = server.WaitClosed();
  size_t requests = 0;
  for (size_t at = first.find("POST /hook"); at != std::string::npos;
       at = first.find("POST /hook", at + 1)) {
    ++requests;
  }
  EXPECT_EQ(requests, static_cast<size_t>(kRequests)) << first;
  ASSERT_TRUE(answers.at(0).ok()) << answers.at(0).status();
  // The server closed after its one answer: the rest were never answered.
  for (int i = 1; i < kRequests; ++i) EXPECT_FALSE(answers.at(i).ok()) << i;
}

TEST(HttpPipelineTest, AnOversizeAnswerFailsWithResourceExhaustedAndTheServerStaysUsable) {
  auto server = TestHttpServer::Start([](const TestRequest& r) {
    TestResponse response;
    response.body = r.body == "big" ? std::string(64 << 10, 'x') : "small";
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.status();
  IoThread io;
  HttpPipelineOptions options;
  options.max_response_bytes = 4096;
  auto pipeline = NewPipeline(io.io(), (*server)->Url(""), nullptr, options);
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "big"), answers.Callback(0));
  pipeline->Send(Post("/", "after"), answers.Callback(1));
  ASSERT_TRUE(answers.WaitFor(2));
  EXPECT_EQ(answers.at(0).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(answers.at(0).status().message(), HasSubstr("exceeds 4096 bytes"));
  EXPECT_FALSE(answers.at(1).ok());
  EXPECT_FALSE(pipeline->usable());
  // A new pipeline to the same server goes on.
  auto next = NewPipeline(io.io(), (*server)->Url(""), nullptr, options);
  ASSERT_NE(next, nullptr);
  next->Send(Post("/", "small please"), answers.Callback(2));
  ASSERT_TRUE(answers.WaitFor(3));
  ASSERT_TRUE(answers.at(2).ok()) << answers.at(2).status();
  EXPECT_EQ(answers.at(2)->body, "small");
}

// A raw server that answers whatever it reads on each of its connections with `reply` and
// closes (up to `connections` connections).
class FixedReplyServer {
 public:
  FixedReplyServer(std::string reply, int connections)
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this, reply = std::move(reply), connections] { Run(reply, connections); }) {}
  ~FixedReplyServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  void Run(const std::string& reply, int connections) {
    for (int i = 0; i < connections; ++i) {
      boost::system::error_code ec;
      asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      char data[4096];
      socket.read_some(asio::buffer(data), ec);
      if (!ec) asio::write(socket, asio::buffer(reply), ec);
      socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      socket.read_some(asio::buffer(data), ec);  // until the client closes
      socket.close(ec);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(HttpPipelineTest, AnAnswerThatIsNotHttpFailsEveryRequestWithUnavailable) {
  FixedReplyServer server("SSH-2.0-OpenSSH_9.2\r\n\x01\x02 not an HTTP answer\r\n\r\n", 1);
  IoThread io;
  auto pipeline = NewPipeline(io.io(), absl::StrCat("http://127.0.0.1:", server.port()));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "a"), answers.Callback(0));
  pipeline->Send(Post("/", "b"), answers.Callback(1));
  ASSERT_TRUE(answers.WaitFor(2));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(answers.at(i).status().code(), absl::StatusCode::kUnavailable) << i;
    EXPECT_THAT(answers.at(i).status().message(), HasSubstr("reading a response")) << i;
  }
  EXPECT_EQ(pipeline->pending(), 0);
}

// A hostile server announces an enormous body and sends its first byte with the header: the
// answer is refused by its announced length (once this threw std::bad_alloc out of the io
// thread), and the process goes on.
TEST(HttpPipelineTest, AnAnnouncedHugeBodyIsRefusedBeforeAnythingIsReserved) {
  FixedReplyServer server("HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\nx", 1);
  IoThread io;
  auto pipeline = NewPipeline(io.io(), absl::StrCat("http://127.0.0.1:", server.port()));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "a"), answers.Callback(0));
  ASSERT_TRUE(answers.WaitFor(1));
  EXPECT_EQ(answers.at(0).status().code(), absl::StatusCode::kResourceExhausted)
      << answers.at(0).status();
  EXPECT_THAT(answers.at(0).status().message(), HasSubstr("exceeds"));
}

TEST(HttpPipelineTest, TheAddressFilterRefusesBeforeConnecting) {
  auto server = TestHttpServer::Start([](const TestRequest&) { return TestResponse{}; });
  ASSERT_TRUE(server.ok()) << server.status();
  IoThread io;
  HttpPipelineOptions options;
  int checked = 0;
  options.address_filter = [&checked](const Url& url, const asio::ip::address& address) {
    ++checked;
    return absl::PermissionDeniedError(
        absl::StrCat("address ", address.to_string(), " of ", url.host, " is not allowed"));
  };
  auto pipeline = NewPipeline(io.io(), (*server)->Url(""), nullptr, options);
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "a"), answers.Callback(0));
  ASSERT_TRUE(answers.WaitFor(1));
  EXPECT_EQ(answers.at(0).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(answers.at(0).status().message(), HasSubstr("127.0.0.1 of 127.0.0.1 is not allowed"));
  EXPECT_EQ(checked, 1);
  EXPECT_EQ((*server)->connections_accepted(), 0);
}

TEST(HttpPipelineTest, AnUnansweredRequestTimesOutAndFailsTheRest) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  auto server = TestHttpServer::Start([&](const TestRequest& r) {
    if (r.body == "slow") {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::seconds(30), [&] { return release; });
    }
    return TestResponse{};
  });
  ASSERT_TRUE(server.ok()) << server.status();
  {
    IoThread io;
    HttpPipelineOptions options;
    options.timeout = absl::Milliseconds(300);
    auto pipeline = NewPipeline(io.io(), (*server)->Url(""), nullptr, options);
    ASSERT_NE(pipeline, nullptr);
    Answers answers;
    pipeline->Send(Post("/", "fast"), answers.Callback(0));
    pipeline->Send(Post("/", "slow"), answers.Callback(1));
    pipeline->Send(Post("/", "after"), answers.Callback(2));
    ASSERT_TRUE(answers.WaitFor(3));
    EXPECT_TRUE(answers.at(0).ok()) << answers.at(0).status();
    EXPECT_EQ(answers.at(1).status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_THAT(answers.at(1).status().message(), HasSubstr("timed out"));
    EXPECT_EQ(answers.at(2).status().code(), absl::StatusCode::kDeadlineExceeded);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
}

TEST(HttpPipelineTest, ARefusedConnectionFailsEveryRequest) {
  int port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  IoThread io;
  auto pipeline = NewPipeline(io.io(), absl::StrCat("http://127.0.0.1:", port));
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "a"), answers.Callback(0));
  pipeline->Send(Post("/", "b"), answers.Callback(1));
  ASSERT_TRUE(answers.WaitFor(2));
  EXPECT_EQ(answers.at(0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answers.at(0).status().message(), HasSubstr("connecting"));
  EXPECT_EQ(answers.at(1).status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpPipelineTest, BadArguments) {
  IoThread io;
  auto no_tls = HttpPipeline::Create(io.io(), "https://127.0.0.1:1", nullptr);
  ASSERT_FALSE(no_tls.ok());
  EXPECT_EQ(no_tls.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_tls.status().message(), HasSubstr("needs a TLS context"));
  auto bad_url = HttpPipeline::Create(io.io(), "ftp://x/", nullptr);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_THAT(bad_url.status().message(), HasSubstr("unsupported scheme"));

  auto pipeline = NewPipeline(io.io(), "http://127.0.0.1:1");
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("http://127.0.0.1:2/x", "a"), answers.Callback(0));
  HttpRequest bad_method = Post("/", "a");
  bad_method.method = "FROB";
  pipeline->Send(bad_method, answers.Callback(1));
  ASSERT_TRUE(answers.WaitFor(2));
  EXPECT_EQ(answers.at(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(answers.at(0).status().message(), HasSubstr("not on this pipeline's origin"));
  EXPECT_EQ(answers.at(1).status().code(), absl::StatusCode::kInvalidArgument);
}

class PipelineTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    auto certs = eventmesh::testing::GenerateTestCertificates(
        std::string(tmp != nullptr ? tmp : "/tmp") + "/http_pipeline_certs");
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

TEST_F(PipelineTlsTest, TrustedCaDeliversOverTls) {
  auto tls = MakeClientTlsContext({certs_.ca_cert, "", ""});
  ASSERT_TRUE(tls.ok()) << tls.status();
  IoThread io;
  auto pipeline = NewPipeline(io.io(), server_->Url(""), *tls);
  ASSERT_NE(pipeline, nullptr);
  EXPECT_EQ(pipeline->origin(), absl::StrCat("https://127.0.0.1:", server_->port()));
  Answers answers;
  for (int i = 0; i < 10; ++i) pipeline->Send(Post("/", absl::StrCat(i)), answers.Callback(i));
  ASSERT_TRUE(answers.WaitFor(10));
  for (int i = 0; i < 10; ++i) {
    auto answer = answers.at(i);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->body, absl::StrCat("secure ", i));
  }
  EXPECT_EQ(server_->connections_accepted(), 1);
}

TEST_F(PipelineTlsTest, AnotherCaIsRefusedWithTheReason) {
  auto tls = MakeClientTlsContext({certs_.other_ca_cert, "", ""});
  ASSERT_TRUE(tls.ok()) << tls.status();
  IoThread io;
  auto pipeline = NewPipeline(io.io(), server_->Url(""), *tls);
  ASSERT_NE(pipeline, nullptr);
  Answers answers;
  pipeline->Send(Post("/", "x"), answers.Callback(0));
  ASSERT_TRUE(answers.WaitFor(1));
  ASSERT_FALSE(answers.at(0).ok());
  EXPECT_EQ(answers.at(0).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(answers.at(0).status().message(),
              HasSubstr("TLS handshake with 127.0.0.1:" + std::to_string(server_->port()) +
                        " failed: certificate verification failed"));
}

}  // namespace
}  // namespace eventmesh::net
