#ifndef EVENTMESH_RUNTIME_HTTP_HTTP_CONNECTION_H_
#define EVENTMESH_RUNTIME_HTTP_HTTP_CONNECTION_H_

// One HTTP or HTTPS connection of the HttpServer (internal to the package).
//
// Runs on one worker's io_context (its strand): reads one request with a deadline and size
// caps, hands it to the Router, writes the answer when the Responder runs (posted back to the
// strand), then reads the next request, so pipelined requests are handled one after another
// in the order sent. An answer goes out as one buffer (response_wire.h). A request with the header
// "eventmesh-ordered" that is answered with a status other than 2xx closes the connection after
// that answer: the requests pipelined behind it are not handled (the sender sends them again after
// the failed one). Kept alive by shared_from_this while an operation or a Responder is pending. See
// http_server.h for the limits and their answers.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/runtime/http/http_server.h"
#include "eventmesh/runtime/http/response_wire.h"
#include "eventmesh/runtime/http/router.h"
#include "glog/logging.h"

namespace eventmesh::runtime::http {

inline constexpr uint32_t kMaxHeaderBytes = 64 * 1024;
// A connection keeps its answer buffer between requests up to this capacity.
inline constexpr size_t kKeptAnswerBytes = 64 * 1024;

// What the server needs of a connection, independent of plain/TLS. Owned by shared_ptr (its
// pending operations and Responders); methods may be called from any thread.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void Start() = 0;
  // Closes the connection when it is not handling a request; otherwise after the answer.
  virtual void StopWhenIdle() = 0;
};

// State shared by the server and its connections (outlives both).
struct ServerState {
  HttpServerOptions options;
  Router* router = nullptr;
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::atomic<int64_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, std::weak_ptr<ConnectionBase>> connections;

  void Forget(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    connections.erase(id);
    cv.notify_all();
  }
};

