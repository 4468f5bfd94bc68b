#include "eventmesh/runtime/grpc/grpc_frontend.h"

#include <atomic>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "eventmesh/common/named_thread.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/grpc/bounded_messages.h"
#include "eventmesh/protocol/grpc/eventmesh_service.grpc.pb.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "eventmesh/protocol/proto/field_count.h"
#include "eventmesh/runtime/core/rate_limiter.h"
#include "glog/logging.h"
#include "google/protobuf/arena.h"
#include "grpcpp/grpcpp.h"

namespace eventmesh::runtime::grpc {
namespace {

using namespace ::eventmesh::protocol::grpc;  // NOLINT: the protocol's vocabulary

using ::grpc::CallbackServerContext;
using ::grpc::ServerUnaryReactor;

class Stream;

// The live subscribeStream calls, for unsubscribe/heartbeat by client identity and for Drain.
class StreamRegistry {
 public:
  void Add(const std::shared_ptr<Stream>& stream) {
    std::lock_guard<std::mutex> lock(mu_);
    streams_.push_back(stream);
  }
  void Remove(const Stream* stream) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      auto live = it->lock();
      if (!live || live.get() == stream) {
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<std::shared_ptr<Stream>> All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<Stream>> out;
    for (const auto& weak : streams_) {
      if (auto live = weak.lock()) out.push_back(std::move(live));
    }
    return out;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return streams_.size();
  }

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Stream>> streams_;
};

// What the three services share; owned by the frontend.
struct Shared {
  explicit Shared(const frontend::FrontendServices& s)
      : services(s),
        rate_limiter(s.config->grpc_msg_req_num_per_second,
                     "gRPC publish rate over eventMesh.server.grpc.msgReqnumPerSecond"),
        work(boost::asio::make_work_guard(timer_io)) {}

  frontend::FrontendServices services;
  core::RateLimiter rate_limiter;
  boost::asio::io_context timer_io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::atomic<uint64_t> next_call{1};
  std::atomic<bool> stopping{false};
  StreamRegistry streams;

  // "ipv4:127.0.0.1:5000" -> "127.0.0.1".
  static std::string PeerIp(const std::string& peer) {
    std::string p = peer;
    if (auto colon = p.find(':'); colon != std::string::npos) p = p.substr(colon + 1);
    if (auto last = p.rfind(':'); last != std::string::npos) p = p.substr(0, last);
    if (!p.empty() && p.front() == '[') p = p.substr(1, p.size() - 2);
    return p;
  }

  // nullptr when security is off; PermissionDenied when the credentials do not match.
  absl::StatusOr<const core::AclUser*> Authenticate(const pb::CloudEvent& event,
                                                    const std::string& peer_ip) {
    if (services.acl == nullptr) return nullptr;
    return Authenticate(Attr(event, key::kUsername), Attr(event, key::kPasswd),
                        Attr(event, key::kToken), peer_ip);
  }
  absl::StatusOr<const core::AclUser*> Authenticate(const WireEventView& event,
                                                    const std::string& peer_ip) {
    if (services.acl == nullptr) return nullptr;
    return Authenticate(std::string(event.Attr(key::kUsername)),
                        std::string(event.Attr(key::kPasswd)), std::string(event.Attr(key::kToken)),
                        peer_ip);
  }
  absl::StatusOr<const core::AclUser*> Authenticate(std::string username, std::string password,
                                                    std::string token, const std::string& peer_ip) {
    core::Credentials credentials;
    credentials.username = std::move(username);
    credentials.password = std::move(password);
    credentials.token = std::move(token);
    credentials.address = peer_ip;
    auto user = services.authenticator->Login(credentials);
    if (!user.ok()) return absl::PermissionDeniedError(user.status().message());
    return *user;
  }

  core::Publisher AsPublisher(const core::AclUser* user) {
    core::Publisher publisher;
    publisher.user = user;
    publisher.frontend_limit = &rate_limiter;
    publisher.protocol = core::Protocol::kGrpc;
    return publisher;
  }
};

// The code a refused publish gets: ACL 20, limits 21, size 7, otherwise `otherwise`.
Code PublishRefusalCode(const absl::Status& status, Code otherwise) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
      return Code::kAclErr;
    case absl::StatusCode::kResourceExhausted:
      return Code::kSpeedOverLimitErr;
    case absl::StatusCode::kOutOfRange:
      return Code::kProtocolBodyErr;
    default:
      return otherwise;
  }
}

using Respond = std::function<void(pb::CloudEvent)>;

// The checks of one published event, in Apache's order H (6), D (7), A (20), then the
// conversion (14) and the publish policy. On success returns the mesh event and `user`.
std::optional<cloudevents::CloudEvent> CheckPublish(Shared* shared, const pb::CloudEvent& request,
                                                    const std::string& peer_ip, Code generic,
                                                    const core::AclUser** user,
                                                    const Respond& respond) {
  if (!HeaderValid(request)) {
    respond(FreshResponse(Code::kProtocolHeaderErr));
    return std::nullopt;
  }
  if (absl::Status data = CheckData(request); !data.ok()) {
    respond(FreshResponse(Code::kProtocolBodyErr, data.message()));
    return std::nullopt;
  }
  auto authenticated = shared->Authenticate(request, peer_ip);
  if (!authenticated.ok()) {
    respond(FreshResponse(Code::kAclErr, authenticated.status().message()));
    return std::nullopt;
  }
  *user = *authenticated;
  auto event = ToMeshEvent(request);
  if (!event.ok()) {
    respond(FreshResponse(generic, event.status().message()));
    return std::nullopt;
  }
  return *std::move(event);
}

// The answer to a single publish once the store has spoken (Apache's SendResult text).
std::function<void(absl::Status)> SinglePublishAnswer(Respond respond, std::string topic,
                                                      std::string id) {
  return [respond = std::move(respond), topic = std::move(topic),
          id = std::move(id)](absl::Status status) {
    if (status.ok()) {
      respond(FreshResponse(Code::kSuccess,
                            absl::StrCat("SendResult[topic=", topic, ", messageId=", id, "]")));
    } else {
      respond(FreshResponse(Code::kSendAsyncMsgErr, status.message()));
    }
  };
}

// The answer to a batch publish once the store has spoken.
std::function<void(absl::Status)> BatchPublishAnswer(Respond respond) {
  return [respond = std::move(respond)](absl::Status status) {
    respond(status.ok() ? FreshResponse(Code::kSuccess, "batch publish success")
                        : FreshResponse(Code::kBatchPublishErr, status.message()));
  };
}

// The answer to a single publish the policy refused: a copy of the request (`request` gives it)
// for a refusal for speed, as Apache does; a fresh response otherwise.
pb::CloudEvent SinglePublishRefusal(const absl::Status& admitted,
                                    const std::function<pb::CloudEvent()>& request) {
  const Code code = PublishRefusalCode(admitted, Code::kSendAsyncMsgErr);
  return code == Code::kSpeedOverLimitErr ? CopyResponse(request(), code, admitted.message())
                                          : FreshResponse(code, admitted.message());
}

