#include "eventmesh/runtime/mqtt/mqtt_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "eventmesh/protocol/mqtt/topic.h"
#include "eventmesh/runtime/mqtt/event_mapping.h"
#include "glog/logging.h"

namespace eventmesh::runtime::mqtt {
namespace {

namespace mq = protocol::mqtt;
using mq::reason::kSuccess;

constexpr size_t kMaxPendingOutput = 64 * 1024 * 1024;

int64_t WallNowMs() { return absl::ToUnixMillis(absl::Now()); }

// The consumer group of a client's own (non-shared) subscriptions: "mqtt-" + the client id with
// bytes outside [A-Za-z0-9._-] written as _XX.
std::string ClientGroup(const std::string& client_id) {
  std::string group = "mqtt-";
  for (unsigned char c : client_id) {
    if (std::isalnum(c) || c == '.' || c == '-') {
      group.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&group, "_", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return group;
}

// The PUBACK reason code for a refused publish.
uint8_t PublishReason(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
      return mq::reason::kNotAuthorized;
    case absl::StatusCode::kResourceExhausted:
      return mq::reason::kQuotaExceeded;
    case absl::StatusCode::kInvalidArgument:
      return mq::reason::kTopicNameInvalid;  // the mesh's topic-name rule
    case absl::StatusCode::kOutOfRange:
      return mq::reason::kImplementationSpecificError;  // larger than maxEventSize
    default:
      return mq::reason::kUnspecifiedError;
  }
}

std::string RandomClientId() {
  std::random_device rd;
  return absl::StrCat("auto-", absl::Hex((uint64_t{rd()} << 32) | rd(), absl::kZeroPad16));
}

}  // namespace

MqttSession::MqttSession(boost::asio::ip::tcp::socket socket, MqttContext* context, uint64_t id)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), ctx_(context), id_(id) {
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  address_ = ec ? "unknown" : endpoint.address().to_string();
  peer_ = ec ? "unknown" : absl::StrCat(address_, ":", endpoint.port());
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  if (context->tls) {
    tls_ = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>>(socket_,
                                                                                     *context->tls);
  }
  window_.store(context->config->mqtt.max_inflight);
}

MqttSession::~MqttSession() = default;

std::optional<frontend::ConnectedClient> MqttSession::Describe() {
  std::optional<frontend::ConnectedClient> client;
  {
    std::lock_guard<std::mutex> lock(info_mu_);
    client = info_;
  }
  if (!client.has_value() || closed()) return std::nullopt;
  client->age_ms = core::SteadyNowMs() - client->age_ms;
  client->unacked = window_used_.load();
  std::lock_guard<std::mutex> lock(subs_mu_);
  for (const auto& [full_filter, entry] : filters_) {
    if (client->group.empty()) client->group = entry.group;
    client->topics.push_back(full_filter);
  }
  client->purpose = filters_.empty() ? "pub" : "sub";
  return client;
}

void MqttSession::Start() {
  accepted_ms_ = core::SteadyNowMs();
  last_packet_ms_ = accepted_ms_;
  ScheduleTimer();  // also bounds a TLS handshake that never ends (connectTimeoutMs)
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

void MqttSession::ScheduleTimer() {
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->closed_) return;
    const int64_t now = core::SteadyNowMs();
    if (!self->connected_) {
      if (now - self->accepted_ms_ > self->ctx_->config->mqtt.connect_timeout_ms) {
        self->Close(absl::StrCat("no CONNECT within ", self->ctx_->config->mqtt.connect_timeout_ms,
                                 " ms (eventMesh.server.mqtt.connectTimeoutMs)"));
        return;
      }
    } else if (self->keep_alive_s_ > 0 &&
               now - self->last_packet_ms_ > int64_t{self->keep_alive_s_} * 1500) {
      self->Fail(
          mq::reason::kKeepAliveTimeout,
          absl::StrCat("no packet within 1.5 x the keep-alive of ", self->keep_alive_s_, " s"));
      return;
    }
    self->ScheduleTimer();
  });
}

// ----- Input ------------------------------------------------------------------------------------

void MqttSession::DoRead() {
  if (closed_ || closing_ || reading_ || read_paused_) return;
  reading_ = true;
  auto on_read = [self = shared_from_this()](const boost::system::error_code& ec, size_t bytes) {
    self->reading_ = false;
    self->OnRead(ec, bytes);
  };
  if (tls_) {
    tls_->async_read_some(boost::asio::buffer(read_buffer_), std::move(on_read));
  } else {
    socket_.async_read_some(boost::asio::buffer(read_buffer_), std::move(on_read));
  }
}

void MqttSession::OnRead(const boost::system::error_code& ec, size_t bytes) {
  if (closed_) return;
  if (ec) {
    Close(ec == boost::asio::error::eof ? "peer closed the connection"
                                        : absl::StrCat("read error: ", ec.message()));
    return;
  }
  if (in_start_ > 0 && in_start_ == in_.size()) {
    in_.clear();
    in_start_ = 0;
  }
  in_.append(read_buffer_.data(), bytes);
  if (!HandlePackets()) return;
  DoRead();
}

