#include "eventmesh/sdk/grpc/grpc_client.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/protocol/grpc/eventmesh_service.grpc.pb.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "google/protobuf/arena.h"
#include "grpcpp/grpcpp.h"

namespace eventmesh::sdk {
namespace {

namespace pb = ::org::apache::eventmesh::cloudevents::v1;
namespace proto = ::eventmesh::protocol::grpc;
namespace key = proto::key;
using proto::Attr;
using proto::SetAttr;

std::string RandomDigits(int count) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + rng() % 10));
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read \"", path, "\""));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status ToStatus(const ::grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("gRPC: ", status.error_message()));
}

// OK for code 0; otherwise the code and message as an absl status.
absl::Status FromResponse(const pb::CloudEvent& response) {
  const int code = proto::ResponseCode(response);
  if (code == 0) return absl::OkStatus();
  const std::string message =
      absl::StrCat("code ", code, ": ", Attr(response, key::kResponseMessage));
  switch (code) {
    case 6:
    case 7:
      return absl::InvalidArgumentError(message);
    case 8:
      return absl::UnavailableError(message);
    case 20:
      return absl::PermissionDeniedError(message);
    case 21:
      return absl::ResourceExhaustedError(message);
    case 30:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

constexpr const char* kReserved[] = {key::kEnv,
                                     key::kIdc,
                                     key::kIp,
                                     key::kPid,
                                     key::kSys,
                                     key::kUsername,
                                     key::kPasswd,
                                     key::kLanguage,
                                     key::kProtocolType,
                                     key::kProtocolVersion,
                                     key::kProtocolDesc,
                                     key::kSeqNum,
                                     key::kUniqueId,
                                     key::kTtl,
                                     key::kProducerGroup,
                                     key::kConsumerGroup,
                                     key::kSubject,
                                     key::kDataContentType,
                                     key::kPushSeq,
                                     key::kStatusCode,
                                     key::kResponseMessage,
                                     key::kTime};

bool Reserved(const std::string& name) {
  for (const char* r : kReserved) {
    if (name == r) return true;
  }
  return false;
}

}  // namespace

class GrpcClientCore : public std::enable_shared_from_this<GrpcClientCore> {
 public:
  GrpcClientCore(GrpcClientOptions options, std::shared_ptr<::grpc::Channel> channel)
      : options_(std::move(options)),
        channel_(std::move(channel)),
        publisher_(pb::PublisherService::NewStub(channel_)),
        consumer_(pb::ConsumerService::NewStub(channel_)),
        heartbeat_(pb::HeartbeatService::NewStub(channel_)),
        pid_(std::to_string(::getpid())) {}
  ~GrpcClientCore() { Close(); }

  void Header(pb::CloudEvent* event) const {
    SetAttr(event, key::kEnv, options_.env);
    SetAttr(event, key::kIdc, options_.idc);
    SetAttr(event, key::kIp, "127.0.0.1");
    SetAttr(event, key::kPid, pid_);
    SetAttr(event, key::kSys, options_.sys);
    SetAttr(event, key::kUsername, options_.username);
    SetAttr(event, key::kPasswd, options_.password);
    SetAttr(event, key::kLanguage, "CPP");
    SetAttr(event, key::kProtocolVersion, "1.0");
    SetAttr(event, key::kProtocolDesc, proto::kProtocolDescGrpc);
  }

  absl::StatusOr<pb::CloudEvent> ToWire(const Event& event, int64_t ttl_ms) const {
    pb::CloudEvent wire;
    if (absl::Status built = ToWireInto(event, ttl_ms, &wire); !built.ok()) return built;
    return wire;
  }

  // ToWire into `out` (empty; it may live on an arena).
  absl::Status ToWireInto(const Event& event, int64_t ttl_ms, pb::CloudEvent* out) const {
    pb::CloudEvent& wire = *out;
    std::string ttl = std::to_string(ttl_ms > 0 ? ttl_ms : options_.ttl_ms);
    if (const Message* message = std::get_if<Message>(&event)) {
      wire.set_id(RandomDigits(20));
      wire.set_source("/");
      wire.set_spec_version("1.0");
      wire.set_type("org.apache.eventmesh");
      for (const auto& [name, value] : message->properties) SetAttr(&wire, name, value);
      Header(&wire);
      SetAttr(&wire, key::kProtocolType, "eventmeshmessage");
      SetAttr(&wire, key::kSubject, message->topic);
      SetAttr(&wire, key::kSeqNum,
              message->biz_seq_no.empty() ? RandomDigits(30) : message->biz_seq_no);
      SetAttr(&wire, key::kUniqueId,
              message->unique_id.empty() ? RandomDigits(30) : message->unique_id);
      if (message->ttl_ms > 0 && ttl_ms <= 0) ttl = std::to_string(message->ttl_ms);
      if (!message->tag.empty()) SetAttr(&wire, "tag", message->tag);
      SetAttr(&wire, key::kDataContentType,
              message->content_type.empty() ? "text/plain" : message->content_type);
      wire.set_text_data(message->content);
    } else {
      auto converted = proto::FromMeshEvent(std::get<CloudEvent>(event));
      if (!converted.ok()) return converted.status();
      wire = *std::move(converted);  // a copy when `out` is on an arena
      Header(&wire);
      SetAttr(&wire, key::kProtocolType, "cloudevents");
      if (Attr(wire, key::kSeqNum).empty()) SetAttr(&wire, key::kSeqNum, RandomDigits(30));
      if (Attr(wire, key::kUniqueId).empty()) SetAttr(&wire, key::kUniqueId, RandomDigits(30));
      if (Attr(wire, key::kDataContentType).empty()) {
        SetAttr(&wire, key::kDataContentType,
                wire.has_binary_data() ? "application/octet-stream" : "text/plain");
      }
    }
    SetAttr(&wire, key::kTtl, ttl);
    if (Attr(wire, key::kProducerGroup).empty()) {
      SetAttr(&wire, key::kProducerGroup, options_.producer_group);
    }
    return absl::OkStatus();
  }

  // A wire event as the SDK's ReceivedEvent.
  absl::StatusOr<ReceivedEvent> FromWire(const pb::CloudEvent& wire, EventKind kind) const {
    ReceivedEvent received;
    received.kind = kind;
    received.transport = Transport::kGrpc;
    received.protocol_type = Attr(wire, key::kProtocolType);
    received.seq = Attr(wire, key::kPushSeq);
    if (received.protocol_type == "cloudevents") {
      pb::CloudEvent copy = wire;
      auto event = proto::ToMeshEvent(copy);
      if (!event.ok()) return event.status();
      event->RemoveExtension(key::kProtocolDesc);
      received.payload = *std::move(event);
      return received;
    }
    Message message;
    message.topic = Attr(wire, key::kSubject);
    message.content = wire.has_binary_data() ? wire.binary_data() : wire.text_data();
    message.biz_seq_no = Attr(wire, key::kSeqNum);
    message.unique_id = Attr(wire, key::kUniqueId);
    message.content_type = Attr(wire, key::kDataContentType);
    for (const auto& [name, value] : wire.attributes()) {
      if (value.has_ce_string() && !Reserved(name)) message.properties[name] = value.ce_string();
    }
    received.payload = std::move(message);
    return received;
  }

  ::grpc::ClientContext* Prepare(::grpc::ClientContext* context, absl::Duration timeout) const {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
    return context;
  }

  absl::Status Publish(const Event& event) {
    auto wire = ToWire(event, 0);
    if (!wire.ok()) return wire.status();
    ::grpc::ClientContext context;
    pb::CloudEvent response;
    ::grpc::Status status =
        publisher_->publish(Prepare(&context, options_.call_timeout), *wire, &response);
    if (!status.ok()) return ToStatus(status);
    return FromResponse(response);
  }

  void PublishAsync(const Event& event, std::function<void(absl::Status)> done) {
    auto wire = ToWire(event, 0);
    if (!wire.ok()) {
      done(wire.status());
      return;
    }
    struct Call {
      ::grpc::ClientContext context;
      pb::CloudEvent request;
      pb::CloudEvent response;
    };
    auto call = std::make_shared<Call>();
    call->request = *std::move(wire);
    Prepare(&call->context, options_.call_timeout);
    publisher_->async()->publish(
        &call->context, &call->request, &call->response,
        [call, done = std::move(done)](::grpc::Status status) {
          done(status.ok() ? FromResponse(call->response) : ToStatus(status));
        });
  }

  // The events built into `batch` (on an arena: a batch's many small strings and map nodes
  // are allocated and freed together).
  absl::Status ToWireBatch(const std::vector<Event>& events, pb::CloudEventBatch* batch) const {
    batch->mutable_events()->Reserve(static_cast<int>(events.size()));
    for (const auto& event : events) {
      if (absl::Status built = ToWireInto(event, 0, batch->add_events()); !built.ok()) {
        return built;
      }
    }
    return absl::OkStatus();
  }

  absl::Status PublishBatch(const std::vector<Event>& events) {
    google::protobuf::Arena arena;
    auto* batch = google::protobuf::Arena::CreateMessage<pb::CloudEventBatch>(&arena);
    if (absl::Status built = ToWireBatch(events, batch); !built.ok()) return built;
    ::grpc::ClientContext context;
    pb::CloudEvent response;
    ::grpc::Status status =
        publisher_->batchPublish(Prepare(&context, options_.call_timeout), *batch, &response);
    if (!status.ok()) return ToStatus(status);
    return FromResponse(response);
  }

  void PublishBatchAsync(const std::vector<Event>& events, std::function<void(absl::Status)> done) {
    struct Call {
      google::protobuf::Arena arena;  // first: outlives the request built on it
      pb::CloudEventBatch* request =
          google::protobuf::Arena::CreateMessage<pb::CloudEventBatch>(&arena);
      ::grpc::ClientContext context;
      pb::CloudEvent response;
    };
    auto call = std::make_shared<Call>();
    if (absl::Status built = ToWireBatch(events, call->request); !built.ok()) {
      done(built);
      return;
    }
    Prepare(&call->context, options_.call_timeout);
    publisher_->async()->batchPublish(
        &call->context, call->request, &call->response,
        [call, done = std::move(done)](::grpc::Status status) {
          done(status.ok() ? FromResponse(call->response) : ToStatus(status));
        });
  }

  absl::StatusOr<ReceivedEvent> Request(const Event& event, absl::Duration timeout) {
    auto wire = ToWire(event, absl::ToInt64Milliseconds(timeout));
    if (!wire.ok()) return wire.status();
    ::grpc::ClientContext context;
    pb::CloudEvent response;
    ::grpc::Status status =
        publisher_->requestReply(Prepare(&context, timeout + absl::Seconds(2)), *wire, &response);
    if (!status.ok()) return ToStatus(status);
    if (!Attr(response, key::kStatusCode).empty()) {
      const std::string message = Attr(response, key::kResponseMessage);
      if (proto::ResponseCode(response) == 22 && absl::StrContains(message, "timed out")) {
        return absl::DeadlineExceededError(absl::StrCat("code 22: ", message));
      }
      return FromResponse(response).ok() ? absl::InternalError("unexpected answer")
                                         : FromResponse(response);
    }
    return FromWire(response, EventKind::kResponse);
  }

  void SetHandler(GrpcHandler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }

  absl::Status Subscribe(const std::vector<SubscriptionItem>& items) {
    pb::CloudEvent subscription = SubscriptionMessage(items);
    if (options_.client_acks) SetAttr(&subscription, key::kAckMode, proto::kAckModeClient);
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return absl::FailedPreconditionError("the client is closed");
      if (stream_ == nullptr) {
        stream_context_ = std::make_unique<::grpc::ClientContext>();
        stream_ = consumer_->subscribeStream(stream_context_.get());
        stream_ended_ = false;
        reader_ = std::thread([self = shared_from_this()] { self->ReadLoop(); });
        acker_ = std::thread([self = shared_from_this()] { self->AckLoop(); });
      }
      for (const auto& item : items) {
        if (item.type == SubscriptionType::kSync) sync_topics_.insert(item.topic);
        topics_.insert(item.topic);
      }
    }
    if (!Write(subscription)) return absl::UnavailableError("the subscription stream is closed");
    absl::MutexLock lock(&mu_);
    auto answered = [this] { return !responses_.empty() || stream_ended_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&answered), options_.call_timeout)) {
      return absl::DeadlineExceededError("no answer to the subscription");
    }
    if (responses_.empty()) return absl::UnavailableError("the runtime ended the stream");
    pb::CloudEvent response = std::move(responses_.front());
    responses_.pop_front();
    return FromResponse(response);
  }

  absl::Status Unsubscribe(const std::vector<std::string>& topics) {
    std::vector<SubscriptionItem> items;
    for (const auto& topic : topics) items.push_back(SubscriptionItem{topic});
    ::grpc::ClientContext context;
    pb::CloudEvent response;
    ::grpc::Status status = consumer_->unsubscribe(Prepare(&context, options_.call_timeout),
                                                   SubscriptionMessage(items), &response);
    if (!status.ok()) return ToStatus(status);
    absl::MutexLock lock(&mu_);
    for (const auto& topic : topics) topics_.erase(topic);
    return FromResponse(response);
  }

  absl::Status Heartbeat() {
    pb::CloudEvent heartbeat;
    Header(&heartbeat);
    SetAttr(&heartbeat, key::kProtocolType, "eventmeshmessage");
    SetAttr(&heartbeat, key::kConsumerGroup, options_.consumer_group);
    SetAttr(&heartbeat, key::kDataContentType, "application/json");
    (*heartbeat.mutable_attributes())[key::kClientType].set_ce_integer(2);
    std::string items = "[";
    {
      absl::MutexLock lock(&mu_);
      if (topics_.empty()) return absl::OkStatus();  // nothing to keep alive
      for (const auto& topic : topics_) {
        if (items.size() > 1) items += ",";
        absl::StrAppend(&items, "{\"topic\":\"", topic, "\",\"url\":\"grpc_stream\"}");
      }
    }
    items += "]";
    heartbeat.set_text_data(items);
    ::grpc::ClientContext context;
    pb::CloudEvent response;
    ::grpc::Status status =
        heartbeat_->heartbeat(Prepare(&context, options_.call_timeout), heartbeat, &response);
    if (!status.ok()) return ToStatus(status);
    return FromResponse(response);
  }

  // Queues the ack; the ack thread sends what accumulated as one message (pushseq list), so
  // the reader never waits for a write and a burst of acks costs one message.
  void Ack(const std::string& push_seq) {
    if (!options_.client_acks || push_seq.empty()) return;
    absl::MutexLock lock(&ack_mu_);
    pending_acks_.push_back(push_seq);
  }

  void AckLoop() {
    while (true) {
      std::vector<std::string> acks;
      {
        absl::MutexLock lock(&ack_mu_);
        auto ready = [this] { return !pending_acks_.empty() || ack_stop_; };
        ack_mu_.Await(absl::Condition(&ready));
        if (pending_acks_.empty()) return;  // stopping, nothing left
        acks.swap(pending_acks_);
      }
      for (size_t i = 0; i < acks.size(); i += 512) {
        std::string list;
        for (size_t j = i; j < acks.size() && j < i + 512; ++j) {
          if (!list.empty()) list += ",";
          list += acks[j];
        }
        pb::CloudEvent ack;
        SetAttr(&ack, key::kSubMessageType, proto::kSubscriptionAck);
        SetAttr(&ack, key::kPushSeq, std::move(list));
        Write(ack);
      }
    }
  }

  absl::Status Reply(const pb::CloudEvent& request, const Event& reply) {
    pb::CloudEvent wire = request;
    wire.clear_data();
    auto converted = ToWire(reply, 0);
    if (!converted.ok()) return converted.status();
    for (const auto& [name, value] : converted->attributes()) {
      (*wire.mutable_attributes())[name] = value;
    }
    wire.mutable_attributes()->erase(key::kPushSeq);
    SetAttr(&wire, key::kSubject, Attr(request, key::kSubject));
    SetAttr(&wire, key::kSubMessageType, proto::kSubscriptionReply);
    wire.set_id(converted->id());
    if (converted->has_binary_data()) {
      wire.set_binary_data(converted->binary_data());
    } else {
      wire.set_text_data(converted->text_data().empty() ? " " : converted->text_data());
    }
    if (!Write(wire)) return absl::UnavailableError("the subscription stream is closed");
    return absl::OkStatus();
  }

  void Close() {
    std::thread reader;
    std::thread acker;
    {
      absl::MutexLock lock(&mu_);
      if (closed_) return;
      closed_ = true;
      reader = std::move(reader_);
      acker = std::move(acker_);
    }
    {
      absl::MutexLock lock(&ack_mu_);  // send the acks still queued, then stop
      ack_stop_ = true;
    }
    if (acker.joinable()) {
      if (acker.get_id() == std::this_thread::get_id()) {
        acker.detach();
      } else {
        acker.join();
      }
    }
    {
      absl::MutexLock lock(&write_mu_);
      if (stream_ != nullptr) stream_->WritesDone();
    }
    {
      absl::MutexLock lock(&mu_);
      auto ended = [this] { return stream_ended_ || stream_ == nullptr; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&ended), absl::Seconds(5)) && stream_context_) {
        stream_context_->TryCancel();
      }
    }
    if (reader.joinable()) {
      if (reader.get_id() == std::this_thread::get_id()) {
        reader.detach();  // Close from the handler: the loop ends by itself
      } else {
        reader.join();
      }
    }
  }

 private:
  pb::CloudEvent SubscriptionMessage(const std::vector<SubscriptionItem>& items) const {
    pb::CloudEvent event;
    event.set_id(RandomDigits(20));
    event.set_source("/");
    event.set_spec_version("1.0");
    event.set_type("org.apache.eventmesh");
    Header(&event);
    SetAttr(&event, key::kProtocolType, "eventmeshmessage");
    SetAttr(&event, key::kConsumerGroup, options_.consumer_group);
    SetAttr(&event, key::kDataContentType, "application/json");
    std::vector<proto::SubscriptionItem> wire_items;
    for (const auto& item : items) {
      wire_items.push_back(proto::SubscriptionItem{item.topic,
                                                   item.mode == SubscriptionMode::kBroadcasting,
                                                   item.type == SubscriptionType::kSync});
    }
    event.set_text_data(proto::SubscriptionJson(wire_items));
    return event;
  }

  bool Write(const pb::CloudEvent& message) {
    absl::MutexLock lock(&write_mu_);
    if (stream_ == nullptr) return false;
    return stream_->Write(message);
  }

  void ReadLoop() {
    auto message = std::make_shared<pb::CloudEvent>();
    while (stream_->Read(message.get())) {
      const std::string push_seq = Attr(*message, key::kPushSeq);
      const bool response = push_seq.empty() && Attr(*message, key::kSeqNum).empty() &&
                            Attr(*message, key::kUniqueId).empty();
      if (response || (!Attr(*message, key::kStatusCode).empty() && push_seq.empty())) {
        absl::MutexLock lock(&mu_);
        responses_.push_back(*message);
        continue;
      }
      GrpcHandler handler;
      EventKind kind = EventKind::kAsync;
      {
        absl::MutexLock lock(&mu_);
        handler = handler_;
        if (sync_topics_.count(Attr(*message, key::kSubject)) > 0) kind = EventKind::kRequest;
      }
      auto received = FromWire(*message, kind);
      if (!received.ok() || !handler) {
        Ack(push_seq);  // nobody can use it; the runtime would redeliver it forever
      } else {
        handler(std::make_shared<GrpcDelivery>(weak_from_this(), *std::move(received), push_seq,
                                               message));
      }
      message = std::make_shared<pb::CloudEvent>();
    }
    ::grpc::Status status = stream_->Finish();
    absl::MutexLock lock(&mu_);
    stream_ended_ = true;
  }

  const GrpcClientOptions options_;
  std::shared_ptr<::grpc::Channel> channel_;
  std::unique_ptr<pb::PublisherService::Stub> publisher_;
  std::unique_ptr<pb::ConsumerService::Stub> consumer_;
  std::unique_ptr<pb::HeartbeatService::Stub> heartbeat_;
  const std::string pid_;

  absl::Mutex write_mu_;  // one writer at a time on the stream
  absl::Mutex mu_;
  GrpcHandler handler_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<::grpc::ClientContext> stream_context_;
  std::unique_ptr<::grpc::ClientReaderWriter<pb::CloudEvent, pb::CloudEvent>> stream_;
  std::thread reader_ ABSL_GUARDED_BY(mu_);
  std::thread acker_ ABSL_GUARDED_BY(mu_);
  absl::Mutex ack_mu_;
  std::vector<std::string> pending_acks_ ABSL_GUARDED_BY(ack_mu_);
  bool ack_stop_ ABSL_GUARDED_BY(ack_mu_) = false;
  bool stream_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<pb::CloudEvent> responses_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> sync_topics_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> topics_ ABSL_GUARDED_BY(mu_);
};

