#include "eventmesh/store/client/store_client.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "eventmesh/common/backoff.h"
#include "eventmesh/common/named_thread.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/protocol/rpc/frame_codec.h"
#include "eventmesh/store/service/wire_convert.h"
#include "glog/logging.h"

namespace eventmesh::store::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using protocol::rpc::DecodeMessage;
using protocol::rpc::EncodeFrame;
using protocol::rpc::FrameDecoder;

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr size_t kMaxFramesPerWrite = 256;
// Appends per MultiAppendRequest (the service takes up to 4096), and the bytes after which no
// further append joins one: the service answers a MultiAppendRequest once all of its appends
// are durable, so large ones would turn a pipeline into rounds of stop-and-go (measured: 1,024
// appends of 16 events each lost a third of the rate; 64 KiB keeps single events ~220 a
// request and large batches nearly alone).
constexpr size_t kMaxAppendsPerFrame = 256;
constexpr size_t kMaxMultiAppendBytes = 64 * 1024;
// Bytes a frame needs beyond its appends' own: the length prefix, the request id and the
// envelope's tags and lengths (generous).
constexpr size_t kMultiAppendOverhead = 32;

using wire::AppendVarint;
using wire::VarintSize;

void AppendBigEndian32(uint32_t v, std::string* out) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(bytes, 4);
}

// Wire tags of the StoreRequest fields written by hand below (field number << 3 | wire type).
constexpr uint64_t kRequestIdTag = (1 << 3) | 0;     // request_id, varint
constexpr uint64_t kAppendTag = (20 << 3) | 2;       // append, length-delimited
constexpr uint64_t kMultiAppendTag = (25 << 3) | 2;  // multi_append, length-delimited
constexpr uint64_t kAppendsTag = (1 << 3) | 2;       // MultiAppendRequest.appends

// One frame holding StoreRequest{request_id: id, append: <the serialized AppendRequest>}.
void AppendAppendFrame(uint64_t id, absl::string_view append, std::string* out) {
  const size_t payload =
      1 + VarintSize(id) + VarintSize(kAppendTag) + VarintSize(append.size()) + append.size();
  out->reserve(out->size() + 4 + payload);
  AppendBigEndian32(static_cast<uint32_t>(payload), out);
  AppendVarint(kRequestIdTag, out);
  AppendVarint(id, out);
  AppendVarint(kAppendTag, out);
  AppendVarint(append.size(), out);
  out->append(append.data(), append.size());
}

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  return std::chrono::nanoseconds(absl::ToInt64Nanoseconds(d));
}

// A Read's or Fetch's typed callback, and which of the two calls it answers.
struct ReadCall {
  StoreClient::Callback<ReadResult> done;
  bool fetch = false;
  void operator()(absl::Status status) const { done(std::move(status)); }
};

// How one call is answered, exactly once: a raw StoreResponse callback, or (appends, reads and
// fetches) the typed callback, converted straight from the answer. It also counts the call out of
// the client's calls in flight when it answers, and answers Unavailable "store client closed"
// if it is destroyed unanswered (a handler dropped by the client's shutdown), so no caller ever
// waits forever.
class Completion {
 public:
  using AppendCallback = StoreClient::Callback<AppendResult>;

  Completion() = default;
  Completion(StoreClient::RawCallback raw, std::atomic<int64_t>* in_flight)
      : raw_(std::move(raw)), in_flight_(in_flight) {}
  Completion(AppendCallback append, std::atomic<int64_t>* in_flight)
      : append_(std::move(append)), in_flight_(in_flight) {}
  Completion(ReadCall read, std::atomic<int64_t>* in_flight)
      : read_(std::move(read.done)), read_fetch_(read.fetch), in_flight_(in_flight) {}
  Completion(Completion&& other) noexcept
      : raw_(std::move(other.raw_)),
        append_(std::move(other.append_)),
        read_(std::move(other.read_)),
        read_fetch_(other.read_fetch_),
        in_flight_(std::exchange(other.in_flight_, nullptr)) {
    other.raw_ = nullptr;
    other.append_ = nullptr;
    other.read_ = nullptr;
  }
  Completion& operator=(Completion&& other) noexcept {
    if (this != &other) {
      FailIfHeld();
      raw_ = std::move(other.raw_);
      append_ = std::move(other.append_);
      read_ = std::move(other.read_);
      read_fetch_ = other.read_fetch_;
      in_flight_ = std::exchange(other.in_flight_, nullptr);
      other.raw_ = nullptr;
      other.append_ = nullptr;
      other.read_ = nullptr;
    }
    return *this;
  }
  ~Completion() { FailIfHeld(); }

  explicit operator bool() const {
    return raw_ != nullptr || append_ != nullptr || read_ != nullptr;
  }

  // Whether this is a typed Fetch (`fetch`) or Read call, which SucceedRead answers.
  bool IsTypedRead(bool fetch) const { return read_ != nullptr && read_fetch_ == fetch; }

  void Fail(const absl::Status& status) {
    if (raw_) return TakeRaw()(status);
    if (append_) return TakeAppend()(status);
    if (read_) return TakeRead()(status);
  }

  // The service's answer to the call's own request.
  void Respond(v1::StoreResponse response) {
    if (raw_) return TakeRaw()(std::move(response));
    if (read_) return RespondRead(response);
    if (!append_) return;
    AppendCallback done = TakeAppend();
    absl::Status status = wire::StatusFromProto(response.status());
    if (!status.ok()) return done(status);
    if (response.result_case() != v1::StoreResponse::kAppend) {
      return done(absl::InternalError(absl::StrCat("store response carries result case ",
                                                   response.result_case(), ", expected ",
                                                   v1::StoreResponse::kAppend)));
    }
    AppendResult result;
    wire::FromProto(response.append(), &result);
    done(std::move(result));
  }