bool MqttSession::HandlePackets() {
  const uint32_t max_packet = static_cast<uint32_t>(
      std::min<int64_t>(ctx_->config->mqtt.max_packet_size, mq::kMaxRemainingLength + 5));
  bool ok = true;
  while (ok && !closed_) {
    if (read_paused_) break;  // resumed by MaybeResumeReading
    absl::string_view rest = absl::string_view(in_).substr(in_start_);
    if (!connected_ && !rest.empty() &&
        (static_cast<uint8_t>(rest[0]) >> 4) != static_cast<uint8_t>(mq::PacketType::kConnect)) {
      // Known from the first byte: no need to wait for the rest of the packet.
      Close(
          absl::StrCat(mq::PacketTypeName(static_cast<uint8_t>(rest[0]) >> 4), " before CONNECT"));
      return false;
    }
    auto header = mq::PeekPacket(rest, max_packet);
    if (!header.ok()) {
      FlushPublishBatch();
      Fail(mq::ReasonCodeOf(header.status()), std::string(header.status().message()));
      return false;
    }
    if (!header->has_value()) break;
    const mq::FixedHeader h = **header;
    absl::string_view body = rest.substr(h.header_size, h.remaining_length);
    last_packet_ms_ = core::SteadyNowMs();
    ok = HandlePacket(h, body);
    in_start_ += h.packet_size();
  }
  FlushPublishBatch();
  if (in_start_ > 0 && in_start_ == in_.size()) {
    in_.clear();
    in_start_ = 0;
  } else if (in_start_ > 1 << 20) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  return ok && !closed_ && !read_paused_;
}

bool MqttSession::HandlePacket(const mq::FixedHeader& h, absl::string_view body) {
  const auto type = static_cast<mq::PacketType>(h.type);
  if (!connected_) {
    if (type != mq::PacketType::kConnect) {
      Close(absl::StrCat(mq::PacketTypeName(h.type), " before CONNECT"));
      return false;
    }
    return HandleConnect(h.flags, body);
  }
  switch (type) {
    case mq::PacketType::kConnect:
      Fail(mq::reason::kProtocolError, "a second CONNECT");
      return false;
    case mq::PacketType::kPublish: {
      auto publish = mq::DecodePublish(h.flags, body, version_);
      if (!publish.ok()) {
        Fail(mq::ReasonCodeOf(publish.status()), std::string(publish.status().message()));
        return false;
      }
      return HandlePublish(*std::move(publish));
    }
    case mq::PacketType::kPuback: {
      auto ack = mq::DecodeAck(type, h.flags, body, version_);
      if (!ack.ok()) {
        Fail(mq::ReasonCodeOf(ack.status()), std::string(ack.status().message()));
        return false;
      }
      HandlePuback(ack->packet_id);
      return true;
    }
    case mq::PacketType::kPubrel: {
      auto rel = mq::DecodeAck(type, h.flags, body, version_);
      if (!rel.ok()) {
        Fail(mq::ReasonCodeOf(rel.status()), std::string(rel.status().message()));
        return false;
      }
      mq::Ack comp{mq::PacketType::kPubcomp, rel->packet_id, kSuccess, {}};
      if (qos2_pending_.erase(rel->packet_id) == 0) {
        comp.reason_code = mq::reason::kPacketIdentifierNotFound;
      }
      std::string out;
      (void)mq::EncodeAck(comp, version_, &out);
      Send(out);
      return true;
    }
    case mq::PacketType::kSubscribe: {
      auto sub = mq::DecodeSubscribe(h.flags, body, version_);
      if (!sub.ok()) {
        Fail(mq::ReasonCodeOf(sub.status()), std::string(sub.status().message()));
        return false;
      }
      HandleSubscribe(*sub);
      return true;
    }
    case mq::PacketType::kUnsubscribe: {
      auto unsub = mq::DecodeUnsubscribe(h.flags, body, version_);
      if (!unsub.ok()) {
        Fail(mq::ReasonCodeOf(unsub.status()), std::string(unsub.status().message()));
        return false;
      }
      HandleUnsubscribe(*unsub);
      return true;
    }
    case mq::PacketType::kPingreq: {
      if (absl::Status s = mq::DecodeEmpty(type, h.flags, body); !s.ok()) {
        Fail(mq::ReasonCodeOf(s), std::string(s.message()));
        return false;
      }
      std::string out;
      mq::EncodeEmpty(mq::PacketType::kPingresp, &out);
      Send(out);
      return true;
    }
    case mq::PacketType::kDisconnect: {
      auto d = mq::DecodeDisconnect(h.flags, body, version_);
      if (!d.ok()) {
        Fail(mq::ReasonCodeOf(d.status()), std::string(d.status().message()));
        return false;
      }
      if (d->reason_code != mq::reason::kDisconnectWithWill) {
        clean_disconnect_ = true;
        will_.reset();
      }
      if (d->properties.session_expiry_interval.has_value() && persistent_) {
        session_expiry_s_ = std::min<int64_t>(*d->properties.session_expiry_interval,
                                              ctx_->config->mqtt.max_session_expiry_s);
      }
      Close(absl::StrCat("client DISCONNECT (reason 0x", absl::Hex(d->reason_code), ")"));
      return false;
    }
    default:
      Fail(mq::reason::kProtocolError,
           absl::StrCat(mq::PacketTypeName(h.type), " is not a packet a client sends here"));
      return false;
  }
}