GrpcDelivery::GrpcDelivery(std::weak_ptr<GrpcClientCore> core, ReceivedEvent event,
                           std::string push_seq, std::shared_ptr<void> wire)
    : core_(std::move(core)),
      event_(std::move(event)),
      push_seq_(std::move(push_seq)),
      wire_(std::move(wire)) {}

void GrpcDelivery::Ack() {
  if (acked_) return;
  acked_ = true;
  if (auto core = core_.lock()) core->Ack(push_seq_);
}

absl::Status GrpcDelivery::Reply(const Event& reply) {
  auto core = core_.lock();
  if (!core) return absl::FailedPreconditionError("the client is closed");
  absl::Status status = core->Reply(*static_cast<const pb::CloudEvent*>(wire_.get()), reply);
  Ack();
  return status;
}

absl::StatusOr<std::unique_ptr<EventMeshGrpcClient>> EventMeshGrpcClient::Connect(
    GrpcClientOptions options) {
  std::shared_ptr<::grpc::ChannelCredentials> credentials = ::grpc::InsecureChannelCredentials();
  ::grpc::ChannelArguments arguments;
  if (options.use_tls) {
    ::grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      auto ca = ReadFile(options.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!options.cert_file.empty()) {
      auto cert = ReadFile(options.cert_file);
      if (!cert.ok()) return cert.status();
      auto key_pem = ReadFile(options.key_file);
      if (!key_pem.ok()) return key_pem.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key_pem;
    }
    credentials = ::grpc::SslCredentials(ssl);
    if (!options.server_name.empty()) {
      arguments.SetSslTargetNameOverride(options.server_name);
    }
  }
  auto channel = ::grpc::CreateCustomChannel(absl::StrCat(options.host, ":", options.port),
                                             credentials, arguments);
  return std::unique_ptr<EventMeshGrpcClient>(new EventMeshGrpcClient(
      std::make_shared<GrpcClientCore>(std::move(options), std::move(channel))));
}

