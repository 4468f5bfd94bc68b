#include "eventmesh/runtime/http/http_server.h"

#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/runtime/http/http_connection.h"
#include "eventmesh/runtime/http/tls.h"
#include "glog/logging.h"

namespace eventmesh::runtime::http {
namespace {

constexpr char kTooManyConnections[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=UTF-8\r\n"
    "Connection: close\r\nContent-Length: 96\r\n\r\n"
    "{\"retCode\":1,\"retMsg\":\"too many connections (eventMesh.server.http.maxConnections)\","
    "\"resTime\":0}";

}  // namespace

HttpServerOptions HttpServerOptions::FromConfig(const RuntimeConfig& config) {
  HttpServerOptions options;
  options.port = config.http_port;
  options.worker_threads = config.http_worker_threads;
  options.max_body_size = config.http_max_body_size;
  options.read_timeout_ms = config.http_read_timeout_ms;
  options.max_connections = config.http_max_connections;
  options.max_in_flight = config.http_max_in_flight;
  options.tls = config.tls_enabled;
  options.tls_cert_file = config.http_tls_cert_file;
  options.tls_key_file = config.http_tls_key_file;
  options.tls_client_ca_file = config.http_tls_client_ca_file;
  return options;
}

HttpServer::HttpServer(const HttpServices* services, HttpServerOptions options)
    : router_(services), state_(std::make_shared<ServerState>()) {
  state_->options = std::move(options);
  state_->router = &router_;
  const int workers = std::max(1, state_->options.worker_threads);
  for (int i = 0; i < workers; ++i) {
    ios_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*ios_.back()));
  }
}

HttpServer::~HttpServer() {
  Stop();
  acceptor_.reset();
  ios_.clear();  // destroys pending handlers (and with them the connections)
}

absl::Status HttpServer::Start() {
  if (state_->options.tls) {
    auto context =
        MakeServerTlsContext({state_->options.tls_cert_file, state_->options.tls_key_file,
                              state_->options.tls_client_ca_file});
    if (!context.ok()) return context.status();
    state_->tls = *std::move(context);
  }
  boost::system::error_code ec;
  auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(*ios_[0]);
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::tcp::v4(),
                                                static_cast<uint16_t>(state_->options.port));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on HTTP port ", state_->options.port, ": ", ec.message()));
  }
  port_ = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  for (auto& io : ios_) {
    threads_.emplace_back([io = io.get()] { io->run(); });
  }
  started_ = true;
  boost::asio::post(*ios_[0], [this] { DoAccept(); });
  return absl::OkStatus();
}

void HttpServer::DoAccept() {
  if (!acceptor_->is_open()) return;
  const size_t worker = next_worker_.fetch_add(1) % ios_.size();
  acceptor_->async_accept(*ios_[worker], [this](const boost::system::error_code& ec,
                                                boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec) {
      const uint64_t id = next_connection_id_.fetch_add(1);
      std::shared_ptr<ConnectionBase> connection;
      bool over_limit = false;
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        over_limit =
            static_cast<int64_t>(state_->connections.size()) >= state_->options.max_connections;
      }
      if (over_limit || state_->stopping.load()) {
        auto s = std::make_shared<boost::asio::ip::tcp::socket>(std::move(socket));
        if (state_->options.tls) {
          boost::system::error_code ignored;
          s->close(ignored);
        } else {
          boost::asio::async_write(*s, boost::asio::buffer(kTooManyConnections),
                                   [s](const boost::system::error_code&, size_t) {
                                     boost::system::error_code ignored;
                                     s->shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                                                 ignored);
                                     s->close(ignored);
                                   });
        }
      } else {
        if (state_->options.tls) {
          connection = std::make_shared<TlsConnection>(std::move(socket), state_, id);
        } else {
          connection = std::make_shared<PlainConnection>(std::move(socket), state_, id);
        }
        {
          std::lock_guard<std::mutex> lock(state_->mu);
          state_->connections[id] = connection;
        }
        connection->Start();
      }
    } else {
      LOG(WARNING) << "http accept failed: " << ec.message();
    }
    DoAccept();
  });
}

void HttpServer::StopAccepting() {
  if (!started_ || stopped_ || !acceptor_) return;
  std::promise<void> done;
  boost::asio::post(*ios_[0], [this, &done] {
    boost::system::error_code ec;
    acceptor_->close(ec);
    done.set_value();
  });
  done.get_future().wait();
}

void HttpServer::Drain(int64_t timeout_ms) {
  state_->stopping = true;
  std::vector<std::shared_ptr<ConnectionBase>> connections;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto& [id, weak] : state_->connections) {
      if (auto c = weak.lock()) connections.push_back(std::move(c));
    }
  }
  for (auto& c : connections) c->StopWhenIdle();
  connections.clear();
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [this] { return state_->connections.empty(); });
}

void HttpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  state_->stopping = true;
  router_.code_handlers().CancelPendingRequests();
  guards_.clear();
  for (auto& io : ios_) io->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

size_t HttpServer::connection_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->connections.size();
}

int64_t HttpServer::requests_in_flight() const { return state_->in_flight.load(); }

}  // namespace eventmesh::runtime::http
