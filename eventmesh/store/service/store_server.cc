#include "eventmesh/store/service/store_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/common/bounded_executor.h"
#include "eventmesh/net/acceptor.h"
#include "eventmesh/net/io_thread_pool.h"
#include "eventmesh/protocol/proto/field_count.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/protocol/rpc/frame_codec.h"
#include "eventmesh/store/service/wire_convert.h"
#include "glog/logging.h"
#include "openssl/crypto.h"

namespace eventmesh::store::service {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using protocol::rpc::DecodeMessage;
using protocol::rpc::EncodeFrame;
using protocol::rpc::FrameDecoder;

std::chrono::nanoseconds ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr size_t kMaxFramesPerWrite = 256;

// Cleared (under mu) before the io_context goes away; FetchAsync callbacks fired by the engine
// after that drop their result instead of posting to a dead strand.
struct Liveness {
  absl::Mutex mu;
  bool alive ABSL_GUARDED_BY(mu) = true;
};

void SetError(const absl::Status& status, v1::StoreResponse* response) {
  response->clear_result();
  wire::StatusToProto(status, response->mutable_status());
}

#define EM_HANDLE(CASE, field, EngineRequest, method)                        \
  case v1::StoreRequest::k##CASE: {                                          \
    EngineRequest engine_request;                                            \
    absl::Status status = wire::FromProto(request.field(), &engine_request); \
    if (!status.ok()) return SetError(status, response);                     \
    auto result = store.method(engine_request);                              \
    if (!result.ok()) return SetError(result.status(), response);            \
    wire::ToProto(*result, response->mutable_##field());                     \
    return;                                                                  \
  }

// Runs one request other than fetch against the store (blocking).
void HandleRequest(EventStore& store, const v1::StoreRequest& request,
                   v1::StoreResponse* response) {
  switch (request.op_case()) {
    EM_HANDLE(CreateTopic, create_topic, CreateTopicRequest, CreateTopic)
    EM_HANDLE(DescribeTopic, describe_topic, DescribeTopicRequest, DescribeTopic)
    EM_HANDLE(ListTopics, list_topics, ListTopicsRequest, ListTopics)
    EM_HANDLE(DeleteTopic, delete_topic, DeleteTopicRequest, DeleteTopic)
    EM_HANDLE(Read, read, ReadRequest, Read)
    EM_HANDLE(GetOffsets, get_offsets, OffsetsRequest, GetOffsets)
    EM_HANDLE(SeekTime, seek_time, SeekTimeRequest, SeekTime)
    EM_HANDLE(JoinGroup, join_group, JoinGroupRequest, JoinGroup)
    EM_HANDLE(Heartbeat, heartbeat, HeartbeatRequest, Heartbeat)
    EM_HANDLE(LeaveGroup, leave_group, LeaveGroupRequest, LeaveGroup)
    EM_HANDLE(DescribeGroup, describe_group, DescribeGroupRequest, DescribeGroup)
    EM_HANDLE(CommitOffsets, commit_offsets, CommitOffsetsRequest, CommitOffsets)
    EM_HANDLE(FetchOffsets, fetch_offsets, FetchOffsetsRequest, FetchOffsets)
    case v1::StoreRequest::kRunRetention: {
      auto result = store.RunRetentionOnce();
      if (!result.ok()) return SetError(result.status(), response);
      wire::ToProto(*result, response->mutable_run_retention());
      return;
    }
    case v1::StoreRequest::kAuthenticate:  // handled by the connection
    case v1::StoreRequest::kAppend:        // handled with AppendAsync by the connection
    case v1::StoreRequest::kMultiAppend:   // likewise
    case v1::StoreRequest::kFetch:         // handled with FetchAsync by the connection
    case v1::StoreRequest::OP_NOT_SET:
      break;
  }
  SetError(absl::InternalError("request not dispatchable"), response);
}

#undef EM_HANDLE

class Connection;

// The server's instruments (StoreServerOptions::metrics); every pointer null when off.
struct ServerMetrics {
  static constexpr int kMaxOp = 64;  // op field numbers of StoreRequest are below this
  std::array<metrics::Counter*, kMaxOp> requests{};
  metrics::Counter* request_errors = nullptr;
  metrics::Histogram* append_latency = nullptr;
  metrics::Counter* appended_events = nullptr;
  metrics::Counter* fetched_events = nullptr;

  void Request(int op) const {
    if (op > 0 && op < kMaxOp && requests[op] != nullptr) requests[op]->Increment();
  }
};

int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct StoreServer::Core {
  Core(EventStore* s, const StoreServerOptions& o)
      : store(s),
        options(o),
        pool({o.io_threads, net::IoThreadPool::Model::kShared, "em-store-io"}),
        executor(o.executor_threads, o.max_queued_calls) {}

  void AddInFlight(int64_t delta) {
    absl::MutexLock lock(&mu);
    in_flight += delta;
  }
  bool NoneInFlight() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return in_flight == 0; }
  bool NoConnections() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return connections.empty(); }
  void Unregister(uint64_t id) {
    absl::MutexLock lock(&mu);
    connections.erase(id);
  }

  EventStore* const store;
  const StoreServerOptions options;
  ServerMetrics metrics;
  // One io_context run by io_threads threads; every connection on its own strand.
  net::IoThreadPool pool;
  std::unique_ptr<net::Acceptor> acceptor;  // destroyed before the pool
  std::shared_ptr<Liveness> liveness = std::make_shared<Liveness>();
  std::atomic<bool> stopping{false};

  mutable absl::Mutex mu;
  int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Connection>> connections ABSL_GUARDED_BY(mu);
  uint64_t next_connection_id ABSL_GUARDED_BY(mu) = 1;

  // Last member: destroyed (joined) first, while everything its tasks touch still exists.
  BoundedExecutor executor;
};