// The publish policy, then the store, for one checked event. `request` gives the request
// message for a refusal for speed (answered with a copy of it, as Apache does).
void PublishChecked(Shared* shared, const core::AclUser* user, cloudevents::CloudEvent event,
                    const std::function<pb::CloudEvent()>& request, Respond respond) {
  const core::Publisher publisher = shared->AsPublisher(user);
  if (absl::Status admitted = shared->services.publish->Admit(publisher, event); !admitted.ok()) {
    respond(SinglePublishRefusal(admitted, request));
    return;
  }
  const std::string topic = event.subject().value_or("");
  const std::string id = event.id();
  std::vector<cloudevents::CloudEvent> events;
  events.push_back(std::move(event));
  shared->services.publish->Publish(
      std::move(events), SinglePublishAnswer(std::move(respond), topic, id), core::Protocol::kGrpc);
}

// The publish policy, then the store, for the checked events of a batch.
void PublishCheckedBatch(Shared* shared, const core::AclUser* user,
                         std::vector<cloudevents::CloudEvent> events, Respond respond) {
  const core::Publisher publisher = shared->AsPublisher(user);
  if (absl::Status admitted = shared->services.publish->AdmitAll(publisher, events);
      !admitted.ok()) {
    respond(
        FreshResponse(PublishRefusalCode(admitted, Code::kBatchPublishErr), admitted.message()));
    return;
  }
  shared->services.publish->Publish(std::move(events), BatchPublishAnswer(std::move(respond)),
                                    core::Protocol::kGrpc);
}

void PublishOne(Shared* shared, const pb::CloudEvent& request, const std::string& peer_ip,
                Respond respond) {
  if (shared->stopping.load()) {
    respond(FreshResponse(Code::kStop));
    return;
  }
  const core::AclUser* user = nullptr;
  auto event = CheckPublish(shared, request, peer_ip, Code::kSendAsyncMsgErr, &user, respond);
  if (!event) return;
  PublishChecked(
      shared, user, *std::move(event), [&request] { return request; }, std::move(respond));
}

void PublishBatch(Shared* shared, const pb::CloudEventBatch& batch, const std::string& peer_ip,
                  Respond respond) {
  if (shared->stopping.load()) {
    respond(FreshResponse(Code::kStop));
    return;
  }
  if (batch.events_size() == 0) {
    respond(FreshResponse(Code::kProtocolBodyErr, "the batch has no events"));
    return;
  }
  for (const auto& event : batch.events()) {
    if (!HeaderValid(event)) {
      respond(FreshResponse(Code::kProtocolHeaderErr));
      return;
    }
  }
  for (const auto& event : batch.events()) {
    if (absl::Status data = CheckData(event); !data.ok()) {
      respond(FreshResponse(Code::kProtocolBodyErr, data.message()));
      return;
    }
  }
  auto user = shared->Authenticate(batch.events(0), peer_ip);
  if (!user.ok()) {
    respond(FreshResponse(Code::kAclErr, user.status().message()));
    return;
  }
  std::vector<cloudevents::CloudEvent> events;
  for (int i = 0; i < batch.events_size(); ++i) {
    auto event = ToMeshEvent(batch.events(i));
    if (!event.ok()) {
      respond(FreshResponse(Code::kBatchPublishErr,
                            absl::StrCat("event [", i, "]: ", event.status().message())));
      return;
    }
    events.push_back(*std::move(event));
  }
  PublishCheckedBatch(shared, *user, std::move(events), std::move(respond));
}

// The request's single event, parsed (the copy-shaped refusal answers with it).
pb::CloudEvent RequestMessage(absl::string_view bytes) {
  pb::CloudEvent request;
  (void)request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  return request;
}

// PublishFromBytes' events in their stored form, written from their bytes (EncodeStoredEvent),
// admitted and published through PublishService as PublishChecked and PublishCheckedBatch do,
// with the same answers. Returns false, having answered nothing, when an event is one
// EncodeStoredEvent leaves alone.
bool PublishStoredFromBytes(Shared* shared, absl::string_view bytes, bool batch,
                            absl::Span<const WireEventView> views, const std::string& peer_ip,
                            const Respond& respond) {
  std::vector<connectors::Connector::PendingPublish> pending(views.size());
  absl::InlinedVector<core::PublishService::EventFacts, 1> facts(views.size());
  StoredEvent stored;
  for (size_t i = 0; i < views.size(); ++i) {
    if (!EncodeStoredEvent(views[i], core::kMeshOriginExtension, &stored)) return false;
    facts[i] = {stored.topic, stored.data_size, stored.has_marker};
    pending[i].stored.swap(stored.bytes);
    // The events of a batch usually share their topic: one TopicName for a run of them.
    if (i > 0 && absl::string_view(pending[i - 1].stored_topic) == stored.topic) {
      pending[i].stored_topic = pending[i - 1].stored_topic;
    } else {
      pending[i].stored_topic = connectors::TopicName(stored.topic);
    }
    pending[i].stored_hints.data_size = stored.data_size;
  }
  auto user = shared->Authenticate(views[0], peer_ip);
  if (!user.ok()) {
    respond(FreshResponse(Code::kAclErr, user.status().message()));
    return true;
  }
  const core::Publisher publisher = shared->AsPublisher(*user);
  core::PublishService& publish = *shared->services.publish;
  if (batch) {
    if (absl::Status admitted = publish.AdmitAll(publisher, facts); !admitted.ok()) {
      respond(
          FreshResponse(PublishRefusalCode(admitted, Code::kBatchPublishErr), admitted.message()));
      return true;
    }
    publish.PublishStored(std::move(pending), BatchPublishAnswer(respond), core::Protocol::kGrpc);
    return true;
  }
  if (absl::Status admitted =
          publish.Admit(publisher, facts[0].topic, facts[0].data_size, facts[0].forwarded);
      !admitted.ok()) {
    respond(SinglePublishRefusal(admitted, [bytes] { return RequestMessage(bytes); }));
    return true;
  }
  publish.PublishStored(
      std::move(pending),
      SinglePublishAnswer(respond, std::string(facts[0].topic), std::string(views[0].id())),
      core::Protocol::kGrpc);
  return true;
}