  // A successful Read's or Fetch's result, read from the answer's bytes (wire::ParseReadAnswer);
  // only for a call IsTypedRead says matches.
  void SucceedRead(ReadResult result) { TakeRead()(std::move(result)); }

  // A successful append's result, read from the answer's bytes (wire::ParseAppendAnswer).
  void Succeed(AppendResult result, uint64_t request_id) {
    if (append_) return TakeAppend()(std::move(result));
    if (!raw_) return;
    v1::StoreResponse single;
    single.set_request_id(request_id);
    wire::ToProto(result, single.mutable_append());
    TakeRaw()(std::move(single));
  }

  // The call's outcome inside a MultiAppendResponse (only appends are ever in one).
  void Outcome(v1::AppendOutcome* outcome, uint64_t request_id) {
    if (append_) {
      AppendCallback done = TakeAppend();
      if (outcome->status().code() != 0) return done(wire::StatusFromProto(outcome->status()));
      AppendResult result;
      wire::FromProto(outcome->append(), &result);
      return done(std::move(result));
    }
    if (!raw_) return;
    v1::StoreResponse single;
    single.set_request_id(request_id);
    if (outcome->status().code() != 0) {
      single.mutable_status()->Swap(outcome->mutable_status());
    } else {
      single.mutable_append()->Swap(outcome->mutable_append());
    }
    TakeRaw()(std::move(single));
  }

 private:
  void RespondRead(const v1::StoreResponse& response) {
    StoreClient::Callback<ReadResult> done = TakeRead();
    absl::Status status = wire::StatusFromProto(response.status());
    if (!status.ok()) return done(status);
    const auto expected = read_fetch_ ? v1::StoreResponse::kFetch : v1::StoreResponse::kRead;
    if (response.result_case() != expected) {
      return done(absl::InternalError(absl::StrCat(
          "store response carries result case ", response.result_case(), ", expected ", expected)));
    }
    ReadResult result;
    wire::FromProto(read_fetch_ ? response.fetch() : response.read(), &result);
    done(std::move(result));
  }

  // A call dropped unanswered (the client closing) fails as closed. The status is built only
  // then: a Completion is moved several times on its way and every moved-from one is destroyed.
  void FailIfHeld() {
    if (*this) Fail(absl::UnavailableError("store client closed"));
  }
  void CountOut() {
    if (in_flight_ != nullptr) std::exchange(in_flight_, nullptr)->fetch_sub(1);
  }
  StoreClient::RawCallback TakeRaw() {
    CountOut();
    StoreClient::RawCallback done = std::move(raw_);
    raw_ = nullptr;
    return done;
  }
  AppendCallback TakeAppend() {
    CountOut();
    AppendCallback done = std::move(append_);
    append_ = nullptr;
    return done;
  }

  StoreClient::Callback<ReadResult> TakeRead() {
    CountOut();
    StoreClient::Callback<ReadResult> done = std::move(read_);
    read_ = nullptr;
    return done;
  }

  StoreClient::RawCallback raw_;
  AppendCallback append_;
  StoreClient::Callback<ReadResult> read_;
  bool read_fetch_ = false;
  std::atomic<int64_t>* in_flight_ = nullptr;  // counted in; null once counted out
};

}  // namespace

// Everything below the public entry points runs on the single network thread.
class StoreClient::Impl {
 public:
  // A call on its way to the socket: a whole frame, or (append) a serialized AppendRequest
  // framed when it is written.
  struct Outgoing {
    uint64_t id;
    std::string bytes;
    bool append;
  };
  // A MultiAppendRequest sent and not answered: the calls of its appends, in order.
  struct MultiCall {
    std::vector<uint64_t> ids;
    std::vector<Outgoing> probe;  // the appends themselves, while the server is being probed
  };
  absl::flat_hash_map<uint64_t, MultiCall> multis_;  // by the frame's request id
  // Whether the server of this connection takes MultiAppendRequest; learnt from the answer
  // to the first one sent (a server that predates it answers INVALID_ARGUMENT).
  enum class MultiAppendSupport { kUnknown, kYes, kNo };

  Impl(const StoreClientOptions& options, std::shared_ptr<asio::ssl::context> tls_context)
      : options_(options),
        tls_context_(std::move(tls_context)),
        address_(absl::StrCat(options.host, ":", options.port)),
        work_(asio::make_work_guard(io_)),
        socket_(io_),
        resolver_(io_),
        connect_timer_(io_),
        backoff_timer_(io_),
        deadline_timer_(io_),
        backoff_(options.initial_backoff, options.max_backoff, Backoff::Jitter::kEqual) {}

  void Start() {
    thread_ = StartNamedThread("em-store-client", [this] { io_.run(); });
    asio::post(io_, [this] {
      io_thread_id_.store(std::this_thread::get_id());
      if (state_ == State::kIdle) Connect();
    });
  }

  void Shutdown() {
    // From a callback it would wait for its own thread (deadlock / self-join): refuse loudly.
    LOG_IF(FATAL, OnNetworkThread())
        << "StoreClient destroyed from one of its own callbacks (on its network thread); "
           "destroy it from another thread";
    if (closed_.exchange(true)) return;
    std::promise<void> done;
    asio::post(io_, [this, &done] {
      state_ = State::kClosed;
      ++gen_;
      CloseSocket();
      boost::system::error_code ec;
      connect_timer_.cancel();
      backoff_timer_.cancel();
      resolver_.cancel();
      FailAll(absl::UnavailableError("store client closed"));
      done.set_value();
    });
    done.get_future().wait();
    work_.reset();
    io_.stop();
    thread_.join();
    // The TLS layer's timers belong to io_'s services: let go of it while they exist (io_ is
    // destroyed before this member; handlers still queued release their copies with io_).
    tls_.reset();
  }