bool MqttSession::HandleConnect(uint8_t flags, absl::string_view body) {
  auto connect = mq::DecodeConnect(flags, body);
  if (!connect.ok()) {
    if (connect.status().code() == absl::StatusCode::kUnimplemented) {
      // Answered in the form a 3.1.1 client understands (return code 1).
      std::string out;
      (void)mq::EncodeConnack({false, mq::reason::kUnsupportedProtocolVersion, {}},
                              mq::Version::kV311, &out);
      Send(out);
      CloseAfterFlush(std::string(connect.status().message()));
    } else {
      Close(absl::StrCat("bad CONNECT: ", connect.status().message()));
    }
    return false;
  }
  version_ = connect->version;
  const bool v5 = version_ == mq::Version::kV5;
  auto refuse = [&](uint8_t reason, const std::string& why) {
    mq::Connack ack;
    ack.reason_code = reason;
    if (v5) ack.properties.reason_string = why;
    std::string out;
    (void)mq::EncodeConnack(ack, version_, &out);
    Send(out);
    CloseAfterFlush(absl::StrCat("CONNECT refused: ", why));
    return false;
  };
  if (connect->properties.authentication_method.has_value()) {
    return refuse(0x8C, "enhanced authentication is not supported");  // Bad authentication method
  }
  // Authentication.
  if (ctx_->acl != nullptr) {
    // A password that is a signed access token (a JWT: "eyJ...", two dots) logs in with the
    // token, as brokers with JWT authentication take it; the user name must then be its user
    // or empty.
    const std::string username = connect->username.value_or("");
    const std::string password = connect->password.value_or("");
    const bool is_token =
        absl::StartsWith(password, "eyJ") && std::count(password.begin(), password.end(), '.') == 2;
    core::Credentials credentials;
    credentials.username = username;
    credentials.password = is_token ? absl::string_view() : absl::string_view(password);
    credentials.token = is_token ? absl::string_view(password) : absl::string_view();
    credentials.address = address_;
    auto user = ctx_->authenticator->Login(credentials);
    if (!user.ok()) {
      if (user.status().code() == absl::StatusCode::kResourceExhausted) {
        return refuse(mq::reason::kServerBusy, std::string(user.status().message()));
      }
      return refuse(mq::reason::kBadUserNameOrPassword,
                    is_token
                        ? std::string(user.status().message())
                        : absl::StrCat("bad user name or password for user \"", username, "\""));
    }
    user_ = *user;
  }
  client_id_ = connect->client_id;
  bool assigned = false;
  if (client_id_.empty()) {
    if (!v5 && !connect->clean_start) {
      return refuse(mq::reason::kClientIdentifierNotValid,
                    "an empty client identifier needs clean session 1");
    }
    client_id_ = RandomClientId();
    assigned = true;
  }
  // Session state.
  const int64_t max_expiry = ctx_->config->mqtt.max_session_expiry_s;
  if (v5) {
    session_expiry_s_ =
        std::min<int64_t>(connect->properties.session_expiry_interval.value_or(0), max_expiry);
  } else {
    session_expiry_s_ = connect->clean_start ? 0 : max_expiry;
  }
  persistent_ = session_expiry_s_ > 0;
  std::optional<PersistedSession> existing;
  if (connect->clean_start) {
    if (absl::Status s = ctx_->state->RemoveSession(client_id_); !s.ok()) {
      LOG(ERROR) << "mqtt: " << s;
    }
  } else {
    existing = ctx_->state->FindSession(client_id_, WallNowMs());
  }
  // Take the client id over from an older connection before subscribing anything.
  if (auto previous = ctx_->registry->Claim(client_id_, shared_from_this())) {
    previous->TakeOver();
  }
  connected_ = true;
  {
    frontend::ConnectedClient info;
    info.id = client_id_;
    info.address = peer_;
    info.version = v5 ? "5" : "3.1.1";
    info.age_ms = accepted_ms_;  // Describe turns it into an age
    std::lock_guard<std::mutex> lock(info_mu_);
    info_ = std::move(info);
  }
  keep_alive_s_ = connect->keep_alive;
  will_ = connect->will;
  if (connect->properties.receive_maximum.has_value()) {
    window_.store(
        std::min<int64_t>(ctx_->config->mqtt.max_inflight, *connect->properties.receive_maximum));
  }
  client_max_packet_ = connect->properties.maximum_packet_size.value_or(0);
  publisher_.user = user_;
  publisher_.frontend_limit = ctx_->rate_limiter;
  publisher_.known_topics = &known_topics_;
  publisher_.protocol = core::Protocol::kMqtt;

  mq::Connack ack;
  ack.session_present = existing.has_value();
  if (v5) {
    auto& p = ack.properties;
    p.receive_maximum = static_cast<uint16_t>(ctx_->config->mqtt.receive_maximum);
    p.maximum_packet_size = static_cast<uint32_t>(
        std::min<int64_t>(ctx_->config->mqtt.max_packet_size, mq::kMaxRemainingLength + 5));
    if (!ctx_->config->mqtt.retain_enabled) p.retain_available = 0;
    p.subscription_identifier_available = 0;
    p.topic_alias_maximum = std::nullopt;  // 0: no topic aliases
    if (assigned) p.assigned_client_identifier = client_id_;
    if (connect->properties.session_expiry_interval.has_value() &&
        session_expiry_s_ != *connect->properties.session_expiry_interval) {
      p.session_expiry_interval = static_cast<uint32_t>(session_expiry_s_);
    }
  }
  std::string out;
  (void)mq::EncodeConnack(ack, version_, &out);
  Send(out);
  LOG(INFO) << "mqtt session " << peer_ << " connected: client \"" << client_id_ << "\" MQTT "
            << (v5 ? "5.0" : "3.1.1") << (persistent_ ? ", persistent" : "")
            << (existing ? ", session present" : "");
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    if (existing) {
      persisted_topics_.insert(existing->topics.begin(), existing->topics.end());
    }
    if (persistent_) PersistSession();
  }
  if (existing) {
    for (const auto& sub : existing->subscriptions) {
      mq::SubscriptionRequest request;
      request.filter = sub.filter;
      request.qos = sub.qos;
      std::string why;
      const uint8_t code = SubscribeFilter(sub.filter, request, /*restoring=*/true, &why);
      if (code >= 0x80) {
        LOG(WARNING) << "mqtt client \"" << client_id_ << "\": subscription " << sub.filter
                     << " not restored: " << why;
      }
    }
    if (!persistent_) (void)ctx_->state->RemoveSession(client_id_);
  }
  return true;
}