// Stream is boost::beast::tcp_stream (HTTP) or ssl_stream<tcp_stream> (HTTPS, handshake first).
// Everything but Start/StopWhenIdle runs on the connection's strand.
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, boost::beast::tcp_stream>;

  Connection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state, uint64_t id)
      : state_(std::move(state)), id_(id), stream_(MakeStream(std::move(socket), *state_)) {
    boost::system::error_code ec;
    auto& socket_ref = boost::beast::get_lowest_layer(stream_).socket();
    auto remote = socket_ref.remote_endpoint(ec);
    if (!ec) peer_ip_ = remote.address().to_string();
    auto local = socket_ref.local_endpoint(ec);
    if (!ec) local_ip_ = local.address().to_string();
    socket_ref.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  }
  ~Connection() override { state_->Forget(id_); }

  void Start() override {
    boost::asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->ArmTimer();
        self->stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                      [self](const boost::beast::error_code& ec) {
                                        if (ec) {
                                          VLOG(1) << "http connection " << self->peer_ip_
                                                  << ": TLS handshake failed: " << ec.message();
                                          return self->Close();
                                        }
                                        self->DoRead();
                                      });
      } else {
        self->DoRead();
      }
    });
  }

  void StopWhenIdle() override {
    boost::asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  static Stream MakeStream(boost::asio::ip::tcp::socket socket, ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  void ArmTimer() {
    boost::beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(state_->options.read_timeout_ms));
  }

  void DoRead() {
    if (closed_ || state_->stopping.load()) return Close();
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(state_->options.max_body_size));
    parser_->header_limit(kMaxHeaderBytes);
    ArmTimer();
    boost::beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](const boost::beast::error_code& ec, size_t) {
          self->OnRead(ec);
        });
  }

  void OnRead(const boost::beast::error_code& ec) {
    namespace http = boost::beast::http;
    using protocol::http::EventMeshRetCode;
    if (ec) {
      if (ec == http::error::end_of_stream || ec == boost::asio::error::eof) return Close();
      if (ec == boost::beast::error::timeout) {
        VLOG(1) << "http connection " << peer_ip_ << ": no complete request within "
                << state_->options.read_timeout_ms << " ms, closing";
        return Close();
      }
      if (ec == http::error::body_limit) {
        return WriteError(413, EventMeshRetCode::kProtocolBodySizeErr,
                          protocol::http::FormatRetMsg(
                              EventMeshRetCode::kProtocolBodySizeErr,
                              absl::StrCat("request body exceeds ", state_->options.max_body_size,
                                           " bytes (eventMesh.server.http.maxBodySize)")));
      }
      if (ec == http::error::header_limit) {
        return WriteError(431, EventMeshRetCode::kProtocolHeaderErr,
                          protocol::http::FormatRetMsg(
                              EventMeshRetCode::kProtocolHeaderErr,
                              absl::StrCat("request headers exceed ", kMaxHeaderBytes, " bytes")));
      }
      if (&ec.category() == &http::make_error_code(http::error::bad_method).category()) {
        return WriteError(
            400, EventMeshRetCode::kProtocolHeaderErr,
            protocol::http::FormatRetMsg(EventMeshRetCode::kProtocolHeaderErr,
                                         absl::StrCat("malformed HTTP request: ", ec.message())));
      }
      return Close();
    }
    boost::beast::get_lowest_layer(stream_).expires_never();
    http::request<http::string_body> message = parser_->release();
    parser_.reset();
    keep_alive_ = message.keep_alive();
    head_request_ = message.method() == http::verb::head;
    ordered_ = message.find(boost::beast::string_view(
                   protocol::http::header_key::kOrdered.data(),
                   protocol::http::header_key::kOrdered.size())) != message.end();
    HttpRequest request;
    switch (message.method()) {
      case http::verb::get:
        request.method = Method::kGet;
        break;
      case http::verb::post:
        request.method = Method::kPost;
        break;
      default:
        request.method = Method::kOther;
    }
    request.method_name = std::string(message.method_string());
    request.target = std::string(message.target());
    const size_t q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = request.target.substr(q + 1);
    request.headers.Reserve(16);
    request.raw_headers.reserve(16);
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::string value(field.value());
      request.headers.Set(name, value);
      request.raw_headers.emplace_back(std::move(name), std::move(value));
    }
    request.body = std::move(message.body());
    request.peer_ip = peer_ip_;
    request.local_ip = local_ip_;
    request.connection_id = id_;
    request.executor = stream_.get_executor();
    busy_ = true;
    if (state_->in_flight.fetch_add(1) >= state_->options.max_in_flight) {
      HttpResponse overload = RetCodeResponse(
          state_->router->services(), request, 503, EventMeshRetCode::kOverload,
          protocol::http::FormatRetMsg(
              EventMeshRetCode::kOverload,
              absl::StrCat(state_->options.max_in_flight,
                           " requests in flight (eventMesh.server.http.maxInFlightRequests)")));
      return Write(std::move(overload));
    }
    auto self = this->shared_from_this();
    state_->router->Handle(std::move(request), [self](HttpResponse response) {
      boost::asio::post(
          self->stream_.get_executor(),
          [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
    });
  }

  void WriteError(int status, protocol::http::EventMeshRetCode code, const std::string& msg) {
    HttpRequest meta;
    meta.local_ip = local_ip_;
    HttpResponse response = RetCodeResponse(state_->router->services(), meta, status, code, msg);
    response.close = true;
    busy_ = true;
    state_->in_flight.fetch_add(1);
    Write(std::move(response));
  }

  // Sends the answer of the current request (counted in in_flight).
  void Write(HttpResponse response) {
    state_->in_flight.fetch_sub(1);
    if (closed_) return;
    const bool failed = response.status < 200 || response.status >= 300;
    keep_alive_ =
        keep_alive_ && !response.close && !(ordered_ && failed) && !state_->stopping.load();
    SerializeResponse(response, keep_alive_, head_request_, &out_);
    ArmTimer();
    boost::asio::async_write(
        stream_, boost::asio::buffer(out_),
        [self = this->shared_from_this()](const boost::beast::error_code& ec, size_t) {
          self->busy_ = false;
          // A large answer's buffer is not kept for the life of the connection.
          if (self->out_.capacity() > kKeptAnswerBytes) std::string().swap(self->out_);
          if (ec || !self->keep_alive_) return self->Close();
          self->DoRead();
        });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::beast::error_code ec;
    auto& socket = boost::beast::get_lowest_layer(stream_).socket();
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  const std::shared_ptr<ServerState> state_;
  const uint64_t id_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string out_;  // the answer being written
  std::string peer_ip_;
  std::string local_ip_;
  bool keep_alive_ = true;
  bool head_request_ = false;  // the current request is a HEAD request (answered without body)
  bool ordered_ = false;       // the current request asked for fail-stop (header_key::kOrdered)
  bool busy_ = false;
  bool closed_ = false;
};

using PlainConnection = Connection<boost::beast::tcp_stream>;
using TlsConnection = Connection<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_HTTP_CONNECTION_H_