// The publish of a request read straight from its bytes (`batch`: a CloudEventBatch, else one
// CloudEvent): Apache's checks on WireEventView, the conversion from the event's own bytes, so no
// message is parsed and serialized again on the way to the store. Answers (and returns true)
// only where the answer is the one PublishOne/PublishBatch give for the parsed message: when
// every event passes the checks and converts (then the credentials, the policy and the store
// decide). Returns false, having answered nothing, for anything else (a refusal, a non-string
// attribute, bytes it does not read); the caller then parses the message and takes that path.
bool PublishFromBytes(Shared* shared, absl::string_view bytes, bool batch,
                      const std::string& peer_ip, const Respond& respond) {
  if (shared->stopping.load()) return false;
  if (!protocol::wire::WithinFieldLimit(
          batch ? pb::CloudEventBatch::descriptor() : pb::CloudEvent::descriptor(), bytes,
          kMaxGrpcMessageFields)) {
    return false;
  }
  // Every event read and checked first (any refusal: the message path answers).
  absl::InlinedVector<absl::string_view, 1> event_bytes;
  absl::InlinedVector<WireEventView, 1> views;
  if (batch) {
    std::optional<std::vector<absl::string_view>> batched = BatchEventBytes(bytes);
    if (!batched.has_value() || batched->empty()) return false;
    event_bytes.assign(batched->begin(), batched->end());
  } else {
    event_bytes.push_back(bytes);
  }
  views.reserve(event_bytes.size());
  for (absl::string_view one : event_bytes) {
    std::optional<WireEventView> view = WireEventView::Read(one);
    if (!view.has_value() || !HeaderValid(*view) || !CheckData(*view).ok()) return false;
    views.push_back(*std::move(view));
  }
  // With a connector that stores the encoded event as it is, each event's stored form is
  // written straight from its bytes; when any event is one EncodeStoredEvent leaves alone, all
  // take the conversion below.
  if (shared->services.publish->TakesStoredBytes() &&
      PublishStoredFromBytes(shared, bytes, batch, views, peer_ip, respond)) {
    return true;
  }
  std::vector<cloudevents::CloudEvent> events;
  events.reserve(views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    auto event = ToMeshEvent(event_bytes[i], views[i]);
    if (!event.ok()) return false;
    events.push_back(*std::move(event));
  }
  auto user = shared->Authenticate(views[0], peer_ip);
  if (!user.ok()) {
    respond(FreshResponse(Code::kAclErr, user.status().message()));
    return true;
  }
  if (batch) {
    PublishCheckedBatch(shared, *user, std::move(events), respond);
  } else {
    PublishChecked(
        shared, *user, std::move(events[0]), [bytes] { return RequestMessage(bytes); }, respond);
  }
  return true;
}

// A one-way call's answer: OK, or the refusal as a gRPC status (Empty has no attributes).
::grpc::Status OneWayStatus(const pb::CloudEvent& response) {
  const int code = ResponseCode(response);
  if (code == 0) return ::grpc::Status::OK;
  const std::string message = absl::StrCat(code, " ", Attr(response, key::kResponseMessage));
  switch (static_cast<Code>(code)) {
    case Code::kProtocolHeaderErr:
    case Code::kProtocolBodyErr:
      return ::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT, message);
    case Code::kAclErr:
      return ::grpc::Status(::grpc::StatusCode::PERMISSION_DENIED, message);
    case Code::kSpeedOverLimitErr:
      return ::grpc::Status(::grpc::StatusCode::RESOURCE_EXHAUSTED, message);
    case Code::kStop:
      return ::grpc::Status(::grpc::StatusCode::UNAVAILABLE, message);
    default:
      return ::grpc::Status(::grpc::StatusCode::INTERNAL, message);
  }
}

// A unary call's request read from the bytes gRPC received (ReadBoundedMessage): false once the
// call was finished with why it could not be (RESOURCE_EXHAUSTED beyond the field limit,
// INVALID_ARGUMENT for bytes that are not the message), so the caller sees the reason; a typed
// method would answer gRPC's UNIMPLEMENTED with no message instead.
bool ReadRequest(const ::grpc::ByteBuffer* bytes, google::protobuf::Message* request,
                 ServerUnaryReactor* reactor) {
  ::grpc::Status read = ReadBoundedMessage(*bytes, request);
  if (read.ok()) return true;
  reactor->Finish(read);
  return false;
}

// Finishes a unary call with `answer` as its response message.
void FinishWith(ServerUnaryReactor* reactor, ::grpc::ByteBuffer* response,
                const google::protobuf::MessageLite& answer) {
  reactor->Finish(WriteMessage(answer, response));
}

// The services' methods are raw (their requests and responses gRPC's bytes) and read and write
// the messages themselves; see ReadRequest.
using PublisherServiceBase = pb::PublisherService::WithRawCallbackMethod_publish<
    pb::PublisherService::WithRawCallbackMethod_requestReply<
        pb::PublisherService::WithRawCallbackMethod_publishOneWay<
            pb::PublisherService::WithRawCallbackMethod_batchPublish<
                pb::PublisherService::WithRawCallbackMethod_batchPublishOneWay<
                    pb::PublisherService::Service>>>>>;
using ConsumerServiceBase = pb::ConsumerService::WithRawCallbackMethod_subscribe<
    pb::ConsumerService::WithRawCallbackMethod_subscribeStream<
        pb::ConsumerService::WithRawCallbackMethod_unsubscribe<pb::ConsumerService::Service>>>;
using HeartbeatServiceBase =
    pb::HeartbeatService::WithRawCallbackMethod_heartbeat<pb::HeartbeatService::Service>;

// A publish method's work: the request read from its bytes where PublishFromBytes can, otherwise
// parsed (on an arena: its many small strings and map nodes are freed at once) and taken through
// PublishOne / PublishBatch. `Request` is pb::CloudEvent or pb::CloudEventBatch.
template <typename Request>
void ServePublish(Shared* shared, CallbackServerContext* context, const ::grpc::ByteBuffer& bytes,
                  ServerUnaryReactor* reactor, Respond respond) {
  constexpr bool kBatch = std::is_same_v<Request, pb::CloudEventBatch>;
  const std::string peer_ip = Shared::PeerIp(context->peer());
  if (const ContiguousBytes whole(bytes);
      whole.ok() && PublishFromBytes(shared, whole.view(), kBatch, peer_ip, respond)) {
    return;
  }
  google::protobuf::Arena arena;
  auto* request = google::protobuf::Arena::CreateMessage<Request>(&arena);
  if (!ReadRequest(&bytes, request, reactor)) return;
  if constexpr (kBatch) {
    PublishBatch(shared, *request, peer_ip, std::move(respond));
  } else {
    PublishOne(shared, *request, peer_ip, std::move(respond));
  }
}

class PublisherServiceImpl final : public PublisherServiceBase {
 public:
  explicit PublisherServiceImpl(Shared* shared) : shared_(shared) {}

  ServerUnaryReactor* publish(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                              ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    ServePublish<pb::CloudEvent>(
        shared_, context, *bytes, reactor,
        [reactor, response](pb::CloudEvent answer) { FinishWith(reactor, response, answer); });
    return reactor;
  }

