#ifndef EVENTMESH_RUNTIME_TCP_SESSION_H_
#define EVENTMESH_RUNTIME_TCP_SESSION_H_

// One client connection speaking the EventMesh TCP protocol.
//
// Lifecycle: Start() reads frames; HELLO_REQUEST (validated with UserAgent::Validate) opens the
// session; until then every other command is answered with code 1 and "no session is found"
// in desc, and a connection without a successful HELLO after helloTimeoutMs is closed whatever
// else it sends. Commands are processed in arrival order on the connection's io_context thread (a
// connection stays on one worker). A frame that cannot be decoded (bad magic, bad header, too
// large) closes the connection with a logged reason; a decodable frame with a bad body or an
// unsupported command gets an error reply with the request's seq.
// Publishing goes through core::PublishService (reserved topics, ACL, rate limits, topic
// existence): the ack (code 0) is sent only after the connector reported the event durable;
// refusals get code 2 (aclFail) for PermissionDenied, otherwise code 1 with the reason.
// Per-session in-flight publishes are limited (upstreamBufferSize): code 1 with an overload
// description instead of dropping.
// Request-reply goes through core::RequestReplyService: REQUEST_TO_SERVER waits for the
// responder's RESPONSE_TO_SERVER, sent back as RESPONSE_TO_CLIENT with the request's seq; after
// the `ttl` property (ms, default 3000) the requester gets RESPONSE_TO_CLIENT code 1. Requests
// still waiting when the session closes are cancelled.
// Security (optional): HELLO must carry credentials of the ACL; subscribing outside the user's
// topic permissions gets code 2 (aclFail).
// Delivery: a DeliveryTarget with a window of unacknowledged pushes; subscriptions become active
// at LISTEN_REQUEST.
// Output: frames from any thread are appended to one pending buffer; one write at a time sends
// everything pending (gathered writes). A client that stops reading is closed once 64 MiB are
// pending.
// Thread-safety: Push/TryAcquireSlot/ReleaseSlot/Forget/SendServerGoodbye/CloseAsync may be
// called from any thread; everything else runs on the session's io_context. Kept alive by
// shared_from_this while an operation is pending.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "eventmesh/protocol/adaptor/tcp_adaptor.h"
#include "eventmesh/protocol/tcp/package.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/subscription.h"
#include "eventmesh/protocol/tcp/user_agent.h"
#include "eventmesh/runtime/core/delivery_target.h"
#include "eventmesh/runtime/core/group_consumer.h"
#include "eventmesh/runtime/core/in_flight_table.h"
#include "eventmesh/runtime/tcp/session_context.h"

