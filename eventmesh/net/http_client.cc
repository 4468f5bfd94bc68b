#include "eventmesh/net/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "eventmesh/common/named_thread.h"
#include "eventmesh/net/http_read.h"
#include "eventmesh/net/http_wire.h"

namespace eventmesh::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// ----- URL -------------------------------------------------------------------------------

bool Url::host_is_ip() const {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  const uint16_t default_port = tls() ? 443 : 80;
  if (port != default_port) absl::StrAppend(&h, ":", port);
  return h;
}

std::string Url::Origin() const {
  const std::string h = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  return absl::StrCat(scheme, "://", h, ":", port);
}

std::string Url::ToString() const { return absl::StrCat(scheme, "://", HostHeader(), target); }

absl::StatusOr<Url> ParseUrl(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("URL '", text, "' ", why));
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return bad("contains whitespace or a control character");
  }
  const size_t sep = text.find("://");
  if (sep == absl::string_view::npos) return bad("has no scheme (expected http:// or https://)");
  Url url;
  url.scheme = absl::AsciiStrToLower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") {
    return bad(absl::StrCat("has unsupported scheme '", url.scheme, "' (expected http or https)"));
  }
  absl::string_view rest = text.substr(sep + 3);
  const size_t end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, end);
  absl::string_view tail = end == absl::string_view::npos ? "" : rest.substr(end);
  if (const size_t hash = tail.find('#'); hash != absl::string_view::npos) {
    tail = tail.substr(0, hash);
  }
  if (authority.find('@') != absl::string_view::npos) return bad("must not contain user info");
  absl::string_view host = authority;
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return bad("has an unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has garbage after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad("has an empty port");
    }
    boost::system::error_code ec;
    asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return bad(absl::StrCat("has an invalid IPv6 address '", host, "'"));
  } else if (const size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) return bad("has an empty port");
  }
  if (host.empty()) return bad("has an empty host");
  url.host = absl::AsciiStrToLower(host);
  if (!port_text.empty()) {
    uint32_t port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535 ||
        port_text.find_first_not_of("0123456789") != absl::string_view::npos) {
      return bad(absl::StrCat("has an invalid port '", port_text, "'"));
    }
    url.port = static_cast<uint16_t>(port);
  } else {
    url.port = url.tls() ? 443 : 80;
  }
  url.target = std::string(tail);
  if (url.target.empty()) url.target = "/";
  if (url.target[0] == '?') url.target.insert(0, "/");
  return url;
}

const std::string* FindHeader(const HttpHeaders& headers, absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

// ----- implementation --------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::Status ApplyAddressFilter(const AddressFilter& filter, const Url& url,
                                std::vector<tcp::endpoint>* endpoints) {
  if (!filter) return absl::OkStatus();
  absl::Status refused;
  std::vector<tcp::endpoint> allowed;
  for (const auto& endpoint : *endpoints) {
    absl::Status status = filter(url, endpoint.address());
    if (status.ok()) {
      allowed.push_back(endpoint);
    } else if (refused.ok()) {
      refused = std::move(status);
    }
  }
  if (allowed.empty() && !refused.ok()) return refused;
  *endpoints = std::move(allowed);
  return absl::OkStatus();
}

bool IsStaleConnectionError(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == beast::http::error::partial_message;
}

struct Connection {
  // `io`: the context `executor` (a strand) belongs to.
  Connection(asio::io_context* io, asio::any_io_executor executor, asio::ssl::context* ssl,
             const Url& url)
      : io(io), executor(executor) {
    if (url.tls()) {
      secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *ssl);
    } else {
      plain = std::make_unique<beast::tcp_stream>(executor);
    }
  }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void Close() {
    boost::system::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  asio::io_context* const io;
  asio::any_io_executor executor;  // a strand
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;
  int64_t idle_since_ms = 0;
};

class Exchange;