  ServerUnaryReactor* publishOneWay(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                                    ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    ServePublish<pb::CloudEvent>(
        shared_, context, *bytes, reactor,
        [reactor, response](pb::CloudEvent answer) { FinishOneWay(reactor, response, answer); });
    return reactor;
  }

  ServerUnaryReactor* batchPublish(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                                   ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    ServePublish<pb::CloudEventBatch>(
        shared_, context, *bytes, reactor,
        [reactor, response](pb::CloudEvent answer) { FinishWith(reactor, response, answer); });
    return reactor;
  }

  ServerUnaryReactor* batchPublishOneWay(CallbackServerContext* context,
                                         const ::grpc::ByteBuffer* bytes,
                                         ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    ServePublish<pb::CloudEventBatch>(
        shared_, context, *bytes, reactor,
        [reactor, response](pb::CloudEvent answer) { FinishOneWay(reactor, response, answer); });
    return reactor;
  }

  ServerUnaryReactor* requestReply(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                                   ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    // Kept until the reply (or its refusal) is answered.
    auto request = std::make_shared<pb::CloudEvent>();
    if (!ReadRequest(bytes, request.get(), reactor)) return reactor;
    auto respond = [reactor, response](pb::CloudEvent answer) {
      FinishWith(reactor, response, answer);
    };
    if (shared_->stopping.load()) {
      respond(CopyResponse(*request, Code::kStop));
      return reactor;
    }
    const core::AclUser* user = nullptr;
    auto event = CheckPublish(shared_, *request, Shared::PeerIp(context->peer()),
                              Code::kRequestReplyMsgErr, &user, respond);
    if (!event) return reactor;
    int64_t ttl = 0;
    if (!absl::SimpleAtoi(Attr(*request, key::kTtl), &ttl) || ttl <= 0) {
      respond(CopyResponse(*request, Code::kRequestReplyMsgErr,
                           absl::StrCat("ttl \"", Attr(*request, key::kTtl),
                                        "\" is not a positive number of milliseconds")));
      return reactor;
    }
    const uint64_t call = shared_->next_call.fetch_add(1);
    shared_->services.requests->Request(
        shared_->AsPublisher(user), core::RequestOwner{kFrontendName, call}, absl::StrCat(call),
        *std::move(event), ttl, shared_->timer_io.get_executor(),
        [respond, request](absl::StatusOr<cloudevents::CloudEvent> reply) {
          if (!reply.ok()) {
            const Code code = reply.status().code() == absl::StatusCode::kPermissionDenied
                                  ? Code::kAclErr
                              : reply.status().code() == absl::StatusCode::kResourceExhausted
                                  ? Code::kSpeedOverLimitErr
                                  : Code::kRequestReplyMsgErr;
            respond(CopyResponse(*request, code, reply.status().message()));
            return;
          }
          auto wire = FromMeshEvent(*reply);
          if (!wire.ok()) {
            respond(
                CopyResponse(*request, Code::kRequestReplyMsgErr,
                             absl::StrCat("cannot encode the reply: ", wire.status().message())));
            return;
          }
          respond(*std::move(wire));
        });
    return reactor;
  }

 private:
  // A one-way call's answer: an Empty message, or the refusal as the call's status.
  static void FinishOneWay(ServerUnaryReactor* reactor, ::grpc::ByteBuffer* response,
                           const pb::CloudEvent& answer) {
    ::grpc::Status status = OneWayStatus(answer);
    if (!status.ok()) {
      reactor->Finish(status);
      return;
    }
    FinishWith(reactor, response, google::protobuf::Empty());
  }

  Shared* const shared_;
};