bool MqttSession::HandlePublish(mq::Publish publish) {
  const bool v5 = version_ == mq::Version::kV5;
  if (v5 && publish.properties.topic_alias.has_value()) {
    Fail(mq::reason::kTopicAliasInvalid, "topic aliases are not supported (maximum 0)");
    return false;
  }
  if (absl::Status valid = mq::ValidateTopicName(publish.topic); !valid.ok()) {
    Fail(mq::ReasonCodeOf(valid), std::string(valid.message()));
    return false;
  }
  if (publish.qos == 2 && qos2_pending_.contains(publish.packet_id)) {
    // A retransmission of a QoS 2 publish already stored: acknowledge it again only.
    std::string out;
    (void)mq::EncodeAck({mq::PacketType::kPubrec, publish.packet_id, kSuccess, {}}, version_, &out);
    Send(out);
    return true;
  }
  if (v5 && publish.qos > 0) {
    if (inbound_acked_ >= ctx_->config->mqtt.receive_maximum) {
      Fail(mq::reason::kReceiveMaximumExceeded,
           absl::StrCat("more than ", ctx_->config->mqtt.receive_maximum,
                        " QoS 1/2 publishes awaiting acknowledgement"));
      return false;
    }
  }
  const uint64_t inbound_id = ++next_inbound_;
  Inbound& in = inbound_[inbound_id];
  in.packet_id = publish.packet_id;
  in.qos = publish.qos;
  if (in.qos > 0) ++inbound_acked_;
  auto refuse = [&](const absl::Status& status, uint8_t reason) {
    LOG(WARNING) << "mqtt client \"" << client_id_ << "\": publish to \"" << publish.topic
                 << "\" refused: " << status;
    if (!v5) {
      // MQTT 3.1.1 has no negative acknowledgement: the connection is closed instead.
      if (in.qos > 0) --inbound_acked_;
      inbound_.erase(inbound_id);
      Close(absl::StrCat("publish refused: ", status.message()));
      return false;
    }
    in.done = true;
    in.reason = reason;
    in.reason_string = std::string(status.message());
    SendInboundAcks();
    return true;
  };
  if (publish.retain && !ctx_->config->mqtt.retain_enabled) {
    if (in.qos > 0) --inbound_acked_;
    inbound_.erase(inbound_id);
    Fail(mq::reason::kRetainNotSupported,
         "retained messages are off (eventMesh.server.mqtt.retainAvailable=false)");
    return false;
  }
  if (!publish.topic.empty() && publish.topic[0] == '$') {
    return refuse(absl::PermissionDeniedError("topics starting with '$' are reserved"),
                  mq::reason::kTopicNameInvalid);
  }
  auto event = PublishToEvent(publish, version_, client_id_, WallNowMs());
  if (!event.ok()) return refuse(event.status(), mq::ReasonCodeOf(event.status()));
  if (absl::Status admitted = ctx_->publish->Admit(publisher_, *event); !admitted.ok()) {
    return refuse(admitted, PublishReason(admitted));
  }
  if (publish.retain) {
    RetainedMessage retained{*event, static_cast<uint8_t>(std::min<int>(publish.qos, 1))};
    if (absl::Status s = ctx_->state->Retain(publish.topic, retained, publish.payload.empty());
        !s.ok()) {
      LOG(ERROR) << "mqtt: retained message of " << publish.topic << " not persisted: " << s;
    }
  }
  const int64_t start_ns = ctx_->publish->metrics() != nullptr ? core::SteadyNowNs() : 0;
  auto executor = socket_.get_executor();
  publish_batch_.push_back(connectors::Connector::PendingPublish{
      *std::move(event), [self = shared_from_this(), inbound_id, start_ns,
                          executor](absl::StatusOr<connectors::PublishResult> result) {
        if (core::RuntimeMetrics* metrics = self->ctx_->publish->metrics()) {
          metrics->PublishDone(core::Protocol::kMqtt, result.ok(), start_ns);
        }
        absl::Status status = result.status();
        boost::asio::post(executor,
                          [self, inbound_id, status] { self->OnPublished(inbound_id, status); });
      }});
  if (static_cast<int64_t>(inbound_.size()) >= ctx_->config->mqtt.receive_maximum) {
    read_paused_ = true;  // back-pressure: the socket is read again once publishes complete
  }
  return true;
}

void MqttSession::FlushPublishBatch() {
  if (publish_batch_.empty()) return;
  ctx_->publish->PublishBatch(&publish_batch_);
  publish_batch_.clear();
}

void MqttSession::OnPublished(uint64_t inbound_id, absl::Status status) {
  auto it = inbound_.find(inbound_id);
  if (it == inbound_.end()) return;
  it->second.done = true;
  if (!status.ok()) {
    const absl::Status failed = core::PublishFailed(status);
    LOG(WARNING) << "mqtt client \"" << client_id_ << "\": " << failed;
    it->second.reason = mq::reason::kUnspecifiedError;
    it->second.reason_string = std::string(failed.message());
    if (version_ == mq::Version::kV311 && it->second.qos > 0) {
      Close(std::string(failed.message()));  // no way to tell a 3.1.1 client
      return;
    }
  } else if (it->second.qos == 2) {
    qos2_pending_.insert(it->second.packet_id);
  }
  SendInboundAcks();
  MaybeResumeReading();
}