class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
 public:
  // `io`: the caller's io_context; nullptr: the client owns options.threads contexts.
  Impl(HttpClientOptions options, asio::io_context* io)
      : options_(std::move(options)), ssl_(asio::ssl::context::tls_client) {
    if (io != nullptr) {
      ios_.push_back(io);
    } else {
      for (int i = 0; i < std::max(1, options_.threads); ++i) {
        // Concurrency hint 1: each context is run by one thread.
        owned_ios_.push_back(std::make_unique<asio::io_context>(1));
        ios_.push_back(owned_ios_.back().get());
      }
    }
  }

  absl::Status Init() {
    boost::system::error_code ec;
    ssl_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1,
                     ec);
    if (ec) return absl::InternalError(absl::StrCat("TLS setup failed: ", ec.message()));
    if (!options_.ca_file.empty()) {
      ssl_.load_verify_file(options_.ca_file, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot load CA file '", options_.ca_file, "': ", ec.message()));
      }
    } else {
      // The system's CA bundle (~150 certificates, tens of milliseconds to parse) is loaded
      // when the first https connection is made (TlsContext): a client that only speaks plain
      // http (the CLI, most SDK clients, webhooks to local services) never pays for it.
      load_default_paths_ = true;
    }
    if (options_.client_cert_file.empty() != options_.client_key_file.empty()) {
      return absl::InvalidArgumentError(
          "client_cert_file and client_key_file must be given together (mutual TLS)");
    }
    if (!options_.client_cert_file.empty()) {
      ssl_.use_certificate_chain_file(options_.client_cert_file, ec);
      if (ec) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot load client certificate '", options_.client_cert_file, "': ", ec.message()));
      }
      ssl_.use_private_key_file(options_.client_key_file, asio::ssl::context::pem, ec);
      if (ec) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot load client key '", options_.client_key_file, "': ", ec.message()));
      }
    }
    ssl_.set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) return absl::InternalError(absl::StrCat("TLS setup failed: ", ec.message()));
    for (auto& owned : owned_ios_) {
      work_.push_back(asio::make_work_guard(*owned));
      threads_.push_back(StartNamedThread("em-http-client", [io = owned.get()] { io->run(); }));
    }
    return absl::OkStatus();
  }

  void Send(HttpRequest request, absl::Duration timeout, HttpCallback done);
  void Shutdown();

  // The TLS context for a connection to `url`: for https, with the verification CAs loaded
  // (the system's default paths are loaded by the first https connection). Thread-safe.
  asio::ssl::context* TlsContext(const Url& url) {
    if (url.tls() && load_default_paths_) {
      std::call_once(default_paths_once_, [this] {
        boost::system::error_code ec;
        ssl_.set_default_verify_paths(ec);
        // Without them no peer certificate verifies: each handshake then fails with
        // "certificate verification failed", naming the certificate's problem.
        if (ec) default_paths_error_ = ec.message();
      });
    }
    return &ssl_;
  }

  // Pool management (mu_).
  struct Pool {
    std::vector<std::shared_ptr<Connection>> idle;
    int open = 0;
    std::deque<std::shared_ptr<Exchange>> waiting;
  };
  void Acquire(const std::shared_ptr<Exchange>& exchange);
  void Release(const std::string& key, std::shared_ptr<Connection> connection, bool reusable);
  bool RemoveWaiting(const std::string& key, const Exchange* exchange);
  void Track(const std::shared_ptr<Connection>& c) {
    std::lock_guard<std::mutex> lock(mu_);
    busy_.insert(c);
  }
  bool stopped() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped_;
  }

  const HttpClientOptions options_;
  // The io_contexts connections are dealt to, round robin (NextIo): the caller's one, or
  // owned_ios_, one thread each (one context run by several threads would wake an idle thread
  // with a futex call for nearly every handler posted).
  std::vector<std::unique_ptr<asio::io_context>> owned_ios_;
  std::vector<asio::io_context*> ios_;
  std::atomic<size_t> next_io_{0};
  asio::io_context& NextIo() { return *ios_[next_io_.fetch_add(1) % ios_.size()]; }
  // The context the calling thread runs, if it is one of ours, else NextIo(): an exchange
  // started from a completion (a webhook sending its next event from the answer to the last)
  // stays on its thread instead of waking another.
  asio::io_context& LocalIo() {
    if (ios_.size() > 1) {
      for (asio::io_context* io : ios_) {
        if (io->get_executor().running_in_this_thread()) return *io;
      }
    }
    return NextIo();
  }
  // A new connection (not yet opened) on `io`.
  std::shared_ptr<Connection> NewConnection(asio::io_context& io, const Url& url) {
    return std::make_shared<Connection>(&io, asio::make_strand(io), TlsContext(url), url);
  }
  asio::ssl::context ssl_;
  bool load_default_paths_ = false;  // set by Init, read-only after
  std::once_flag default_paths_once_;
  std::string default_paths_error_;  // written once under default_paths_once_
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> connections_opened_{0};

  // Ends one hand-off counted in `starting_`.
  void StartedRun() {
    std::lock_guard<std::mutex> lock(mu_);
    --starting_;
    starting_cv_.notify_all();
  }

  std::mutex mu_;
  bool stopped_ = false;
  // Exchanges given a connection under mu_ whose Run (which posts their first step to the io
  // threads) has not returned yet; Shutdown waits for them before letting the threads go.
  int starting_ = 0;
  std::condition_variable starting_cv_;
  std::map<std::string, Pool> pools_;
  std::set<std::shared_ptr<Connection>> busy_;
};

