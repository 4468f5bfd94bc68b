#include "eventmesh/net/acceptor.h"

#include <chrono>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"

namespace eventmesh::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Errors of one connection that went away before it was accepted: accept the next at once.
bool IsConnectionError(const boost::system::error_code& ec) {
  return ec == asio::error::connection_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::interrupted || ec == asio::error::try_again ||
         ec == asio::error::would_block;
}

}  // namespace

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    Release();
    open_ = std::move(other.open_);
  }
  return *this;
}

void ConnectionSlot::Release() {
  if (open_ != nullptr) {
    open_->fetch_sub(1);
    open_.reset();
  }
}

Acceptor::Acceptor(IoThreadPool* pool, const AcceptorOptions& options)
    : pool_(pool),
      options_(options),
      strand_(asio::make_strand(pool->context(0))),
      acceptor_(strand_),
      backoff_(strand_) {}

Acceptor::~Acceptor() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

absl::StatusOr<std::unique_ptr<Acceptor>> Acceptor::Listen(IoThreadPool* pool,
                                                           const AcceptorOptions& options,
                                                           ListenFailure* failure) {
  auto fail = [&](absl::string_view step, const std::string& reason) {
    if (failure != nullptr) *failure = ListenFailure{std::string(step), reason};
  };
  if (options.port < 0 || options.port > 65535) {
    fail("port", "out of range");
    return absl::InvalidArgumentError(absl::StrCat("port must be in 0..65535, got ", options.port));
  }
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(options.address, ec);
  if (ec) {
    fail("address", ec.message());
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address '", options.address, "': ", ec.message()));
  }
  std::unique_ptr<Acceptor> acceptor(new Acceptor(pool, options));
  const tcp::endpoint endpoint(ip, static_cast<unsigned short>(options.port));
  auto unavailable = [&](absl::string_view step) {
    fail(step, ec.message());
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.address, ":",
                                               options.port, ": ", step, ": ", ec.message()));
  };
  tcp::acceptor& socket = acceptor->acceptor_;
  socket.open(endpoint.protocol(), ec);
  if (ec) return unavailable("open");
  socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return unavailable("setsockopt");
  socket.bind(endpoint, ec);
  if (ec) return unavailable("bind");
  socket.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("listen");
  acceptor->port_ = socket.local_endpoint(ec).port();
  if (ec) return unavailable("listen");
  return acceptor;
}

void Acceptor::Start(AcceptHandler on_accept, RefuseHandler on_refused, ErrorHandler on_error) {
  on_accept_ = std::move(on_accept);
  on_refused_ = std::move(on_refused);
  on_error_ = std::move(on_error);
  asio::post(strand_, [this] { DoAccept(); });
}

void Acceptor::DoAccept() {
  if (closed_.load() || !acceptor_.is_open()) return;
  acceptor_.async_accept(pool_->NextExecutor(),
                         [this](const boost::system::error_code& ec, tcp::socket socket) {
                           OnAccept(ec, std::move(socket));
                         });
}

void Acceptor::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || closed_.load() || !acceptor_.is_open()) return;
  if (ec) {
    if (on_error_) on_error_(ec);
    if (IsConnectionError(ec)) {
      DoAccept();
      return;
    }
    // Out of descriptors or memory: the connection stays in the backlog; try again later
    // instead of failing on it in a tight loop.
    backoff_.expires_after(
        std::chrono::nanoseconds(absl::ToInt64Nanoseconds(options_.error_backoff)));
    backoff_.async_wait([this](const boost::system::error_code& wait_ec) {
      if (wait_ec != asio::error::operation_aborted) DoAccept();
    });
    return;
  }
  if (options_.max_connections > 0 && open_->load() >= options_.max_connections) {
    refused_.fetch_add(1);
    if (on_refused_) {
      on_refused_(std::move(socket));
    } else {
      boost::system::error_code ignored;
      socket.close(ignored);
    }
    DoAccept();
    return;
  }
  open_->fetch_add(1);
  on_accept_(std::move(socket), ConnectionSlot(open_));
  DoAccept();
}

void Acceptor::CloseOnStrand() {
  closed_.store(true);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void Acceptor::Close() {
  if (closed_.load()) return;
  if (!pool_->running() || strand_.running_in_this_thread()) {
    CloseOnStrand();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> closed = done->get_future();
  asio::post(strand_, [this, done] {
    CloseOnStrand();
    done->set_value();
  });
  if (closed.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    // The pool does not run the strand (stopping): nothing else touches the socket any more.
    closed_.store(true);
  }
}

}  // namespace eventmesh::net