namespace {

// One client connection. Every member is touched only on the connection's strand, except the
// constructor and the executor task (which only reads the immutable request and posts back).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(StoreServer::Core* core, tcp::socket socket, uint64_t id, net::ConnectionSlot slot)
      : slot_(std::move(slot)),
        core_(core),
        socket_(std::move(socket)),
        strand_(socket_.get_executor()),
        id_(id),
        decoder_(core->options.max_frame_size),
        handshake_timer_(strand_),
        authenticated_(core->options.token.empty()) {
    boost::system::error_code ec;
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    peer_ = ec ? std::string("unknown peer")
               : absl::StrCat(remote.address().to_string(), ":", remote.port());
    socket_.set_option(tcp::no_delay(true), ec);
    if (core->options.tls) {
      tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *core->options.tls);
    }
  }

  void Start() {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->tls_ || !self->authenticated_) self->StartHandshakeDeadline();
      if (!self->tls_) {
        self->DoRead();
        return;
      }
      self->tls_->async_handshake(
          asio::ssl::stream_base::server,
          asio::bind_executor(self->strand_, [self](boost::system::error_code ec) {
            if (ec) {
              self->CloseNow(absl::StrCat("TLS handshake failed: ", ec.message()),
                             /*warning=*/true);
              return;
            }
            self->tls_done_ = true;
            if (self->authenticated_) self->handshake_timer_.cancel();
            self->DoRead();
          }));
    });
  }

  // Server stop, step 1: no more requests; waiting fetches are answered UNAVAILABLE.
  void BeginStop() {
    asio::post(strand_, [self = shared_from_this()] {
      self->stop_reading_ = true;
      boost::system::error_code ec;
      self->socket_.shutdown(tcp::socket::shutdown_receive, ec);
      const absl::Status status = absl::UnavailableError("store server is shutting down");
      for (const auto& [seq, fetch] : self->pending_fetches_) {
        v1::StoreResponse response;
        response.set_request_id(fetch.request_id);
        SetError(status, &response);
        self->FinishCall(std::move(response), fetch.reserved_bytes);
      }
      self->pending_fetches_.clear();
      self->MaybeClose();
    });
  }

  void ForceClose(std::string reason) {
    asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
      self->CloseNow(reason, /*warning=*/false);
    });
  }

 private:
  void DoRead() {
    if (closed_ || read_closed_ || stop_reading_ || reading_ || paused_) return;
    reading_ = true;
    // Straight into the decoder's buffer (no copy of the bytes); nothing else touches the
    // decoder until the read completes.
    auto buffer = asio::buffer(decoder_.PrepareAppend(kReadBufferSize), kReadBufferSize);
    auto on_read = [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      self->OnRead(ec, n);
    };
    if (tls_) {
      tls_->async_read_some(buffer, asio::bind_executor(strand_, std::move(on_read)));
    } else {
      socket_.async_read_some(buffer, std::move(on_read));
    }
  }

  // Closes the connection unless its TLS handshake and Authenticate are done in time.
  void StartHandshakeDeadline() {
    handshake_timer_.expires_after(ToChrono(core_->options.handshake_timeout));
    handshake_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      if ((self->tls_ && !self->tls_done_) || !self->authenticated_) {
        self->CloseNow(
            absl::StrCat("no ", self->tls_done_ || !self->tls_ ? "Authenticate" : "TLS handshake",
                         " within ", absl::FormatDuration(self->core_->options.handshake_timeout)),
            /*warning=*/true);
      }
    });
  }

  // Authenticate, and every request before it on a service with a token.
  // Returns true when `request` was consumed here.
  bool CheckAuthentication(const v1::StoreRequest& request) {
    const uint64_t id = request.request_id();
    if (request.op_case() == v1::StoreRequest::kAuthenticate) {
      const std::string& expected = core_->options.token;
      const std::string& given = request.authenticate().token();
      if (expected.empty() || (given.size() == expected.size() &&
                               CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0)) {
        authenticated_ = true;
        handshake_timer_.cancel();
        v1::StoreResponse response;
        response.set_request_id(id);
        response.mutable_authenticate();
        QueueResponse(response);
        return true;
      }
      Refuse(id, "invalid store token");
      return true;
    }
    if (authenticated_) return false;
    RefuseUnauthenticated(id);
    return true;
  }

  // Answers a request that has more fields than max_request_fields (it is not parsed); the
  // connection goes on.
  void RefuseTooManyFields(uint64_t id, size_t bytes) {
    const size_t limit = core_->options.max_request_fields;
    LOG_EVERY_N(WARNING, 100) << "store connection " << peer_ << ": request " << id << " of "
                              << bytes << " bytes has more than " << limit << " fields; refused";
    SendError(id, absl::ResourceExhaustedError(absl::StrCat(
                      "request has more than ", limit,
                      " fields (records, header entries and the like; the server's "
                      "max_request_fields): send fewer or larger events per request")));
  }

  void RefuseUnauthenticated(uint64_t id) {
    Refuse(id,
           "authentication required: this store service runs with a token; the connection's "
           "first request must be Authenticate (runtime key eventMesh.storage.store.token)");
  }

  // Answers UNAUTHENTICATED, reads nothing more and closes once the answer is written.
  void Refuse(uint64_t id, const std::string& why) {
    LOG(WARNING) << "store connection " << peer_ << ": " << why;
    read_closed_ = true;
    SendError(id, absl::UnauthenticatedError(why));
    MaybeClose();
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      read_closed_ = true;
      if (ec == asio::error::eof) {
        if (decoder_.buffered_bytes() > 0) {
          LOG(WARNING) << "store connection " << peer_ << " closed by the peer in the middle of "
                       << "a frame (" << decoder_.buffered_bytes() << " bytes buffered)";
        }
      } else if (ec != asio::error::operation_aborted) {
        LOG(WARNING) << "store connection " << peer_ << ": read failed: " << ec.message();
      }
      MaybeClose();
      return;
    }
    if (stop_reading_) {
      read_closed_ = true;
      MaybeClose();
      return;
    }
    absl::Status fed = decoder_.CommitAppend(n);
    if (!fed.ok()) {
      // The stream is out of sync: answer what is in flight, report, then close.
      LOG(WARNING) << "store connection " << peer_ << ": " << fed.message()
                   << "; closing the connection";
      read_closed_ = true;
      SendError(0, fed);
      MaybeClose();
      return;
    }
    ProcessFrames();
    DoRead();
  }

  // Dispatches buffered frames until none is left or back-pressure applies.
  void ProcessFrames() {
    paused_ = false;
    while (!closed_ && !stop_reading_ && !read_closed_) {
      if (in_flight_ >= core_->options.max_in_flight_per_connection ||
          write_queue_bytes_ + reserved_bytes_ > core_->options.max_write_queue_bytes) {
        paused_ = true;
        return;
      }
      absl::StatusOr<std::optional<absl::string_view>> next = decoder_.Next();
      if (!next.ok() || !next->has_value()) return;
      HandleFrame(**next);
    }
  }

  void MaybeResume() {
    if (!paused_ || closed_ || stop_reading_) return;
    ProcessFrames();
    DoRead();
  }

  void HandleFrame(absl::string_view payload) {
    if (HandleAppendFrame(payload)) return;
    const size_t limit = core_->options.max_request_fields;
    if (!protocol::wire::FieldCountCannotExceed(payload.size(), limit) &&
        wire::CountStoreRequestFields(payload, limit) > limit) {
      RefuseTooManyFields(wire::PeekRequestId(payload), payload.size());
      return;
    }
    absl::StatusOr<v1::StoreRequest> decoded = DecodeMessage<v1::StoreRequest>(payload);
    if (!decoded.ok()) {
      LOG(WARNING) << "store connection " << peer_ << ": malformed protobuf frame of "
                   << payload.size() << " bytes";
      SendError(0, decoded.status());
      return;
    }
    auto request = std::make_shared<v1::StoreRequest>(std::move(*decoded));
    const uint64_t id = request->request_id();
    if (CheckAuthentication(*request)) return;
    if (request->op_case() == v1::StoreRequest::OP_NOT_SET) {
      LOG(WARNING) << "store connection " << peer_ << ": request " << id
                   << " has no known operation";
      SendError(id, absl::InvalidArgumentError(absl::StrCat(
                        "request ", id, " has no operation set (unknown request type?)")));
      return;
    }
    if (core_->stopping.load()) {
      SendError(id, absl::UnavailableError("store server is shutting down"));
      return;
    }
    core_->metrics.Request(static_cast<int>(request->op_case()));
    ++in_flight_;
    core_->AddInFlight(1);
    const bool is_fetch = request->op_case() == v1::StoreRequest::kFetch;
    // A read's response is bounded by the server's caps, and counted in the connection's
    // back-pressure budget until it is answered.
    size_t reserved = 0;
    if (is_fetch || request->op_case() == v1::StoreRequest::kRead) {
      reserved =
          ClampRead(is_fetch ? request->mutable_fetch()->mutable_read() : request->mutable_read());
      reserved_bytes_ += reserved;
    }
    // Fetches are tracked by a server-side sequence number: clients may reuse request ids
    // (e.g. leave them at 0), and every fetch must be answered and counted down exactly once.
    const uint64_t fetch_seq = is_fetch ? next_fetch_seq_++ : 0;
    if (is_fetch) {
      pending_fetches_.emplace(fetch_seq, PendingFetch{id, reserved});
      v1::FetchRequest* fetch = request->mutable_fetch();
      if (fetch->max_wait_ms() > core_->options.max_fetch_wait_ms) {
        fetch->set_max_wait_ms(core_->options.max_fetch_wait_ms);
      }
    }
    // An append holds about its request's bytes until it is durable: counted in the same
    // budget, so a slow disk cannot make a pipelining client pin unbounded memory.
    if (request->op_case() == v1::StoreRequest::kAppend ||
        request->op_case() == v1::StoreRequest::kMultiAppend) {
      reserved_bytes_ += payload.size();
      StartProtoAppends(request.get(), payload.size());
      return;
    }
    auto self = shared_from_this();
    auto run = [self, request, is_fetch, fetch_seq, reserved] {
      if (is_fetch) {
        self->StartFetch(*request, fetch_seq);
        return;
      }
      v1::StoreResponse response;
      response.set_request_id(request->request_id());
      HandleRequest(*self->core_->store, *request, &response);
      asio::post(self->strand_, [self, reserved, response = std::move(response)]() mutable {
        self->FinishCall(std::move(response), reserved);
      });
    };
    // Dropped by a Stop() whose stop_timeout passed: answered UNAVAILABLE, never run.
    auto cancel = [self, id, is_fetch, fetch_seq, reserved] {
      asio::post(self->strand_, [self, id, is_fetch, fetch_seq, reserved] {
        v1::StoreResponse response;
        response.set_request_id(id);
        SetError(absl::UnavailableError("store server is shutting down"), &response);
        if (is_fetch) {
          self->FinishFetch(fetch_seq, std::move(response));
        } else {
          self->FinishCall(std::move(response), reserved);
        }
      });
    };
    const bool queued = core_->executor.TrySubmit(std::move(run), std::move(cancel));
    if (!queued) {
      if (is_fetch) pending_fetches_.erase(fetch_seq);
      v1::StoreResponse response;
      response.set_request_id(id);
      SetError(
          absl::ResourceExhaustedError(absl::StrCat(
              "store server is overloaded: ", core_->options.max_queued_calls, " calls queued")),
          &response);
      FinishCall(std::move(response), reserved);
    }
  }

  // Runs `finish(connection)` on the connection's strand, unless the server or the
  // connection is already gone. Called from store threads (engine completions). The
  // connection reference moves into the posted handler, so the last reference never dies on
  // a store thread after the io_context is gone.
  template <typename Finish>
  static void PostToStrand(const std::weak_ptr<Connection>& weak, Liveness& liveness,
                           Finish finish) {
    absl::MutexLock lock(&liveness.mu);
    if (!liveness.alive) return;
    std::shared_ptr<Connection> self = weak.lock();
    if (self == nullptr) return;
    auto strand = self->strand_;
    asio::post(strand,
               [self = std::move(self), finish = std::move(finish)]() mutable { finish(*self); });
  }

  // On the strand. The append fast path: a plain Append / MultiAppend frame is read straight
  // into engine requests (wire::ScanAppendFrame, wire::ParseAppendRequest). Returns false, having
  // changed nothing, for every other frame (and any unusual form of these): the protobuf path
  // then handles it exactly.
  bool HandleAppendFrame(absl::string_view payload) {
    if (!wire::ScanAppendFrame(payload, &scanned_)) return false;
    const size_t limit = core_->options.max_request_fields;
    if (!protocol::wire::FieldCountCannotExceed(payload.size(), limit)) {
      size_t fields = 0;
      for (absl::string_view bytes : scanned_.appends) {
        fields += 1 + wire::CountAppendRequestFields(bytes);
      }
      if (fields > limit) {
        RefuseTooManyFields(scanned_.request_id, payload.size());
        return true;
      }
    }
    std::vector<absl::StatusOr<AppendRequest>> appends;
    appends.reserve(scanned_.appends.size());
    for (absl::string_view bytes : scanned_.appends) {
      AppendRequest append;
      if (!wire::ParseAppendRequest(bytes, &append)) return false;
      appends.emplace_back(std::move(append));
    }
    const uint64_t id = scanned_.request_id;
    const bool multi = scanned_.multi;
    if (!authenticated_) {
      RefuseUnauthenticated(id);
      return true;
    }
    if (core_->stopping.load()) {
      SendError(id, absl::UnavailableError("store server is shutting down"));
      return true;
    }
    core_->metrics.Request(multi ? v1::StoreRequest::kMultiAppend : v1::StoreRequest::kAppend);
    ++in_flight_;
    core_->AddInFlight(1);
    reserved_bytes_ += payload.size();
    StartAppends(id, multi, std::move(appends), payload.size());
    return true;
  }

  // On the strand: an Append / MultiAppend the protobuf library parsed (the fast path's
  // fallback). Its appends' strings are moved into the engine requests.
  void StartProtoAppends(v1::StoreRequest* request, size_t reserved) {
    const uint64_t id = request->request_id();
    const bool multi = request->op_case() == v1::StoreRequest::kMultiAppend;
    google::protobuf::RepeatedPtrField<v1::AppendRequest> single;
    google::protobuf::RepeatedPtrField<v1::AppendRequest>* protos =
        multi ? request->mutable_multi_append()->mutable_appends() : &single;
    if (!multi) single.Add()->Swap(request->mutable_append());
    if (protos->size() > static_cast<int>(wire::kMaxAppendsPerMultiAppend)) {
      v1::StoreResponse response;
      response.set_request_id(id);
      SetError(absl::InvalidArgumentError(
                   absl::StrCat("multi_append carries ", protos->size(), " appends; at most ",
                                wire::kMaxAppendsPerMultiAppend, " per request")),
               &response);
      FinishCall(std::move(response), reserved);
      return;
    }
    std::vector<absl::StatusOr<AppendRequest>> appends;
    appends.reserve(static_cast<size_t>(protos->size()));
    for (v1::AppendRequest& proto : *protos) {
      AppendRequest append;
      absl::Status status = wire::FromProto(std::move(proto), &append);
      if (status.ok()) {
        appends.emplace_back(std::move(append));
      } else {
        appends.emplace_back(std::move(status));
      }
    }
    StartAppends(id, multi, std::move(appends), reserved);
  }

  // On the strand. Each append goes to AppendAsync in order, as if it had come in a frame of
  // its own (one refused by the conversion gets that error as its outcome). AppendAsync does not
  // wait for I/O; the last completion (on a store thread, or inline on a rejection) writes the
  // one answer (wire::SerializeAppendAnswer: an Append's response, or a MultiAppend's outcomes)
  // and posts it back to the strand.
  void StartAppends(uint64_t id, bool multi, std::vector<absl::StatusOr<AppendRequest>> appends,
                    size_t reserved) {
    const size_t count = appends.size();
    // Shared by the appends' completions, which capture only its address and their index (no
    // allocation, no reference counting per append); it keeps itself alive until the last one.
    struct Answer {
      std::vector<absl::StatusOr<AppendResult>> outcomes;
      std::vector<int32_t> events;   // records per append, for the metrics
      std::vector<int64_t> done_ns;  // when each append completed (with metrics only)
      std::atomic<size_t> remaining;
      std::function<void(std::shared_ptr<Answer>)> finish;
      std::shared_ptr<Answer> self;

      void Release() {
        if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        std::shared_ptr<Answer> me = std::move(self);
        me->finish(me);
      }
    };
    auto answer = std::make_shared<Answer>();
    answer->self = answer;
    answer->remaining.store(count + 1);  // +1: this function's own hold, released below
    answer->outcomes.resize(count);      // each set by its completion
    answer->events.reserve(count);
    for (const absl::StatusOr<AppendRequest>& append : appends) {
      answer->events.push_back(append.ok() ? static_cast<int32_t>(append->records.size()) : 0);
    }
    const ServerMetrics* metrics = &core_->metrics;
    const bool timed = metrics->append_latency != nullptr;
    if (timed) answer->done_ns.resize(count);
    std::weak_ptr<Connection> weak = weak_from_this();
    std::shared_ptr<Liveness> liveness = core_->liveness;
    const int64_t start_ns = timed ? MonotonicNs() : 0;
    // Runs once every outcome is in (on whichever thread completed last).
    answer->finish = [weak, liveness, metrics, start_ns, reserved, id,
                      multi](std::shared_ptr<Answer> answer) {
      {
        // `metrics` lives in the server's Core, which may be gone once `alive` is false (the
        // answer would be dropped by PostToStrand anyway).
        absl::MutexLock lock(&liveness->mu);
        if (!liveness->alive) return;
        if (metrics->append_latency != nullptr) {
          for (size_t i = 0; i < answer->outcomes.size(); ++i) {
            const absl::StatusOr<AppendResult>& outcome = answer->outcomes[i];
            if (!outcome.ok()) {
              metrics->request_errors->Increment();
              continue;
            }
            metrics->append_latency->Observe(static_cast<double>(answer->done_ns[i] - start_ns) /
                                             1e9);
            if (!outcome->duplicate) metrics->appended_events->Increment(answer->events[i]);
          }
        }
      }
      std::string frame(protocol::rpc::kFramePrefixSize, '\0');
      wire::SerializeAppendAnswer(id, multi, answer->outcomes, &frame);
      PostToStrand(
          weak, *liveness, [frame = std::move(frame), reserved, id](Connection& self) mutable {
            self.FinishFrame(std::move(frame), id, reserved, "send fewer appends per request");
          });
    };
    Answer* const shared = answer.get();
    answer.reset();
    for (size_t i = 0; i < count; ++i) {
      // Each completion writes only its own outcome; the acq_rel countdown orders every write
      // before the one that finishes.
      auto deliver = [shared, i](absl::StatusOr<AppendResult> result) {
        if (!shared->done_ns.empty()) shared->done_ns[i] = MonotonicNs();
        shared->outcomes[i] = std::move(result);
        shared->Release();
      };
      if (!appends[i].ok()) {
        deliver(appends[i].status());
        continue;
      }
      core_->store->AppendAsync(*appends[i], std::move(deliver));
    }
    shared->Release();
  }

  // On an executor thread.
  void StartFetch(const v1::StoreRequest& request, uint64_t fetch_seq) {
    const uint64_t id = request.request_id();
    FetchRequest fetch;
    absl::Status status = wire::FromProto(request.fetch(), &fetch);
    std::weak_ptr<Connection> weak = weak_from_this();
    std::shared_ptr<Liveness> liveness = core_->liveness;
    const ServerMetrics* metrics = &core_->metrics;
    auto deliver = [weak, liveness, id, fetch_seq, metrics](absl::StatusOr<ReadResult> result) {
      v1::StoreResponse response;
      response.set_request_id(id);
      {
        // As for appends: the engine may complete a long poll after the server's Core is gone.
        absl::MutexLock lock(&liveness->mu);
        if (!liveness->alive) return;
        if (metrics->fetched_events != nullptr) {
          if (result.ok()) {
            metrics->fetched_events->Increment(result->records.size());
          } else {
            metrics->request_errors->Increment();
          }
        }
      }
      if (result.ok()) {
        // The answer's bytes written straight from the records (no protobuf message between).
        std::string frame(protocol::rpc::kFramePrefixSize, '\0');
        wire::SerializeReadAnswer(id, /*fetch=*/true, *result, &frame);
        PostToStrand(weak, *liveness,
                     [fetch_seq, frame = std::move(frame), id](Connection& self) mutable {
                       self.FinishFetchFrame(fetch_seq, std::move(frame), id);
                     });
        return;
      }
      SetError(result.status(), &response);
      PostToStrand(weak, *liveness,
                   [fetch_seq, response = std::move(response)](Connection& self) mutable {
                     self.FinishFetch(fetch_seq, std::move(response));
                   });
    };
    if (!status.ok()) {
      deliver(status);
      return;
    }
    core_->store->FetchAsync(fetch, std::move(deliver));
  }

  void FinishFetch(uint64_t fetch_seq, v1::StoreResponse response) {
    // Not pending: already answered UNAVAILABLE by BeginStop, or the connection closed.
    auto it = pending_fetches_.find(fetch_seq);
    if (it == pending_fetches_.end()) return;
    const size_t reserved = it->second.reserved_bytes;
    pending_fetches_.erase(it);
    FinishCall(std::move(response), reserved);
  }

  // The same for a fetch answered with a frame (its prefix still to fill in).
  void FinishFetchFrame(uint64_t fetch_seq, std::string frame, uint64_t id) {
    auto it = pending_fetches_.find(fetch_seq);
    if (it == pending_fetches_.end()) return;
    const size_t reserved = it->second.reserved_bytes;
    pending_fetches_.erase(it);
    FinishFrame(std::move(frame), id, reserved, "ask for fewer bytes (max_bytes / max_events)");
  }

  // Caps max_bytes / max_events of a Read or Fetch (0 = the engine default, also capped);
  // returns the response bytes to reserve for it.
  size_t ClampRead(v1::ReadRequest* read) {
    const StoreServerOptions& o = core_->options;
    const int64_t max_bytes = read->max_bytes() == 0 ? ReadRequest{}.max_bytes : read->max_bytes();
    if (max_bytes > o.max_read_bytes) read->set_max_bytes(o.max_read_bytes);
    const int32_t max_events =
        read->max_events() == 0 ? ReadRequest{}.max_events : read->max_events();
    if (max_events > o.max_read_events) read->set_max_events(o.max_read_events);
    return static_cast<size_t>(std::clamp<int64_t>(max_bytes, 0, o.max_read_bytes));
  }

  // Completes one in-flight call; `reserved` is its share of reserved_bytes_.
  void FinishCall(v1::StoreResponse response, size_t reserved = 0) {
    reserved_bytes_ -= reserved;
    --in_flight_;
    core_->AddInFlight(-1);
    if (closed_) return;
    QueueResponse(response);
    MaybeResume();
    MaybeClose();
  }

  // The same for an answer already written as a frame (its prefix still to fill in).
  // `hint` tells the client how to stay under the frame limit.
  void FinishFrame(std::string frame, uint64_t id, size_t reserved, absl::string_view hint) {
    reserved_bytes_ -= reserved;
    --in_flight_;
    core_->AddInFlight(-1);
    if (closed_) return;
    const size_t size = frame.size() - protocol::rpc::kFramePrefixSize;
    if (size > core_->options.max_frame_size) {
      SendError(id, absl::ResourceExhaustedError(absl::StrCat(
                        "response too large: ", size, " bytes, more than the frame limit of ",
                        core_->options.max_frame_size, "; ", hint)));
    } else {
      StoreBigEndian32(frame.data(), static_cast<uint32_t>(size));
      write_queue_bytes_ += frame.size();
      write_queue_.push_back(std::move(frame));
      DoWrite();
    }
    MaybeResume();
    MaybeClose();
  }

  void SendError(uint64_t id, const absl::Status& status) {
    v1::StoreResponse response;
    response.set_request_id(id);
    SetError(status, &response);
    QueueResponse(response);
  }

  void QueueResponse(const v1::StoreResponse& response) {
    if (closed_) return;
    std::string frame;
    absl::Status encoded = EncodeFrame(response, &frame, core_->options.max_frame_size);
    if (!encoded.ok()) {
      v1::StoreResponse error;
      error.set_request_id(response.request_id());
      SetError(absl::ResourceExhaustedError(
                   absl::StrCat("response too large: ", encoded.message(),
                                "; ask for fewer bytes (max_bytes / max_events)")),
               &error);
      frame.clear();
      (void)EncodeFrame(error, &frame, core_->options.max_frame_size);
    }
    write_queue_bytes_ += frame.size();
    write_queue_.push_back(std::move(frame));
    DoWrite();
  }

  void DoWrite() {
    if (writing_ || closed_ || write_queue_.empty()) return;
    writing_ = true;
    writing_frames_.clear();
    std::vector<asio::const_buffer> buffers;
    while (!write_queue_.empty() && writing_frames_.size() < kMaxFramesPerWrite) {
      writing_frames_.push_back(std::move(write_queue_.front()));
      write_queue_.pop_front();
    }
    buffers.reserve(writing_frames_.size());
    for (const std::string& frame : writing_frames_) buffers.push_back(asio::buffer(frame));
    auto on_written = [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      self->OnWrite(ec, n);
    };
    if (tls_) {
      asio::async_write(*tls_, buffers, asio::bind_executor(strand_, std::move(on_written)));
    } else {
      asio::async_write(socket_, buffers, std::move(on_written));
    }
  }

  void OnWrite(boost::system::error_code ec, size_t n) {
    writing_ = false;
    write_queue_bytes_ -= n;
    writing_frames_.clear();
    if (closed_) return;
    if (ec) {
      CloseNow(absl::StrCat("write failed: ", ec.message()), /*warning=*/true);
      return;
    }
    DoWrite();
    MaybeResume();
    MaybeClose();
  }

  // Closes once no more requests come and every answer is written.
  void MaybeClose() {
    if (closed_) return;
    if ((read_closed_ || stop_reading_) && in_flight_ == 0 && !writing_ && write_queue_.empty()) {
      CloseNow(stop_reading_ ? "server stopping" : "closed by peer", /*warning=*/false);
    }
  }

  void CloseNow(const std::string& reason, bool warning) {
    if (closed_) return;
    closed_ = true;
    if (warning) {
      LOG(WARNING) << "store connection " << peer_ << " closed: " << reason;
    } else {
      VLOG(1) << "store connection " << peer_ << " closed: " << reason;
    }
    // Waiting fetches will never be answered on this connection.
    const int64_t abandoned = static_cast<int64_t>(pending_fetches_.size());
    for (const auto& [seq, fetch] : pending_fetches_) reserved_bytes_ -= fetch.reserved_bytes;
    pending_fetches_.clear();
    in_flight_ -= abandoned;
    core_->AddInFlight(-abandoned);
    handshake_timer_.cancel();
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    core_->Unregister(id_);
  }

  net::ConnectionSlot slot_;  // counts this connection against max_connections
  StoreServer::Core* const core_;
  tcp::socket socket_;
  asio::any_io_executor strand_;
  const uint64_t id_;
  std::string peer_;
  FrameDecoder decoder_;
  wire::AppendFrame scanned_;  // HandleAppendFrame's scratch (its vector's room is reused)
  // TLS over socket_ (StoreServerOptions::tls), used for every read and write; nullptr: plain.
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  asio::steady_timer handshake_timer_;
  bool tls_done_ = false;
  bool authenticated_;  // true from the start when the service has no token

  bool reading_ = false;
  bool read_closed_ = false;   // EOF, read error or fatal framing error
  bool stop_reading_ = false;  // server stopping
  bool paused_ = false;        // back-pressure
  bool closed_ = false;
  int in_flight_ = 0;
  struct PendingFetch {
    uint64_t request_id;    // the client's
    size_t reserved_bytes;  // share of reserved_bytes_
  };
  // Waiting fetches by server-side sequence number.
  absl::flat_hash_map<uint64_t, PendingFetch> pending_fetches_;
  // Capped max_bytes of the Reads/Fetches in flight, and request bytes of the appends in flight.
  size_t reserved_bytes_ = 0;
  uint64_t next_fetch_seq_ = 1;

  std::deque<std::string> write_queue_;
  std::vector<std::string> writing_frames_;
  size_t write_queue_bytes_ = 0;  // queued + being written
  bool writing_ = false;
};

