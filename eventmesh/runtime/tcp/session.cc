#include "eventmesh/runtime/tcp/session.h"

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/bytes_equal.h"
#include "eventmesh/protocol/adaptor/tcp_adaptor.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/redirect_info.h"
#include "glog/logging.h"

namespace eventmesh::runtime::tcp {
namespace {

using protocol::tcp::Command;
using protocol::tcp::CommandName;
using protocol::tcp::OpStatus;
using protocol::tcp::Package;

// Reads go into the decoder's buffer. A session with nothing left to decode whose last read
// was small (an idle client, or one sending a frame at a time) waits with a small buffer, so
// 10,000 idle sessions hold 20 MB of receive buffers, not 640 MB; with part of a frame
// buffered, or after a large read, the next read gets kReadChunk.
constexpr size_t kIdleReadChunk = 2 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
// Output buffers larger than this are given back once everything in them has been written.
constexpr size_t kKeptOutputCapacity = 16 * 1024;
// The decoded frame's storage (decoded_) is reused for the next frame up to this frame size,
// and kept while frames arrive at least every kIdleTrimMs (then freed, with the decoder's
// remembered header).
constexpr size_t kKeptDecodedFrame = 16 * 1024;
constexpr int64_t kIdleTrimMs = 1000;

// The TCP code of a core service refusal: aclFail for PermissionDenied, otherwise fail.
int StatusCode(const absl::Status& status) {
  return status.code() == absl::StatusCode::kPermissionDenied ? OpStatus::kAclFail
                                                              : OpStatus::kFail;
}

// A delivery's seq as a number, as absl::SimpleAtoi reads it; the seqs this session writes (up to
// 19 digits) without the library's call, as every push and acknowledgement reads one.
bool SeqNumber(absl::string_view text, uint64_t* out) {
  if (!text.empty() && text.size() <= 19) {
    uint64_t value = 0;
    size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      value = value * 10 + static_cast<uint64_t>(text[i] - '0');
    }
    if (i == text.size()) {
      *out = value;
      return true;
    }
  }
  return absl::SimpleAtoi(text, out);
}

// The commands whose handlers are done with the body before the next frame is decoded:
// publishes (converted into the event at once) and delivery acknowledgements (which need only
// their seq; clients echo the whole message in them). Of the commands that come in runs, all but
// requests and responses.
bool ReadsBodyInPlace(Command cmd) {
  return protocol::tcp::ComesInRuns(cmd) && cmd != Command::kRequestToServer &&
         cmd != Command::kResponseToServer;
}

}  // namespace

Session::Session(boost::asio::ip::tcp::socket socket, const SessionContext* context, uint64_t id)
    : socket_(std::move(socket)),
      expiry_timer_(socket_.get_executor()),
      ctx_(context),
      id_(id),
      decoder_(std::nullopt, static_cast<size_t>(context->config->max_frame_size)),
      session_rate_limiter_(context->config->session_msg_req_num_per_second,
                            kSessionTpsOverloadDesc) {
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown" : absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  if (context->tls) {
    tls_ = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>>(socket_,
                                                                                     *context->tls);
  }
}

Session::~Session() = default;

void Session::Start() {
  last_activity_ms_ = core::SteadyNowMs();
  accepted_ms_ = last_activity_ms_;
  ScheduleExpiryCheck();  // also bounds a handshake that never completes (helloTimeoutMs)
  if (!tls_) {
    DoRead();
    return;
  }
  tls_->async_handshake(boost::asio::ssl::stream_base::server,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                          if (ec) {
                            self->Close(absl::StrCat("TLS handshake failed: ", ec.message()));
                            return;
                          }
                          self->DoRead();
                        });
}

void Session::ScheduleExpiryCheck() {
  const int64_t shortest =
      hello_done_ ? ctx_->config->session_expired_ms
                  : std::min(ctx_->config->session_expired_ms, ctx_->config->hello_timeout_ms);
  const int64_t period = std::min<int64_t>(1000, std::max<int64_t>(10, shortest / 4));
  expiry_timer_.expires_after(std::chrono::milliseconds(period));
  expiry_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_) return;
    const int64_t now = core::SteadyNowMs();
    if (!self->hello_done_ && now - self->accepted_ms_ > self->ctx_->config->hello_timeout_ms) {
      // Frames other than HELLO do not keep an unauthenticated connection open.
      self->Close(absl::StrCat("no HELLO within ", self->ctx_->config->hello_timeout_ms,
                               " ms (eventMesh.server.tcp.helloTimeoutMs)"));
      return;
    }
    const int64_t idle = now - self->last_activity_ms_;
    if (idle > self->ctx_->config->session_expired_ms) {
      self->Close(absl::StrCat("session expired: no frame for ", idle, " ms (expiredInMills=",
                               self->ctx_->config->session_expired_ms, ")"));
      return;
    }
    if (idle >= kIdleTrimMs) {
      // Quiet for a while: the storage kept for the next frame goes (this handler runs on the
      // session's io thread, as reads do; no read is using it between two reads).
      self->decoded_.reset();
      self->decoder_.ForgetHeader();
      self->publish_memo_.reset();
      self->publish_topic_ = connectors::TopicName();
      std::string().swap(self->stored_publish_.topic);
      self->io_free_tickets_.clear();
      self->io_free_tickets_.shrink_to_fit();
      {
        std::lock_guard<std::mutex> lock(self->tickets_mu_);
        self->free_tickets_.clear();
        self->free_tickets_.shrink_to_fit();
      }
      std::lock_guard<std::mutex> lock(self->out_mu_);
      self->push_memo_.reset();
    }
    self->ScheduleExpiryCheck();
  });
}

