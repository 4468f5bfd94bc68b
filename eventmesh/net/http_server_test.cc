#include "eventmesh/net/http_server.h"

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "eventmesh/net/http_client.h"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

absl::StatusOr<HttpResponse> Fetch(HttpClient& client, std::string method, std::string url,
                                   std::string body = "") {
  std::promise<absl::StatusOr<HttpResponse>> promise;
  HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  client.Send(std::move(request), absl::Seconds(10),
              [&](absl::StatusOr<HttpResponse> r) { promise.set_value(std::move(r)); });
  return promise.get_future().get();
}

std::unique_ptr<HttpClient> NewClient() {
  auto client = HttpClient::Create(HttpClientOptions{});
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

TEST(HttpServerTest, AnswersWithTheHandlersResponse) {
  auto server = HttpServer::Start({}, [](const ServerRequest& r) {
    return ServerResponse::Json(
        201, absl::StrCat("{\"method\":\"", r.method, "\",\"path\":\"", r.path(), "\",\"query\":\"",
                          r.query(), "\",\"body\":\"", r.body, "\"}"));
  });
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = NewClient();
  auto r =
      Fetch(*client, "PUT", absl::StrCat("http://127.0.0.1:", (*server)->port(), "/a/b?x=1"), "hi");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "{\"method\":\"PUT\",\"path\":\"/a/b\",\"query\":\"x=1\",\"body\":\"hi\"}");
  ASSERT_NE(r->header("Content-Type"), nullptr);
  EXPECT_EQ(*r->header("Content-Type"), "application/json");
  EXPECT_EQ((*server)->requests_handled(), 1u);
}

TEST(HttpServerTest, AsyncHandlerAnswersLaterFromAnotherThread) {
  absl::Mutex mu;
  std::vector<Responder> parked;
  auto server = HttpServer::StartAsync({}, [&](ServerRequest r, Responder respond) {
    absl::MutexLock lock(&mu);
    parked.push_back(std::move(respond));
  });
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = NewClient();
  std::promise<absl::StatusOr<HttpResponse>> promise;
  HttpRequest request;
  request.method = "GET";
  request.url = absl::StrCat("http://127.0.0.1:", (*server)->port(), "/watch");
  client->Send(request, absl::Seconds(10),
               [&](absl::StatusOr<HttpResponse> r) { promise.set_value(std::move(r)); });
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(
                                +[](std::vector<Responder>* p) { return !p->empty(); }, &parked),
                            absl::Seconds(10)));
  }
  std::thread([&] {
    absl::MutexLock lock(&mu);
    ServerResponse out;
    out.body = "later";
    parked[0](out);
    parked[0](out);  // a second answer does nothing
  }).join();
  auto r = promise.get_future().get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "later");
  // The connection keeps serving after the late answer.
  client->Send(request, absl::Seconds(10), [](absl::StatusOr<HttpResponse>) {});
  server->reset();
  absl::MutexLock lock(&mu);
  ServerResponse out;
  parked.back()(out);  // answering after the server is gone does nothing
}

TEST(HttpServerTest, OversizeBodyGets413) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = HttpServer::Start(options, [](const ServerRequest&) { return ServerResponse{}; });
  ASSERT_TRUE(server.ok());
  auto client = NewClient();
  auto r = Fetch(*client, "POST", absl::StrCat("http://127.0.0.1:", (*server)->port(), "/"),
                 std::string(100, 'x'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, "request body exceeds 16 bytes");
}

TEST(HttpServerTest, MalformedRequestGets400AndTheServerKeepsServing) {
  auto server = HttpServer::Start({}, [](const ServerRequest&) { return ServerResponse{}; });
  ASSERT_TRUE(server.ok());
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect(
      {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>((*server)->port())});
  boost::asio::write(socket, boost::asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  std::string reply(12, '\0');
  boost::asio::read(socket, boost::asio::buffer(reply));
  EXPECT_EQ(reply, "HTTP/1.1 400");
  auto client = NewClient();
  auto r = Fetch(*client, "GET", absl::StrCat("http://127.0.0.1:", (*server)->port(), "/"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServerTest, ConnectionsBeyondTheLimitAreClosed) {
  HttpServerOptions options;
  options.max_connections = 2;
  auto server = HttpServer::Start(options, [](const ServerRequest&) { return ServerResponse{}; });
  ASSERT_TRUE(server.ok());
  boost::asio::io_context io;
  std::vector<boost::asio::ip::tcp::socket> held;
  const boost::asio::ip::tcp::endpoint at(boost::asio::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>((*server)->port()));
  for (int i = 0; i < 2; ++i) {
    held.emplace_back(io);
    held.back().connect(at);
  }
  for (int i = 0; i < 100 && (*server)->open_connections() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ((*server)->open_connections(), 2u);
  boost::asio::ip::tcp::socket third(io);
  third.connect(at);
  char byte;
  boost::system::error_code ec;
  boost::asio::read(third, boost::asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, boost::asio::error::eof);
  EXPECT_EQ((*server)->refused_connections(), 1u);
  held.clear();
  for (int i = 0; i < 200 && (*server)->open_connections() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto client = NewClient();
  auto r = Fetch(*client, "GET", absl::StrCat("http://127.0.0.1:", (*server)->port(), "/"));
  ASSERT_TRUE(r.ok()) << r.status();
}

TEST(HttpServerTest, BadOptionsAreRefused) {
  HttpServerOptions options;
  options.port = 70000;
  EXPECT_EQ(HttpServer::Start(options, [](const ServerRequest&) { return ServerResponse{}; })
                .status()
                .message(),
            "port must be in 0..65535, got 70000");
  options = {};
  options.address = "not-an-ip";
  EXPECT_EQ(HttpServer::Start(options, [](const ServerRequest&) { return ServerResponse{}; })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventmesh::net