// Runs on the acceptor's strand with a socket on a strand of its own.
void OnAccepted(StoreServer::Core* core, tcp::socket socket, net::ConnectionSlot slot) {
  if (core->stopping.load()) return;  // `socket` closes on destruction
  std::shared_ptr<Connection> connection;
  {
    absl::MutexLock lock(&core->mu);
    const uint64_t id = core->next_connection_id++;
    connection = std::make_shared<Connection>(core, std::move(socket), id, std::move(slot));
    core->connections.emplace(id, connection);
  }
  connection->Start();
}

}  // namespace

absl::Status StoreServer::RegisterMetrics(const std::shared_ptr<Core>& core,
                                          metrics::Registry* registry) {
  ServerMetrics& m = core->metrics;
  auto requests = registry->AddCounter("eventmesh_store_requests_total",
                                       "Requests received, by operation.", {"op"});
  if (!requests.ok()) return requests.status();
  const google::protobuf::OneofDescriptor* op =
      v1::StoreRequest::descriptor()->FindOneofByName("op");
  for (int i = 0; op != nullptr && i < op->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = op->field(i);
    if (field->number() < ServerMetrics::kMaxOp) {
      m.requests[field->number()] = (*requests)->WithLabels({field->name()});
    }
  }
  auto errors = registry->AddCounter("eventmesh_store_append_fetch_errors_total",
                                     "Appends and fetches answered with an error.");
  if (!errors.ok()) return errors.status();
  m.request_errors = (*errors)->Get();
  auto appended = registry->AddCounter("eventmesh_store_appended_events_total",
                                       "Events appended (idempotent duplicates not counted).");
  if (!appended.ok()) return appended.status();
  m.appended_events = (*appended)->Get();
  auto fetched =
      registry->AddCounter("eventmesh_store_fetched_events_total", "Events returned by fetches.");
  if (!fetched.ok()) return fetched.status();
  m.fetched_events = (*fetched)->Get();
  auto latency = registry->AddHistogram(
      "eventmesh_store_append_latency_seconds",
      "Time from receiving an append to the engine reporting it durable under the sync mode.");
  if (!latency.ok()) return latency.status();
  m.append_latency = (*latency)->Get();
  std::weak_ptr<Core> weak = core;
  absl::Status s = registry->AddGaugeCallback(
      "eventmesh_store_connections", "Client connections open.", {},
      [weak](metrics::SampleSink& sink) {
        if (auto c = weak.lock()) {
          absl::MutexLock lock(&c->mu);
          sink.Add({}, static_cast<double>(c->connections.size()));
        }
      },
      core.get());
  if (!s.ok()) return s;
  return registry->AddGaugeCallback(
      "eventmesh_store_requests_in_flight", "Requests received and not answered yet.", {},
      [weak](metrics::SampleSink& sink) {
        if (auto c = weak.lock()) {
          absl::MutexLock lock(&c->mu);
          sink.Add({}, static_cast<double>(c->in_flight));
        }
      },
      core.get());
}

