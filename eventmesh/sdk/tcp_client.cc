#include "eventmesh/sdk/tcp_client.h"

#include <chrono>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "eventmesh/common/backoff.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/redirect_info.h"
#include "eventmesh/protocol/tcp/subscription.h"
#include "eventmesh/sdk/internal/pending_requests.h"
#include "eventmesh/sdk/internal/runtime_discovery.h"
#include "eventmesh/sdk/internal/tcp_messages.h"

namespace eventmesh::sdk {
namespace internal {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::tcp::Command;
using protocol::tcp::CommandName;
using protocol::tcp::Package;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr auto kSweepPeriod = std::chrono::milliseconds(20);

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

absl::Status FromReply(const absl::StatusOr<Package>& reply) {
  if (!reply.ok()) return reply.status();
  return StatusFromReply(reply->header);
}

}  // namespace

// All state behind the public client. Socket, decoder, timers and write_buf_ belong to the
// io thread; everything under mu_ may be touched by any thread. With a registry, lookups during
// reconnects run on a second thread (lookup_io_), since registry calls block; their results
// are posted back to the io thread.
class ClientCore : public std::enable_shared_from_this<ClientCore> {
 public:
  enum class State { kDisconnected, kHandshaking, kReady, kClosing, kClosed };

  explicit ClientCore(TcpClientOptions options)
      : options_(std::move(options)),
        work_(asio::make_work_guard(io_)),
        socket_(io_),
        resolver_(io_),
        connect_timer_(io_),
        heartbeat_timer_(io_),
        sweep_timer_(io_),
        reconnect_timer_(io_),
        backoff_(options_.reconnect_initial_backoff, options_.reconnect_max_backoff),
        lookup_work_(asio::make_work_guard(lookup_io_)),
        host_(options_.host),
        port_(options_.port) {
    next_seq_ = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count() %
                                      1'000'000'000) +
                1'000'000'000;
  }

  ~ClientCore() { StopThread(); }

  absl::Status Start() {
    if (options_.tls.has_value()) {
      auto context = net::MakeClientTlsContext(
          {options_.tls->ca_file, options_.tls->cert_file, options_.tls->key_file});
      if (!context.ok()) return context.status();
      tls_context_ = *std::move(context);
    }
    // With a registry: look the runtimes up on the calling thread (it may block), then try
    // them in order on the io thread.
    std::vector<RuntimeAddress> candidates;
    if (options_.registry.has_value()) {
      auto discovery = RuntimeDiscovery::Create(*options_.registry);
      if (!discovery.ok()) return discovery.status();
      discovery_ = *std::move(discovery);
      auto found = discovery_->Find("tcp");
      {
        absl::MutexLock lock(&mu_);
        ++stats_.registry_lookups;
        if (!found.ok()) ++stats_.registry_lookup_failures;
      }
      if (!found.ok()) return found.status();
      candidates = *std::move(found);
      lookup_thread_ = std::thread([this] { lookup_io_.run(); });
    }
    thread_ = std::thread([this] { io_.run(); });
    io_thread_id_ = thread_.get_id();
    std::promise<absl::Status> connected;
    auto result = connected.get_future();
    asio::post(io_, [this, &connected, candidates = std::move(candidates)] {
      StartSweep();
      auto done = [&connected](absl::Status status) { connected.set_value(std::move(status)); };
      if (candidates.empty()) {
        StartAttempt(std::move(done));
      } else {
        TryCandidates(candidates, 0, std::move(done));
      }
    });
    absl::Status status = result.get();
    if (status.ok() && discovery_ != nullptr && options_.registry->watch) {
      RegistryViewOptions view;
      view.wait = options_.registry->watch_wait;
      view.max_backoff = options_.registry->watch_max_backoff;
      // Runs on the view's thread: hand the snapshot to the io thread.
      discovery_->StartWatching(view, [this](const registry::Snapshot& snapshot) {
        asio::post(io_, [this, snapshot] { OnViewChange(snapshot); });
      });
    }
    if (!status.ok()) {
      Shutdown(absl::CancelledError("client closed"));
      if (discovery_ != nullptr) {
        status = absl::Status(
            status.code(),
            absl::StrCat("no runtime of mesh \"", discovery_->mesh(),
                         "\" could be reached; the last one tried: ", status.message()));
      }
    }
    return status;
  }

  bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id_; }