// Acknowledges finished publishes in arrival order (MQTT 4.6).
void MqttSession::SendInboundAcks() {
  std::string out;
  while (!inbound_.empty() && inbound_.begin()->second.done) {
    const Inbound& in = inbound_.begin()->second;
    if (in.qos > 0) {
      mq::Ack ack;
      ack.type = in.qos == 1 ? mq::PacketType::kPuback : mq::PacketType::kPubrec;
      ack.packet_id = in.packet_id;
      ack.reason_code = in.reason;
      if (version_ == mq::Version::kV5 && !in.reason_string.empty()) {
        ack.properties.reason_string = in.reason_string;
      }
      (void)mq::EncodeAck(ack, version_, &out);
      --inbound_acked_;
    }
    inbound_.erase(inbound_.begin());
  }
  if (!out.empty()) Send(out);
}

void MqttSession::MaybeResumeReading() {
  if (!read_paused_ || closed_ || closing_) return;
  if (static_cast<int64_t>(inbound_.size()) >= ctx_->config->mqtt.receive_maximum) return;
  read_paused_ = false;
  if (!HandlePackets()) return;  // packets already buffered first
  DoRead();
}

// ----- Subscriptions --------------------------------------------------------------------------

void MqttSession::HandleSubscribe(const mq::Subscribe& subscribe) {
  mq::SubAck ack;
  ack.type = mq::PacketType::kSuback;
  ack.packet_id = subscribe.packet_id;
  std::string reasons;
  std::set<std::string> existed;  // filters this session already had (retain handling 1)
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (const auto& request : subscribe.subscriptions) {
      if (filters_.count(request.filter) > 0) existed.insert(request.filter);
    }
  }
  for (const auto& request : subscribe.subscriptions) {
    std::string why;
    const uint8_t code = SubscribeFilter(request.filter, request, /*restoring=*/false, &why);
    ack.reason_codes.push_back(code);
    if (code >= 0x80) {
      LOG(WARNING) << "mqtt client \"" << client_id_ << "\": subscription " << request.filter
                   << " refused: " << why;
      absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", request.filter, ": ", why);
    }
  }
  if (version_ == mq::Version::kV5 && !reasons.empty()) ack.properties.reason_string = reasons;
  std::string out;
  (void)mq::EncodeSubAck(ack, version_, &out);
  Send(out);
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    if (persistent_) PersistSession();
  }
  // Retained messages after the SUBACK.
  for (const auto& request : subscribe.subscriptions) {
    FilterEntry entry;
    {
      std::lock_guard<std::mutex> lock(subs_mu_);
      auto it = filters_.find(request.filter);
      if (it == filters_.end() || it->second.shared) continue;
      entry = it->second;
    }
    if (request.retain_handling == 2) continue;
    if (request.retain_handling == 1 && existed.count(request.filter) > 0) continue;
    SendRetained(entry);
  }
}

uint8_t MqttSession::SubscribeFilter(const std::string& full_filter,
                                     const mq::SubscriptionRequest& request, bool restoring,
                                     std::string* why) {
  auto shared = mq::ParseSharedFilter(full_filter);
  if (!shared.ok()) {
    *why = std::string(shared.status().message());
    return mq::ReasonCodeOf(shared.status());
  }
  if (absl::Status valid = mq::ValidateTopicFilter(shared->filter); !valid.ok()) {
    *why = std::string(valid.message());
    return mq::ReasonCodeOf(valid);
  }
  if (!shared->group.empty() && request.no_local) {
    *why = "no local on a shared subscription";
    return mq::reason::kProtocolError;
  }
  FilterEntry entry;
  entry.shared = !shared->group.empty();
  entry.group = entry.shared ? shared->group : ClientGroup(client_id_);
  entry.filter = shared->filter;
  entry.wildcard = mq::HasWildcard(entry.filter);
  entry.qos = std::min<uint8_t>(request.qos, 1);
  if (user_ != nullptr) {
    // A wildcard filter needs the right to subscribe to everything below its literal prefix.
    std::string checked = entry.filter;
    if (entry.wildcard) {
      checked = entry.filter.substr(0, entry.filter.find_first_of("+#")) + "*";
    }
    if (!core::Acl::CanSubscribe(*user_, checked)) {
      *why = core::DeniedSubscribe(user_, entry.filter);
      return mq::reason::kNotAuthorized;
    }
  }
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    if (!filters_.count(full_filter) &&
        static_cast<int64_t>(filters_.size()) >= ctx_->config->mqtt.max_subscriptions) {
      *why = absl::StrCat("more than ", ctx_->config->mqtt.max_subscriptions,
                          " topic filters (eventMesh.server.mqtt.maxSubscriptions)");
      return mq::reason::kQuotaExceeded;
    }
  }
  std::vector<std::string> topics;
  if (!entry.wildcard) {
    if (!entry.filter.empty() && entry.filter[0] == '$') {
      *why = "topics starting with '$' are reserved";
      return mq::reason::kTopicFilterInvalid;
    }
    if (core::IsReservedTopic(entry.filter)) {
      *why = absl::StrCat("topic \"", entry.filter, "\" belongs to the mesh");
      return mq::reason::kNotAuthorized;
    }
    if (absl::Status ensured = ctx_->topics->EnsureTopic(entry.filter); !ensured.ok()) {
      *why = std::string(ensured.message());
      return ensured.code() == absl::StatusCode::kInvalidArgument ? mq::reason::kTopicFilterInvalid
                                                                  : mq::reason::kUnspecifiedError;
    }
    topics.push_back(entry.filter);
  } else {
    auto listed = ctx_->connector->ListTopics();
    if (listed.ok()) {
      for (const auto& topic : *listed) {
        if (!core::IsReservedTopic(topic) && mq::TopicMatches(entry.filter, topic)) {
          topics.push_back(topic);
        }
      }
    } else if (listed.status().code() != absl::StatusCode::kUnimplemented) {
      LOG(WARNING) << "mqtt: cannot list topics for " << entry.filter << ": " << listed.status();
    }
  }
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    filters_[full_filter] = entry;
  }
  for (const auto& topic : topics) {
    if (absl::Status s = ActivateTopic(entry, topic, /*discovered=*/restoring); !s.ok()) {
      *why = std::string(s.message());
      std::lock_guard<std::mutex> lock(subs_mu_);
      filters_.erase(full_filter);
      return mq::reason::kUnspecifiedError;
    }
  }
  // A changed QoS or a replaced filter may leave topics nobody covers.
  Reconcile();
  if (entry.wildcard) ctx_->registry->WatchTopics(shared_from_this());
  return entry.qos;
}

