#include "eventmesh/net/http_server.h"

#include <algorithm>
#include <atomic>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "eventmesh/net/acceptor.h"
#include "eventmesh/net/io_thread_pool.h"

namespace eventmesh::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

const std::string* ServerRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

absl::string_view ServerRequest::path() const {
  absl::string_view t = target;
  const size_t q = t.find('?');
  return q == absl::string_view::npos ? t : t.substr(0, q);
}

absl::string_view ServerRequest::query() const {
  absl::string_view t = target;
  const size_t q = t.find('?');
  return q == absl::string_view::npos ? absl::string_view() : t.substr(q + 1);
}

ServerResponse ServerResponse::Json(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(HttpServerOptions options, AsyncHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        pool_({options_.threads, IoThreadPool::Model::kShared, "em-net-http"}) {}

  absl::Status Listen() {
    AcceptorOptions acceptor_options;
    acceptor_options.address = options_.address;
    acceptor_options.port = options_.port;
    acceptor_options.max_connections = options_.max_connections;
    auto acceptor = Acceptor::Listen(&pool_, acceptor_options);
    if (!acceptor.ok()) return acceptor.status();
    acceptor_ = *std::move(acceptor);
    acceptor_->Start([this](tcp::socket socket, ConnectionSlot slot) {
      auto session = std::make_shared<Session>(this, std::move(socket), std::move(slot));
      {
        absl::MutexLock lock(&mu_);
        sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                       [](const auto& w) { return w.expired(); }),
                        sessions_.end());
        sessions_.push_back(session);
      }
      session->Start();
    });
    pool_.Start();
    return absl::OkStatus();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    if (acceptor_ != nullptr) acceptor_->Close();
    pool_.Stop();
    // No io thread runs any more: close what is left from here.
    absl::MutexLock lock(&mu_);
    for (auto& weak : sessions_) {
      if (auto session = weak.lock()) {
        session->Close();
        session->Release();
      }
    }
    sessions_.clear();
  }

  ~Impl() { Stop(); }

  int port() const { return acceptor_->port(); }
  const std::string& address() const { return options_.address; }
  uint64_t handled() const { return handled_.load(); }
  uint64_t refused() const { return acceptor_->refused_connections(); }
  size_t open() const { return acceptor_->open_connections(); }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl* server, tcp::socket socket, ConnectionSlot slot)
        : server_(server), stream_(std::move(socket)), slot_(std::move(slot)) {
      boost::system::error_code ec;
      const auto remote = stream_.socket().remote_endpoint(ec);
      if (!ec) peer_ = absl::StrCat(remote.address().to_string(), ":", remote.port());
      if (server_->options_.tls) {
        tls_ = std::make_unique<asio::ssl::stream<beast::tcp_stream&>>(stream_,
                                                                       *server_->options_.tls);
      }
    }

    // With TLS the handshake comes first, bounded like a request.
    void Start() {
      if (!tls_) return Read();
      stream_.expires_after(
          std::chrono::nanoseconds(absl::ToInt64Nanoseconds(server_->options_.read_timeout)));
      tls_->async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) return self->Close();
                              self->Read();
                            });
    }

    void Read() {
      parser_.emplace();
      parser_->body_limit(server_->options_.max_body_bytes);
      stream_.expires_after(
          std::chrono::nanoseconds(absl::ToInt64Nanoseconds(server_->options_.read_timeout)));
      auto on_read = [self = shared_from_this()](beast::error_code ec, size_t) {
        self->OnRead(ec);
      };
      if (tls_) {
        bhttp::async_read(*tls_, buffer_, *parser_, std::move(on_read));
      } else {
        bhttp::async_read(stream_, buffer_, *parser_, std::move(on_read));
      }
    }

    beast::tcp_stream::executor_type executor() { return stream_.get_executor(); }

    void Close() {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.socket().close(ec);
    }

    // Called on the session's strand with the handler's answer.
    void Answered(ServerResponse out, bool keep_alive, unsigned version) {
      auto self = std::move(self_hold_);
      if (self == nullptr) return;  // closed by Stop()
      server_->handled_.fetch_add(1);
      Write(std::move(out), keep_alive, version);
    }

    // Drops the self-reference (Stop()).
    void Release() { self_hold_.reset(); }

   private:
    void OnRead(beast::error_code ec) {
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        Close();
        return;
      }
      if (ec == bhttp::error::body_limit) {
        ServerResponse r;
        r.status = 413;
        r.body = absl::StrCat("request body exceeds ", server_->options_.max_body_bytes, " bytes");
        Write(std::move(r), /*keep_alive=*/false, 11);
        return;
      }
      if (ec) {
        ServerResponse r;
        r.status = 400;
        r.body = absl::StrCat("malformed HTTP request: ", ec.message());
        Write(std::move(r), /*keep_alive=*/false, 11);
        return;
      }
      bhttp::request<bhttp::string_body> request = parser_->release();
      ServerRequest in;
      in.method = std::string(request.method_string());
      in.target = std::string(request.target());
      for (const auto& field : request) {
        in.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      in.body = std::move(request.body());
      in.peer = peer_;
      const bool keep_alive = request.keep_alive();
      const unsigned version = request.version();
      // No read deadline while the handler works (a long poll may take longer than it).
      stream_.expires_never();
      // The session keeps itself alive until the answer is written (or the server stops).
      self_hold_ = shared_from_this();
      auto pending = std::make_shared<Pending>(server_->weak_from_this(), shared_from_this(),
                                               keep_alive, version);
      Responder respond = [pending](ServerResponse out) { pending->Answer(std::move(out)); };
      server_->handler_(std::move(in), std::move(respond));
    }

    void Write(ServerResponse r, bool keep_alive, unsigned version) {
      auto response = std::make_shared<bhttp::response<bhttp::string_body>>();
      response->version(version);
      response->result(static_cast<unsigned>(r.status));
      bool has_type = false;
      for (auto& [name, value] : r.headers) {
        if (absl::EqualsIgnoreCase(name, "Content-Type")) has_type = true;
        response->set(name, value);
      }
      if (!has_type && !r.body.empty()) response->set(bhttp::field::content_type, "text/plain");
      response->body() = std::move(r.body);
      response->keep_alive(keep_alive);
      response->prepare_payload();
      stream_.expires_after(
          std::chrono::nanoseconds(absl::ToInt64Nanoseconds(server_->options_.read_timeout)));
      auto on_written = [self = shared_from_this(), response, keep_alive](beast::error_code ec,
                                                                          size_t) {
        if (ec || !keep_alive) {
          self->Close();
          return;
        }
        self->Read();
      };
      if (tls_) {
        bhttp::async_write(*tls_, *response, std::move(on_written));
      } else {
        bhttp::async_write(stream_, *response, std::move(on_written));
      }
    }

    Impl* const server_;  // Outlives every session (they die with its io_context).
    beast::tcp_stream stream_;
    // TLS over stream_ (HttpServerOptions::tls); every read and write goes through it.
    std::unique_ptr<asio::ssl::stream<beast::tcp_stream&>> tls_;
    ConnectionSlot slot_;  // counts this connection in open_connections() while it lives
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::string peer_;
    std::shared_ptr<Session> self_hold_;  // set while the handler owes an answer
  };

  // One request's answer, shared by the copies of its Responder. The first Answer wins; when the
  // last copy goes away unanswered, the client gets 500.
  class Pending {
   public:
    Pending(std::weak_ptr<Impl> server, const std::shared_ptr<Session>& session, bool keep_alive,
            unsigned version)
        : server_(std::move(server)),
          session_(session),
          keep_alive_(keep_alive),
          version_(version) {}
    ~Pending() {
      ServerResponse dropped;
      dropped.status = 500;
      dropped.body = "the request was dropped without an answer";
      Answer(std::move(dropped));
    }

    void Answer(ServerResponse out) {
      if (answered_.exchange(true)) return;
      // The server (and so the io_context the session runs on) must be alive to post. No
      // executor is kept here: a Responder may outlive the io_context.
      auto server = server_.lock();
      if (server == nullptr || server->stopped_.load()) return;
      auto session = session_.lock();
      if (session == nullptr) return;
      asio::post(session->executor(), [weak = session_, out = std::move(out),
                                       keep_alive = keep_alive_, version = version_]() mutable {
        if (auto s = weak.lock()) s->Answered(std::move(out), keep_alive, version);
      });
    }

   private:
    const std::weak_ptr<Impl> server_;
    const std::weak_ptr<Session> session_;
    const bool keep_alive_;
    const unsigned version_;
    std::atomic<bool> answered_{false};
  };

  const HttpServerOptions options_;
  const AsyncHandler handler_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> handled_{0};
  // Destroyed after the members below (its pending handlers own sessions); one io_context run
  // by options_.threads threads, a strand per connection.
  IoThreadPool pool_;
  std::unique_ptr<Acceptor> acceptor_;
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::StartAsync(HttpServerOptions options,
                                                                   AsyncHandler handler) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port must be in 0..65535, got ", options.port));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads must be at least 1, got ", options.threads));
  }
  if (options.read_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("read_timeout must be positive");
  }
  if (!handler) return absl::InvalidArgumentError("a request handler is required");
  auto impl = std::make_shared<Impl>(std::move(options), std::move(handler));
  if (auto s = impl->Listen(); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              Handler handler) {
  if (!handler) return absl::InvalidArgumentError("a request handler is required");
  return StartAsync(std::move(options),
                    [handler = std::move(handler)](ServerRequest request, Responder respond) {
                      respond(handler(request));
                    });
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }
int HttpServer::port() const { return impl_->port(); }
const std::string& HttpServer::address() const { return impl_->address(); }
uint64_t HttpServer::requests_handled() const { return impl_->handled(); }
uint64_t HttpServer::refused_connections() const { return impl_->refused(); }
size_t HttpServer::open_connections() const { return impl_->open(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace eventmesh::net