  // Any thread. `callback` is a RawCallback or a ReadCall.
  template <typename Callback>
  void Send(v1::StoreRequest request, absl::Duration timeout, Callback callback) {
    Completion done = Admit(std::move(callback));
    if (!done) return;
    const uint64_t id = next_id_.fetch_add(1);
    request.set_request_id(id);
    std::string frame;
    absl::Status encoded = EncodeFrame(request, &frame, options_.max_frame_size);
    if (!encoded.ok()) {
      done.Fail(absl::InvalidArgumentError(absl::StrCat("request too large: ", encoded.message())));
      return;
    }
    Post(Outgoing{id, std::move(frame), /*append=*/false}, timeout, std::move(done));
  }

  // Any thread. An Append whose serialized AppendRequest is `append`: framed on the network
  // thread, alone or with the other appends queued behind it (MultiAppendRequest).
  void SendAppend(std::string append, absl::Duration timeout, Completion::AppendCallback callback) {
    Completion done = Admit(std::move(callback));
    if (!done) return;
    if (append.size() + kMultiAppendOverhead > options_.max_frame_size) {
      done.Fail(absl::InvalidArgumentError(
          absl::StrCat("request too large: an append of ", append.size(),
                       " bytes exceeds the frame limit of ", options_.max_frame_size, " bytes")));
      return;
    }
    Post(Outgoing{next_id_.fetch_add(1), std::move(append), /*append=*/true}, timeout,
         std::move(done));
  }

  // Counts a new call against max_calls_in_flight: its Completion (which counts it out when it
  // answers), or an empty one after answering at once when the client is closed or full.
  template <typename Callback>
  Completion Admit(Callback callback) {
    if (closed_.load()) {
      callback(absl::UnavailableError("store client closed"));
      return Completion();
    }
    if (in_flight_.fetch_add(1) >= options_.max_calls_in_flight) {
      in_flight_.fetch_sub(1);
      callback(absl::ResourceExhaustedError(
          absl::StrCat("store client has ", options_.max_calls_in_flight, " calls in flight")));
      return Completion();
    }
    return Completion(std::move(callback), &in_flight_);
  }

  // Hands an admitted call to the network thread. If the handler is destroyed without running
  // (racing the client's shutdown, which stops the io_context), its Completion answers the
  // call, so no caller waits forever.
  void Post(Outgoing out, absl::Duration timeout, Completion done) {
    asio::post(io_, [this, out = std::move(out), timeout, done = std::move(done)]() mutable {
      OnCall(std::move(out), timeout, std::move(done));
    });
  }

  bool OnNetworkThread() const { return std::this_thread::get_id() == io_thread_id_.load(); }
  bool connected() const { return connected_.load(); }
  const StoreClientOptions& options() const { return options_; }
  const std::string& address() const { return address_; }

 private:
  enum class State { kIdle, kConnecting, kConnected, kBackoff, kClosed };

  using Clock = std::chrono::steady_clock;

  struct Pending {
    Completion done;
    absl::Duration timeout;
    Clock::time_point deadline;
  };

  // When a call's deadline passes: (deadline, request id), earliest on top.
  using Deadline = std::pair<Clock::time_point, uint64_t>;

  void OnCall(Outgoing out, absl::Duration timeout, Completion done) {
    if (state_ == State::kClosed) {
      done.Fail(absl::UnavailableError("store client closed"));
      return;
    }
    const uint64_t id = out.id;
    const Clock::time_point now = Clock::now();
    const std::chrono::nanoseconds wait = std::max(ToChrono(timeout), std::chrono::nanoseconds(0));
    const Clock::time_point deadline =
        wait < Clock::time_point::max() - now ? now + wait : Clock::time_point::max();
    pending_.emplace(id, Pending{std::move(done), timeout, deadline});
    AddDeadline(deadline, id);
    if (state_ == State::kConnected) {
      Queue(std::move(out));
      DoWrite();
      return;
    }
    unsent_.push_back(std::move(out));
    if (state_ == State::kIdle) Connect();
  }

  // Called with the call already in pending_. Call deadlines share one timer: a heap of (deadline,
  // id), the timer armed at the earliest. An answered call's entry stays in the heap until it
  // reaches the top or the heap is rebuilt from the calls still pending (when it holds more than
  // twice as many), so answering a call costs nothing here and calls with equal timeouts never
  // re-arm the timer.
  void AddDeadline(Clock::time_point deadline, uint64_t id) {
    deadlines_.emplace_back(deadline, id);
    std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    if (deadlines_.size() > 2 * pending_.size() + kDeadlineSlack) {
      deadlines_.clear();
      for (const auto& [pending_id, call] : pending_) {
        deadlines_.emplace_back(call.deadline, pending_id);
      }
      std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    }
    if (deadline < armed_at_) ArmDeadlineTimer(deadline);
  }

  void ArmDeadlineTimer(Clock::time_point at) {
    armed_at_ = at;
    deadline_timer_.expires_at(at);
    deadline_timer_.async_wait([this, at](boost::system::error_code ec) {
      if (ec || at != armed_at_) return;  // re-armed for an earlier deadline, or stopped
      armed_at_ = Clock::time_point::max();
      ExpireDeadlines();
    });
  }

  void ExpireDeadlines() {
    const Clock::time_point now = Clock::now();
    while (!deadlines_.empty()) {
      const auto [deadline, id] = deadlines_.front();
      auto it = pending_.find(id);
      if (it != pending_.end() && deadline > now) break;
      std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
      deadlines_.pop_back();
      if (it == pending_.end()) continue;  // answered already
      Completion callback = std::move(it->second.done);
      const absl::Duration timeout = it->second.timeout;
      pending_.erase(it);
      callback.Fail(absl::DeadlineExceededError(absl::StrCat(
          "store call to ", address_, " timed out after ", absl::FormatDuration(timeout))));
    }
    if (!deadlines_.empty()) ArmDeadlineTimer(deadlines_.front().first);
    MaybeAbandonProbe();
  }