void Session::DoRead() {
  if (closed_ || reading_stopped_) return;
  size_t chunk = kReadChunk;
  if (decoder_.buffered_bytes() == 0) {
    if (last_read_bytes_ < kIdleReadChunk) {
      chunk = kIdleReadChunk;
      if (decoder_.capacity() > kIdleReadChunk && decoder_.ReleaseIfEmpty()) {
        decoded_.reset();  // nor the last frame's storage
      }
    } else if (decoder_.capacity() > 2 * kReadChunk) {
      decoder_.ReleaseIfEmpty();  // grown for a large frame: not kept once it is decoded
    }
  }
  char* buffer = decoder_.PrepareAppend(chunk);
  auto on_read = [self = shared_from_this()](const boost::system::error_code& ec, size_t bytes) {
    self->OnRead(ec, bytes);
  };
  if (tls_) {
    tls_->async_read_some(boost::asio::buffer(buffer, chunk), std::move(on_read));
  } else {
    socket_.async_read_some(boost::asio::buffer(buffer, chunk), std::move(on_read));
  }
}

void Session::OnRead(const boost::system::error_code& ec, size_t bytes) {
  // Before the first publish (which a read carries), so every completion sees it.
  if (io_thread_ == std::thread::id()) io_thread_ = std::this_thread::get_id();
  if (ec) {
    decoder_.CommitAppend(0);
    Close(ec == boost::asio::error::eof ? "peer closed the connection"
                                        : absl::StrCat("read error: ", ec.message()));
    return;
  }
  decoder_.CommitAppend(bytes);
  last_read_bytes_ = bytes;
  // One clock read per read: the activity time and the publish latency's start.
  read_ns_ = core::SteadyNowNs();
  last_activity_ms_ = read_ns_ / 1'000'000;
  for (;;) {
    if (closed_ || reading_stopped_) {
      FlushPending();
      return;
    }
    // Publishes are converted on the spot and acknowledgements need only their header: their
    // bodies are read where the decoder holds them instead of being copied out first.
    // Frames are decoded into the session's one DecodedPackage, whose storage they reuse.
    if (decoded_ == nullptr) decoded_ = std::make_unique<protocol::tcp::DecodedPackage>();
    absl::StatusOr<bool> next = decoder_.NextInto(decoded_.get(), &ReadsBodyInPlace);
    if (!next.ok()) {
      FlushPending();
      const std::string reason = absl::StrCat("undecodable frame: ", next.status().message());
      if (decoder_.convention().has_value()) {
        // The client speaks the protocol: tell it why before closing.
        SendServerGoodbye(OpStatus::kFail, reason);
        reading_stopped_ = true;
        if (auto dropped = AdmitLog()) {
          LOG(WARNING) << "session " << peer_ << ": " << reason
                       << common::LogLimiter::DroppedNote(*dropped);
        }
      } else {
        Close(reason);
      }
      return;
    }
    if (!*next) break;
    protocol::tcp::DecodedPackage& decoded = *decoded_;
    convention_.store(static_cast<int>(decoded.convention), std::memory_order_relaxed);
    const Command cmd = decoded.package.header.cmd;
    const size_t frame_size = decoded.frame_size;
    Handle(decoded.package, decoded.body(), decoded.header_shape);
    // Storage is kept for the next frame of a run of publishes or acknowledgements, not after a
    // handshake frame (an idle session keeps nothing) or a large frame.
    if (frame_size > kKeptDecodedFrame || !protocol::tcp::ComesInRuns(cmd)) decoded_.reset();
  }
  FlushPending();
  DoRead();
}

void Session::Handle(Package& package, absl::string_view body, uint64_t header_shape) {
  const Command cmd = package.header.cmd;
  if (cmd != Command::kAsyncMessageToServer && cmd != Command::kBroadcastMessageToServer) {
    // Publishes collected from this read go to the connector before anything that could
    // observe or depend on them (requests, goodbye, ...).
    FlushPublishes();
  }
  if (cmd == Command::kRecommendRequest) {  // accepted with or without a session
    HandleRecommend(package);
    return;
  }
  if (!hello_done_ && cmd != Command::kHelloRequest) {
    Reply(package, protocol::tcp::ReplyCommand(cmd), OpStatus::kFail,
          absl::StrCat(kNoSessionDesc, " (got ", CommandName(cmd), ")"));
    return;
  }
  switch (cmd) {
    case Command::kHelloRequest:
      HandleHello(package);
      return;
    case Command::kHeartbeatRequest:
      Reply(package, Command::kHeartbeatResponse, OpStatus::kSuccess, "success");
      return;
    case Command::kClientGoodbyeRequest:
      Reply(package, Command::kClientGoodbyeResponse, OpStatus::kSuccess, "success");
      reading_stopped_ = true;
      CloseAsync("client said goodbye", /*flush=*/true);
      return;
    case Command::kServerGoodbyeResponse:
    case Command::kResponseToClientAck:
      return;  // nothing to answer
    case Command::kSubscribeRequest:
      HandleSubscribe(package);
      return;
    case Command::kUnsubscribeRequest:
      HandleUnsubscribe(package);
      return;
    case Command::kListenRequest:
      HandleListen(package);
      return;
    case Command::kAsyncMessageToServer:
    case Command::kBroadcastMessageToServer:
      HandlePublish(package, body, header_shape);
      return;
    case Command::kAsyncMessageToClientAck:
    case Command::kBroadcastMessageToClientAck:
    case Command::kRequestToClientAck:
      HandleClientAck(package);
      return;
    case Command::kRequestToServer:
      HandleRequest(package);
      return;
    case Command::kResponseToServer:
      HandleResponse(package);
      return;
    default:
      Reply(package, protocol::tcp::ReplyCommand(cmd), OpStatus::kFail,
            absl::StrCat("command ", CommandName(cmd), " is not accepted by the server"));
      return;
  }
}