  absl::Status CheckNotIoThread(absl::string_view what) const {
    if (!OnIoThread()) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat(what,
                     " is a blocking call and cannot run on the client's io thread "
                     "(inside a callback); use the asynchronous form"));
  }

  uint64_t NextSeq() { return next_seq_.fetch_add(1, std::memory_order_relaxed); }

  // Sends `package`. With `done`, waits for the reply with the package's seq (`seq`) for
  // `timeout`. `handshake` allows sending before the connection is ready (HELLO, SUBSCRIBE,
  // LISTEN of a (re)connect); `closing` allows sending while closing (goodbye);
  // `generation` (non-zero) requires that connection. When the package cannot be sent,
  // `done` runs at once on the calling thread with the error.
  absl::Status Send(const Package& package, uint64_t seq, absl::Duration timeout,
                    PendingRequests::Callback done, bool handshake = false, bool closing = false,
                    uint64_t generation = 0) {
    return SendFrame(
        package.header.cmd,
        [&package](std::string* out) {
          return protocol::tcp::EncodePackage(package, protocol::tcp::LengthConvention::kCurrent,
                                              out);
        },
        seq, timeout, std::move(done), handshake, closing, generation);
  }

  // Send for a frame that `encode` appends (the frame of a `cmd` package) to the output.
  absl::Status SendFrame(Command cmd, absl::FunctionRef<absl::Status(std::string*)> encode,
                         uint64_t seq, absl::Duration timeout, PendingRequests::Callback done,
                         bool handshake = false, bool closing = false, uint64_t generation = 0) {
    absl::Status status;
    bool start_write = false;
    {
      absl::MutexLock lock(&mu_);
      // A frame that cannot be encoded is refused as such, connected or not.
      const size_t before = out_.size();
      status = encode(&out_);
      if (status.ok()) {
        status = CheckSendableLocked(handshake, closing, generation);
        if (!status.ok()) out_.resize(before);
      }
      if (status.ok()) {
        if (done) {
          pending_.Add(seq, cmd, absl::Now() + timeout, std::move(done));
        }
        if (!writing_) writing_ = start_write = true;
      }
    }
    if (!status.ok()) {
      if (done) done(status);
      return status;
    }
    if (start_write) asio::post(io_, [this] { DoWrite(); });
    return absl::OkStatus();
  }

  absl::Status SendAndWait(const Package& package, uint64_t seq, absl::Duration timeout) {
    std::promise<absl::Status> promise;
    auto future = promise.get_future();
    (void)Send(package, seq, timeout,
               [&promise](absl::StatusOr<Package> reply) { promise.set_value(FromReply(reply)); });
    return future.get();
  }

  void SendMessage(Command cmd, const Event& event, absl::Duration timeout,
                   PendingRequests::Callback done) {
    const uint64_t seq = NextSeq();
    char seq_text[absl::numbers_internal::kFastToBufferSize];
    const absl::string_view seq_view(
        seq_text, absl::numbers_internal::FastIntToBuffer(seq, seq_text) - seq_text);
    // The frame is written straight into the output; a message that cannot be sent is
    // refused there (`done` then runs with the error).
    (void)SendFrame(
        cmd, [&](std::string* out) { return AppendMessageFrame(cmd, seq_view, event, out); }, seq,
        timeout, std::move(done));
  }

  // Sends an ack or reply for a delivery of connection `generation` (no reply expected).
  absl::Status SendOneWay(const Package& package, uint64_t generation) {
    return Send(package, 0, absl::ZeroDuration(), nullptr, /*handshake=*/false,
                /*closing=*/true, generation);
  }

  // Sends the acknowledgement `cmd` of the push with `seq` on connection `generation`: the
  // frame of BuildControlPackage(cmd, seq), written without building the package.
  absl::Status SendAck(Command cmd, absl::string_view seq, uint64_t generation) {
    return SendFrame(
        cmd,
        [&](std::string* out) {
          return protocol::tcp::EncodeReply(
              cmd, protocol::tcp::OpStatus::kSuccess, "",
              seq.empty() ? std::nullopt : std::optional<absl::string_view>(seq),
              protocol::tcp::LengthConvention::kCurrent, out);
        },
        0, absl::ZeroDuration(), nullptr, /*handshake=*/false, /*closing=*/true, generation);
  }

  absl::Status Close() {
    absl::Status on_io = CheckNotIoThread("Close");
    if (!on_io.ok()) return on_io;
    bool send_goodbye = false;
    {
      absl::MutexLock lock(&mu_);
      if (state_ == State::kClosed || state_ == State::kClosing) {
        // A concurrent or earlier Close; the thread is stopped below (idempotent).
      } else {
        send_goodbye = state_ == State::kReady;
        state_ = State::kClosing;
      }
    }
    absl::Status result = absl::OkStatus();
    if (send_goodbye) {
      const uint64_t seq = NextSeq();
      Package goodbye = BuildControlPackage(Command::kClientGoodbyeRequest, absl::StrCat(seq));
      std::promise<absl::Status> promise;
      auto future = promise.get_future();
      (void)Send(
          goodbye, seq, options_.request_timeout,
          [&promise](absl::StatusOr<Package> reply) { promise.set_value(FromReply(reply)); },
          /*handshake=*/false, /*closing=*/true);
      result = future.get();
    }
    Shutdown(absl::CancelledError("client closed"));
    return result;
  }

  void SetHandler(EventHandler handler) {
    auto shared = std::make_shared<const EventHandler>(std::move(handler));
    absl::MutexLock lock(&mu_);
    handler_ = std::move(shared);
  }

  absl::Status Subscribe(const protocol::tcp::SubscriptionItem& item) {
    {
      absl::MutexLock lock(&mu_);
      RememberLocked(item);
    }
    const uint64_t seq = NextSeq();
    protocol::tcp::Subscription body;
    body.topic_list.push_back(item);
    absl::Status status = SendAndWait(
        BuildControlPackage(Command::kSubscribeRequest, absl::StrCat(seq), body.ToJson()), seq,
        options_.request_timeout);
    if (!status.ok()) {
      absl::MutexLock lock(&mu_);
      ForgetLocked(item.topic);
    }
    return status;
  }

  absl::Status Unsubscribe(const std::string& topic) {
    protocol::tcp::Subscription body;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& item : subscriptions_) {
        if (item.topic == topic) body.topic_list.push_back(item);
      }
      if (body.topic_list.empty()) {
        return absl::NotFoundError(absl::StrCat("not subscribed to topic \"", topic, "\""));
      }
      ForgetLocked(topic);
    }
    const uint64_t seq = NextSeq();
    return SendAndWait(
        BuildControlPackage(Command::kUnsubscribeRequest, absl::StrCat(seq), body.ToJson()), seq,
        options_.request_timeout);
  }

  absl::Status Listen() {
    {
      absl::MutexLock lock(&mu_);
      listening_ = true;
    }
    const uint64_t seq = NextSeq();
    absl::Status status =
        SendAndWait(BuildControlPackage(Command::kListenRequest, absl::StrCat(seq)), seq,
                    options_.request_timeout);
    if (!status.ok()) {
      absl::MutexLock lock(&mu_);
      listening_ = false;
    }
    return status;
  }

  bool connected() const {
    absl::MutexLock lock(&mu_);
    return state_ == State::kReady;
  }

  std::string server_address() const {
    absl::MutexLock lock(&mu_);
    return absl::StrCat(host_, ":", port_);
  }

  ClientStats stats() const {
    ClientStats stats;
    {
      absl::MutexLock lock(&mu_);
      stats = stats_;
    }
    if (discovery_ != nullptr) stats.registry_watch_errors = discovery_->view_stats().errors;
    return stats;
  }

  const TcpClientOptions& options() const { return options_; }

 private:
  absl::Status CheckSendableLocked(bool handshake, bool closing, uint64_t generation) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (generation != 0 && generation != generation_) {
      return absl::UnavailableError("the connection that delivered the event is gone");
    }
    switch (state_) {
      case State::kReady:
        return absl::OkStatus();
      case State::kHandshaking:
        if (handshake || generation != 0) return absl::OkStatus();
        break;
      case State::kClosing:
        if (closing) return absl::OkStatus();
        return absl::CancelledError("client is closing");
      case State::kClosed:
        return absl::CancelledError("client closed");
      case State::kDisconnected:
        break;
    }
    return absl::UnavailableError(absl::StrCat("not connected to ", host_, ":", port_,
                                               options_.auto_reconnect ? " (reconnecting)" : ""));
  }

  void RememberLocked(const protocol::tcp::SubscriptionItem& item)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& existing : subscriptions_) {
      if (existing.topic == item.topic) {
        existing = item;
        return;
      }
    }
    subscriptions_.push_back(item);
  }

  void ForgetLocked(const std::string& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = subscriptions_.begin(); it != subscriptions_.end(); ++it) {
      if (it->topic == topic) {
        subscriptions_.erase(it);
        return;
      }
    }
  }

  // ---- io thread ----------------------------------------------------------------------

  void DoWrite() {
    {
      absl::MutexLock lock(&mu_);
      if (tls_ != nullptr && !tls_ready_) {  // the TLS handshake's end sends HELLO
        writing_ = false;
        return;
      }
      if (out_.empty() || !socket_.is_open()) {
        writing_ = false;
        out_.clear();
        return;
      }
      write_buf_.swap(out_);
      out_.clear();
    }
    const uint64_t gen = io_generation_;
    // The handler holds the TLS stream so it outlives the operation (a reconnect replaces tls_).
    auto written = [this, gen, stream = tls_](const boost::system::error_code& ec, size_t) {
      write_buf_.clear();
      if (ec) OnConnectionLost(gen, absl::StrCat("write failed: ", ec.message()));
      DoWrite();
    };
    if (tls_ != nullptr) {
      asio::async_write(*tls_, asio::buffer(write_buf_), std::move(written));
    } else {
      asio::async_write(socket_, asio::buffer(write_buf_), std::move(written));
    }
  }

  void DoRead(uint64_t gen) {
    char* buffer = decoder_->PrepareAppend(kReadChunk);
    auto on_read = [this, gen, stream = tls_](const boost::system::error_code& ec, size_t n) {
      if (gen != io_generation_) return;
      if (ec) {
        OnConnectionLost(
            gen, ec == asio::error::eof ? "connection closed by the runtime" : ec.message());
        return;
      }
      decoder_->CommitAppend(n);
      while (true) {
        // Pushes are parsed where the decoder holds them; one DecodedPackage is reused for all.
        auto next = decoder_->NextInto(&decoded_, [](Command cmd) {
          return cmd == Command::kAsyncMessageToClient ||
                 cmd == Command::kBroadcastMessageToClient || cmd == Command::kRequestToClient;
        });
        if (!next.ok()) {
          OnConnectionLost(
              gen, absl::StrCat("undecodable frame from the runtime: ", next.status().message()));
          return;
        }
        if (!*next) break;
        HandlePackage(gen, decoded_.package, decoded_.body());
        if (gen != io_generation_) return;
      }
      DoRead(gen);
    };
    if (tls_ != nullptr) {
      tls_->async_read_some(asio::buffer(buffer, kReadChunk), std::move(on_read));
    } else {
      socket_.async_read_some(asio::buffer(buffer, kReadChunk), std::move(on_read));
    }
  }

  void CompletePending(const Package& package) {
    uint64_t seq = 0;
    if (!package.header.seq.has_value() || !absl::SimpleAtoi(*package.header.seq, &seq)) return;
    std::optional<PendingRequests::Entry> entry;
    {
      absl::MutexLock lock(&mu_);
      entry = pending_.Take(seq);
    }
    if (entry.has_value() && entry->done) entry->done(package);
  }

  // `body` is the package's body (package.body, or where the decoder holds it).
  void HandlePackage(uint64_t gen, Package& package, absl::string_view body) {
    switch (package.header.cmd) {
      case Command::kHelloResponse:
      case Command::kHeartbeatResponse:
      case Command::kSubscribeResponse:
      case Command::kUnsubscribeResponse:
      case Command::kListenResponse:
      case Command::kClientGoodbyeResponse:
      case Command::kAsyncMessageToServerAck:
      case Command::kBroadcastMessageToServerAck:
        CompletePending(package);
        return;
      case Command::kResponseToClient:
        if (package.header.code == 0 && package.header.seq.has_value()) {
          (void)SendAck(Command::kResponseToClientAck, *package.header.seq, gen);
        }
        CompletePending(package);
        return;
      case Command::kAsyncMessageToClient:
      case Command::kBroadcastMessageToClient:
      case Command::kRequestToClient:
        Deliver(gen, package.header, body);
        return;
      case Command::kServerGoodbyeRequest: {
        {
          absl::MutexLock lock(&mu_);
          ++stats_.server_goodbyes;
        }
        OnConnectionLost(gen,
                         absl::StrCat("SERVER_GOODBYE from the runtime: ", package.header.desc));
        return;
      }
      case Command::kRedirectToClient: {
        auto target = protocol::tcp::RedirectInfo::FromJson(package.body);
        if (!target.ok() || target->ip.empty() || target->port <= 0 || target->port > 65535) {
          return;  // Unusable redirect: stay on this connection.
        }
        {
          absl::MutexLock lock(&mu_);
          host_ = target->ip;
          port_ = target->port;
          ++stats_.redirects;
        }
        following_redirect_ = true;
        OnConnectionLost(gen, absl::StrCat("redirected to ", target->ip, ":", target->port),
                         /*immediate=*/true);
        return;
      }
      default:
        return;  // Nothing else is addressed to a client.
    }
  }

  void Deliver(uint64_t gen, const protocol::tcp::Header& header, absl::string_view body) {
    auto event = ParseMessagePackage(header, body);
    std::shared_ptr<const EventHandler> handler;
    {
      absl::MutexLock lock(&mu_);
      if (!event.ok()) {
        ++stats_.undecodable_events;
        return;
      }
      ++stats_.events_received;
      handler = handler_;
    }
    if (handler == nullptr || !*handler) return;  // Not acknowledged: redelivered later.
    auto delivery = std::make_shared<Delivery>(weak_from_this(), gen, std::move(*event));
    (*handler)(delivery);
    if (options_.ack_mode == AckMode::kAuto) delivery->Ack();
  }

  // Closes the connection `gen` (if it is still the current one), fails its pending
  // requests and, when the connection was established, schedules a reconnect.
  void OnConnectionLost(uint64_t gen, const std::string& reason, bool immediate = false) {
    if (gen != io_generation_) return;
    ++io_generation_;
    boost::system::error_code ignored;
    socket_.close(ignored);
    heartbeat_timer_.cancel();
    std::vector<PendingRequests::Entry> failed;
    bool reconnect = false;
    std::string address;
    {
      absl::MutexLock lock(&mu_);
      generation_ = io_generation_;
      address = absl::StrCat(host_, ":", port_);
      reconnect = state_ == State::kReady && options_.auto_reconnect;
      if (state_ == State::kReady || state_ == State::kHandshaking) {
        state_ = State::kDisconnected;
      }
      failed = pending_.TakeAll();
      out_.clear();
    }
    absl::Status status =
        absl::UnavailableError(absl::StrCat("connection to ", address, " lost: ", reason));
    for (auto& entry : failed) {
      if (entry.done) entry.done(status);
    }
    if (reconnect) {
      if (immediate) backoff_.Reset();
      ScheduleReconnect(immediate ? absl::ZeroDuration() : backoff_.Next());
    }
  }

  void ScheduleReconnect(absl::Duration delay) {
    reconnect_timer_.expires_after(ToChrono(delay));
    reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || Closing()) return;
      auto done = [this](absl::Status status) { OnReconnectAttempt(std::move(status)); };
      // A redirect names its target: go there first, and ask the registry otherwise: the live
      // view when it is fresh (no waiting), else a lookup on the helper thread.
      if (discovery_ != nullptr && !following_redirect_) {
        std::string current;
        {
          absl::MutexLock lock(&mu_);
          current = absl::StrCat(host_, ":", port_);
        }
        if (auto in_view = discovery_->FindInView("tcp", current); in_view.has_value()) {
          {
            absl::MutexLock lock(&mu_);
            ++stats_.registry_view_picks;
          }
          TryCandidates(*std::move(in_view), 0, std::move(done));
          return;
        }
        LookupAndAttempt(std::move(done));
      } else {
        StartAttempt(std::move(done));
      }
    });
  }

  void OnReconnectAttempt(absl::Status status) {
    if (status.ok()) {
      backoff_.Reset();
      failed_attempts_ = 0;
      following_redirect_ = false;
      return;
    }
    // A runtime we were redirected to that stays unreachable: go back to the registry or the
    // configured address rather than waiting for a runtime that may be gone for good.
    if (++failed_attempts_ >= kRedirectFallbackAttempts) {
      failed_attempts_ = 0;
      following_redirect_ = false;
      if (discovery_ == nullptr) {
        absl::MutexLock lock(&mu_);
        host_ = options_.host;
        port_ = options_.port;
      }
    }
    if (!Closing()) ScheduleReconnect(backoff_.Next());
  }

  // A new snapshot of the mesh from the live view (io thread). When the runtime this client is
  // connected to was in the previous snapshot and is not in this one (it deregistered: a
  // graceful shutdown, or its lease ran out) and another runtime is registered, the client
  // moves now, as a failover does (HELLO, subscriptions, LISTEN on the next runtime; pushes
  // not acknowledged yet come again from the runtime), instead of waiting for the socket to
  // die. A runtime the view never showed is left alone (the view may lag a lookup).
  void OnViewChange(const registry::Snapshot& snapshot) {
    std::set<std::string> addresses;
    for (const auto& instance : snapshot.instances) {
      if (const registry::Endpoint* tcp = instance.FindEndpoint("tcp")) {
        addresses.insert(absl::StrCat(tcp->host, ":", tcp->port));
      }
    }
    std::set<std::string> previous = std::move(view_addresses_);
    view_addresses_ = addresses;
    std::string current;
    bool ready;
    {
      absl::MutexLock lock(&mu_);
      ++stats_.registry_view_changes;
      stats_.registry_view_runtimes = addresses.size();
      current = absl::StrCat(host_, ":", port_);
      ready = state_ == State::kReady;
    }
    if (!ready || following_redirect_ || !options_.auto_reconnect) return;
    if (previous.count(current) == 0 || addresses.count(current) > 0 || addresses.empty()) return;
    {
      absl::MutexLock lock(&mu_);
      ++stats_.registry_moves;
    }
    OnConnectionLost(io_generation_,
                     absl::StrCat("runtime ", current, " left the registry; moving to another"),
                     /*immediate=*/true);
  }

  // Asks the registry (on the lookup thread) for the runtimes of the mesh, the current
  // address last, and tries them in order on the io thread. When the registry cannot answer,
  // tries the current address again. `done` runs on the io thread with the last result.
  void LookupAndAttempt(std::function<void(absl::Status)> done) {
    std::string current;
    {
      absl::MutexLock lock(&mu_);
      current = absl::StrCat(host_, ":", port_);
    }
    const uint64_t gen = io_generation_;
    asio::post(lookup_io_, [this, gen, current, done = std::move(done)]() mutable {
      auto found = discovery_->Find("tcp", current);
      asio::post(io_, [this, gen, found = std::move(found), done = std::move(done)]() mutable {
        if (gen != io_generation_ || Closing()) return;
        {
          absl::MutexLock lock(&mu_);
          ++stats_.registry_lookups;
          if (!found.ok()) ++stats_.registry_lookup_failures;
        }
        if (!found.ok()) {
          StartAttempt(std::move(done));
          return;
        }
        TryCandidates(*std::move(found), 0, std::move(done));
      });
    });
  }

  // Connects to candidates[i], then the next ones while attempts fail. `done` runs on the io
  // thread with the first success or the last failure.
  void TryCandidates(std::vector<RuntimeAddress> candidates, size_t i,
                     std::function<void(absl::Status)> done) {
    {
      absl::MutexLock lock(&mu_);
      host_ = candidates[i].host;
      port_ = candidates[i].port;
    }
    StartAttempt([this, candidates = std::move(candidates), i,
                  done = std::move(done)](absl::Status status) mutable {
      if (status.ok() || i + 1 >= candidates.size() || Closing()) {
        done(std::move(status));
        return;
      }
      TryCandidates(std::move(candidates), i + 1, std::move(done));
    });
  }

  bool Closing() const {
    absl::MutexLock lock(&mu_);
    return state_ == State::kClosing || state_ == State::kClosed;
  }

  // One connection attempt: resolve, connect, HELLO, re-subscribe, LISTEN. `done` runs on
  // the io thread, unless the client is closed meanwhile.
  void StartAttempt(std::function<void(absl::Status)> done) {
    const uint64_t gen = ++io_generation_;
    std::string host;
    int port;
    {
      absl::MutexLock lock(&mu_);
      generation_ = gen;
      host = host_;
      port = port_;
    }
    boost::system::error_code ignored;
    socket_.close(ignored);
    const std::string address = absl::StrCat(host, ":", port);
    resolver_.async_resolve(
        host, std::to_string(port),
        [this, gen, address, done = std::move(done)](const boost::system::error_code& ec,
                                                     tcp::resolver::results_type results) {
          if (gen != io_generation_) return;
          if (ec) {
            done(absl::UnavailableError(
                absl::StrCat("cannot resolve ", address, ": ", ec.message())));
            return;
          }
          auto timed_out = std::make_shared<bool>(false);
          connect_timer_.expires_after(ToChrono(options_.connect_timeout));
          connect_timer_.async_wait([this, gen, timed_out](const boost::system::error_code& ec) {
            if (ec || gen != io_generation_) return;
            *timed_out = true;
            boost::system::error_code ignored;
            socket_.close(ignored);
          });
          asio::async_connect(socket_, results,
                              [this, gen, address, timed_out, done](
                                  const boost::system::error_code& ec, const tcp::endpoint&) {
                                connect_timer_.cancel();
                                if (gen != io_generation_) return;
                                if (*timed_out) {
                                  done(absl::DeadlineExceededError(absl::StrCat(
                                      "connecting to ", address, " timed out after ",
                                      absl::FormatDuration(options_.connect_timeout))));
                                  return;
                                }
                                if (ec) {
                                  done(absl::UnavailableError(absl::StrCat(
                                      "cannot connect to ", address, ": ", ec.message())));
                                  return;
                                }
                                boost::system::error_code ignored;
                                socket_.set_option(tcp::no_delay(true), ignored);
                                if (tls_context_ != nullptr) {
                                  StartTls(gen, address, done);
                                  return;
                                }
                                OnTransportReady(gen, done);
                              });
        });
  }

  // The connection (and, with TLS, its handshake) is up: read frames and say HELLO.
  void OnTransportReady(uint64_t gen, std::function<void(absl::Status)> done) {
    decoder_ = std::make_unique<protocol::tcp::PackageDecoder>();
    {
      absl::MutexLock lock(&mu_);
      if (state_ == State::kDisconnected) state_ = State::kHandshaking;
    }
    DoRead(gen);
    StartHandshake(gen, done);
  }

  // TLS handshake on the fresh connection; the server must prove it is options_.tls->server_name
  // (or the host connected to). Bounded by connect_timeout.
  void StartTls(uint64_t gen, const std::string& address, std::function<void(absl::Status)> done) {
    std::string host;
    tls_ = std::make_shared<asio::ssl::stream<tcp::socket&>>(socket_, *tls_context_);
    tls_ready_ = false;
    {
      absl::MutexLock lock(&mu_);
      host = host_;
    }
    net::ExpectPeerName(tls_->native_handle(),
                        options_.tls->server_name.empty() ? host : options_.tls->server_name);
    auto timed_out = std::make_shared<bool>(false);
    connect_timer_.expires_after(ToChrono(options_.connect_timeout));
    connect_timer_.async_wait([this, gen, timed_out](const boost::system::error_code& ec) {
      if (ec || gen != io_generation_) return;
      *timed_out = true;
      boost::system::error_code ignored;
      socket_.close(ignored);
    });
    tls_->async_handshake(
        asio::ssl::stream_base::client,
        [this, gen, address, timed_out, done, stream = tls_](const boost::system::error_code& ec) {
          connect_timer_.cancel();
          if (gen != io_generation_) return;
          if (*timed_out) {
            done(absl::DeadlineExceededError(
                absl::StrCat("TLS handshake with ", address, " timed out after ",
                             absl::FormatDuration(options_.connect_timeout))));
            return;
          }
          if (ec) {
            boost::system::error_code ignored;
            socket_.close(ignored);
            done(absl::UnavailableError(
                absl::StrCat("TLS handshake with ", address,
                             " failed: ", net::HandshakeFailure(stream->native_handle(), ec))));
            return;
          }
          tls_ready_ = true;
          OnTransportReady(gen, done);
        });
  }

  void StartHandshake(uint64_t gen, std::function<void(absl::Status)> done) {
    // Runs `done` once; a failure also drops the connection.
    auto finished = std::make_shared<bool>(false);
    auto fail = [this, gen, finished, done](absl::Status status) {
      if (*finished) return;
      *finished = true;
      OnConnectionLost(gen, std::string(status.message()));
      done(std::move(status));
    };
    const uint64_t seq = NextSeq();
    Package hello = BuildControlPackage(Command::kHelloRequest, absl::StrCat(seq),
                                        ToUserAgent(options_).ToJson());
    (void)Send(
        hello, seq, options_.request_timeout,
        [this, gen, finished, fail, done](absl::StatusOr<Package> reply) {
          absl::Status status = FromReply(reply);
          if (!status.ok()) {
            fail(std::move(status));
            return;
          }
          std::vector<protocol::tcp::SubscriptionItem> items;
          bool listen;
          {
            absl::MutexLock lock(&mu_);
            items = subscriptions_;
            listen = listening_;
          }
          auto finish = [this, gen, finished, done] {
            if (*finished) return;
            *finished = true;
            {
              absl::MutexLock lock(&mu_);
              if (state_ == State::kHandshaking) state_ = State::kReady;
              ++stats_.connects;
            }
            StartHeartbeat(gen);
            done(absl::OkStatus());
          };
          auto after_subscribe = [this, listen, fail, finish] {
            if (!listen) {
              finish();
              return;
            }
            const uint64_t seq = NextSeq();
            (void)Send(
                BuildControlPackage(Command::kListenRequest, absl::StrCat(seq)), seq,
                options_.request_timeout,
                [fail, finish](absl::StatusOr<Package> reply) {
                  absl::Status status = FromReply(reply);
                  if (status.ok()) {
                    finish();
                  } else {
                    fail(std::move(status));
                  }
                },
                /*handshake=*/true);
          };
          if (items.empty()) {
            after_subscribe();
            return;
          }
          auto remaining = std::make_shared<size_t>(items.size());
          for (const auto& item : items) {
            protocol::tcp::Subscription body;
            body.topic_list.push_back(item);
            const uint64_t seq = NextSeq();
            (void)Send(
                BuildControlPackage(Command::kSubscribeRequest, absl::StrCat(seq), body.ToJson()),
                seq, options_.request_timeout,
                [remaining, fail, after_subscribe](absl::StatusOr<Package> reply) {
                  absl::Status status = FromReply(reply);
                  if (!status.ok()) {
                    fail(std::move(status));
                    return;
                  }
                  if (--*remaining == 0) after_subscribe();
                },
                /*handshake=*/true);
          }
        },
        /*handshake=*/true);
  }

  void StartHeartbeat(uint64_t gen) {
    heartbeat_timer_.expires_after(ToChrono(options_.heartbeat_interval));
    heartbeat_timer_.async_wait([this, gen](const boost::system::error_code& ec) {
      if (ec || gen != io_generation_) return;
      const uint64_t seq = NextSeq();
      (void)Send(BuildControlPackage(Command::kHeartbeatRequest, absl::StrCat(seq)), seq,
                 options_.request_timeout, [this, gen](absl::StatusOr<Package> reply) {
                   if (!reply.ok() && absl::IsDeadlineExceeded(reply.status())) {
                     asio::post(io_, [this, gen] {
                       OnConnectionLost(gen, "heartbeat not answered within request_timeout");
                     });
                   }
                 });
      StartHeartbeat(gen);
    });
  }

  void StartSweep() {
    sweep_timer_.expires_after(kSweepPeriod);
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      std::vector<PendingRequests::Entry> expired;
      {
        absl::MutexLock lock(&mu_);
        expired = pending_.TakeExpired(absl::Now());
      }
      for (auto& entry : expired) {
        if (entry.done) {
          entry.done(absl::DeadlineExceededError(absl::StrCat(
              "no reply to ", CommandName(entry.cmd), " (seq ", entry.seq, ") in time")));
        }
      }
      StartSweep();
    });
  }

  // Stops everything (any thread but the io thread); pending requests fail with `status`.
  void Shutdown(absl::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (state_ == State::kClosed && !thread_.joinable()) return;
    }
    std::promise<void> stopped;
    auto stopped_future = stopped.get_future();
    asio::post(io_, [this, &stopped, status] {
      ++io_generation_;
      std::vector<PendingRequests::Entry> failed;
      {
        absl::MutexLock lock(&mu_);
        state_ = State::kClosed;
        generation_ = io_generation_;
        failed = pending_.TakeAll();
        out_.clear();
      }
      boost::system::error_code ignored;
      socket_.close(ignored);
      resolver_.cancel();
      connect_timer_.cancel();
      heartbeat_timer_.cancel();
      sweep_timer_.cancel();
      reconnect_timer_.cancel();
      for (auto& entry : failed) {
        if (entry.done) entry.done(status);
      }
      stopped.set_value();
    });
    stopped_future.wait();
    StopThread();
  }

  void StopThread() {
    // The live view stops, and a registry lookup in flight ends now.
    if (discovery_ != nullptr) discovery_->Shutdown();
    if (thread_.joinable()) {
      work_.reset();
      io_.stop();
      thread_.join();
    }
    if (lookup_thread_.joinable()) {
      lookup_work_.reset();
      lookup_io_.stop();
      lookup_thread_.join();
    }
  }

  const TcpClientOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::thread::id io_thread_id_;

  // io thread only.
  tcp::socket socket_;
  // From options_.tls (made by Start); nullptr: plain TCP.
  std::shared_ptr<asio::ssl::context> tls_context_;
  // The TLS layer of the current connection (a new one per connection; handlers in flight hold
  // the old one); nothing is written before its handshake ended (tls_ready_).
  std::shared_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  bool tls_ready_ = false;
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer heartbeat_timer_;
  asio::steady_timer sweep_timer_;
  asio::steady_timer reconnect_timer_;
  std::unique_ptr<protocol::tcp::PackageDecoder> decoder_;
  protocol::tcp::DecodedPackage decoded_;  // the frame being handled (io thread)
  // Set by a REDIRECT_TO_CLIENT until a connection succeeds or the target fails
  // kRedirectFallbackAttempts times; while set, reconnects skip the registry.
  bool following_redirect_ = false;
  std::string write_buf_;
  Backoff backoff_;
  uint64_t io_generation_ = 0;

  // With a registry (set before the threads start, then read-only): the lookups, and the
  // thread they run on during reconnects.
  std::unique_ptr<RuntimeDiscovery> discovery_;
  // The "tcp" addresses of the live view's latest snapshot (io thread only).
  std::set<std::string> view_addresses_;
  asio::io_context lookup_io_;
  asio::executor_work_guard<asio::io_context::executor_type> lookup_work_;
  std::thread lookup_thread_;

  std::atomic<uint64_t> next_seq_{0};

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kDisconnected;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Failed connection attempts in a row (io thread only); after kRedirectFallbackAttempts the
  // client returns from a redirect target to the configured address.
  static constexpr int kRedirectFallbackAttempts = 3;
  int failed_attempts_ = 0;
  std::string host_ ABSL_GUARDED_BY(mu_);
  int port_ ABSL_GUARDED_BY(mu_);
  PendingRequests pending_ ABSL_GUARDED_BY(mu_);
  std::string out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<protocol::tcp::SubscriptionItem> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const EventHandler> handler_ ABSL_GUARDED_BY(mu_);
  ClientStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal

// ---- Delivery -----------------------------------------------------------------------------

Delivery::Delivery(std::weak_ptr<internal::ClientCore> core, uint64_t generation,
                   ReceivedEvent event)
    : core_(std::move(core)), generation_(generation), event_(std::move(event)) {}

void Delivery::Ack() {
  if (acked_.exchange(true)) return;
  auto core = core_.lock();
  auto ack_cmd = AckCommandFor(PushCommandOf(event_.kind));
  if (core == nullptr || !ack_cmd.has_value()) return;
  (void)core->SendAck(*ack_cmd, event_.seq, generation_);
}

bool Delivery::acked() const { return acked_.load(); }

absl::Status Delivery::Reply(Event reply) {
  if (event_.kind != EventKind::kRequest) {
    return absl::FailedPreconditionError("Reply is only for REQUEST_TO_CLIENT deliveries");
  }
  auto core = core_.lock();
  if (core == nullptr) return absl::CancelledError("client closed");
  // Keep the request's properties the reply does not set (correlation data).
  if (auto* message = std::get_if<Message>(&reply)) {
    if (const auto* request = event_.message()) {
      for (const auto& [key, value] : request->properties) message->properties.emplace(key, value);
    }
  } else if (auto* ce = std::get_if<CloudEvent>(&reply)) {
    if (const auto* request = event_.cloud_event()) {
      for (const auto& [key, value] : request->extensions()) {
        if (ce->FindExtension(key) == nullptr) ce->SetExtension(key, value);
      }
    }
  }
  auto package = BuildMessagePackage(protocol::tcp::Command::kResponseToServer, event_.seq, reply);
  if (!package.ok()) return package.status();
  return core->SendOneWay(*package, generation_);
}