absl::Status MqttSession::ActivateTopic(const FilterEntry& entry, const std::string& topic,
                                        bool discovered) {
  const auto key = std::make_pair(entry.group, topic);
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    auto it = active_.find(key);
    if (it != active_.end()) {
      it->second = std::max(it->second, entry.qos);
      return absl::OkStatus();
    }
  }
  const bool clustering = entry.shared || persistent_;
  connectors::StartPosition start = connectors::StartPosition::kLatest;
  if (persistent_ && !entry.shared) {
    bool known = false;
    {
      std::lock_guard<std::mutex> lock(subs_mu_);
      known = persisted_topics_.count(topic) > 0;
    }
    if (known || discovered) {
      // Resume where the session's group stopped (or, for a topic created after the filter,
      // from its first event).
      start = connectors::StartPosition::kEarliest;
    } else {
      // A new subscription of a persistent session starts now, whatever an older session of
      // this client id left committed.
      absl::Status reset = ctx_->connector->ResetGroupOffsets(
          entry.group, topic, connectors::OffsetReset{connectors::OffsetReset::Kind::kLatest, 0});
      if (reset.ok()) start = connectors::StartPosition::kEarliest;
    }
  } else if (entry.shared && discovered) {
    start = connectors::StartPosition::kEarliest;
  }
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    active_[key] = entry.qos;
  }
  absl::Status subscribed = ctx_->consumers->Subscribe(
      shared_from_this(), entry.group, topic,
      clustering ? connectors::ConsumeMode::kClustering : connectors::ConsumeMode::kBroadcasting,
      core::PushKind::kUnicast, {}, start);
  if (!subscribed.ok()) {
    std::lock_guard<std::mutex> lock(active_mu_);
    active_.erase(key);
    return subscribed;
  }
  if (persistent_ && !entry.shared) {
    std::lock_guard<std::mutex> lock(subs_mu_);
    if (persisted_topics_.insert(topic).second) PersistSession();
  }
  return absl::OkStatus();
}

void MqttSession::OnTopicCreated(const std::string& topic) {
  if (closed_ || core::IsReservedTopic(topic)) return;
  std::vector<FilterEntry> matching;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (const auto& [full, entry] : filters_) {
      if (entry.wildcard && mq::TopicMatches(entry.filter, topic)) matching.push_back(entry);
    }
  }
  for (const auto& entry : matching) {
    if (absl::Status s = ActivateTopic(entry, topic, /*discovered=*/true); !s.ok()) {
      LOG(WARNING) << "mqtt client \"" << client_id_ << "\": cannot consume new topic " << topic
                   << ": " << s;
    }
  }
}

bool MqttSession::has_wildcards() {
  std::lock_guard<std::mutex> lock(subs_mu_);
  for (const auto& [full, entry] : filters_) {
    if (entry.wildcard) return true;
  }
  return false;
}

void MqttSession::Reconcile() {
  // (group, topic) -> highest QoS of the filters covering it.
  std::map<std::pair<std::string, std::string>, uint8_t> wanted;
  std::vector<std::pair<std::string, std::string>> active;
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    for (const auto& [key, qos] : active_) active.push_back(key);
  }
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (const auto& key : active) {
      for (const auto& [full, entry] : filters_) {
        if (entry.group == key.first && mq::TopicMatches(entry.filter, key.second)) {
          uint8_t& qos = wanted[key];
          qos = std::max(qos, entry.qos);
        }
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> dropped;
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    for (auto it = active_.begin(); it != active_.end();) {
      auto w = wanted.find(it->first);
      if (w == wanted.end()) {
        dropped.push_back(it->first);
        it = active_.erase(it);
      } else {
        it->second = w->second;
        ++it;
      }
    }
  }
  for (const auto& [group, topic] : dropped) ctx_->consumers->Unsubscribe(id_, group, topic);
  if (!dropped.empty() && persistent_) {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (const auto& [group, topic] : dropped) persisted_topics_.erase(topic);
  }
}

void MqttSession::HandleUnsubscribe(const mq::Unsubscribe& unsubscribe) {
  mq::SubAck ack;
  ack.type = mq::PacketType::kUnsuback;
  ack.packet_id = unsubscribe.packet_id;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (const auto& filter : unsubscribe.filters) {
      ack.reason_codes.push_back(filters_.erase(filter) > 0 ? kSuccess
                                                            : mq::reason::kNoSubscriptionExisted);
    }
  }
  Reconcile();
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    if (persistent_) PersistSession();
  }
  std::string out;
  (void)mq::EncodeSubAck(ack, version_, &out);
  Send(out);
}