// One request from Send to its callback.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  // `wire` is the whole request (http_wire.h); `head`: a HEAD request (its answer has no body).
  Exchange(std::shared_ptr<HttpClient::Impl> client, Url url, std::string wire, bool head,
           std::string description, absl::Duration timeout, HttpCallback done)
      : client_(std::move(client)),
        url_(std::move(url)),
        key_(url_.Origin()),
        wire_(std::move(wire)),
        head_(head),
        description_(std::move(description)),
        timeout_ms_(absl::ToInt64Milliseconds(timeout)),
        deadline_(Clock::now() + absl::ToChronoMilliseconds(timeout)),
        done_(std::move(done)) {}

  const std::string& key() const { return key_; }
  const Url& url() const { return url_; }

  // Waits in the pool queue until Run is called or the deadline passes.
  void StartWaiting() {
    // Only an exchange that waits gets a timer (most find a connection at once). Called under
    // the client's lock, before Run can be.
    wait_timer_.emplace(asio::make_strand(client_->LocalIo()), deadline_);
    waiting_.store(true);
    wait_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: a connection came
      if (self->client_->RemoveWaiting(self->key_, self.get())) {
        self->Finish(self->Timeout("waiting for a free connection"));
      }
    });
  }

  // Runs the exchange on `connection` (taken from the pool or new); called from any thread.
  void Run(std::shared_ptr<Connection> connection, bool reused) {
    if (waiting_.load()) {
      asio::post(wait_timer_->get_executor(),
                 [self = shared_from_this()] { self->wait_timer_->cancel(); });
    }
    connection_ = std::move(connection);
    reused_ = reused;
    client_->Track(connection_);
    asio::post(connection_->executor, [self = shared_from_this()] { self->Begin(); });
  }

  void Fail(absl::Status status) { Finish(std::move(status)); }

 private:
  void Begin() {
    if (client_->stopped()) return Abort(absl::UnavailableError("HTTP client shut down"));
    if (Clock::now() >= deadline_) return Abort(Timeout("waiting for a free connection"));
    connection_->lowest().expires_at(deadline_);
    if (connection_->connected) return Write();
    ++client_->connections_opened_;
    if (url_.host_is_ip()) {
      boost::system::error_code ec;
      auto address = asio::ip::make_address(url_.host, ec);
      Connect({tcp::endpoint(address, url_.port)});
      return;
    }
    resolver_ = std::make_unique<tcp::resolver>(connection_->executor);
    resolve_timer_ = std::make_unique<asio::steady_timer>(connection_->executor, deadline_);
    resolve_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && self->resolver_) {
        self->resolve_timed_out_ = true;
        self->resolver_->cancel();
      }
    });
    resolver_->async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
          self->resolve_timer_->cancel();
          if (self->resolve_timed_out_) return self->Abort(self->Timeout("resolving the host"));
          if (ec) {
            return self->Abort(
                absl::UnavailableError(absl::StrCat(self->description_, ": cannot resolve host '",
                                                    self->url_.host, "': ", ec.message())));
          }
          std::vector<tcp::endpoint> endpoints;
          for (const auto& entry : r) endpoints.push_back(entry.endpoint());
          self->Connect(std::move(endpoints));
        });
  }

  void Connect(std::vector<tcp::endpoint> endpoints) {
    absl::Status allowed = ApplyAddressFilter(client_->options_.address_filter, url_, &endpoints);
    if (!allowed.ok()) return Abort(std::move(allowed));
    connection_->lowest().async_connect(
        endpoints, [self = shared_from_this()](boost::system::error_code ec, tcp::endpoint) {
          if (ec) return self->OnError(ec, "connecting");
          boost::system::error_code ignored;
          self->connection_->lowest().socket().set_option(tcp::no_delay(true), ignored);
          if (self->connection_->secure) return self->Handshake();
          self->connection_->connected = true;
          self->Write();
        });
  }

  void Handshake() {
    SSL* ssl = connection_->secure->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (url_.host_is_ip()) {
      X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, url_.host.c_str());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size());
    }
    connection_->secure->async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this()](boost::system::error_code ec) {
          if (ec) {
            const long verify = SSL_get_verify_result(self->connection_->secure->native_handle());
            if (verify != X509_V_OK && ec != beast::error::timeout) {
              return self->Abort(absl::UnavailableError(
                  absl::StrCat(self->description_, ": TLS handshake with ", self->url_.HostHeader(),
                               " failed: certificate verification failed: ",
                               X509_verify_cert_error_string(verify),
                               self->client_->default_paths_error_.empty()
                                   ? ""
                                   : absl::StrCat(" (the system's default CA paths could not be "
                                                  "loaded: ",
                                                  self->client_->default_paths_error_, ")"))));
            }
            return self->OnError(ec, "in the TLS handshake");
          }
          self->connection_->connected = true;
          self->Write();
        });
  }

  void Write() {
    auto on_write = [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->OnError(ec, "sending the request");
      self->Read();
    };
    if (connection_->secure) {
      asio::async_write(*connection_->secure, asio::buffer(wire_), std::move(on_write));
    } else {
      asio::async_write(*connection_->plain, asio::buffer(wire_), std::move(on_write));
    }
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(client_->options_.max_response_bytes));
    parser_->header_limit(
        static_cast<uint32_t>(std::min<int64_t>(client_->options_.max_response_bytes, 1 << 20)));
    if (head_) parser_->skip(true);
    auto on_read = [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return self->OnError(ec, "reading the response");
      self->Complete();
    };
    if (connection_->secure) {
      AsyncReadBounded(*connection_->secure, connection_->buffer, *parser_, std::move(on_read));
    } else {
      AsyncReadBounded(*connection_->plain, connection_->buffer, *parser_, std::move(on_read));
    }
  }

  void Complete() {
    auto message = parser_->release();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    const bool reusable = message.keep_alive() && !message.need_eof();
    if (!reusable) connection_->Close();
    connection_->lowest().expires_never();
    connection_->idle_since_ms = NowMs();
    client_->Release(key_, std::move(connection_), reusable);
    Finish(std::move(response));
  }

  void OnError(const boost::system::error_code& ec, absl::string_view phase) {
    if (ec == beast::error::timeout) return Abort(Timeout(phase));
    if (client_->stopped()) return Abort(absl::UnavailableError("HTTP client shut down"));
    const bool nothing_received = !parser_.has_value() || !parser_->got_some();
    if (reused_ && !retried_ && nothing_received && IsStaleConnectionError(ec)) {
      // The server closed the idle connection: once more on a fresh one (keeps our slot).
      retried_ = true;
      reused_ = false;
      connection_->Close();
      auto fresh = client_->NewConnection(*connection_->io, url_);
      {
        std::lock_guard<std::mutex> lock(client_->mu_);
        client_->busy_.erase(connection_);
      }
      connection_ = std::move(fresh);
      client_->Track(connection_);
      parser_.reset();
      asio::post(connection_->executor, [self = shared_from_this()] { self->Begin(); });
      return;
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return Abort(absl::ResourceExhaustedError(
          absl::StrCat(description_, ": the response exceeds ",
                       client_->options_.max_response_bytes, " bytes")));
    }
    Abort(absl::UnavailableError(absl::StrCat(description_, ": error ", phase, " (",
                                              url_.HostHeader(), "): ", ec.message())));
  }

  absl::Status Timeout(absl::string_view phase) {
    return absl::DeadlineExceededError(
        absl::StrCat(description_, " timed out after ", timeout_ms_, " ms (", phase, ")"));
  }

  // Gives the connection back as broken and reports `status`.
  void Abort(absl::Status status) {
    if (connection_) {
      connection_->Close();
      client_->Release(key_, std::move(connection_), /*reusable=*/false);
    }
    Finish(std::move(status));
  }

  void Finish(absl::StatusOr<HttpResponse> result) {
    HttpCallback done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = true;
      done = std::move(done_);
    }
    done(std::move(result));
  }

  std::shared_ptr<HttpClient::Impl> client_;
  const Url url_;
  const std::string key_;
  const std::string wire_;  // the request's bytes
  const bool head_;
  const std::string description_;
  const int64_t timeout_ms_;
  const Clock::time_point deadline_;
  // Set by StartWaiting: the deadline while waiting for a pooled connection, on a strand.
  std::optional<asio::steady_timer> wait_timer_;
  std::atomic<bool> waiting_{false};
  std::shared_ptr<Connection> connection_;
  bool reused_ = false;
  bool retried_ = false;
  std::unique_ptr<tcp::resolver> resolver_;
  std::unique_ptr<asio::steady_timer> resolve_timer_;
  bool resolve_timed_out_ = false;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::mutex mu_;
  bool finished_ = false;
  HttpCallback done_;
};