// ---- EventMeshTcpClient -------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<EventMeshTcpClient>> EventMeshTcpClient::Connect(
    TcpClientOptions options) {
  absl::Status valid = options.Validate();
  if (!valid.ok()) return valid;
  auto core = std::make_shared<internal::ClientCore>(std::move(options));
  absl::Status started = core->Start();
  if (!started.ok()) return started;
  return std::unique_ptr<EventMeshTcpClient>(new EventMeshTcpClient(std::move(core)));
}

EventMeshTcpClient::EventMeshTcpClient(std::shared_ptr<internal::ClientCore> core)
    : core_(std::move(core)) {}

EventMeshTcpClient::~EventMeshTcpClient() { (void)core_->Close(); }

void EventMeshTcpClient::PublishAsync(const Event& event, StatusCallback done) {
  core_->SendMessage(protocol::tcp::Command::kAsyncMessageToServer, event,
                     core_->options().request_timeout,
                     [done = std::move(done)](absl::StatusOr<protocol::tcp::Package> reply) {
                       done(internal::FromReply(reply));
                     });
}

std::future<absl::Status> EventMeshTcpClient::Publish(const Event& event) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  PublishAsync(event, [promise](absl::Status status) { promise->set_value(std::move(status)); });
  return future;
}

void EventMeshTcpClient::BroadcastAsync(const Event& event, StatusCallback done) {
  core_->SendMessage(protocol::tcp::Command::kBroadcastMessageToServer, event,
                     core_->options().request_timeout,
                     [done = std::move(done)](absl::StatusOr<protocol::tcp::Package> reply) {
                       done(internal::FromReply(reply));
                     });
}

