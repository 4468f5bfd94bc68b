#include "eventmesh/sdk/internal/webhook_server.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace eventmesh::sdk::http {

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

class WebhookServer::Impl {
 public:
  Impl(WebhookServerOptions options, RequestHandler handler)
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
      if (auto session = weak.lock()) session->Close();
    }
    sessions_.clear();
  }

  ~Impl() { Stop(); }

  int port() const { return port_; }
  const std::string& address() const { return options_.address; }
  uint64_t handled() const { return handled_.load(); }

 private:
  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl* server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {
      boost::system::error_code ec;
      const auto remote = stream_.socket().remote_endpoint(ec);
      if (!ec) peer_ = absl::StrCat(remote.address().to_string(), ":", remote.port());
    }

    void Read() {
      parser_.emplace();
      parser_->body_limit(server_->options_.max_body_bytes);
      stream_.expires_after(
          std::chrono::nanoseconds(absl::ToInt64Nanoseconds(server_->options_.read_timeout)));
      bhttp::async_read(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
    }

    void Close() {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.socket().close(ec);
    }

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
      ServerResponse out = server_->handler_(in);
      server_->handled_.fetch_add(1);
      Write(std::move(out), request.keep_alive(), request.version());
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

    Impl* const server_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::string peer_;
  };

  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
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

  const WebhookServerOptions options_;
  const RequestHandler handler_;
  asio::io_context ioc_;  // Declared first: destroyed last (pending handlers own sessions).
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> handled_{0};
  absl::Mutex mu_;
  std::vector<std::weak_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<WebhookServer>> WebhookServer::Start(WebhookServerOptions options,
                                                                    RequestHandler handler) {
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
  return std::unique_ptr<WebhookServer>(new WebhookServer(std::move(impl)));
}

WebhookServer::WebhookServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebhookServer::~WebhookServer() { Stop(); }
int WebhookServer::port() const { return impl_->port(); }
const std::string& WebhookServer::address() const { return impl_->address(); }
uint64_t WebhookServer::requests_handled() const { return impl_->handled(); }
void WebhookServer::Stop() { impl_->Stop(); }

}  // namespace eventmesh::sdk::http