namespace eventmesh::runtime::tcp {

inline constexpr char kNoSessionDesc[] = "no session is found: send HELLO_REQUEST first";
inline constexpr char kServerGoodbyeDesc[] = "graceful normal quit from eventmesh";
inline constexpr char kTpsOverloadDesc[] = "Tps overload, global flow control";
inline constexpr char kSessionTpsOverloadDesc[] =
    "Tps overload, session flow control: more than eventMesh.server.session.msgReqnumPerSecond "
    "publishes per second";
// The request-reply owner name of TCP sessions.
inline constexpr char kFrontendName[] = "tcp";

class Session final : public core::DeliveryTarget, public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, const SessionContext* context, uint64_t id);
  ~Session() override;

  void Start();

  // Sends SERVER_GOODBYE_REQUEST (code, desc) and closes once it is written. Any thread.
  void SendServerGoodbye(int code, const std::string& desc);
  // Sends REDIRECT_TO_CLIENT {"ip","port"} (code 0, no seq); the client is expected to reconnect
  // there. The connection stays open until the client closes it or the session expires. Any
  // thread.
  void Redirect(const std::string& ip, int port);
  // Closes the connection (after flushing pending output when `flush`). Any thread.
  void CloseAsync(const std::string& reason, bool flush);
  // In-flight publishes (published, not yet acknowledged by the connector).
  int64_t publishes_in_flight() const { return publishes_in_flight_.load(); }
  bool closed() const { return closed_.load(); }
  uint64_t id() const { return id_; }

  // core::DeliveryTarget
  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override;
  void ReleaseSlot() override;
  void ReleaseSlots(int64_t n) override;
  core::PushResult Push(const cloudevents::CloudEvent& event, core::PushKind kind,
                        const std::string& seq,
                        const std::shared_ptr<core::GroupConsumer>& consumer) override;
  // Events kept as stored bytes are written from them (protocol::adaptor::AppendStoredEventFrame)
  // and decoded only when that cannot write them.
  bool TakesStoredBytes() const override { return true; }
  core::PushResult PushStored(const std::shared_ptr<const std::string>& stored, bool validated,
                              const cloudevents::StoredEventHints& hints, core::PushKind kind,
                              const std::string& seq,
                              const std::shared_ptr<core::GroupConsumer>& consumer) override;
  void PushStoredRun(core::PushKind kind, const std::shared_ptr<core::GroupConsumer>& consumer,
                     StoredPush* pushes, size_t count) override;
  void Forget(const std::string& seq) override;
  void FlushPushes() override;

 private:
  // TcpServer::ListSessions reads the HELLO fields on the session's io thread.
  friend class TcpServer;

  struct SubscribedTopic {
    protocol::tcp::SubscriptionItem item;
  };

  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t bytes);
  // `body` is the package's body (borrowed from the decoder for publishes and acks);
  // `header_shape` its header's (DecodedPackage::header_shape).
  void Handle(protocol::tcp::Package& package, absl::string_view body, uint64_t header_shape);
  void HandleHello(const protocol::tcp::Package& package);
  // RECOMMEND_REQUEST (UserAgent body, no session needed): RECOMMEND_RESPONSE whose body is the
  // JSON string "ip:port" of the runtime this client should use (SessionContext::recommend).
  void HandleRecommend(const protocol::tcp::Package& package);
  void HandleSubscribe(const protocol::tcp::Package& package);
  void HandleUnsubscribe(const protocol::tcp::Package& package);
  void HandleListen(const protocol::tcp::Package& package);
  void HandlePublish(protocol::tcp::Package& package, absl::string_view body,
                     uint64_t header_shape);
  void HandleClientAck(const protocol::tcp::Package& package);
  // Hands the acks collected from one socket read to their consumers (one call per consumer).
  void FlushAcks();
  // The publish encoder's memo, made on first use.
  protocol::adaptor::StoredPublishMemo* PublishMemo();
  // What a publish's reply needs once the connector answers. Tickets are pooled per session
  // (their seq buffers reused), so a publish's completion captures one pointer: neither the
  // callback nor the seq allocates per publish.
  struct PublishTicket {
    std::shared_ptr<Session> session;  // holds the session while the publish is in flight
    protocol::tcp::Command reply_cmd{};
    bool has_seq = false;
    std::string seq;
    int64_t start_ns = 0;
  };
  PublishTicket* TakeTicket();
  // Answers the publish and returns its ticket to the pool (on whichever thread the connector
  // completes it).
  static void CompletePublish(PublishTicket* ticket,
                              const absl::StatusOr<connectors::PublishResult>& result);
  // Hands the publishes collected from one socket read to the connector in one batch.
  void FlushPublishes();
  void FlushPending();  // FlushPublishes, then FlushAcks
  void HandleRequest(protocol::tcp::Package& package);
  void HandleResponse(const protocol::tcp::Package& package);
  void SendRequestFailure(const std::string& seq, std::string desc);
  absl::Status Activate(const protocol::tcp::SubscriptionItem& item);
  // The session as the publish policy sees it.
  core::Publisher AsPublisher();

  // Whether a warning about this client may be logged now (SessionContext::log_limiter, keyed by
  // the client's IP); the value counts the messages dropped before it.
  std::optional<int64_t> AdmitLog();
  void Reply(const protocol::tcp::Package& request, protocol::tcp::Command cmd, int code,
             std::string desc);
  // Queues the encoded frame. Unless `defer_write` (pushes: FlushPushes follows), starts a
  // write on the io thread when none is running.
  bool Send(const protocol::tcp::Package& package, bool defer_write = false);
  // Send for a reply without body or properties (protocol::tcp::EncodeReply): what every
  // publish is acknowledged with, written without building a Package.
  bool SendReply(protocol::tcp::Command cmd, int code, absl::string_view desc,
                 std::optional<absl::string_view> seq);
  // Appends what `encode` writes for `cmd` to the pending output and starts a write unless
  // `defer_write`; false when the session no longer sends or the frame cannot be encoded.
  bool AppendOutput(
      protocol::tcp::Command cmd,
      absl::FunctionRef<absl::Status(protocol::tcp::LengthConvention, std::string*)> encode,
      bool defer_write);
  // A push: routes acks for `seq` to `consumer`, and `encode` appends the frame of command `cmd`
  // to the pending output (FlushPushes writes it).
  // Under out_mu_: when the output waiting for the client is over
  // RuntimeConfig::max_pending_output_bytes, marks the output closed, has the io thread close
  // the session, and answers true.
  bool CloseIfOutputOverBoundLocked();
  // The frame of a stored event, appended to `out`: from the bytes through the push memo, or
  // the decoded event. Under out_mu_ (which guards the memo).
  absl::Status AppendStoredFrameLocked(const std::string& stored, bool validated,
                                       const cloudevents::StoredEventHints& hints,
                                       protocol::tcp::Command cmd, const std::string& seq,
                                       protocol::tcp::LengthConvention convention,
                                       std::string* out);
  // Pushes `count` frames for `consumer`: the ack routes (by `seq_number(i)`, the seq as a
  // uint64_t) under one lock, the frames (`encode(i, cmd, convention, out)` appends frame i, an
  // absl::Status) under out_mu_ once, each push's result in `result(i)` (a core::PushResult&). A
  // refused push leaves neither a frame nor an ack route behind. Defined (and used) in session.cc.
  template <typename SeqNumberOf, typename Encode, typename Result>
  void PushFrames(core::PushKind kind, const std::shared_ptr<core::GroupConsumer>& consumer,
                  size_t count, SeqNumberOf seq_number, Encode encode, Result result);
  using PushEncoder = absl::FunctionRef<absl::Status(
      protocol::tcp::Command cmd, protocol::tcp::LengthConvention convention, std::string* out)>;
  // PushFrames for one frame.
  core::PushResult PushFrame(core::PushKind kind, const std::string& seq,
                             const std::shared_ptr<core::GroupConsumer>& consumer,
                             PushEncoder encode);
  void StartWrite();
  void Close(const std::string& reason);
  void ScheduleExpiryCheck();

  boost::asio::ip::tcp::socket socket_;
  // With TLS (SessionContext::tls): the TLS layer over socket_; every read and write goes
  // through it, on the session's io thread. nullptr: plain TCP.
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer expiry_timer_;
  const SessionContext* const ctx_;
  const uint64_t id_;
  std::string peer_;

  // io_context thread only.
  protocol::tcp::PackageDecoder decoder_;
  // The frame being handled; kept (its storage reused) through a run of publishes or
  // acknowledgements, freed otherwise (see OnRead).
  std::unique_ptr<protocol::tcp::DecodedPackage> decoded_;
  size_t last_read_bytes_ = 0;  // a large last read: more is likely to follow
  bool hello_done_ = false;
  protocol::tcp::UserAgent user_agent_;
  const core::AclUser* acl_user_ = nullptr;  // set at HELLO when security is enabled
  bool listening_ = false;
  std::vector<protocol::tcp::SubscriptionItem> subscriptions_;
  core::KnownTopics known_topics_;
  int64_t last_activity_ms_ = 0;
  int64_t read_ns_ = 0;  // SteadyNowNs when the frames being handled were read (publish latency)
  int64_t accepted_ms_ = 0;
  bool reading_stopped_ = false;
  // The seqs of the client acks of the frames being handled (io thread): routed to their
  // consumers by FlushAcks, all under one lock of deliveries_mu_.
  std::vector<uint64_t> pending_acks_;
  std::vector<connectors::Connector::PendingPublish> pending_publishes_;
  protocol::adaptor::StoredPublish stored_publish_;  // HandlePublish's encoder output
  connectors::TopicName publish_topic_;              // the last publish's topic (io thread)
  // ... and what it keeps from one publish to the next: made by the first publish, freed with
  // the idle trim (PublishMemo gives it).
  std::unique_ptr<protocol::adaptor::StoredPublishMemo> publish_memo_;
  // Tickets of completed publishes, for the next ones (freed with the idle trim): those
  // completed on the io thread (embedded store, syncMode none) without a lock, the others
  // under tickets_mu_.
  std::vector<std::unique_ptr<PublishTicket>> io_free_tickets_;  // io thread only
  std::mutex tickets_mu_;
  std::vector<std::unique_ptr<PublishTicket>> free_tickets_;  // guarded by tickets_mu_
  std::thread::id io_thread_;  // set by the first read, before any publish

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> publishes_in_flight_{0};
  core::RateLimiter session_rate_limiter_;  // eventMesh.server.session.msgReqnumPerSecond
  std::atomic<int64_t> window_in_flight_{0};
  std::atomic<int64_t> window_size_{0};  // 0 until LISTEN
  std::atomic<int> convention_{static_cast<int>(protocol::tcp::LengthConvention::kCurrent)};

  std::mutex out_mu_;
  // What pushes of stored events keep from one to the next (their attributes' reading and
  // JSON); made by the first such push, freed with the idle trim. Guarded by out_mu_.
  std::unique_ptr<protocol::adaptor::StoredFrameMemo> push_memo_;
  std::string out_pending_;
  std::string out_writing_;
  bool writing_ = false;
  bool out_closed_ = false;
  bool close_after_flush_ = false;
  std::string close_reason_;

  // The pushes in flight here, by seq block (a consumer takes its seqs core::kSeqBlock at a
  // time, so one block's seqs all come from one consumer): the consumer, and a bit per seq of
  // the block pushed here and not yet acknowledged, forgotten or refused. A push costs a bit,
  // not a map entry and a weak_ptr copy; an entry goes with its last bit.
  struct BlockDeliveries {
    std::weak_ptr<core::GroupConsumer> consumer;
    uint64_t live = 0;
  };
  // Clears `seq`'s bit (nothing when it was not set: not pushed here, or settled already).
  void SettleDeliveryLocked(uint64_t seq);
  std::mutex deliveries_mu_;
  absl::flat_hash_map<uint64_t, BlockDeliveries> deliveries_;  // by seq / core::kSeqBlock
};

}  // namespace eventmesh::runtime::tcp

#endif  // EVENTMESH_RUNTIME_TCP_SESSION_H_