EventMeshGrpcClient::~EventMeshGrpcClient() { Close(); }
absl::Status EventMeshGrpcClient::Publish(const Event& event) { return core_->Publish(event); }
void EventMeshGrpcClient::PublishAsync(const Event& event, std::function<void(absl::Status)> done) {
  core_->PublishAsync(event, std::move(done));
}
absl::Status EventMeshGrpcClient::PublishBatch(const std::vector<Event>& events) {
  return core_->PublishBatch(events);
}
void EventMeshGrpcClient::PublishBatchAsync(const std::vector<Event>& events,
                                            std::function<void(absl::Status)> done) {
  core_->PublishBatchAsync(events, std::move(done));
}
absl::StatusOr<ReceivedEvent> EventMeshGrpcClient::Request(const Event& event,
                                                           absl::Duration timeout) {
  return core_->Request(event, timeout);
}
void EventMeshGrpcClient::SetHandler(GrpcHandler handler) { core_->SetHandler(std::move(handler)); }
absl::Status EventMeshGrpcClient::Subscribe(const std::vector<SubscriptionItem>& items) {
  return core_->Subscribe(items);
}
absl::Status EventMeshGrpcClient::Unsubscribe(const std::vector<std::string>& topics) {
  return core_->Unsubscribe(topics);
}
absl::Status EventMeshGrpcClient::Heartbeat() { return core_->Heartbeat(); }
void EventMeshGrpcClient::Close() { core_->Close(); }

}  // namespace eventmesh::sdk
