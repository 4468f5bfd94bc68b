#include "eventmesh/runtime/http/http_server.h"

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
    : router_(services),
      state_(std::make_shared<ServerState>()),
      pool_({options.worker_threads, net::IoThreadPool::Model::kPerThread, "em-http"}) {
  state_->options = std::move(options);
  state_->router = &router_;
}

// Members go in reverse order: acceptor_, then pool_ (its pending handlers, and with them the
// connections), then state_ and router_.
HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  if (state_->options.tls) {
    auto context =
        MakeServerTlsContext({state_->options.tls_cert_file, state_->options.tls_key_file,
                              state_->options.tls_client_ca_file});
    if (!context.ok()) return context.status();
    state_->tls = *std::move(context);
  }
  net::AcceptorOptions acceptor_options;
  acceptor_options.address = "0.0.0.0";
  acceptor_options.port = state_->options.port;
  auto acceptor = net::Acceptor::Listen(&pool_, acceptor_options);
  if (!acceptor.ok()) return acceptor.status();
  acceptor_ = *std::move(acceptor);
  port_ = acceptor_->port();
  // The cap is counted here, not by the acceptor: the connection map also serves Drain, and a
  // refusal is a 503 in the protocol's JSON.
  acceptor_->Start([this](boost::asio::ip::tcp::socket socket,
                          net::ConnectionSlot) { OnAccepted(std::move(socket)); },
                   nullptr,
                   [](const boost::system::error_code& ec) {
                     LOG(WARNING) << "http accept failed: " << ec.message();
                   });
  pool_.Start();
  started_ = true;
  return absl::OkStatus();
}

// Runs on the acceptor's strand; `socket` already belongs to the worker it stays on.
void HttpServer::OnAccepted(boost::asio::ip::tcp::socket socket) {
  const uint64_t id = next_connection_id_.fetch_add(1);
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
                                 s->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                                 s->close(ignored);
                               });
    }
    return;
  }
  std::shared_ptr<ConnectionBase> connection;
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

void HttpServer::StopAccepting() {
  if (!started_ || stopped_ || !acceptor_) return;
  acceptor_->Close();
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
  pool_.Stop();
}

size_t HttpServer::connection_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->connections.size();
}

int64_t HttpServer::requests_in_flight() const { return state_->in_flight.load(); }

}  // namespace eventmesh::runtime::http