void Session::HandleHello(const Package& package) {
  auto agent = protocol::tcp::UserAgent::FromJson(package.body);
  absl::Status status = agent.ok() ? agent->Validate() : agent.status();
  if (!status.ok()) {
    Reply(package, Command::kHelloResponse, OpStatus::kFail, std::string(status.message()));
    if (!hello_done_) {
      reading_stopped_ = true;
      CloseAsync(absl::StrCat("HELLO rejected: ", status.message()), /*flush=*/true);
    }
    return;
  }
  if (ctx_->acl != nullptr) {
    boost::system::error_code peer_ec;
    const auto peer = socket_.remote_endpoint(peer_ec);
    const std::string address = peer_ec ? std::string("unknown") : peer.address().to_string();
    core::Credentials credentials;
    credentials.username = agent->username;
    credentials.password = agent->password;
    credentials.token = agent->token;
    credentials.group = agent->group;
    credentials.address = address;
    auto user = ctx_->authenticator->Login(credentials);
    if (!user.ok()) {
      Reply(package, Command::kHelloResponse, OpStatus::kAclFail,
            absl::StrCat("aclFail: ", user.status().message()));
      if (!hello_done_) {
        reading_stopped_ = true;
        CloseAsync(absl::StrCat("HELLO rejected: ", user.status().message()), /*flush=*/true);
      }
      return;
    }
    acl_user_ = *user;
  }
  user_agent_ = std::move(*agent);
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    user_agent_.host = endpoint.address().to_string();
    user_agent_.port = endpoint.port();
  }
  hello_done_ = true;
  Reply(package, Command::kHelloResponse, OpStatus::kSuccess, "success");
  VLOG(1) << "session " << peer_ << " hello: group " << user_agent_.group << " purpose "
          << user_agent_.purpose;
}

void Session::HandleRecommend(const Package& package) {
  auto agent = protocol::tcp::UserAgent::FromJson(package.body);
  absl::Status status = agent.ok() ? agent->Validate() : agent.status();
  if (!status.ok()) {
    Reply(package, Command::kRecommendResponse, OpStatus::kFail, std::string(status.message()));
    return;
  }
  if (!ctx_->recommend) {
    Reply(package, Command::kRecommendResponse, OpStatus::kFail,
          "no runtime to recommend: this runtime has no address book");
    return;
  }
  const std::string address = ctx_->recommend(agent->group, agent->purpose);
  if (address.empty()) {
    Reply(package, Command::kRecommendResponse, OpStatus::kFail, "the runtime is starting");
    return;
  }
  Package reply;
  reply.header.cmd = Command::kRecommendResponse;
  reply.header.code = OpStatus::kSuccess;
  reply.header.desc = "success";
  reply.header.seq = package.header.seq;
  // Apache EventMesh's encoder writes a String body as JSON: "ip:port" with the quotes.
  reply.body = absl::StrCat("\"", address, "\"");
  Send(reply);
}

void Session::HandleSubscribe(const Package& package) {
  if (user_agent_.purpose != protocol::tcp::kPurposeSub) {
    Reply(package, Command::kSubscribeResponse, OpStatus::kFail,
          "SUBSCRIBE_REQUEST needs a session with purpose \"sub\"");
    return;
  }
  auto subscription = protocol::tcp::Subscription::FromJson(package.body);
  if (!subscription.ok()) {
    Reply(package, Command::kSubscribeResponse, OpStatus::kFail,
          std::string(subscription.status().message()));
    return;
  }
  if (subscription->topic_list.empty()) {
    Reply(package, Command::kSubscribeResponse, OpStatus::kFail, "subscription has no topics");
    return;
  }
  {
    // Bounded before any per-topic work: a request cannot make the session hold more than
    // maxSubscriptions topics (nor cost more than that much checking).
    const size_t limit = static_cast<size_t>(ctx_->config->max_subscriptions_per_session);
    absl::flat_hash_set<absl::string_view> topics;
    for (const auto& existing : subscriptions_) topics.insert(existing.topic);
    for (const auto& item : subscription->topic_list) {
      topics.insert(item.topic);
      if (topics.size() > limit) {
        Reply(package, Command::kSubscribeResponse, OpStatus::kFail,
              absl::StrCat("more than ", limit,
                           " topics subscribed in one session "
                           "(eventMesh.server.session.maxSubscriptions)"));
        return;
      }
    }
  }
  for (const auto& item : subscription->topic_list) {
    if (item.mode == protocol::tcp::SubscriptionMode::kUnrecognized ||
        item.type == protocol::tcp::SubscriptionType::kUnrecognized) {
      Reply(package, Command::kSubscribeResponse, OpStatus::kFail,
            absl::StrCat("topic \"", item.topic,
                         "\": mode and type must be CLUSTERING or "
                         "BROADCASTING and ASYNC or SYNC"));
      return;
    }
    if (std::string denied = core::DeniedSubscribe(acl_user_, item.topic); !denied.empty()) {
      Reply(package, Command::kSubscribeResponse, OpStatus::kAclFail, std::move(denied));
      return;
    }
    absl::Status ensured = ctx_->topics->EnsureTopic(item.topic);
    if (!ensured.ok()) {
      Reply(package, Command::kSubscribeResponse, OpStatus::kFail, std::string(ensured.message()));
      return;
    }
  }
  for (const auto& item : subscription->topic_list) {
    bool replaced = false;
    for (auto& existing : subscriptions_) {
      if (existing.topic == item.topic) {
        if (listening_ && existing.mode != item.mode) {
          ctx_->consumers->Unsubscribe(id_, user_agent_.group, existing.topic);
        }
        existing = item;
        replaced = true;
      }
    }
    if (!replaced) subscriptions_.push_back(item);
    if (listening_) {
      absl::Status activated = Activate(item);
      if (!activated.ok()) {
        Reply(package, Command::kSubscribeResponse, OpStatus::kFail,
              std::string(activated.message()));
        return;
      }
    }
  }
  Reply(package, Command::kSubscribeResponse, OpStatus::kSuccess, "success");
}