uint8_t MqttSession::QosFor(const std::string& group, const std::string& topic) {
  std::lock_guard<std::mutex> lock(active_mu_);
  auto it = active_.find(std::make_pair(group, topic));
  return it == active_.end() ? 1 : it->second;
}

void MqttSession::PersistSession() {
  PersistedSession session;
  session.expiry_s = session_expiry_s_;
  session.disconnected_ms = closed_ ? WallNowMs() : 0;
  for (const auto& [full, entry] : filters_) session.subscriptions.push_back({full, entry.qos});
  session.topics.assign(persisted_topics_.begin(), persisted_topics_.end());
  if (absl::Status s = ctx_->state->PutSession(client_id_, session); !s.ok()) {
    LOG(ERROR) << "mqtt: session of \"" << client_id_ << "\" not persisted: " << s;
  }
}

void MqttSession::SendRetained(const FilterEntry& entry) {
  auto retained = ctx_->state->Retained(
      [&](const std::string& topic) { return mq::TopicMatches(entry.filter, topic); });
  const int64_t now = WallNowMs();
  std::string out;
  for (const auto& message : retained) {
    bool expired = false;
    mq::Publish p = EventToPublish(message.event, version_, now, &expired);
    if (expired) continue;
    p.retain = true;
    p.qos = std::min(entry.qos, message.qos);
    if (p.qos > 0) {
      std::lock_guard<std::mutex> lock(deliveries_mu_);
      p.packet_id = NextPacketIdLocked();
      outbound_[p.packet_id] = Outbound{};
    }
    if (client_max_packet_ > 0 && mq::PublishPacketSize(p, version_) > client_max_packet_) continue;
    (void)mq::EncodePublish(p, version_, &out);
  }
  if (!out.empty()) Send(out);
}

// ----- Delivery ---------------------------------------------------------------------------------

bool MqttSession::TryAcquireSlot() {
  if (closed_.load(std::memory_order_relaxed)) return false;
  const int64_t window = window_.load(std::memory_order_relaxed);
  int64_t current = window_used_.load(std::memory_order_relaxed);
  while (current < window) {
    if (window_used_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

void MqttSession::ReleaseSlot() { window_used_.fetch_sub(1); }

void MqttSession::ReleaseSlots(int64_t n) { window_used_.fetch_sub(n); }

uint16_t MqttSession::NextPacketIdLocked() {
  for (int i = 0; i < 65536; ++i) {
    next_packet_id_ = static_cast<uint16_t>(next_packet_id_ + 1);
    if (next_packet_id_ == 0) continue;
    if (!outbound_.contains(next_packet_id_)) return next_packet_id_;
  }
  return 0;  // cannot happen: the window is below 65535
}

core::PushResult MqttSession::Push(const cloudevents::CloudEvent& event, core::PushKind kind,
                                   const std::string& seq,
                                   const std::shared_ptr<core::GroupConsumer>& consumer) {
  if (closed_.load(std::memory_order_relaxed)) return core::PushResult::Closed();
  uint64_t seq_number = 0;
  (void)absl::SimpleAtoi(seq, &seq_number);
  bool expired = false;
  mq::Publish p = EventToPublish(event, version_, WallNowMs(), &expired);
  if (p.topic.empty()) p.topic = consumer->topic();
  std::lock_guard<std::mutex> lock(deliveries_mu_);
  if (expired) {
    auto_acks_.emplace_back(consumer, seq_number);  // nothing to deliver: settled at once
    return core::PushResult::Queued();
  }
  p.qos = QosFor(consumer->group(), consumer->topic());
  if (client_max_packet_ > 0 && mq::PublishPacketSize(p, version_) > client_max_packet_) {
    return core::PushResult::Undeliverable(absl::StrCat(
        "larger than the MQTT client's Maximum Packet Size of ", client_max_packet_, " bytes"));
  }
  std::string event_key;
  if (p.qos > 0) {
    event_key = absl::StrCat(event.source(), "\n", event.id());
    int& pushes = pushed_[event_key];
    p.dup = pushes > 0;
    ++pushes;
    p.packet_id = NextPacketIdLocked();
  }
  {
    std::lock_guard<std::mutex> out_lock(out_mu_);
    if (out_closed_) return core::PushResult::Closed();
    const size_t before = out_pending_.size();
    absl::Status encoded = mq::EncodePublish(p, version_, &out_pending_);
    if (!encoded.ok()) {
      out_pending_.resize(before);
      return core::PushResult::Undeliverable(
          absl::StrCat("cannot be sent over MQTT: ", encoded.message()));
    }
    if (out_pending_.size() > kMaxPendingOutput) {
      out_closed_ = true;
      boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->Close("the client does not read its socket (64 MiB of output pending)");
      });
      return core::PushResult::Closed();
    }
  }
  if (p.qos == 0) {
    auto_acks_.emplace_back(consumer, seq_number);
  } else {
    outbound_[p.packet_id] = Outbound{consumer, seq_number, std::move(event_key)};
    seq_to_packet_[seq_number] = p.packet_id;
  }
  return core::PushResult::Queued();
}

void MqttSession::Forget(const std::string& seq) {
  uint64_t seq_number = 0;
  if (!absl::SimpleAtoi(seq, &seq_number)) return;
  std::lock_guard<std::mutex> lock(deliveries_mu_);
  auto it = seq_to_packet_.find(seq_number);
  if (it == seq_to_packet_.end()) return;
  // The packet id stays taken until the client acknowledges it (its PUBACK is then ignored).
  auto out = outbound_.find(it->second);
  if (out != outbound_.end()) out->second.consumer.reset();
  seq_to_packet_.erase(it);
}

void MqttSession::HandlePuback(uint16_t packet_id) {
  std::shared_ptr<core::GroupConsumer> consumer;
  uint64_t seq = 0;
  {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    auto it = outbound_.find(packet_id);
    if (it == outbound_.end()) return;  // unknown or late: ignored
    consumer = it->second.consumer.lock();
    seq = it->second.seq;
    seq_to_packet_.erase(seq);
    pushed_.erase(it->second.event_key);
    outbound_.erase(it);
  }
  if (consumer != nullptr) consumer->OnAck(seq);
}

void MqttSession::FlushPushes() {
  std::vector<std::pair<std::shared_ptr<core::GroupConsumer>, uint64_t>> acks;
  {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    acks.swap(auto_acks_);
  }
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (!out_closed_ && !writing_ && !out_pending_.empty()) {
      if (tls_ || close_after_flush_) {
        writing_ = true;
        boost::asio::post(socket_.get_executor(),
                          [self = shared_from_this()] { self->StartWrite(); });
      } else {
        // Write directly from this thread when the socket takes it (out_mu_ keeps the
        // descriptor open, see Close); only a remainder goes to the io thread.
        const ssize_t sent = ::send(socket_.native_handle(), out_pending_.data(),
                                    out_pending_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent > 0) out_pending_.erase(0, static_cast<size_t>(sent));
        if (!out_pending_.empty()) {
          writing_ = true;
          boost::asio::post(socket_.get_executor(),
                            [self = shared_from_this()] { self->StartWrite(); });
        }
      }
    }
  }
  for (auto& [consumer, seq] : acks) consumer->OnAck(seq);
}