// One subscribeStream call: subscriptions, acks and replies in; acks of subscriptions and
// pushed events out. A DeliveryTarget of the consumer manager.
class Stream final : public ::grpc::ServerBidiReactor<::grpc::ByteBuffer, ::grpc::ByteBuffer>,
                     public core::DeliveryTarget,
                     public std::enable_shared_from_this<Stream> {
 public:
  Stream(Shared* shared, std::string peer_ip)
      : shared_(shared),
        peer_ip_(std::move(peer_ip)),
        id_(shared->services.consumers->NewExternalTargetId()),
        window_(shared->services.config->grpc_stream_window_size) {}

  void Begin() {
    self_ = shared_from_this();
    shared_->streams.Add(self_);
    StartRead(&in_bytes_);
  }

  // Identity of the subscribing client (the first subscription's ip, pid, sys).
  bool SameClient(const std::string& ip, const std::string& pid) {
    std::lock_guard<std::mutex> lock(mu_);
    return client_ip_ == ip && client_pid_ == pid;
  }
  bool Has(const std::string& group, const std::string& topic) {
    std::lock_guard<std::mutex> lock(mu_);
    return subscriptions_.count({group, topic}) > 0;
  }
  void Unsubscribe(const std::string& group, const std::string& topic) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (subscriptions_.erase({group, topic}) == 0) return;
    }
    shared_->services.consumers->Unsubscribe(id_, group, topic);
  }
  // Ends the call after what is queued was written (Drain).
  void Goodbye() { FinishAfterWrites(); }

  // What the admin port lists for this stream.
  frontend::ConnectedClient Describe() {
    frontend::ConnectedClient client;
    client.id = absl::StrCat(id_);
    client.purpose = "sub";
    client.address = peer_ip_;
    client.unacked = in_window_.load();
    client.age_ms = absl::ToInt64Milliseconds(absl::Now() - started_);
    std::lock_guard<std::mutex> lock(mu_);
    if (!absl::SimpleAtoi(client_pid_, &client.pid)) client.pid = 0;
    if (!subscriptions_.empty()) client.group = subscriptions_.begin()->first;
    for (const auto& [group, topic] : subscriptions_) client.topics.push_back(topic);
    return client;
  }

  // core::DeliveryTarget
  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override {
    int64_t current = in_window_.load();
    while (true) {
      if (closed_.load() || current >= window_) return false;
      if (in_window_.compare_exchange_weak(current, current + 1)) return true;
    }
  }
  void ReleaseSlot() override { in_window_.fetch_sub(1); }
  void ReleaseSlots(int64_t n) override { in_window_.fetch_sub(n); }
  core::PushResult Push(const cloudevents::CloudEvent& event, core::PushKind,
                        const std::string& seq,
                        const std::shared_ptr<core::GroupConsumer>& consumer) override {
    auto wire = FromMeshEvent(event);
    if (!wire.ok()) {
      return core::PushResult::Undeliverable(
          absl::StrCat("no gRPC encoding: ", wire.status().message()));
    }
    uint64_t number = 0;
    if (!absl::SimpleAtoi(seq, &number)) return core::PushResult::Undeliverable("bad seq");
    SetAttr(&*wire, key::kPushSeq, seq);
    // Apache clients take a stream message without seqnum and uniqueid for a response: events
    // published over TCP or HTTP may have neither, so the event id stands in.
    if (Attr(*wire, key::kSeqNum).empty()) SetAttr(&*wire, key::kSeqNum, wire->id());
    if (Attr(*wire, key::kUniqueId).empty()) SetAttr(&*wire, key::kUniqueId, wire->id());
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load() || finishing_) return core::PushResult::Closed();
    deliveries_[number] = consumer;
    queue_.push_back(Outgoing{*std::move(wire), std::string(), number});
    return core::PushResult::Queued();
  }
  // Stored bytes are the CloudEvents protobuf format, which is Apache's gRPC CloudEvent field
  // for field: a plain event (string extensions only) is pushed as its stored bytes with the
  // push's attributes appended (what Push sets, without decoding and re-encoding the event);
  // any other event is decoded and pushed by Push.
  bool TakesStoredBytes() const override { return true; }
  core::PushResult PushStored(const std::shared_ptr<const std::string>& stored, bool validated,
                              const cloudevents::StoredEventHints& /*hints*/, core::PushKind kind,
                              const std::string& seq,
                              const std::shared_ptr<core::GroupConsumer>& consumer) override {
    const std::optional<cloudevents::ProtoEventView> view = cloudevents::ProtoEventView::Parse(
        *stored, validated ? cloudevents::ProtoEventView::Checks::kStructure
                           : cloudevents::ProtoEventView::Checks::kAll);
    if (!view.has_value()) return PushDecoded(*stored, kind, seq, consumer);
    uint64_t number = 0;
    if (!absl::SimpleAtoi(seq, &number)) return core::PushResult::Undeliverable("bad seq");
    std::string bytes;
    bytes.reserve(stored->size() + seq.size() + 2 * view->id().size() + 48);
    bytes.append(*stored);
    AppendStringAttr(key::kPushSeq, seq, &bytes);
    // As Push: the event id stands in for a missing seqnum and uniqueid.
    for (const char* name : {key::kSeqNum, key::kUniqueId}) {
      const absl::string_view* value = view->FindExtension(name);
      if (value == nullptr || value->empty()) AppendStringAttr(name, view->id(), &bytes);
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load() || finishing_) return core::PushResult::Closed();
    deliveries_[number] = consumer;
    queue_.push_back(Outgoing{pb::CloudEvent(), std::move(bytes), number});
    return core::PushResult::Queued();
  }
  void Forget(const std::string& seq) override {
    uint64_t number = 0;
    if (!absl::SimpleAtoi(seq, &number)) return;
    std::lock_guard<std::mutex> lock(mu_);
    deliveries_.erase(number);
  }
  void FlushPushes() override { Kick(); }

  // ServerBidiReactor
  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed, or the call broke
      Close();
      FinishAfterWrites();
      return;
    }
    if (::grpc::Status read = ReadBoundedMessage(in_bytes_, &in_); !read.ok()) {
      // Not a CloudEvent, or too many fields: the call ends with the reason.
      Close();
      FinishAfterWrites(std::move(read));
      return;
    }
    in_bytes_.Clear();
    const std::string type = Attr(in_, key::kSubMessageType);
    bool keep_reading = true;
    if (type == kSubscriptionAck) {
      HandleAck(in_);
    } else if (type == kSubscriptionReply) {
      keep_reading = HandleReply(in_);
    } else {
      keep_reading = HandleSubscription(in_);
    }
    if (keep_reading) StartRead(&in_bytes_);
  }
  void OnWriteDone(bool ok) override {
    const uint64_t written = current_.push_seq;
    if (!ok) {
      Close();
      {
        std::lock_guard<std::mutex> lock(mu_);
        writing_ = false;
        queue_.clear();
      }
      FinishAfterWrites();
      return;
    }
    if (written != 0 && !client_ack_.load()) Acknowledge(written);
    std::unique_lock<std::mutex> lock(mu_);
    if (queue_.empty()) {
      writing_ = false;
      if (finishing_ && !finished_) {
        finished_ = true;
        lock.unlock();
        Finish(finish_status_);
      }
      return;
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    const bool more = !queue_.empty();
    lock.unlock();
    WriteCurrent(more);
  }
  void OnCancel() override { Close(); }
  void OnDone() override {
    Close();
    std::shared_ptr<Stream> keep = std::move(self_);
    // `keep` may be the last reference: nothing below touches members.
  }

 private:
  struct Outgoing {
    pb::CloudEvent message;
    std::string bytes;      // when not empty: the message, serialized (`message` is unused)
    uint64_t push_seq = 0;  // 0: a response, not a push
  };

  // Queues a response and starts writing.
  void Send(pb::CloudEvent message) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finishing_) return;
      queue_.push_back(Outgoing{std::move(message), std::string(), 0});
    }
    Kick();
  }

  void Kick() {
    std::unique_lock<std::mutex> lock(mu_);
    if (writing_ || queue_.empty() || finished_) return;
    writing_ = true;
    current_ = std::move(queue_.front());
    queue_.pop_front();
    const bool more = !queue_.empty();
    lock.unlock();
    WriteCurrent(more);
  }

  // Starts writing current_ (serialized into current_bytes_; only the writer touches both).
  // A message that cannot be serialized (over protobuf's 2 GB) ends the call with INTERNAL;
  // what the stream held unacknowledged is delivered again elsewhere.
  void WriteCurrent(bool more) {
    current_bytes_.Clear();
    if (!current_.bytes.empty()) {
      // The slice takes the bytes over (freed by gRPC once written), without a copy.
      auto* owned = new std::string(std::move(current_.bytes));
      ::grpc::Slice slice(
          owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); },
          owned);
      current_bytes_ = ::grpc::ByteBuffer(&slice, 1);
      StartWrite(&current_bytes_, WriteOptionsFor(more));
      return;
    }
    if (::grpc::Status written = WriteMessage(current_.message, &current_bytes_); !written.ok()) {
      LOG(ERROR) << "grpc stream " << peer_ip_ << ": cannot serialize a message of "
                 << current_.message.ByteSizeLong() << " bytes: " << written.error_message();
      Close();
      {
        std::lock_guard<std::mutex> lock(mu_);
        writing_ = false;
        queue_.clear();
        finish_status_ = ::grpc::Status(::grpc::StatusCode::INTERNAL,
                                        "a message for this stream could not be serialized");
        finishing_ = true;
      }
      FinishAfterWrites();
      return;
    }
    StartWrite(&current_bytes_, WriteOptionsFor(more));
  }

  // While more messages are queued, a write may wait in gRPC's buffer for the next one (one
  // socket write for a burst); the last of a burst is written out at once.
  static ::grpc::WriteOptions WriteOptionsFor(bool more) {
    ::grpc::WriteOptions options;
    if (more) options.set_buffer_hint();
    return options;
  }

  // Finishes the call with `status` once every queued message is written; no reads are started
  // after it. The first call's status is the one the call ends with.
  void FinishAfterWrites(::grpc::Status status = ::grpc::Status::OK) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!finishing_) finish_status_ = std::move(status);
    finishing_ = true;
    if (writing_ || finished_) return;  // OnWriteDone finishes once the queue is empty
    if (!queue_.empty()) {
      lock.unlock();
      Kick();
      return;
    }
    finished_ = true;
    lock.unlock();
    Finish(finish_status_);
  }

  // Stops deliveries to this stream; what it held unacknowledged is delivered again.
  void Close() {
    if (closed_.exchange(true)) return;
    shared_->services.consumers->RemoveTarget(id_);
    shared_->streams.Remove(this);
    std::lock_guard<std::mutex> lock(mu_);
    deliveries_.clear();
    subscriptions_.clear();
  }

  void Acknowledge(uint64_t seq) {
    std::shared_ptr<core::GroupConsumer> consumer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = deliveries_.find(seq);
      if (it == deliveries_.end()) return;  // timed out and moved on, or acked already
      consumer = it->second.lock();
      deliveries_.erase(it);
    }
    if (consumer) consumer->OnAck(seq);
  }

  // One ack message may carry many seqs: consecutive ones of one consumer are acknowledged
  // together (one lock round in the group consumer).
  void HandleAck(const pb::CloudEvent& message) {
    std::vector<std::pair<std::shared_ptr<core::GroupConsumer>, uint64_t>> acks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (absl::string_view part : absl::StrSplit(Attr(message, key::kPushSeq), ',')) {
        uint64_t seq = 0;
        if (!absl::SimpleAtoi(part, &seq)) continue;
        auto it = deliveries_.find(seq);
        if (it == deliveries_.end()) continue;  // timed out and moved on, or acked already
        if (auto consumer = it->second.lock()) acks.emplace_back(std::move(consumer), seq);
        deliveries_.erase(it);
      }
    }
    std::vector<uint64_t> seqs;
    size_t i = 0;
    while (i < acks.size()) {
      seqs.clear();
      size_t j = i;
      while (j < acks.size() && acks[j].first == acks[i].first) seqs.push_back(acks[j++].second);
      acks[i].first->OnAcks(seqs.data(), seqs.size());
      i = j;
    }
  }

  // A failed subscription or reply: the answer, then the call ends (Apache's behaviour).
  bool Fail(pb::CloudEvent answer) {
    Send(std::move(answer));
    Close();
    FinishAfterWrites();
    return false;
  }

  bool HandleSubscription(const pb::CloudEvent& message) {
    if (!HeaderValid(message)) return Fail(FreshResponse(Code::kProtocolHeaderErr));
    auto subscription = ParseSubscription(message, /*need_url=*/false);
    if (!subscription.ok()) {
      if (subscription.status().code() == absl::StatusCode::kInvalidArgument) {
        return Fail(FreshResponse(Code::kProtocolBodyErr, subscription.status().message()));
      }
      return Fail(CopyResponse(message, Code::kSubscribeErr, subscription.status().message()));
    }
    auto user = shared_->Authenticate(message, peer_ip_);
    if (!user.ok()) return Fail(CopyResponse(message, Code::kAclErr, user.status().message()));
    for (const auto& item : subscription->items) {
      if (std::string denied = core::DeniedSubscribe(*user, item.topic); !denied.empty()) {
        return Fail(CopyResponse(message, Code::kAclErr, denied));
      }
      if (absl::Status ensured = shared_->services.topics->EnsureTopic(item.topic); !ensured.ok()) {
        return Fail(CopyResponse(message, Code::kSubscribeErr, ensured.message()));
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (client_ip_.empty()) {
        client_ip_ = Attr(message, key::kIp);
        client_pid_ = Attr(message, key::kPid);
      }
    }
    if (Attr(message, key::kAckMode) == kAckModeClient) client_ack_.store(true);
    for (const auto& item : subscription->items) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        subscriptions_.insert({subscription->consumer_group, item.topic});
      }
      const core::PushKind kind = item.broadcasting ? core::PushKind::kBroadcast
                                  : item.sync       ? core::PushKind::kRequest
                                                    : core::PushKind::kUnicast;
      absl::Status subscribed = shared_->services.consumers->Subscribe(
          shared_from_this(), subscription->consumer_group, item.topic,
          item.broadcasting ? connectors::ConsumeMode::kBroadcasting
                            : connectors::ConsumeMode::kClustering,
          kind);
      if (!subscribed.ok()) {
        return Fail(CopyResponse(message, Code::kSubscribeErr, subscribed.message()));
      }
    }
    // Answered once the group consumes: an event published after the answer is delivered.
    // (Pushes of the new subscription may precede the answer on the stream.)
    Send(CopyResponse(message, Code::kSuccess, "subscribe success"));
    return true;
  }

  bool HandleReply(const pb::CloudEvent& message) {
    if (!HeaderValid(message)) return Fail(FreshResponse(Code::kProtocolHeaderErr));
    if (absl::Status data = CheckData(message); !data.ok()) {
      return Fail(FreshResponse(Code::kProtocolBodyErr, data.message()));
    }
    auto user = shared_->Authenticate(message, peer_ip_);
    if (!user.ok()) return Fail(CopyResponse(message, Code::kAclErr, user.status().message()));
    auto event = ToMeshEvent(message);
    if (!event.ok())
      return Fail(CopyResponse(message, Code::kReplyMsgErr, event.status().message()));
    absl::Status routed = shared_->services.requests->Respond(*std::move(event));
    if (!routed.ok()) {
      // A late or unknown reply (the request timed out or was answered) is dropped, as Apache
      // drops replies nobody waits for; the stream stays open.
      VLOG(1) << "grpc stream " << peer_ip_ << ": reply not delivered: " << routed;
    }
    return true;
  }

  Shared* const shared_;
  const std::string peer_ip_;
  const uint64_t id_;
  const int64_t window_;
  const absl::Time started_ = absl::Now();
  std::shared_ptr<Stream> self_;  // keeps the reactor alive until OnDone
  ::grpc::ByteBuffer in_bytes_;   // the read in progress (reads are sequential)
  pb::CloudEvent in_;             // what it read
  Outgoing current_;              // the write in progress (only the writer touches it)
  ::grpc::ByteBuffer current_bytes_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> client_ack_{false};
  std::atomic<int64_t> in_window_{0};

  std::mutex mu_;
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  bool finishing_ = false;
  bool finished_ = false;
  ::grpc::Status finish_status_;  // what Finish reports (set with finishing_)
  absl::flat_hash_map<uint64_t, std::weak_ptr<core::GroupConsumer>> deliveries_;
  std::set<std::pair<std::string, std::string>> subscriptions_;  // (group, topic)
  std::string client_ip_;
  std::string client_pid_;
};