  // A probe none of whose calls is waiting any more (they all timed out) holds back the
  // appends queued behind it for nothing: they go (the next MultiAppend probes again). A late
  // answer to it still tells whether the server takes MultiAppend.
  void MaybeAbandonProbe() {
    if (probe_id_ == 0) return;
    auto it = multis_.find(probe_id_);
    if (it != multis_.end()) {
      for (uint64_t id : it->second.ids) {
        if (pending_.contains(id)) return;
      }
      it->second.probe.clear();
    }
    probe_id_ = 0;
    DoWrite();
  }

  void Connect() {
    state_ = State::kConnecting;
    const uint64_t gen = ++gen_;
    socket_ = tcp::socket(io_);
    resolver_.async_resolve(
        options_.host, std::to_string(options_.port),
        [this, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
          if (gen != gen_) return;
          if (ec) {
            ConnectFailed(ec.message());
            return;
          }
          asio::async_connect(socket_, results,
                              [this, gen](boost::system::error_code ec, const tcp::endpoint&) {
                                if (gen != gen_) return;
                                if (ec) {
                                  connect_timer_.cancel();
                                  ConnectFailed(ec.message());
                                } else if (tls_context_ != nullptr) {
                                  StartTls(gen);  // connect_timer_ bounds the handshake too
                                } else {
                                  connect_timer_.cancel();
                                  Connected();
                                }
                              });
        });
    connect_timer_.expires_after(ToChrono(options_.connect_timeout));
    connect_timer_.async_wait([this, gen](boost::system::error_code ec) {
      if (ec || gen != gen_ || state_ != State::kConnecting) return;
      ConnectFailed(
          absl::StrCat("timed out after ", absl::FormatDuration(options_.connect_timeout)));
    });
  }

  void StartTls(uint64_t gen) {
    tls_ = std::make_shared<asio::ssl::stream<tcp::socket&>>(socket_, *tls_context_);
    net::ExpectPeerName(tls_->native_handle(), options_.tls->server_name.empty()
                                                   ? options_.host
                                                   : options_.tls->server_name);
    tls_->async_handshake(
        asio::ssl::stream_base::client, [this, gen, stream = tls_](boost::system::error_code ec) {
          if (gen != gen_) return;
          connect_timer_.cancel();
          if (ec) {
            ConnectFailed(absl::StrCat("TLS handshake failed: ",
                                       net::HandshakeFailure(stream->native_handle(), ec)));
            return;
          }
          Connected();
        });
  }

  void ConnectFailed(const std::string& reason) {
    ++gen_;
    CloseSocket();
    resolver_.cancel();
    state_ = State::kBackoff;
    VLOG(1) << "store client: cannot connect to " << address_ << ": " << reason;
    FailAll(absl::UnavailableError(
        absl::StrCat("cannot connect to store at ", address_, ": ", reason)));
    ScheduleReconnect();
  }

  void Connected() {
    state_ = State::kConnected;
    connected_.store(true);
    backoff_.Reset();
    decoder_ = std::make_shared<FrameDecoder>(options_.max_frame_size);
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    DoRead(gen_);
    if (!options_.token.empty()) {
      // First on the connection: the service handles frames in order, so the calls pipelined
      // behind it are already authenticated.
      v1::StoreRequest authenticate;
      authenticate.set_request_id(kAuthenticateRequestId);
      authenticate.mutable_authenticate()->set_token(options_.token);
      std::string frame;
      (void)EncodeFrame(authenticate, &frame, options_.max_frame_size);
      write_queue_.push_back(Outgoing{kAuthenticateRequestId, std::move(frame), false});
    }
    for (Outgoing& out : unsent_) {
      if (pending_.contains(out.id)) Queue(std::move(out));
    }
    unsent_.clear();
    DoWrite();
  }

  void ConnectionLost(const std::string& reason) {
    ++gen_;
    connected_.store(false);
    CloseSocket();
    LOG(WARNING) << "store client: connection to " << address_ << " lost: " << reason;
    FailAll(absl::UnavailableError(
        absl::StrCat("connection to store at ", address_, " lost: ", reason)));
    state_ = State::kBackoff;
    ScheduleReconnect();
  }

  // The service refused the token: the calls waiting fail with UNAUTHENTICATED (not retried).
  void AuthenticationRefused(const std::string& why) {
    ++gen_;
    connected_.store(false);
    CloseSocket();
    const std::string message = absl::StrCat("store at ", address_, " refused the token: ", why);
    LOG(WARNING) << "store client: " << message;
    FailAll(absl::UnauthenticatedError(message));
    state_ = State::kBackoff;
    ScheduleReconnect();
  }

