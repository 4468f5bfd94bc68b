// A bare Boost.Beast HTTP/1.1 server that answers every request with 200 and a fixed
// {retCode:0} body: the ceiling the runtime's HTTP server is measured against, and a webhook
// endpoint for webhook_throughput --url.
// Usage: http_baseline [port] [threads]  (defaults 10199, 2). Runs until killed.
// Same structure as HttpServer: one io_context per worker thread, one connection per worker,
// keep-alive, one request at a time per connection.

#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "eventmesh/common/release_tuning.h"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}
  void Read() {
    request_ = {};
    bhttp::async_read(stream_, buffer_, request_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        self->Write();
                      });
  }

 private:
  void Write() {
    response_ = {};
    response_.version(11);
    response_.result(bhttp::status::ok);
    response_.set(bhttp::field::content_type, "text/plain; charset=UTF-8");
    response_.body() = R"({"retCode":0,"retMsg":"success","resTime":0})";
    // Accepts the CloudEvents webhook validation handshake, so it can be a webhook endpoint
    // (webhook_throughput --url).
    if (request_.method() == bhttp::verb::options) {
      response_.set("WebHook-Allowed-Origin", "*");
    }
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         if (ec || !self->response_.keep_alive()) return;
                         self->Read();
                       });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  bhttp::response<bhttp::string_body> response_;
};

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  const int port = argc > 1 ? std::atoi(argv[1]) : 10199;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  std::vector<std::unique_ptr<boost::asio::io_context>> ios;
  for (int i = 0; i < threads; ++i) ios.push_back(std::make_unique<boost::asio::io_context>(1));
  tcp::acceptor acceptor(*ios[0], tcp::endpoint(tcp::v4(), static_cast<uint16_t>(port)));
  size_t next = 0;
  std::function<void()> accept = [&] {
    acceptor.async_accept(*ios[next++ % ios.size()], [&](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket))->Read();
      }
      accept();
    });
  };
  accept();
  std::cout << "http_baseline listening on port " << acceptor.local_endpoint().port() << std::endl;
  std::vector<std::thread> workers;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards;
  for (auto& io : ios) {
    guards.push_back(boost::asio::make_work_guard(*io));
    workers.emplace_back([io = io.get()] { io->run(); });
  }
  for (auto& t : workers) t.join();
  return 0;
}