std::future<absl::Status> EventMeshTcpClient::Broadcast(const Event& event) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  BroadcastAsync(event, [promise](absl::Status status) { promise->set_value(std::move(status)); });
  return future;
}

void EventMeshTcpClient::RequestAsync(const Event& event, absl::Duration timeout,
                                      ReplyCallback done) {
  Event request = event;
  const std::string ttl = absl::StrCat(absl::ToInt64Milliseconds(timeout));
  if (auto* message = std::get_if<Message>(&request)) {
    message->properties.emplace(kTtlProperty, ttl);
  } else if (auto* ce = std::get_if<CloudEvent>(&request)) {
    if (ce->FindExtension(kTtlProperty) == nullptr)
      ce->SetExtension(std::string(kTtlProperty), ttl);
  }
  core_->SendMessage(protocol::tcp::Command::kRequestToServer, request, timeout,
                     [done = std::move(done)](absl::StatusOr<protocol::tcp::Package> reply) {
                       absl::Status status = internal::FromReply(reply);
                       if (!status.ok()) {
                         done(status);
                         return;
                       }
                       done(ParseMessagePackage(*reply));
                     });
}

absl::StatusOr<ReceivedEvent> EventMeshTcpClient::Request(const Event& event,
                                                          absl::Duration timeout) {
  absl::Status on_io = core_->CheckNotIoThread("Request");
  if (!on_io.ok()) return on_io;
  std::promise<absl::StatusOr<ReceivedEvent>> promise;
  auto future = promise.get_future();
  RequestAsync(event, timeout, [&promise](absl::StatusOr<ReceivedEvent> reply) {
    promise.set_value(std::move(reply));
  });
  return future.get();
}

