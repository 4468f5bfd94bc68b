#include "eventmesh/net/http_pipeline.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "eventmesh/net/http_read.h"
#include "eventmesh/net/http_wire.h"
#include "eventmesh/net/tls.h"

namespace eventmesh::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class PipelineImpl final : public HttpPipeline, public std::enable_shared_from_this<PipelineImpl> {
 public:
  PipelineImpl(asio::io_context& io, Url origin, std::shared_ptr<asio::ssl::context> tls,
               HttpPipelineOptions options)
      : url_(std::move(origin)),
        origin_(url_.Origin()),
        tls_(std::move(tls)),
        options_(std::move(options)),
        strand_(asio::make_strand(io)),
        timer_(strand_) {
    if (url_.tls()) {
      secure_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(strand_, *tls_);
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(strand_);
    }
  }

  void Send(HttpRequest request, HttpCallback done) override {
    std::string target = request.url;
    if (target.empty() || target[0] != '/') {
      auto url = ParseUrl(request.url);
      if (!url.ok()) return done(url.status());
      if (url->Origin() != origin_) {
        return done(absl::InvalidArgumentError(
            absl::StrCat("URL '", request.url, "' is not on this pipeline's origin ", origin_)));
      }
      target = url->target;
    }
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      return done(
          absl::InvalidArgumentError(absl::StrCat("unknown HTTP method '", request.method, "'")));
    }
    auto pending = std::make_shared<Pending>();
    SerializeRequest(request.method, target, url_.HostHeader(), options_.user_agent,
                     request.headers, request.body, &pending->wire);
    pending->description = absl::StrCat("HTTP ", request.method, " ", origin_, target);
    pending->deadline = Clock::now() + absl::ToChronoNanoseconds(options_.timeout);
    pending->done = std::move(done);
    pending_count_.fetch_add(1);
    asio::post(strand_, [self = shared_from_this(), pending = std::move(pending)]() mutable {
      self->Enqueue(std::move(pending));
    });
  }

  void Close(absl::string_view why) override {
    asio::post(strand_, [self = shared_from_this(), why = std::string(why)] {
      self->Fail(absl::UnavailableError(why));
    });
  }

  const std::string& origin() const override { return origin_; }
  int64_t pending() const override { return pending_count_.load(); }
  bool usable() const override { return usable_.load(); }

 private:
  struct Pending {
    std::string wire;  // the request's bytes (http_wire.h)
    std::string description;
    Clock::time_point deadline;
    HttpCallback done;
  };

  template <class F>
  void WithStream(F&& f) {
    if (secure_) {
      f(*secure_);
    } else {
      f(*plain_);
    }
  }
  beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

  // ----- everything below runs on strand_

  void Enqueue(std::shared_ptr<Pending> pending) {
    if (!broken_.ok()) return Finish(std::move(pending), broken_);
    queue_.push_back(std::move(pending));
    if (queue_.size() == 1) ArmTimer();
    if (connected_) {
      // Written by a handler queued behind the Sends already posted, so that requests sent
      // together leave in one write.
      if (!flush_posted_) {
        flush_posted_ = true;
        asio::post(strand_, [self = shared_from_this()] {
          self->flush_posted_ = false;
          self->WriteNext();
        });
      }
      return;
    }
    if (!connecting_) Connect();
  }

  void Connect() {
    connecting_ = true;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(url_.host, ec);
    if (!ec) return ConnectTo({tcp::endpoint(address, url_.port)});
    resolver_ = std::make_unique<tcp::resolver>(strand_);
    resolver_->async_resolve(
        url_.host, std::to_string(url_.port),
        [self = shared_from_this()](boost::system::error_code ec,
                                    tcp::resolver::results_type results) {
          if (ec) {
            return self->Fail(absl::UnavailableError(absl::StrCat(
                self->origin_, ": cannot resolve host '", self->url_.host, "': ", ec.message())));
          }
          std::vector<tcp::endpoint> endpoints;
          for (const auto& entry : results) {
            endpoints.push_back(entry.endpoint());
          }
          self->ConnectTo(std::move(endpoints));
        });
  }

  void ConnectTo(std::vector<tcp::endpoint> endpoints) {
    if (!broken_.ok()) return;
    absl::Status allowed = ApplyAddressFilter(options_.address_filter, url_, &endpoints);
    if (!allowed.ok()) return Fail(std::move(allowed));
    lowest().async_connect(
        endpoints, [self = shared_from_this()](boost::system::error_code ec, tcp::endpoint) {
          if (!self->broken_.ok()) return;
          if (ec) return self->Fail(self->IoError(ec, "connecting"));
          boost::system::error_code ignored;
          self->lowest().socket().set_option(tcp::no_delay(true), ignored);
          if (!self->secure_) return self->Connected();
          ExpectPeerName(self->secure_->native_handle(), self->url_.host);
          self->secure_->async_handshake(
              asio::ssl::stream_base::client, [self](boost::system::error_code ec) {
                if (!self->broken_.ok()) return;
                if (ec) {
                  return self->Fail(absl::UnavailableError(absl::StrCat(
                      self->origin_, ": TLS handshake with ", self->url_.HostHeader(),
                      " failed: ", HandshakeFailure(self->secure_->native_handle(), ec))));
                }
                self->Connected();
              });
        });
  }

  void Connected() {
    connecting_ = false;
    connected_ = true;
    WriteNext();
  }

  // Writes every queued request not yet written, in one write.
  void WriteNext() {
    if (writing_ || !broken_.ok() || written_ >= queue_.size()) return;
    writing_ = true;
    if (idle_) {
      // The connection had nothing outstanding: the server may have closed it meanwhile.
      idle_ = false;
      resumed_ = true;
    }
    // The requests stay owned by the write (their bytes are its buffers) even if a failure
    // answers them meanwhile.
    std::vector<std::shared_ptr<Pending>> batch(queue_.begin() + written_, queue_.end());
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(batch.size());
    for (const auto& pending : batch) buffers.push_back(asio::buffer(pending->wire));
    WithStream([&](auto& stream) {
      asio::async_write(
          stream, buffers,
          [self = shared_from_this(), batch = std::move(batch)](boost::system::error_code ec,
                                                                size_t) {
            self->writing_ = false;
            if (!self->broken_.ok()) return;
            if (ec) {
              if (self->resumed_ && IsStaleConnectionError(ec)) {
                return self->Fail(absl::AbortedError(absl::StrCat(
                    self->origin_, ": the server closed the idle connection (", ec.message(),
                    "); the request was not processed and may be sent again")));
              }
              return self->Fail(self->IoError(ec, "sending a request"));
            }
            // The bytes are no longer needed.
            for (const auto& pending : batch) std::string().swap(pending->wire);
            self->written_ += batch.size();
            self->ReadNext();
            self->WriteNext();
          });
    });
  }

  void ReadNext() {
    if (reading_ || !broken_.ok() || written_ == 0) return;
    reading_ = true;
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(options_.max_response_bytes));
    parser_->header_limit(
        static_cast<uint32_t>(std::min<int64_t>(options_.max_response_bytes, 1 << 20)));
    WithStream([&](auto& stream) {
      AsyncReadBounded(stream, buffer_, *parser_,
                       [self = shared_from_this()](boost::system::error_code ec, size_t) {
                         self->reading_ = false;
                         if (!self->broken_.ok()) return;
                         if (ec) return self->OnReadError(ec);
                         self->Answered();
                       });
    });
  }

  void OnReadError(const boost::system::error_code& ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return Fail(absl::ResourceExhaustedError(
          absl::StrCat(queue_.front()->description, ": the response exceeds ",
                       options_.max_response_bytes, " bytes")));
    }
    if (resumed_ && !parser_->got_some() && IsStaleConnectionError(ec)) {
      return Fail(absl::AbortedError(
          absl::StrCat(origin_, ": the server closed the idle connection (", ec.message(),
                       ") before answering; the request was not processed and may be sent "
                       "again")));
    }
    Fail(IoError(ec, "reading a response"));
  }

  void Answered() {
    auto message = parser_->release();
    parser_.reset();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    const bool keep_alive = message.keep_alive() && !message.need_eof();
    std::shared_ptr<Pending> pending = std::move(queue_.front());
    queue_.pop_front();
    --written_;
    resumed_ = false;
    if (queue_.empty()) idle_ = true;
    ArmTimer();
    Finish(std::move(pending), std::move(response));
    if (!keep_alive) {
      return Fail(absl::AbortedError(
          absl::StrCat(origin_,
                       ": the server closed the connection after answering an earlier "
                       "request; this one was not processed and may be sent again")));
    }
    ReadNext();
  }

  void ArmTimer() {
    if (queue_.empty()) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(queue_.front()->deadline);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || !self->broken_.ok() || self->queue_.empty()) return;
      if (Clock::now() < self->queue_.front()->deadline) return self->ArmTimer();
      self->Fail(absl::DeadlineExceededError(
          absl::StrCat(self->queue_.front()->description, " timed out after ",
                       absl::FormatDuration(self->options_.timeout), " (",
                       self->connected_ ? "waiting for the answer" : "connecting", ")")));
    });
  }

  absl::Status IoError(const boost::system::error_code& ec, absl::string_view phase) {
    return absl::UnavailableError(absl::StrCat(origin_, ": error ", phase, ": ", ec.message()));
  }

  // Fail-stop: closes the connection and fails every unanswered request with `status`.
  void Fail(absl::Status status) {
    if (!broken_.ok()) return;
    broken_ = std::move(status);
    usable_.store(false);
    timer_.cancel();
    if (resolver_) resolver_->cancel();
    boost::system::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
    std::deque<std::shared_ptr<Pending>> failed;
    failed.swap(queue_);
    written_ = 0;
    for (auto& pending : failed) Finish(std::move(pending), broken_);
  }

  void Finish(std::shared_ptr<Pending> pending, absl::StatusOr<HttpResponse> result) {
    pending_count_.fetch_sub(1);
    HttpCallback done = std::move(pending->done);
    done(std::move(result));
  }

  const Url url_;
  const std::string origin_;
  const std::shared_ptr<asio::ssl::context> tls_;
  const HttpPipelineOptions options_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure_;
  std::unique_ptr<tcp::resolver> resolver_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::atomic<int64_t> pending_count_{0};
  std::atomic<bool> usable_{true};

  // strand_ only
  std::deque<std::shared_ptr<Pending>> queue_;  // unanswered, oldest first
  size_t written_ = 0;                          // the first written_ of queue_ are sent
  bool connecting_ = false;
  bool connected_ = false;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool reading_ = false;
  bool idle_ = false;     // connected, every request answered
  bool resumed_ = false;  // written to after idle_, no answer byte read since
  absl::Status broken_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<HttpPipeline>> HttpPipeline::Create(
    asio::io_context& io, absl::string_view origin, std::shared_ptr<asio::ssl::context> tls,
    HttpPipelineOptions options) {
  auto url = ParseUrl(origin);
  if (!url.ok()) return url.status();
  if (url->tls() && tls == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("https origin ", url->Origin(), " needs a TLS context"));
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("pipeline timeout must be positive");
  }
  if (options.max_response_bytes < 1) {
    return absl::InvalidArgumentError("max_response_bytes must be positive");
  }
  return std::shared_ptr<HttpPipeline>(
      std::make_shared<PipelineImpl>(io, *std::move(url), std::move(tls), std::move(options)));
}

}  // namespace eventmesh::net