class ConsumerServiceImpl final : public ConsumerServiceBase {
 public:
  explicit ConsumerServiceImpl(Shared* shared) : shared_(shared) {}

  ::grpc::ServerBidiReactor<::grpc::ByteBuffer, ::grpc::ByteBuffer>* subscribeStream(
      CallbackServerContext* context) override {
    auto stream = std::make_shared<Stream>(shared_, Shared::PeerIp(context->peer()));
    stream->Begin();
    if (shared_->stopping.load()) stream->Goodbye();
    return stream.get();
  }

  ServerUnaryReactor* subscribe(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                                ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    pb::CloudEvent request;
    if (!ReadRequest(bytes, &request, reactor)) return reactor;
    FinishWith(reactor, response, Subscribe(request, Shared::PeerIp(context->peer())));
    return reactor;
  }

  ServerUnaryReactor* unsubscribe(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                                  ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    pb::CloudEvent request;
    if (!ReadRequest(bytes, &request, reactor)) return reactor;
    FinishWith(reactor, response, Unsubscribe(request, Shared::PeerIp(context->peer())));
    return reactor;
  }

 private:
  pb::CloudEvent Subscribe(const pb::CloudEvent& request, const std::string& peer_ip) {
    if (shared_->stopping.load()) return FreshResponse(Code::kStop);
    if (!HeaderValid(request)) return FreshResponse(Code::kProtocolHeaderErr);
    auto subscription = ParseSubscription(request, /*need_url=*/true);
    if (!subscription.ok()) {
      return FreshResponse(subscription.status().code() == absl::StatusCode::kInvalidArgument
                               ? Code::kProtocolBodyErr
                               : Code::kSubscribeErr,
                           subscription.status().message());
    }
    auto user = shared_->Authenticate(request, peer_ip);
    if (!user.ok()) return FreshResponse(Code::kAclErr, user.status().message());
    for (const auto& item : subscription->items) {
      if (std::string denied = core::DeniedSubscribe(*user, item.topic); !denied.empty()) {
        return FreshResponse(Code::kAclErr, denied);
      }
    }
    if (shared_->services.webhook == nullptr) {
      return FreshResponse(Code::kSubscribeErr, "webhook subscriptions are not enabled");
    }
    webhook::WebhookSubscribeRequest webhook_request;
    webhook_request.consumer_group = subscription->consumer_group;
    webhook_request.url = subscription->url;
    for (const auto& item : subscription->items) {
      webhook_request.topics.push_back(
          webhook::WebhookTopic{item.topic,
                                item.broadcasting ? connectors::ConsumeMode::kBroadcasting
                                                  : connectors::ConsumeMode::kClustering,
                                item.sync});
    }
    webhook_request.client = webhook::ClientIdentity{
        Attr(request, key::kEnv), Attr(request, key::kIdc), Attr(request, key::kSys),
        Attr(request, key::kPid), Attr(request, key::kIp),  Attr(request, key::kUsername)};
    if (absl::Status s = shared_->services.webhook->Subscribe(webhook_request); !s.ok()) {
      return FreshResponse(Code::kSubscribeErr, s.message());
    }
    return FreshResponse(Code::kSuccess, "subscribe success");
  }