void EventMeshTcpClient::SetHandler(EventHandler handler) { core_->SetHandler(std::move(handler)); }

absl::Status EventMeshTcpClient::Subscribe(const std::string& topic, SubscriptionMode mode,
                                           SubscriptionType type) {
  absl::Status on_io = core_->CheckNotIoThread("Subscribe");
  if (!on_io.ok()) return on_io;
  if (topic.empty()) return absl::InvalidArgumentError("topic is required");
  return core_->Subscribe(ToProtocolSubscription(SubscriptionItem{topic, mode, type}));
}

absl::Status EventMeshTcpClient::Unsubscribe(const std::string& topic) {
  absl::Status on_io = core_->CheckNotIoThread("Unsubscribe");
  if (!on_io.ok()) return on_io;
  return core_->Unsubscribe(topic);
}

absl::Status EventMeshTcpClient::Listen() {
  absl::Status on_io = core_->CheckNotIoThread("Listen");
  if (!on_io.ok()) return on_io;
  return core_->Listen();
}

absl::Status EventMeshTcpClient::Close() { return core_->Close(); }

bool EventMeshTcpClient::connected() const { return core_->connected(); }

std::string EventMeshTcpClient::server_address() const { return core_->server_address(); }

ClientStats EventMeshTcpClient::stats() const { return core_->stats(); }

}  // namespace eventmesh::sdk