  void ScheduleReconnect() {
    backoff_timer_.expires_after(ToChrono(backoff_.Next()));
    backoff_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || state_ != State::kBackoff) return;
      if (unsent_.empty()) {
        state_ = State::kIdle;  // the next call connects at once
      } else {
        Connect();
      }
    });
  }

  void CloseSocket() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    connected_.store(false);
    writing_ = false;
    write_queue_.clear();
    append_queue_.clear();
  }

  void FailAll(const absl::Status& status) {
    absl::flat_hash_map<uint64_t, Pending> pending;
    pending.swap(pending_);
    deadlines_.clear();
    armed_at_ = Clock::time_point::max();
    deadline_timer_.cancel();
    unsent_.clear();
    // The next connection may reach another server: it is probed again.
    multis_.clear();
    multi_append_ = MultiAppendSupport::kUnknown;
    probe_id_ = 0;
    for (auto& [id, call] : pending) call.done.Fail(status);
  }

  // Reads straight into the connection's decoder (no copy of the bytes), which the pending
  // read keeps alive: a later connection gets a decoder of its own.
  void DoRead(uint64_t gen) {
    auto buffer = asio::buffer(decoder_->PrepareAppend(kReadBufferSize), kReadBufferSize);
    auto on_read = [this, gen, stream = tls_, decoder = decoder_](boost::system::error_code ec,
                                                                  size_t n) {
      if (gen != gen_) return;
      if (ec) {
        ConnectionLost(ec == asio::error::eof ? "closed by the server" : ec.message());
        return;
      }
      OnRead(gen, n);
    };
    if (tls_ != nullptr) {
      tls_->async_read_some(buffer, std::move(on_read));
    } else {
      socket_.async_read_some(buffer, std::move(on_read));
    }
  }

  void OnRead(uint64_t gen, size_t n) {
    absl::Status fed = decoder_->CommitAppend(n);
    if (!fed.ok()) {
      ConnectionLost(std::string(fed.message()));
      return;
    }
    for (;;) {
      absl::StatusOr<std::optional<absl::string_view>> next = decoder_->Next();
      if (!next.ok() || !next->has_value()) break;
      // Appends that all succeeded, read straight from the bytes; anything else (errors, other
      // calls, an answer not matching its call) through the protobuf library below.
      if (wire::ParseAppendAnswer(**next, &answer_) && OnAppendAnswer()) {
        if (gen != gen_) return;
        continue;
      }
      if (wire::ParseReadAnswer(**next, &read_answer_) && OnReadAnswer()) {
        if (gen != gen_) return;
        continue;
      }
      absl::StatusOr<v1::StoreResponse> response = DecodeMessage<v1::StoreResponse>(**next);
      if (!response.ok()) {
        ConnectionLost("malformed response frame");
        return;
      }
      if (response->request_id() == kAuthenticateRequestId) {
        if (response->status().code() != 0) {
          AuthenticationRefused(response->status().message());
          return;
        }
        continue;
      }
      if (auto multi = multis_.find(response->request_id()); multi != multis_.end()) {
        const uint64_t frame_id = multi->first;
        MultiCall call = std::move(multi->second);
        multis_.erase(multi);
        OnMultiAppendAnswered(frame_id, std::move(call), *std::move(response));
        if (gen != gen_) return;
        continue;
      }
      auto it = pending_.find(response->request_id());
      if (it == pending_.end()) {
        // Timed out already, or an error the server could not attribute (request_id 0).
        if (response->request_id() == 0) {
          LOG(WARNING) << "store client: server error without request id: "
                       << response->status().message();
        }
        continue;
      }
      Completion done = std::move(it->second.done);
      pending_.erase(it);
      done.Respond(*std::move(response));
      if (gen != gen_) return;  // the callback cannot close, but stay safe
    }
    DoRead(gen);
  }

  void Queue(Outgoing out) {
    if (out.append) {
      append_queue_.push_back(std::move(out));
    } else {
      write_queue_.push_back(std::move(out));
    }
  }

  void DoWrite() {
    if (writing_ || state_ != State::kConnected) return;
    auto frames = std::make_shared<std::vector<std::string>>();
    // Whole frames first (the Authenticate request, when there is one, is the first of them).
    // A call that timed out (or failed) before its frame left is never sent: its caller was
    // told DeadlineExceeded, so it must not be applied behind the caller's back.
    while (!write_queue_.empty() && frames->size() < kMaxFramesPerWrite) {
      Outgoing& head = write_queue_.front();
      if (head.id == kAuthenticateRequestId || pending_.contains(head.id)) {
        frames->push_back(std::move(head.bytes));
      }
      write_queue_.pop_front();
    }
    // Then appends, unless a first MultiAppend is waiting for its answer (see probe_id_).
    while (!append_queue_.empty() && frames->size() < kMaxFramesPerWrite && probe_id_ == 0) {
      if (!pending_.contains(append_queue_.front().id)) {
        append_queue_.pop_front();
        continue;
      }
      frames->push_back(TakeAppends());
    }
    if (frames->empty()) return;
    writing_ = true;
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(frames->size());
    for (const std::string& f : *frames) buffers.push_back(asio::buffer(f));
    const uint64_t gen = gen_;
    auto written = [this, gen, frames, stream = tls_](boost::system::error_code ec, size_t) {
      if (gen != gen_) return;
      writing_ = false;
      if (ec) {
        ConnectionLost(absl::StrCat("write failed: ", ec.message()));
        return;
      }
      DoWrite();
    };
    if (tls_ != nullptr) {
      asio::async_write(*tls_, buffers, std::move(written));
    } else {
      asio::async_write(socket_, buffers, std::move(written));
    }
  }

  // Frames the appends at the head of the write queue (the head is a pending append): every
  // pending append queued there, up to kMaxAppendsPerFrame and kMaxMultiAppendBytes, in one
  // MultiAppendRequest; a lone append (or any, against a server without MultiAppend) as an
  // AppendRequest of its own.
  std::string TakeAppends() {
    std::vector<Outgoing> run;
    size_t payload = 0;
    const size_t limit = multi_append_ == MultiAppendSupport::kNo || !options_.coalesce_appends
                             ? 1
                             : kMaxAppendsPerFrame;
    while (!append_queue_.empty() && run.size() < limit) {
      Outgoing& next = append_queue_.front();
      if (!pending_.contains(next.id)) {
        append_queue_.pop_front();
        continue;
      }
      const size_t size = next.bytes.size() + kMultiAppendOverhead;
      if (!run.empty() &&
          (payload + size > options_.max_frame_size || payload + size > kMaxMultiAppendBytes)) {
        break;
      }
      payload += size;
      run.push_back(std::move(next));
      append_queue_.pop_front();
    }
    std::string frame;
    if (run.size() == 1) {
      AppendAppendFrame(run[0].id, run[0].bytes, &frame);
      return frame;
    }
    const uint64_t frame_id = next_id_.fetch_add(1);
    AppendMultiAppendFrame(frame_id, run, &frame);
    MultiCall& call = multis_[frame_id];
    call.ids.reserve(run.size());
    for (const Outgoing& out : run) call.ids.push_back(out.id);
    if (multi_append_ == MultiAppendSupport::kUnknown) {
      // The first one on this connection: keep the appends to send them one by one should
      // the server not know MultiAppend, and send no append behind it until it is answered,
      // so a resend cannot overtake later appends (other requests still go).
      call.probe = std::move(run);
      probe_id_ = frame_id;
    }
    return frame;
  }

  // One frame holding StoreRequest{request_id: id, multi_append: {appends: <each of run>}}.
  static void AppendMultiAppendFrame(uint64_t id, const std::vector<Outgoing>& run,
                                     std::string* out) {
    size_t body = 0;
    for (const Outgoing& append : run) {
      body += VarintSize(kAppendsTag) + VarintSize(append.bytes.size()) + append.bytes.size();
    }
    const size_t payload =
        1 + VarintSize(id) + VarintSize(kMultiAppendTag) + VarintSize(body) + body;
    out->reserve(out->size() + 4 + payload);
    AppendBigEndian32(static_cast<uint32_t>(payload), out);
    AppendVarint(kRequestIdTag, out);
    AppendVarint(id, out);
    AppendVarint(kMultiAppendTag, out);
    AppendVarint(body, out);
    for (const Outgoing& append : run) {
      AppendVarint(kAppendsTag, out);
      AppendVarint(append.bytes.size(), out);
      out->append(append.bytes);
    }
  }

  void OnMultiAppendAnswered(uint64_t frame_id, MultiCall call, v1::StoreResponse response) {
    absl::Status status = wire::StatusFromProto(response.status());
    const bool has_outcomes = response.result_case() == v1::StoreResponse::kMultiAppend;
    const int result_case = response.result_case();
    auto* outcomes = response.mutable_multi_append()->mutable_outcomes();
    OnMultiAppendAnswered(frame_id, std::move(call), std::move(status), has_outcomes, result_case,
                          static_cast<size_t>(outcomes->size()),
                          [outcomes](size_t i, uint64_t id, Completion& done) {
                            done.Outcome(outcomes->Mutable(static_cast<int>(i)), id);
                          });
  }

  // The fast path's answer (wire::ParseAppendAnswer: every append succeeded). False, having
  // done nothing, when it does not match its call: the protobuf path then reports that.
  bool OnAppendAnswer() {
    const uint64_t id = answer_.request_id;
    if (answer_.multi) {
      auto multi = multis_.find(id);
      if (multi == multis_.end()) return false;
      MultiCall call = std::move(multi->second);
      multis_.erase(multi);
      std::vector<AppendResult>& results = answer_.results;
      OnMultiAppendAnswered(id, std::move(call), absl::OkStatus(), /*has_outcomes=*/true,
                            v1::StoreResponse::kMultiAppend, results.size(),
                            [&results](size_t i, uint64_t call_id, Completion& done) {
                              done.Succeed(std::move(results[i]), call_id);
                            });
      return true;
    }
    if (id == 0 || id == kAuthenticateRequestId || multis_.contains(id)) return false;
    auto it = pending_.find(id);
    if (it == pending_.end()) return true;  // timed out already
    Completion done = std::move(it->second.done);
    pending_.erase(it);
    done.Succeed(std::move(answer_.results.front()), id);
    return true;
  }

  // The fast path's answer to a Read or Fetch (wire::ParseReadAnswer: a success). False, having
  // done nothing, when it does not match a typed call of its kind: the protobuf path then
  // answers it.
  bool OnReadAnswer() {
    const uint64_t id = read_answer_.request_id;
    if (id == 0 || id == kAuthenticateRequestId || multis_.contains(id)) return false;
    auto it = pending_.find(id);
    if (it == pending_.end()) return true;  // timed out already
    if (!it->second.done.IsTypedRead(read_answer_.fetch)) return false;
    Completion done = std::move(it->second.done);
    pending_.erase(it);
    done.SucceedRead(std::move(read_answer_.result));
    return true;
  }

  // A MultiAppend's answer: `status` the frame's own (OK when it carries outcomes), `count`
  // outcomes in it; `complete(i, id, done)` completes call i with its outcome.
  template <typename Complete>
  void OnMultiAppendAnswered(uint64_t frame_id, MultiCall call, absl::Status status,
                             bool has_outcomes, int result_case, size_t count, Complete complete) {
    if (multi_append_ == MultiAppendSupport::kUnknown) {
      // Any answer tells (also one to a probe given up on): a server that knows MultiAppend
      // refuses a whole one only beyond 4096 appends, which this client never sends.
      if (status.ok()) multi_append_ = MultiAppendSupport::kYes;
      if (status.code() == absl::StatusCode::kInvalidArgument) {
        LOG(INFO) << "store client: " << address_
                  << " does not take several appends per request; sending one per request";
        multi_append_ = MultiAppendSupport::kNo;
      }
    }
    const bool probe = frame_id == probe_id_;
    if (probe) {
      probe_id_ = 0;
      if (multi_append_ == MultiAppendSupport::kNo) {
        // The server applied none of them: send them one by one, ahead of the appends queued
        // since (none was sent behind the probe).
        for (auto it = call.probe.rbegin(); it != call.probe.rend(); ++it) {
          append_queue_.push_front(std::move(*it));
        }
        DoWrite();
        return;
      }
    }
    if (status.ok() && !has_outcomes) {
      status = absl::InternalError(absl::StrCat("store response carries result case ", result_case,
                                                ", expected ", v1::StoreResponse::kMultiAppend));
    }
    if (status.ok() && count != call.ids.size()) {
      status = absl::InternalError(
          absl::StrCat("store answered ", count, " outcomes to ", call.ids.size(), " appends"));
    }
    for (size_t i = 0; i < call.ids.size(); ++i) {
      auto it = pending_.find(call.ids[i]);
      if (it == pending_.end()) continue;  // timed out meanwhile
      Completion done = std::move(it->second.done);
      pending_.erase(it);
      if (!status.ok()) {
        done.Fail(status);
      } else {
        complete(i, call.ids[i], done);
      }
    }
    if (probe) DoWrite();
  }

  // The request id of the Authenticate request each connection opens with (never a call's).
  static constexpr uint64_t kAuthenticateRequestId = ~uint64_t{0};

  const StoreClientOptions options_;
  const std::shared_ptr<asio::ssl::context> tls_context_;  // nullptr: plain TCP
  // The current connection's TLS layer (a new one per connection; handlers hold the old one).
  std::shared_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  const std::string address_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int64_t> in_flight_{0};  // calls accepted by Send and not yet answered
  std::atomic<bool> closed_{false};
  std::atomic<bool> connected_{false};
  std::atomic<std::thread::id> io_thread_id_{};

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer backoff_timer_;
  asio::steady_timer deadline_timer_;  // armed at armed_at_, see AddDeadline
  std::thread thread_;

  State state_ = State::kIdle;
  uint64_t gen_ = 0;  // bumped per connection attempt/loss; stale handlers compare it
  Backoff backoff_;   // equal jitter, see common/backoff.h
  absl::flat_hash_map<uint64_t, Pending> pending_;
  std::vector<Deadline> deadlines_;  // a min-heap (std::greater), may hold answered calls
  Clock::time_point armed_at_ = Clock::time_point::max();
  static constexpr size_t kDeadlineSlack = 1024;
  std::deque<Outgoing> unsent_;        // waiting for a connection
  std::deque<Outgoing> write_queue_;   // whole frames waiting for the socket
  std::deque<Outgoing> append_queue_;  // appends waiting for the socket, in issue order
  MultiAppendSupport multi_append_ = MultiAppendSupport::kUnknown;
  // The request id of the first MultiAppendRequest while it is unanswered (0: none): no append
  // is sent meanwhile.
  uint64_t probe_id_ = 0;
  bool writing_ = false;
  std::shared_ptr<FrameDecoder> decoder_;  // the connection's; its reads write into it
  wire::AppendAnswer answer_;     // OnRead's scratch for the fast path (its room is reused)
  wire::ReadAnswer read_answer_;  // the same for reads and fetches
};