void HttpClient::Impl::Send(HttpRequest request, absl::Duration timeout, HttpCallback done) {
  auto url = ParseUrl(request.url);
  if (!url.ok()) return done(url.status());
  TlsContext(*url);  // a first https request loads the CA bundle here, not under the pool lock
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    return done(
        absl::InvalidArgumentError(absl::StrCat("unknown HTTP method '", request.method, "'")));
  }
  std::string wire;
  SerializeRequest(request.method, url->target, url->HostHeader(), options_.user_agent,
                   request.headers, request.body, &wire);
  std::string description = absl::StrCat("HTTP ", request.method, " ", url->ToString());
  auto exchange = std::make_shared<Exchange>(shared_from_this(), std::move(*url), std::move(wire),
                                             verb == http::verb::head, std::move(description),
                                             timeout, std::move(done));
  Acquire(exchange);
}

void HttpClient::Impl::Acquire(const std::shared_ptr<Exchange>& exchange) {
  std::shared_ptr<Connection> connection;
  bool reused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      // Outside the lock below.
    } else {
      Pool& pool = pools_[exchange->key()];
      const int64_t now = NowMs();
      // Most recently used first, preferring one on the calling thread's context.
      if (ios_.size() > 1 && !pool.idle.empty()) {
        for (size_t i = pool.idle.size(); i-- > 0;) {
          if (pool.idle[i]->io->get_executor().running_in_this_thread()) {
            if (i + 1 != pool.idle.size()) std::swap(pool.idle[i], pool.idle.back());
            break;
          }
        }
      }
      while (!pool.idle.empty()) {
        auto candidate = std::move(pool.idle.back());
        pool.idle.pop_back();
        if (now - candidate->idle_since_ms < options_.idle_timeout_ms) {
          connection = std::move(candidate);
          reused = true;
          break;
        }
        --pool.open;
        asio::post(candidate->executor, [candidate] { candidate->Close(); });
      }
      if (connection == nullptr) {
        if (pool.open < options_.max_connections_per_host) {
          ++pool.open;
          connection = NewConnection(LocalIo(), exchange->url());
        } else {
          pool.waiting.push_back(exchange);
          exchange->StartWaiting();
          return;
        }
      }
      ++starting_;
    }
  }
  if (connection == nullptr) {
    exchange->Fail(absl::UnavailableError("HTTP client shut down"));
    return;
  }
  exchange->Run(std::move(connection), reused);
  StartedRun();
}