absl::StatusOr<std::unique_ptr<StoreServer>> StoreServer::Start(EventStore* store,
                                                                const StoreServerOptions& options) {
  if (store == nullptr) return absl::InvalidArgumentError("store must not be null");
  if (options.io_threads < 1 || options.executor_threads < 1 ||
      options.max_in_flight_per_connection < 1 || options.max_queued_calls < 1 ||
      options.max_read_bytes < 1 || options.max_read_events < 1 || options.max_request_fields < 1) {
    return absl::InvalidArgumentError(
        "io_threads, executor_threads, max_in_flight_per_connection, max_queued_calls, "
        "max_read_bytes, max_read_events and max_request_fields must be >= 1");
  }
  auto core = std::make_shared<Core>(store, options);
  if (options.metrics != nullptr) {
    if (absl::Status s = RegisterMetrics(core, options.metrics); !s.ok()) {
      options.metrics->RemoveCallbacks(core.get());
      return s;
    }
  }
  net::AcceptorOptions acceptor_options;
  acceptor_options.address = options.bind_address;
  acceptor_options.port = options.port;
  acceptor_options.max_connections = options.max_connections;
  net::ListenFailure failure;
  auto acceptor = net::Acceptor::Listen(&core->pool, acceptor_options, &failure);
  if (!acceptor.ok()) {
    if (options.metrics != nullptr) options.metrics->RemoveCallbacks(core.get());
    // The store keeps its own wording (clients and tests know it).
    const std::string where = absl::StrCat(options.bind_address, ":", options.port);
    if (failure.step == "address") {
      return absl::InvalidArgumentError(
          absl::StrCat("bad bind address \"", options.bind_address, "\": ", failure.reason));
    }
    if (failure.step == "listen") {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", where, ": ", failure.reason));
    }
    return absl::UnavailableError(absl::StrCat("cannot bind ", where, ": ", failure.reason));
  }
  core->acceptor = *std::move(acceptor);

  std::unique_ptr<StoreServer> server(new StoreServer(core));
  server->port_ = static_cast<uint16_t>(core->acceptor->port());
  core->acceptor->Start(
      [c = core.get()](tcp::socket socket, net::ConnectionSlot slot) {
        OnAccepted(c, std::move(socket), std::move(slot));
      },
      [max = options.max_connections](tcp::socket socket) {
        LOG_EVERY_N(WARNING, 100) << "store server: " << max
                                  << " connections open (max_connections); closing a new one";
        boost::system::error_code ignored;
        socket.close(ignored);
      },
      [](const boost::system::error_code& ec) {
        LOG(WARNING) << "store server: accept failed: " << ec.message();
      });
  core->pool.Start();
  return server;
}