// ----- Output -----------------------------------------------------------------------------------

void MqttSession::Send(absl::string_view bytes) {
  std::lock_guard<std::mutex> lock(out_mu_);
  if (out_closed_) return;
  out_pending_.append(bytes.data(), bytes.size());
  if (!writing_) {
    writing_ = true;
    boost::asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
}

void MqttSession::StartWrite() {
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    if (closed_) {
      writing_ = false;
      return;
    }
    if (out_pending_.empty()) {
      writing_ = false;
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

void MqttSession::Fail(uint8_t reason, const std::string& why) {
  if (connected_ && version_ == mq::Version::kV5) {
    mq::Disconnect d;
    d.reason_code = reason;
    d.properties.reason_string = why;
    std::string out;
    (void)mq::EncodeDisconnect(d, version_, &out);
    Send(out);
    CloseAfterFlush(absl::StrCat("DISCONNECT 0x", absl::Hex(reason), ": ", why));
    return;
  }
  Close(why);
}

void MqttSession::CloseAfterFlush(const std::string& why) {
  closing_ = true;  // nothing more is read
  read_paused_ = true;
  bool close_now = false;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    close_after_flush_ = true;
    close_reason_ = why;
    close_now = !writing_ && out_pending_.empty();
  }
  if (close_now) Close(why);
}

void MqttSession::TakeOver() {
  taken_over_ = true;
  // Stop delivery at once so that the new connection inherits the unacknowledged events.
  ctx_->consumers->RemoveTarget(id_);
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->will_.reset();
    self->Fail(mq::reason::kSessionTakenOver, "another connection took over the client id");
  });
}

void MqttSession::ServerShutdown() {
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    self->will_.reset();  // not the client's failure
    self->Fail(mq::reason::kServerShuttingDown, "the runtime is shutting down");
  });
}

void MqttSession::Close(const std::string& why) {
  if (closed_.exchange(true)) return;
  LOG(INFO) << "mqtt session " << peer_ << " (client \"" << client_id_ << "\") closed: " << why;
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    out_closed_ = true;
  }
  boost::system::error_code ec;
  timer_.cancel();
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  FlushPublishBatch();  // publishes read before the close still count
  ctx_->consumers->RemoveTarget(id_);
  {
    std::lock_guard<std::mutex> lock(deliveries_mu_);
    outbound_.clear();
    seq_to_packet_.clear();
    auto_acks_.clear();
  }
  if (connected_) {
    if (will_.has_value() && !clean_disconnect_) {
      mq::Publish will;
      will.topic = will_->topic;
      will.payload = will_->payload;
      will.qos = will_->qos;
      will.retain = will_->retain;
      will.properties = will_->properties;
      auto event = PublishToEvent(will, version_, client_id_, WallNowMs());
      absl::Status status = event.status();
      if (event.ok()) status = ctx_->publish->Admit(publisher_, *event);
      if (status.ok()) {
        if (will.retain && ctx_->config->mqtt.retain_enabled) {
          (void)ctx_->state->Retain(will.topic, {*event, std::min<uint8_t>(will.qos, 1)},
                                    will.payload.empty());
        }
        std::vector<cloudevents::CloudEvent> events;
        events.push_back(*std::move(event));
        ctx_->publish->Publish(
            std::move(events),
            [topic = will.topic](absl::Status s) {
              if (!s.ok()) LOG(WARNING) << "mqtt: will message to " << topic << " failed: " << s;
            },
            core::Protocol::kMqtt);
      } else {
        LOG(WARNING) << "mqtt client \"" << client_id_ << "\": will message refused: " << status;
      }
    }
    if (persistent_ && !taken_over_) {
      std::lock_guard<std::mutex> lock(subs_mu_);
      PersistSession();  // records the disconnection time (session expiry)
    }
    ctx_->registry->Closed(client_id_, id_);
  }
}

}  // namespace eventmesh::runtime::mqtt