  pb::CloudEvent Unsubscribe(const pb::CloudEvent& request, const std::string& peer_ip) {
    if (!HeaderValid(request)) return FreshResponse(Code::kProtocolHeaderErr);
    auto subscription = ParseSubscription(request, /*need_url=*/false);
    if (!subscription.ok()) {
      return FreshResponse(subscription.status().code() == absl::StatusCode::kInvalidArgument
                               ? Code::kProtocolBodyErr
                               : Code::kUnsubscribeErr,
                           subscription.status().message());
    }
    auto user = shared_->Authenticate(request, peer_ip);
    if (!user.ok()) return FreshResponse(Code::kAclErr, user.status().message());
    std::vector<std::string> topics;
    for (const auto& item : subscription->items) topics.push_back(item.topic);
    if (!subscription->url.empty()) {
      if (shared_->services.webhook == nullptr) {
        return FreshResponse(Code::kUnsubscribeErr, "webhook subscriptions are not enabled");
      }
      if (absl::Status s = shared_->services.webhook->Unsubscribe(subscription->consumer_group,
                                                                  subscription->url, topics);
          !s.ok()) {
        return FreshResponse(Code::kUnsubscribeErr, s.message());
      }
      return FreshResponse(Code::kSuccess, "unsubscribe success");
    }
    // Stream subscriptions: only the caller's own (same ip and pid), never the group's others.
    const std::string ip = Attr(request, key::kIp);
    const std::string pid = Attr(request, key::kPid);
    for (const auto& stream : shared_->streams.All()) {
      if (!stream->SameClient(ip, pid)) continue;
      for (const auto& topic : topics) stream->Unsubscribe(subscription->consumer_group, topic);
    }
    return FreshResponse(Code::kSuccess, "unsubscribe success");
  }

  Shared* const shared_;
};

class HeartbeatServiceImpl final : public HeartbeatServiceBase {
 public:
  explicit HeartbeatServiceImpl(Shared* shared) : shared_(shared) {}

  ServerUnaryReactor* heartbeat(CallbackServerContext* context, const ::grpc::ByteBuffer* bytes,
                                ::grpc::ByteBuffer* response) override {
    ServerUnaryReactor* reactor = context->DefaultReactor();
    pb::CloudEvent request;
    if (!ReadRequest(bytes, &request, reactor)) return reactor;
    FinishWith(reactor, response, Heartbeat(request, Shared::PeerIp(context->peer())));
    return reactor;
  }

