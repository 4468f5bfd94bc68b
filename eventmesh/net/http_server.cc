#include "eventmesh/net/http_server.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

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
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(ioc_) {}

  absl::Status Listen() {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(options_.address, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid listen address '", options_.address, "': ", ec.message()));
    }
    const tcp::endpoint endpoint(ip, static_cast<unsigned short>(options_.port));
    auto fail = [&](absl::string_view step) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address, ":",
                                                 options_.port, ": ", step, ": ", ec.message()));
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return fail("open");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(endpoint, ec);
    if (ec) return fail("bind");
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen");
    port_ = acceptor_.local_endpoint(ec).port();
    Accept();
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // No io thread runs any more: close what is left from here.
    boost::system::error_code ec;
    acceptor_.close(ec);
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

  int port() const { return port_; }
  const std::string& address() const { return options_.address; }
  uint64_t handled() const { return handled_.load(); }
  uint64_t refused() const { return refused_.load(); }
  size_t open() const { return open_.load(); }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl* server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
      boost::system::error_code ec;
      const auto remote = stream_.socket().remote_endpoint(ec);
      if (!ec) peer_ = absl::StrCat(remote.address().to_string(), ":", remote.port());
      server_->open_.fetch_add(1);
    }
    ~Session() { server_->open_.fetch_sub(1); }

    void Read() {
      parser_.emplace();
      parser_->body_limit(server_->options_.max_body_bytes);
      stream_.expires_after(
          std::chrono::nanoseconds(absl::ToInt64Nanoseconds(server_->options_.read_timeout)));
      bhttp::async_read(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
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
      bhttp::async_write(
          stream_, *response,
          [self = shared_from_this(), response, keep_alive](beast::error_code ec, size_t) {
            if (ec || !keep_alive) {
              self->Close();
              return;
            }
            self->Read();
          });
    }

    Impl* const server_;  // Outlives every session (they die with its io_context).
    beast::tcp_stream stream_;
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
          executor_(session->executor()),
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
      // The server (and so the io_context behind executor_) must be alive to post.
      auto server = server_.lock();
      if (server == nullptr || server->stopped_.load()) return;
      asio::post(executor_, [session = session_, out = std::move(out), keep_alive = keep_alive_,
                             version = version_]() mutable {
        if (auto s = session.lock()) s->Answered(std::move(out), keep_alive, version);
      });
    }

   private:
    const std::weak_ptr<Impl> server_;
    const std::weak_ptr<Session> session_;
    const beast::tcp_stream::executor_type executor_;
    const bool keep_alive_;
    const unsigned version_;
    std::atomic<bool> answered_{false};
  };

  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        Accept();
        return;
      }
      if (options_.max_connections > 0 && open_.load() >= options_.max_connections) {
        refused_.fetch_add(1);
        boost::system::error_code ignored;
        s.close(ignored);
        Accept();
        return;
      }
      auto session = std::make_shared<Session>(this, std::move(s));
      {
        absl::MutexLock lock(&mu_);
        sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                       [](const auto& w) { return w.expired(); }),
                        sessions_.end());
        sessions_.push_back(session);
      }
      session->Read();
      Accept();
    });
  }

  const HttpServerOptions options_;
  const AsyncHandler handler_;
  // Before ioc_: sessions destroyed with ioc_'s pending handlers still count down open_.
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> handled_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<size_t> open_{0};
  asio::io_context ioc_;  // Destroyed after the members below (pending handlers own sessions).
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
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