absl::Status Session::Activate(const protocol::tcp::SubscriptionItem& item) {
  using protocol::tcp::SubscriptionMode;
  using protocol::tcp::SubscriptionType;
  const bool broadcast = item.mode == SubscriptionMode::kBroadcasting;
  const core::PushKind push = broadcast                              ? core::PushKind::kBroadcast
                              : item.type == SubscriptionType::kSync ? core::PushKind::kRequest
                                                                     : core::PushKind::kUnicast;
  return ctx_->consumers->Subscribe(
      shared_from_this(), user_agent_.group, item.topic,
      broadcast ? connectors::ConsumeMode::kBroadcasting : connectors::ConsumeMode::kClustering,
      push);
}

void Session::HandleUnsubscribe(const Package& package) {
  std::vector<std::string> topics;
  auto subscription = protocol::tcp::Subscription::FromJson(package.body);
  if (!package.body.empty() && subscription.ok() && !subscription->topic_list.empty()) {
    for (const auto& item : subscription->topic_list) topics.push_back(item.topic);
  } else {
    for (const auto& item : subscriptions_) topics.push_back(item.topic);  // all (Apache HEAD)
  }
  for (const auto& topic : topics) {
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
      if (it->topic == topic) {
        if (listening_) ctx_->consumers->Unsubscribe(id_, user_agent_.group, topic);
        it = subscriptions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  Reply(package, Command::kUnsubscribeResponse, OpStatus::kSuccess, "success");
}

void Session::HandleListen(const Package& package) {
  if (user_agent_.purpose != protocol::tcp::kPurposeSub) {
    Reply(package, Command::kListenResponse, OpStatus::kFail,
          "LISTEN_REQUEST needs a session with purpose \"sub\"");
    return;
  }
  if (!listening_) {
    int64_t window = ctx_->config->session_window_size;
    if (user_agent_.unack > 0 && user_agent_.unack < window) window = user_agent_.unack;
    window_size_.store(window);
    listening_ = true;
    for (const auto& item : subscriptions_) {
      absl::Status activated = Activate(item);
      if (!activated.ok()) {
        Reply(package, Command::kListenResponse, OpStatus::kFail,
              absl::StrCat("topic \"", item.topic, "\": ", activated.message()));
        return;
      }
    }
  }
  Reply(package, Command::kListenResponse, OpStatus::kSuccess, "success");
}

void Session::HandlePublish(Package& package, absl::string_view body, uint64_t header_shape) {
  const Command reply_cmd = protocol::tcp::ReplyCommand(package.header.cmd);
  // The event is built where it waits for the loop turn's batch (no moves on the way there);
  // a refused publish takes it back out before answering.
  connectors::Connector::PendingPublish& pending = pending_publishes_.emplace_back();
  // A connector that stores the encoded event as it is gets it written straight from the
  // package; packages the encoder leaves alone (and other connectors) take the CloudEvent path.
  protocol::adaptor::StoredPublish& stored = stored_publish_;
  const bool encoded =
      ctx_->publish->TakesStoredBytes() &&
      protocol::adaptor::EncodeStoredPublish(package.header, body, core::kMeshOriginExtension,
                                             &stored, PublishMemo(), header_shape);
  if (!encoded) {
    const absl::Status converted =
        protocol::adaptor::TcpPackageToCloudEvent(package.header, body, &pending.event);
    if (!converted.ok()) {
      pending_publishes_.pop_back();
      Reply(package, reply_cmd, OpStatus::kFail, std::string(converted.message()));
      return;
    }
  }
  if (publishes_in_flight_.load() >= ctx_->config->upstream_buffer_size) {
    pending_publishes_.pop_back();
    if (core::RuntimeMetrics* metrics = ctx_->publish->metrics()) {
      metrics->PublishRefused(core::Protocol::kTcp, core::PublishResultClass::kFlowControl);
    }
    Reply(package, reply_cmd, OpStatus::kFail,
          absl::StrCat("Tps overload, session flow control: ", ctx_->config->upstream_buffer_size,
                       " publishes in flight (eventMesh.server.session.upstreamBufferSize)"));
    return;
  }
  const absl::Status admitted =
      encoded ? ctx_->publish->Admit(AsPublisher(), stored.topic, stored.hints.data_size,
                                     stored.has_marker)
              : ctx_->publish->Admit(AsPublisher(), pending.event);
  if (!admitted.ok()) {
    pending_publishes_.pop_back();
    Reply(package, reply_cmd, StatusCode(admitted), std::string(admitted.message()));
    return;
  }
  if (encoded) {
    pending.stored = std::move(stored.bytes);
    pending.stored_hints = stored.hints;
    // Consecutive publishes share one TopicName; stored.topic keeps its buffer for the next.
    if (!BytesEqual(publish_topic_.str(), stored.topic)) {
      publish_topic_ = connectors::TopicName(stored.topic);
    }
    pending.stored_topic = publish_topic_;
  }
  publishes_in_flight_.fetch_add(1);
  // The reply only needs the request's seq (copied: the header keeps its buffer for the next
  // frame's seq).
  PublishTicket* ticket = TakeTicket();
  ticket->session = shared_from_this();
  ticket->reply_cmd = reply_cmd;
  ticket->has_seq = package.header.seq.has_value();
  if (ticket->has_seq) ticket->seq.assign(*package.header.seq);
  ticket->start_ns = read_ns_;
  pending.done = [ticket](const absl::StatusOr<connectors::PublishResult>& result) {
    CompletePublish(ticket, result);
  };
}

Session::PublishTicket* Session::TakeTicket() {
  if (io_free_tickets_.empty()) {
    // Those completed on other threads, all at once.
    std::lock_guard<std::mutex> lock(tickets_mu_);
    io_free_tickets_.swap(free_tickets_);
  }
  if (io_free_tickets_.empty()) return new PublishTicket();
  PublishTicket* ticket = io_free_tickets_.back().release();
  io_free_tickets_.pop_back();
  return ticket;
}

void Session::CompletePublish(PublishTicket* ticket,
                              const absl::StatusOr<connectors::PublishResult>& result) {
  // The ticket's reference keeps the session until this returns; the ticket goes back to the
  // pool before it (the session owns the pool).
  const std::shared_ptr<Session> self = std::move(ticket->session);
  if (core::RuntimeMetrics* metrics = self->ctx_->publish->metrics()) {
    metrics->PublishDone(core::Protocol::kTcp, result.ok(), ticket->start_ns);
  }
  // Release the slot before the ack goes out: a client that sends its next publish as soon as
  // it sees the ack must find the slot free.
  self->publishes_in_flight_.fetch_sub(1);
  const std::optional<absl::string_view> seq =
      ticket->has_seq ? std::optional<absl::string_view>(ticket->seq) : std::nullopt;
  if (result.ok()) {
    self->SendReply(ticket->reply_cmd, OpStatus::kSuccess, "success", seq);
  } else {
    self->SendReply(ticket->reply_cmd, OpStatus::kFail,
                    core::PublishFailed(result.status()).message(), seq);
  }
  // A seq far longer than usual does not keep its buffer in the pool.
  constexpr size_t kKeptSeqCapacity = 256;
  if (ticket->seq.capacity() > kKeptSeqCapacity) std::string().swap(ticket->seq);
  if (std::this_thread::get_id() == self->io_thread_) {
    self->io_free_tickets_.emplace_back(ticket);
    return;
  }
  std::lock_guard<std::mutex> lock(self->tickets_mu_);
  self->free_tickets_.emplace_back(ticket);
}

protocol::adaptor::StoredPublishMemo* Session::PublishMemo() {
  if (publish_memo_ == nullptr)
    publish_memo_ = std::make_unique<protocol::adaptor::StoredPublishMemo>();
  return publish_memo_.get();
}

void Session::FlushPublishes() {
  if (pending_publishes_.empty()) return;
  ctx_->publish->PublishBatch(&pending_publishes_);
  pending_publishes_.clear();
}

void Session::FlushPending() {
  FlushPublishes();
  FlushAcks();
}

core::Publisher Session::AsPublisher() {
  core::Publisher publisher;
  publisher.user = acl_user_;
  publisher.frontend_limit = ctx_->rate_limiter;
  publisher.own_limit = &session_rate_limiter_;
  publisher.known_topics = &known_topics_;
  publisher.protocol = core::Protocol::kTcp;
  return publisher;
}

void Session::SendRequestFailure(const std::string& seq, std::string desc) {
  Package reply;
  reply.header.cmd = Command::kResponseToClient;
  reply.header.code = OpStatus::kFail;
  reply.header.desc = std::move(desc);
  reply.header.seq = seq;
  Send(reply);
}

void Session::HandleRequest(Package& package) {
  const std::string seq = package.header.seq.value_or("");
  auto event = protocol::adaptor::TcpPackageToCloudEvent(package);
  if (!event.ok()) {
    SendRequestFailure(seq, std::string(event.status().message()));
    return;
  }
  std::optional<int64_t> ttl_ms;
  if (const std::string* ttl = event->FindExtension("ttl"); ttl != nullptr) {
    int64_t parsed = 0;
    if (!absl::SimpleAtoi(*ttl, &parsed) || parsed <= 0) {
      SendRequestFailure(seq, absl::StrCat("invalid ttl property \"", *ttl,
                                           "\": expected a positive number of milliseconds"));
      return;
    }
    ttl_ms = parsed;
  }
  std::weak_ptr<Session> weak = shared_from_this();
  ctx_->requests->Request(
      AsPublisher(), core::RequestOwner{kFrontendName, id_}, seq, *std::move(event), ttl_ms,
      socket_.get_executor(), [weak, seq](absl::StatusOr<cloudevents::CloudEvent> response) {
        auto self = weak.lock();
        if (!self) return;
        if (!response.ok()) {
          if (response.status().code() == absl::StatusCode::kCancelled) return;  // closed
          Package reply;
          reply.header.cmd = Command::kResponseToClient;
          reply.header.code = StatusCode(response.status());
          reply.header.desc = std::string(response.status().message());
          reply.header.seq = seq;
          self->Send(reply);
          return;
        }
        auto reply =
            protocol::adaptor::CloudEventToTcpPackage(*response, Command::kResponseToClient, seq);
        if (!reply.ok()) {
          self->SendRequestFailure(
              seq, absl::StrCat("cannot convert the response: ", reply.status().message()));
          return;
        }
        self->Send(*reply);
      });
}

void Session::HandleResponse(const Package& package) {
  auto event = protocol::adaptor::TcpPackageToCloudEvent(package);
  if (!event.ok()) {
    if (auto dropped = AdmitLog()) {
      LOG(WARNING) << "session " << peer_ << ": unusable RESPONSE_TO_SERVER: " << event.status()
                   << common::LogLimiter::DroppedNote(*dropped);
    }
    return;
  }
  // RESPONSE_TO_SERVER has no answer in the protocol: a refused reply is only logged.
  if (absl::Status routed = ctx_->requests->Respond(*std::move(event)); !routed.ok()) {
    if (auto dropped = AdmitLog()) {
      LOG(WARNING) << "session " << peer_ << ": RESPONSE_TO_SERVER not delivered: " << routed
                   << common::LogLimiter::DroppedNote(*dropped);
    }
  }
}

void Session::HandleClientAck(const Package& package) {
  uint64_t seq = 0;
  if (!package.header.seq.has_value() || !SeqNumber(*package.header.seq, &seq)) {
    if (auto dropped = AdmitLog()) {
      LOG(WARNING) << "session " << peer_ << ": " << CommandName(package.header.cmd)
                   << " without a numeric seq ignored" << common::LogLimiter::DroppedNote(*dropped);
    }
    return;
  }
  pending_acks_.push_back(seq);
}

void Session::FlushAcks() {
  if (pending_acks_.empty()) return;
  // Routes: the consumer of each seq pushed here (acks of seqs not pushed here, or no longer in
  // flight, are dropped), in runs of one consumer, all looked up under one lock. Usually all
  // acks of a read belong to one or two consumers.
  std::vector<std::pair<std::shared_ptr<core::GroupConsumer>, size_t>> runs;  // consumer, end
  size_t kept = 0;
  {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    // The block of the previous ack, while it has pushes in flight (it usually holds the next).
    uint64_t last_block = 0;
    BlockDeliveries* last = nullptr;
    std::weak_ptr<core::GroupConsumer> run_owner;
    for (const uint64_t seq : pending_acks_) {
      const uint64_t block = seq / core::kSeqBlock;
      BlockDeliveries* deliveries = last;
      auto it = deliveries_.end();
      if (deliveries == nullptr || block != last_block) {
        it = deliveries_.find(block);
        // Not pushed here, or a late ack after a timeout: the event moved on.
        if (it == deliveries_.end()) continue;
        deliveries = &it->second;
      }
      const uint64_t bit = uint64_t{1} << (seq % core::kSeqBlock);
      if ((deliveries->live & bit) == 0) continue;  // as above, or acknowledged already
      if (deliveries != last) {
        // A block of another consumer than the current run's starts a run.
        const bool same_owner = !runs.empty() && !deliveries->consumer.owner_before(run_owner) &&
                                !run_owner.owner_before(deliveries->consumer);
        if (!same_owner) {
          std::shared_ptr<core::GroupConsumer> consumer = deliveries->consumer.lock();
          if (consumer == nullptr) {  // closed: its pushes were settled (or requeued) there
            deliveries_.erase(it);
            continue;
          }
          run_owner = deliveries->consumer;
          runs.emplace_back(std::move(consumer), kept);
        }
      }
      deliveries->live &= ~bit;
      pending_acks_[kept++] = seq;
      runs.back().second = kept;
      if (deliveries->live == 0) {
        deliveries_.erase(it != deliveries_.end() ? it : deliveries_.find(block));
        last = nullptr;
      } else {
        last = deliveries;
        last_block = block;
      }
    }
  }
  size_t begin = 0;
  for (const auto& [consumer, end] : runs) {
    consumer->OnAcks(pending_acks_.data() + begin, end - begin);
    begin = end;
  }
  pending_acks_.clear();
}

std::optional<int64_t> Session::AdmitLog() {
  if (ctx_->log_limiter == nullptr) return 0;
  return ctx_->log_limiter->Admit(absl::string_view(peer_).substr(0, peer_.rfind(':')));
}

void Session::Reply(const Package& request, Command cmd, int code, std::string desc) {
  Package reply;
  reply.header.cmd = cmd;
  reply.header.code = code;
  reply.header.desc = std::move(desc);
  reply.header.seq = request.header.seq;
  if (code != OpStatus::kSuccess) {
    // Every refusal is logged once with its reason, at most a few per second per client address.
    if (auto dropped = AdmitLog()) {
      LOG(WARNING) << "session " << peer_ << " (group " << user_agent_.group
                   << "): " << CommandName(request.header.cmd) << " refused, code " << code << ": "
                   << reply.header.desc << common::LogLimiter::DroppedNote(*dropped);
    }
  }
  Send(reply);
}

// ----- Delivery --------------------------------------------------------------------------

bool Session::TryAcquireSlot() {
  if (closed_.load(std::memory_order_relaxed)) return false;
  const int64_t window = window_size_.load(std::memory_order_relaxed);
  int64_t current = window_in_flight_.load(std::memory_order_relaxed);
  while (current < window) {
    if (window_in_flight_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

void Session::ReleaseSlot() { window_in_flight_.fetch_sub(1); }

void Session::ReleaseSlots(int64_t n) { window_in_flight_.fetch_sub(n); }

core::PushResult Session::Push(const cloudevents::CloudEvent& event, core::PushKind kind,
                               const std::string& seq,
                               const std::shared_ptr<core::GroupConsumer>& consumer) {
  return PushFrame(kind, seq, consumer,
                   [&](Command cmd, protocol::tcp::LengthConvention convention, std::string* out) {
                     return protocol::adaptor::AppendCloudEventFrame(
                         event, cmd, seq, convention, out,
                         static_cast<size_t>(ctx_->config->max_frame_size));
                   });
}

namespace {

Command PushCommand(core::PushKind kind) {
  return kind == core::PushKind::kBroadcast ? Command::kBroadcastMessageToClient
         : kind == core::PushKind::kRequest ? Command::kRequestToClient
                                            : Command::kAsyncMessageToClient;
}

}  // namespace

absl::Status Session::AppendStoredFrameLocked(const std::string& stored, bool validated,
                                              const cloudevents::StoredEventHints& hints,
                                              Command cmd, const std::string& seq,
                                              protocol::tcp::LengthConvention convention,
                                              std::string* out) {
  const auto max_frame_size = static_cast<size_t>(ctx_->config->max_frame_size);
  if (push_memo_ == nullptr) push_memo_ = std::make_unique<protocol::adaptor::StoredFrameMemo>();
  if (std::optional<absl::Status> written = protocol::adaptor::AppendStoredEventFrame(
          stored, cmd, seq, convention, out, max_frame_size,
          validated ? cloudevents::ProtoEventView::Checks::kStructure
                    : cloudevents::ProtoEventView::Checks::kAll,
          push_memo_.get(), hints)) {
    return *written;
  }
  absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(stored);
  if (!event.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stored event does not decode: ", event.status().message()));
  }
  return protocol::adaptor::AppendCloudEventFrame(*event, cmd, seq, convention, out,
                                                  max_frame_size);
}

core::PushResult Session::PushStored(const std::shared_ptr<const std::string>& stored,
                                     bool validated, const cloudevents::StoredEventHints& hints,
                                     core::PushKind kind, const std::string& seq,
                                     const std::shared_ptr<core::GroupConsumer>& consumer) {
  return PushFrame(kind, seq, consumer,
                   [&](Command cmd, protocol::tcp::LengthConvention convention,
                       std::string* out) -> absl::Status {
                     // Called under out_mu_ (PushFrame), which guards the memo.
                     return AppendStoredFrameLocked(*stored, validated, hints, cmd, seq, convention,
                                                    out);
                   });
}

template <typename SeqNumberOf, typename Encode, typename Result>
void Session::PushFrames(core::PushKind kind, const std::shared_ptr<core::GroupConsumer>& consumer,
                         size_t count, SeqNumberOf seq_number, Encode encode, Result result) {
  if (closed_.load(std::memory_order_relaxed)) {
    for (size_t i = 0; i < count; ++i) result(i) = core::PushResult::Closed();
    return;
  }
  const Command cmd = PushCommand(kind);
  absl::InlinedVector<uint64_t, 64> keys(count, 0);
  {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    BlockDeliveries* deliveries = nullptr;  // the block of keys[i - 1]
    for (size_t i = 0; i < count; ++i) {
      keys[i] = seq_number(i);
      const uint64_t block = keys[i] / core::kSeqBlock;
      if (i == 0 || block != keys[i - 1] / core::kSeqBlock) {
        deliveries = &deliveries_[block];
        if (deliveries->live == 0) deliveries->consumer = consumer;
      }
      deliveries->live |= uint64_t{1} << (keys[i] % core::kSeqBlock);
    }
  }
  bool any_refused = false;
  {
    const auto convention =
        static_cast<protocol::tcp::LengthConvention>(convention_.load(std::memory_order_relaxed));
    std::lock_guard<std::mutex> lock(out_mu_);
    for (size_t i = 0; i < count; ++i) {
      core::PushResult& sent = result(i);
      sent = core::PushResult::Queued();
      if (out_closed_) {
        sent = core::PushResult::Closed();
      } else {
        // Encoded straight into the pending output (no intermediate package or body string).
        const size_t before = out_pending_.size();
        if (absl::Status encoded = encode(i, cmd, convention, &out_pending_); !encoded.ok()) {
          out_pending_.resize(before);  // nothing of a refused frame stays in the output
          sent = core::PushResult::Undeliverable(
              absl::StrCat("cannot be sent over TCP: ", encoded.message()));
        } else if (CloseIfOutputOverBoundLocked()) {
          sent = core::PushResult::Closed();
        }
      }
      any_refused |= sent.code != core::PushResult::Code::kQueued;
    }
  }
  if (any_refused) {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    for (size_t i = 0; i < count; ++i) {
      if (result(i).code != core::PushResult::Code::kQueued) SettleDeliveryLocked(keys[i]);
    }
  }
}

void Session::PushStoredRun(core::PushKind kind,
                            const std::shared_ptr<core::GroupConsumer>& consumer,
                            StoredPush* pushes, size_t count) {
  PushFrames(
      kind, consumer, count, [&](size_t i) { return pushes[i].seq_number; },
      [&](size_t i, Command cmd, protocol::tcp::LengthConvention convention, std::string* out) {
        const StoredPush& push = pushes[i];
        return AppendStoredFrameLocked(**push.stored, push.validated, *push.hints, cmd, *push.seq,
                                       convention, out);
      },
      [&](size_t i) -> core::PushResult& { return pushes[i].result; });
}

core::PushResult Session::PushFrame(core::PushKind kind, const std::string& seq,
                                    const std::shared_ptr<core::GroupConsumer>& consumer,
                                    PushEncoder encode) {
  core::PushResult sent;
  uint64_t number = 0;
  (void)SeqNumber(seq, &number);
  PushFrames(
      kind, consumer, 1, [&](size_t) { return number; },
      [&](size_t, Command cmd, protocol::tcp::LengthConvention convention, std::string* out) {
        return encode(cmd, convention, out);
      },
      [&](size_t) -> core::PushResult& { return sent; });
  return sent;
}

void Session::Forget(const std::string& seq) {
  uint64_t key = 0;
  if (!SeqNumber(seq, &key)) return;
  std::lock_guard<std::mutex> lock(deliveries_mu_);
  SettleDeliveryLocked(key);
}

void Session::SettleDeliveryLocked(uint64_t seq) {
  auto it = deliveries_.find(seq / core::kSeqBlock);
  if (it == deliveries_.end()) return;
  it->second.live &= ~(uint64_t{1} << (seq % core::kSeqBlock));
  if (it->second.live == 0) deliveries_.erase(it);
}

// ----- Output ------------------------------------------------------------------------------

void Session::FlushPushes() {
  std::lock_guard<std::mutex> lock(out_mu_);
  if (out_closed_ || writing_ || out_pending_.empty()) return;
  if (close_after_flush_) {  // StartWrite closes once everything is out
    writing_ = true;
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
    return;
  }
  if (tls_) {  // TLS records are written by the io thread only
    writing_ = true;
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
    return;
  }
  // Nothing is being written: try the socket directly from this thread (out_mu_ keeps the
  // descriptor open, see Close) and leave only a remainder to the io thread. This saves waking
  // the io thread for a burst of pushes that fits the socket buffer.
  const ssize_t sent = ::send(socket_.native_handle(), out_pending_.data(), out_pending_.size(),
                              MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent > 0) out_pending_.erase(0, static_cast<size_t>(sent));
  if (out_pending_.empty()) return;
  // A partial write, a full socket buffer or an error: the io thread finishes (or reports) it.
  writing_ = true;
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
}

bool Session::Send(const Package& package, bool defer_write) {
  return AppendOutput(
      package.header.cmd,
      [&](protocol::tcp::LengthConvention convention, std::string* out) {
        return protocol::tcp::EncodePackage(package, convention, out,
                                            static_cast<size_t>(ctx_->config->max_frame_size));
      },
      defer_write);
}

bool Session::SendReply(Command cmd, int code, absl::string_view desc,
                        std::optional<absl::string_view> seq) {
  return AppendOutput(
      cmd,
      [&](protocol::tcp::LengthConvention convention, std::string* out) {
        return protocol::tcp::EncodeReply(cmd, code, desc, seq, convention, out,
                                          static_cast<size_t>(ctx_->config->max_frame_size));
      },
      /*defer_write=*/false);
}

bool Session::CloseIfOutputOverBoundLocked() {
  const auto bound = static_cast<size_t>(ctx_->config->max_pending_output_bytes);
  if (out_pending_.size() <= bound) return false;
  out_closed_ = true;
  boost::asio::post(socket_.get_executor(), [self = shared_from_this(), bound] {
    self->Close(
        absl::StrCat("the client does not read its socket (more than ", bound,
                     " bytes of output pending, eventMesh.server.tcp.maxPendingOutputBytes)"));
  });
  return true;
}

bool Session::AppendOutput(
    Command cmd,
    absl::FunctionRef<absl::Status(protocol::tcp::LengthConvention, std::string*)> encode,
    bool defer_write) {
  const auto convention =
      static_cast<protocol::tcp::LengthConvention>(convention_.load(std::memory_order_relaxed));
  std::lock_guard<std::mutex> lock(out_mu_);
  if (out_closed_) return false;
  absl::Status encoded = encode(convention, &out_pending_);
  if (!encoded.ok()) {
    LOG(ERROR) << "session " << peer_ << ": cannot encode " << CommandName(cmd) << ": " << encoded;
    return false;
  }
  if (CloseIfOutputOverBoundLocked()) {
    return false;
  }
  if (!writing_ && !defer_write) {
    writing_ = true;
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
  return true;
}

void Session::StartWrite() {
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (closed_) {
      writing_ = false;
      return;
    }
    if (out_pending_.empty()) {
      writing_ = false;
      // Drained: a session that was busy does not keep a large buffer while idle.
      if (out_writing_.capacity() > kKeptOutputCapacity) std::string().swap(out_writing_);
      if (out_pending_.capacity() > kKeptOutputCapacity) std::string().swap(out_pending_);
      if (!close_after_flush_) return;
      reason = close_reason_;
    } else {
      out_writing_.clear();
      out_writing_.swap(out_pending_);
    }
  }
  if (!reason.empty()) {
    Close(reason);
    return;
  }
  auto on_written = [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
    if (ec) {
      {
        std::lock_guard<std::mutex> lock(self->out_mu_);
        self->writing_ = false;
      }
      self->Close(absl::StrCat("write error: ", ec.message()));
      return;
    }
    self->StartWrite();
  };
  if (tls_) {
    boost::asio::async_write(*tls_, boost::asio::buffer(out_writing_), std::move(on_written));
  } else {
    boost::asio::async_write(socket_, boost::asio::buffer(out_writing_), std::move(on_written));
  }
}

void Session::SendServerGoodbye(int code, const std::string& desc) {
  Package goodbye;
  goodbye.header.cmd = Command::kServerGoodbyeRequest;
  goodbye.header.code = code;
  goodbye.header.desc = desc;
  Send(goodbye);
  CloseAsync(absl::StrCat("server goodbye: ", desc), /*flush=*/true);
}

void Session::Redirect(const std::string& ip, int port) {
  protocol::tcp::RedirectInfo info;
  info.ip = ip;
  info.port = port;
  Package redirect;
  redirect.header.cmd = Command::kRedirectToClient;
  redirect.header.code = OpStatus::kSuccess;
  redirect.body = info.ToJson();
  Send(redirect);
}

void Session::CloseAsync(const std::string& reason, bool flush) {
  boost::asio::post(socket_.get_executor(), [self = shared_from_this(), reason, flush] {
    if (self->closed_) return;
    if (!flush) {
      self->Close(reason);
      return;
    }
    self->reading_stopped_ = true;  // nothing new is accepted once the goodbye is on its way
    bool close_now = false;
    {
      std::lock_guard<std::mutex> lock(self->out_mu_);
      self->close_after_flush_ = true;
      self->close_reason_ = reason;
      close_now = !self->writing_ && self->out_pending_.empty();
    }
    if (close_now) self->Close(reason);
  });
}

void Session::Close(const std::string& reason) {
  if (closed_.exchange(true)) return;
  LOG(INFO) << "session " << peer_ << " (group " << user_agent_.group << ") closed: " << reason;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    out_closed_ = true;
  }
  boost::system::error_code ec;
  expiry_timer_.cancel();
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  FlushPending();  // publishes and acks read before the close still count
  ctx_->consumers->RemoveTarget(id_);
  ctx_->requests->CancelOwner(core::RequestOwner{kFrontendName, id_});
  {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    deliveries_.clear();
  }
  if (ctx_->on_closed) ctx_->on_closed(id_);
}

}  // namespace eventmesh::runtime::tcp