namespace {

template <typename Res, typename Convert>
StoreClient::RawCallback Adapt(StoreClient::Callback<Res> done,
                               v1::StoreResponse::ResultCase expected, Convert convert) {
  return [done = std::move(done), expected, convert](absl::StatusOr<v1::StoreResponse> response) {
    if (!response.ok()) return done(response.status());
    absl::Status status = wire::StatusFromProto(response->status());
    if (!status.ok()) return done(status);
    if (response->result_case() != expected) {
      return done(
          absl::InternalError(absl::StrCat("store response carries result case ",
                                           response->result_case(), ", expected ", expected)));
    }
    Res out;
    convert(*response, &out);
    done(std::move(out));
  };
}

template <typename Res, typename Start>
absl::StatusOr<Res> Blocking(bool on_network_thread, Start start) {
  if (on_network_thread) {
    return absl::FailedPreconditionError(
        "blocking StoreClient call from a StoreClient callback would deadlock");
  }
  auto promise = std::make_shared<std::promise<absl::StatusOr<Res>>>();
  std::future<absl::StatusOr<Res>> future = promise->get_future();
  start([promise](absl::StatusOr<Res> result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreClient>> StoreClient::Create(
    const StoreClientOptions& options) {
  if (options.host.empty()) return absl::InvalidArgumentError("store client: host is empty");
  if (options.call_timeout <= absl::ZeroDuration() ||
      options.connect_timeout <= absl::ZeroDuration() ||
      options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError(
        "store client: call_timeout, connect_timeout and initial_backoff must be positive and "
        "max_backoff >= initial_backoff");
  }
  if (options.max_calls_in_flight < 1) {
    return absl::InvalidArgumentError("store client: max_calls_in_flight must be >= 1");
  }
  std::shared_ptr<asio::ssl::context> tls;
  if (options.tls.has_value()) {
    auto context = net::MakeClientTlsContext(
        {options.tls->ca_file, options.tls->cert_file, options.tls->key_file});
    if (!context.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("store client: ", context.status().message()));
    }
    tls = *std::move(context);
  }
  auto impl = std::make_shared<Impl>(options, std::move(tls));
  impl->Start();
  return std::unique_ptr<StoreClient>(new StoreClient(std::move(impl)));
}

StoreClient::~StoreClient() { impl_->Shutdown(); }

bool StoreClient::connected() const { return impl_->connected(); }
std::string StoreClient::address() const { return impl_->address(); }

void StoreClient::CallAsync(v1::StoreRequest request, absl::Duration timeout, RawCallback done) {
  impl_->Send(std::move(request), timeout, std::move(done));
}

std::future<absl::StatusOr<v1::StoreResponse>> StoreClient::Call(v1::StoreRequest request,
                                                                 absl::Duration timeout) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<v1::StoreResponse>>>();
  auto future = promise->get_future();
  impl_->Send(std::move(request), timeout,
              [promise](absl::StatusOr<v1::StoreResponse> r) { promise->set_value(std::move(r)); });
  return future;
}

#define EM_CLIENT_OP(Name, field, Req, Res, extra_timeout)                             \
  void StoreClient::Name##Async(const Req& r, Callback<Res> done, CallOptions o) {     \
    v1::StoreRequest request;                                                          \
    absl::Status status = wire::ToProto(r, request.mutable_##field());                 \
    if (!status.ok()) return done(status);                                             \
    const absl::Duration timeout =                                                     \
        o.timeout.value_or(impl_->options().call_timeout) + (extra_timeout);           \
    impl_->Send(std::move(request), timeout,                                           \
                Adapt<Res>(std::move(done), v1::StoreResponse::k##Name,                \
                           [](const v1::StoreResponse& resp, Res* out) {               \
                             wire::FromProto(resp.field(), out);                       \
                           }));                                                        \
  }                                                                                    \
  absl::StatusOr<Res> StoreClient::Name(const Req& r, CallOptions o) {                 \
    return Blocking<Res>(impl_->OnNetworkThread(),                                     \
                         [&](Callback<Res> cb) { Name##Async(r, std::move(cb), o); }); \
  }

EM_CLIENT_OP(CreateTopic, create_topic, CreateTopicRequest, TopicDescription, absl::ZeroDuration())
EM_CLIENT_OP(DescribeTopic, describe_topic, DescribeTopicRequest, TopicDescription,
             absl::ZeroDuration())
EM_CLIENT_OP(ListTopics, list_topics, ListTopicsRequest, ListTopicsResult, absl::ZeroDuration())
EM_CLIENT_OP(DeleteTopic, delete_topic, DeleteTopicRequest, DeleteTopicResult, absl::ZeroDuration())
EM_CLIENT_OP(GetOffsets, get_offsets, OffsetsRequest, OffsetsResult, absl::ZeroDuration())
EM_CLIENT_OP(SeekTime, seek_time, SeekTimeRequest, SeekTimeResult, absl::ZeroDuration())
EM_CLIENT_OP(JoinGroup, join_group, JoinGroupRequest, MemberAssignment, absl::ZeroDuration())
EM_CLIENT_OP(Heartbeat, heartbeat, HeartbeatRequest, MemberAssignment, absl::ZeroDuration())
EM_CLIENT_OP(LeaveGroup, leave_group, LeaveGroupRequest, LeaveGroupResult, absl::ZeroDuration())
EM_CLIENT_OP(DescribeGroup, describe_group, DescribeGroupRequest, GroupDescription,
             absl::ZeroDuration())
EM_CLIENT_OP(CommitOffsets, commit_offsets, CommitOffsetsRequest, CommitOffsetsResult,
             absl::ZeroDuration())
EM_CLIENT_OP(FetchOffsets, fetch_offsets, FetchOffsetsRequest, FetchOffsetsResult,
             absl::ZeroDuration())

#undef EM_CLIENT_OP

// Reads and fetches answer through a typed completion: a successful answer is read straight
// from its bytes (wire::ParseReadAnswer), without a protobuf message between.
void StoreClient::ReadAsync(const ReadRequest& r, Callback<ReadResult> done, CallOptions o) {
  v1::StoreRequest request;
  absl::Status status = wire::ToProto(r, request.mutable_read());
  if (!status.ok()) return done(status);
  impl_->Send(std::move(request), o.timeout.value_or(impl_->options().call_timeout),
              ReadCall{std::move(done), /*fetch=*/false});
}
absl::StatusOr<ReadResult> StoreClient::Read(const ReadRequest& r, CallOptions o) {
  return Blocking<ReadResult>(impl_->OnNetworkThread(),
                              [&](Callback<ReadResult> cb) { ReadAsync(r, std::move(cb), o); });
}
void StoreClient::FetchAsync(const FetchRequest& r, Callback<ReadResult> done, CallOptions o) {
  v1::StoreRequest request;
  absl::Status status = wire::ToProto(r, request.mutable_fetch());
  if (!status.ok()) return done(status);
  const absl::Duration timeout = o.timeout.value_or(impl_->options().call_timeout) +
                                 absl::Milliseconds(std::max<int64_t>(0, r.max_wait_ms));
  impl_->Send(std::move(request), timeout, ReadCall{std::move(done), /*fetch=*/true});
}
absl::StatusOr<ReadResult> StoreClient::Fetch(const FetchRequest& r, CallOptions o) {
  return Blocking<ReadResult>(impl_->OnNetworkThread(),
                              [&](Callback<ReadResult> cb) { FetchAsync(r, std::move(cb), o); });
}

// Appends skip the StoreRequest envelope: the network thread frames them, several at once when
// they queue up (MultiAppendRequest).
void StoreClient::AppendAsync(const AppendRequest& r, Callback<AppendResult> done, CallOptions o) {
  std::string append;  // the AppendRequest's bytes, written without building the message
  absl::Status status = wire::SerializeAppendRequest(r, &append);
  if (!status.ok()) return done(status);
  impl_->SendAppend(std::move(append), o.timeout.value_or(impl_->options().call_timeout),
                    std::move(done));
}

absl::StatusOr<AppendResult> StoreClient::Append(const AppendRequest& r, CallOptions o) {
  return Blocking<AppendResult>(impl_->OnNetworkThread(), [&](Callback<AppendResult> cb) {
    AppendAsync(r, std::move(cb), o);
  });
}

void StoreClient::RunRetentionAsync(Callback<RetentionPassResult> done, CallOptions o) {
  v1::StoreRequest request;
  request.mutable_run_retention();
  impl_->Send(
      std::move(request), o.timeout.value_or(impl_->options().call_timeout),
      Adapt<RetentionPassResult>(std::move(done), v1::StoreResponse::kRunRetention,
                                 [](const v1::StoreResponse& resp, RetentionPassResult* out) {
                                   wire::FromProto(resp.run_retention(), out);
                                 }));
}

absl::StatusOr<RetentionPassResult> StoreClient::RunRetention(CallOptions o) {
  return Blocking<RetentionPassResult>(
      impl_->OnNetworkThread(),
      [&](Callback<RetentionPassResult> cb) { RunRetentionAsync(std::move(cb), o); });
}

}  // namespace eventmesh::store::client