void HttpClient::Impl::Release(const std::string& key, std::shared_ptr<Connection> connection,
                               bool reusable) {
  std::shared_ptr<Exchange> next;
  std::shared_ptr<Connection> for_next;
  bool next_reused = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy_.erase(connection);
    Pool& pool = pools_[key];
    if (stopped_) {
      --pool.open;
      reusable = false;
    } else if (!pool.waiting.empty()) {
      next = std::move(pool.waiting.front());
      pool.waiting.pop_front();
      ++starting_;
      if (reusable) {
        for_next = std::move(connection);
        next_reused = true;
      } else {
        // The broken connection's slot goes to a fresh connection for the waiting request.
        for_next = NewConnection(*connection->io, next->url());
      }
    } else if (reusable) {
      pool.idle.push_back(std::move(connection));
    } else {
      --pool.open;
    }
  }
  if (!reusable && connection != nullptr) {
    asio::post(connection->executor, [connection] { connection->Close(); });
  }
  if (next != nullptr) {
    next->Run(std::move(for_next), next_reused);
    StartedRun();
  }
}

bool HttpClient::Impl::RemoveWaiting(const std::string& key, const Exchange* exchange) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pools_.find(key);
  if (it == pools_.end()) return false;
  auto& waiting = it->second.waiting;
  for (auto w = waiting.begin(); w != waiting.end(); ++w) {
    if (w->get() == exchange) {
      waiting.erase(w);
      return true;
    }
  }
  return false;
}