 private:
  pb::CloudEvent Heartbeat(const pb::CloudEvent& request, const std::string& peer_ip) {
    if (!HeaderValid(request)) return FreshResponse(Code::kProtocolHeaderErr);
    int client_type = 0;
    if (auto it = request.attributes().find(key::kClientType); it != request.attributes().end()) {
      if (it->second.has_ce_integer()) {
        client_type = it->second.ce_integer();
      } else if (it->second.has_ce_string()) {
        (void)absl::SimpleAtoi(it->second.ce_string(), &client_type);
      }
    }
    const std::string group = Attr(request, key::kConsumerGroup);
    if (client_type == 2 && group.empty()) {
      return FreshResponse(Code::kProtocolBodyErr, "attribute consumergroup is required");
    }
    if (client_type == 1 && Attr(request, key::kProducerGroup).empty()) {
      return FreshResponse(Code::kProtocolBodyErr, "attribute producergroup is required");
    }
    auto items = ParseHeartbeat(request);
    if (!items.ok()) {
      return FreshResponse(items.status().code() == absl::StatusCode::kInvalidArgument
                               ? Code::kProtocolBodyErr
                               : Code::kHeartbeatErr,
                           items.status().message());
    }
    auto user = shared_->Authenticate(request, peer_ip);
    if (!user.ok()) return FreshResponse(Code::kAclErr, user.status().message());
    if (client_type != 2) {
      return FreshResponse(Code::kProtocolBodyErr,
                           "only subscribers (clienttype 2) send heartbeats");
    }
    const std::string ip = Attr(request, key::kIp);
    const std::string pid = Attr(request, key::kPid);
    const auto streams = shared_->streams.All();
    for (const auto& item : *items) {
      bool found = false;
      if (item.url.empty() || item.url == kGrpcStreamUrl) {
        for (const auto& stream : streams) {
          if (stream->SameClient(ip, pid) && stream->Has(group, item.topic)) found = true;
        }
      } else if (shared_->services.webhook != nullptr) {
        found = shared_->services.webhook->Heartbeat(group, item.url, {item.topic}).ok();
      }
      if (!found) return FreshResponse(Code::kClientResubscribe);
    }
    return FreshResponse(Code::kSuccess, "heartbeat success");
  }

  Shared* const shared_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& key_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("cannot use ", key_name, " \"", path, "\""));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class GrpcFrontend final : public frontend::Frontend {
 public:
  GrpcFrontend(const frontend::FrontendServices& services,
               std::shared_ptr<::grpc::ServerCredentials> credentials)
      : config_(services.config),
        shared_(std::make_unique<Shared>(services)),
        credentials_(std::move(credentials)),
        publisher_(shared_.get()),
        consumer_(shared_.get()),
        heartbeat_(shared_.get()) {}
  ~GrpcFrontend() override { Stop(); }

  absl::string_view name() const override { return kFrontendName; }

  absl::Status Start() override {
    timer_thread_ = StartNamedThread("em-grpc-timer", [this] { shared_->timer_io.run(); });
    ::grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("0.0.0.0:", config_->grpc_port), credentials_,
                             &bound_port_);
    builder.SetMaxReceiveMessageSize(static_cast<int>(config_->grpc_max_message_size));
    builder.RegisterService(&publisher_);
    builder.RegisterService(&consumer_);
    builder.RegisterService(&heartbeat_);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || bound_port_ == 0) {
      server_.reset();
      return absl::UnavailableError(
          absl::StrCat("cannot listen on gRPC port ", config_->grpc_port,
                       " (eventMesh.server.grpc.port): in use or not permitted"));
    }
    return absl::OkStatus();
  }
  int port() const override { return bound_port_; }
  // gRPC cannot stop accepting without ending every call: new calls are answered with code 8
  // (EVENTMESH_STOP) instead.
  void StopAccepting() override { shared_->stopping.store(true); }
  // Publishes in flight finish; requests still waiting for a reply are answered 22 (cancelled)
  // because gRPC's shutdown waits for every call; streams end after their queued messages.
  void Drain(int64_t timeout_ms) override {
    shared_->stopping.store(true);
    if (shared_->services.requests != nullptr) {
      shared_->services.requests->CancelFrontend(kFrontendName);
    }
    for (const auto& stream : shared_->streams.All()) stream->Goodbye();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
    }
  }
  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    shared_->stopping.store(true);
    // Requests waiting for replies are answered (Cancelled -> 22) first: gRPC's shutdown waits
    // for every call to finish.
    if (shared_->services.requests != nullptr) {
      shared_->services.requests->CancelFrontend(kFrontendName);
    }
    if (server_ != nullptr) {
      for (const auto& stream : shared_->streams.All()) stream->Goodbye();
      server_->Shutdown(std::chrono::system_clock::now());
      server_->Wait();
    }
    shared_->work.reset();
    shared_->timer_io.stop();
    if (timer_thread_.joinable()) timer_thread_.join();
  }
  size_t connected_clients() const override { return shared_->streams.size(); }
  std::vector<frontend::ConnectedClient> Clients() const override {
    std::vector<frontend::ConnectedClient> out;
    for (const auto& stream : shared_->streams.All()) out.push_back(stream->Describe());
    return out;
  }
  // Ends one subscribeStream call (after what is queued was written), as Drain does for all;
  // its subscriptions close with it.
  absl::Status Disconnect(const std::string& id) override {
    for (const auto& stream : shared_->streams.All()) {
      if (stream->Describe().id != id) continue;
      stream->Goodbye();
      LOG(INFO) << "grpc: stream " << id << " closed by the admin";
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat("no gRPC stream ", id));
  }

 private:
  const RuntimeConfig* const config_;
  std::unique_ptr<Shared> shared_;
  std::shared_ptr<::grpc::ServerCredentials> credentials_;
  PublisherServiceImpl publisher_;
  ConsumerServiceImpl consumer_;
  HeartbeatServiceImpl heartbeat_;
  std::unique_ptr<::grpc::Server> server_;
  int bound_port_ = 0;
  bool stopped_ = false;
  std::thread timer_thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<frontend::Frontend>> CreateGrpcFrontend(
    const frontend::FrontendServices& services) {
  const RuntimeConfig& c = *services.config;
  std::shared_ptr<::grpc::ServerCredentials> credentials = ::grpc::InsecureServerCredentials();
  if (c.grpc_tls_enabled) {
    const net::TlsKeyNames keys{"eventMesh.server.grpc.tls.certFile",
                                "eventMesh.server.grpc.tls.keyFile",
                                "eventMesh.server.grpc.tls.clientCaFile"};
    // The same checks (and messages) as the TCP and HTTP ports' TLS.
    auto checked = net::MakeServerTlsContext(
        {c.grpc_tls_cert_file, c.grpc_tls_key_file, c.grpc_tls_client_ca_file}, keys);
    if (!checked.ok()) return checked.status();
    auto cert = ReadFile(c.grpc_tls_cert_file, keys.cert_file);
    if (!cert.ok()) return cert.status();
    auto key_pem = ReadFile(c.grpc_tls_key_file, keys.key_file);
    if (!key_pem.ok()) return key_pem.status();
    ::grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    if (!c.grpc_tls_client_ca_file.empty()) {
      auto ca = ReadFile(c.grpc_tls_client_ca_file, keys.client_ca_file);
      if (!ca.ok()) return ca.status();
      options.pem_root_certs = *ca;
      options.client_certificate_request =
          GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    options.pem_key_cert_pairs.push_back({*key_pem, *cert});
    credentials = ::grpc::SslServerCredentials(options);
  }
  return std::unique_ptr<frontend::Frontend>(new GrpcFrontend(services, std::move(credentials)));
}

absl::Status RegisterGrpcFrontend(frontend::FrontendRegistry* registry) {
  return registry->Register(kFrontendName, CreateGrpcFrontend);
}

}  // namespace eventmesh::runtime::grpc