StoreServer::~StoreServer() { Stop(); }

std::string StoreServer::address() const {
  return absl::StrCat(core_->options.bind_address, ":", port_);
}

void StoreServer::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  Core* core = core_.get();
  if (core->options.metrics != nullptr) core->options.metrics->RemoveCallbacks(core);
  core->stopping.store(true);

  // 1. Stop accepting.
  core->acceptor->Close();

  // 2. Stop reading requests; answer waiting fetches.
  std::vector<std::shared_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&core->mu);
    for (const auto& [id, connection] : core->connections) connections.push_back(connection);
  }
  for (const auto& connection : connections) connection->BeginStop();

  // 3. Let in-flight calls finish (bounded).
  bool drained = true;
  {
    absl::MutexLock lock(&core->mu);
    if (!core->mu.AwaitWithTimeout(absl::Condition(core, &Core::NoneInFlight),
                                   core->options.stop_timeout)) {
      drained = false;
      LOG(WARNING) << "store server stop: " << core->in_flight << " calls still in flight after "
                   << absl::FormatDuration(core->options.stop_timeout)
                   << "; dropping queued calls and closing anyway";
    }
  }
  // 4. No more engine calls from us. After the timeout, calls still queued are answered
  // UNAVAILABLE instead of run; calls already running in the engine are waited for.
  if (drained) {
    core->executor.Shutdown();
  } else {
    core->executor.ShutdownNow();
  }
  {
    absl::MutexLock lock(&core->liveness->mu);
    core->liveness->alive = false;
  }

  // 5. Close what is left and stop the io threads.
  for (const auto& connection : connections) connection->ForceClose("server stopped");
  connections.clear();
  core->pool.ReleaseWork();
  {
    absl::MutexLock lock(&core->mu);
    core->mu.AwaitWithTimeout(absl::Condition(core, &Core::NoConnections), absl::Seconds(5));
  }
  core->pool.Stop();
  {
    // Connections still registered (closed by io.stop() before their close ran) die with the
    // io_context below.
    absl::MutexLock lock(&core->mu);
    core->connections.clear();
  }
}

}  // namespace eventmesh::store::service