void HttpClient::Impl::Shutdown() {
  std::vector<std::shared_ptr<Exchange>> waiting;
  std::vector<std::shared_ptr<Connection>> to_close;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!stopped_) {
      stopped_ = true;
      for (auto& [key, pool] : pools_) {
        for (auto& w : pool.waiting) waiting.push_back(std::move(w));
        pool.waiting.clear();
        for (auto& c : pool.idle) to_close.push_back(std::move(c));
        pool.open -= static_cast<int>(pool.idle.size());
        pool.idle.clear();
      }
      for (const auto& c : busy_) to_close.push_back(c);
    }
    // Hand-offs under way finish posting while the io threads still run; their first step
    // then sees the client stopped.
    starting_cv_.wait(lock, [this] { return starting_ == 0; });
  }
  for (auto& w : waiting) w->Fail(absl::UnavailableError("HTTP client shut down"));
  for (auto& c : to_close) asio::post(c->executor, [c] { c->Close(); });
  if (!owned_ios_.empty()) {
    work_.clear();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }
}

// ----- HttpClient ------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options,
                                                               asio::io_context* io) {
  if (options.max_connections_per_host < 1) {
    return absl::InvalidArgumentError("max_connections_per_host must be at least 1");
  }
  if (options.max_response_bytes < 1) {
    return absl::InvalidArgumentError("max_response_bytes must be positive");
  }
  auto impl = std::make_shared<Impl>(std::move(options), io);
  absl::Status init = impl->Init();
  if (!init.ok()) return init;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() { Shutdown(); }

void HttpClient::Send(HttpRequest request, absl::Duration timeout, HttpCallback done) {
  impl_->Send(std::move(request), timeout, std::move(done));
}

void HttpClient::Shutdown() { impl_->Shutdown(); }

asio::io_context& HttpClient::io_context() { return *impl_->ios_.front(); }

asio::io_context& HttpClient::NextIoContext() { return impl_->NextIo(); }

int64_t HttpClient::connections_opened() const { return impl_->connections_opened_.load(); }

}  // namespace eventmesh::net
