#include "eventmesh/runtime/mqtt/testing/mqtt_test_client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::mqtt::testing {

namespace mq = protocol::mqtt;

absl::StatusOr<std::unique_ptr<MqttTestClient>> MqttTestClient::Open(int port) {
  std::unique_ptr<MqttTestClient> client(new MqttTestClient());
  boost::system::error_code ec;
  client->socket_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
                                                         static_cast<uint16_t>(port)),
                          ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  client->socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  client->reader_ = std::thread([c = client.get()] { c->ReadLoop(); });
  return client;
}

MqttTestClient::~MqttTestClient() { Drop(); }

void MqttTestClient::Drop() {
  boost::system::error_code ec;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  if (reader_.joinable()) reader_.join();
  socket_.close(ec);
}

void MqttTestClient::ReadLoop() {
  std::string buffer;
  char chunk[64 * 1024];
  for (;;) {
    boost::system::error_code ec;
    const size_t n = socket_.read_some(boost::asio::buffer(chunk), ec);
    if (ec) break;
    buffer.append(chunk, n);
    bool failed = false;
    for (;;) {
      auto header = mq::PeekPacket(buffer, mq::kMaxRemainingLength + 5);
      if (!header.ok()) {
        failed = true;
        break;
      }
      if (!header->has_value()) break;
      RawPacket packet;
      packet.header = **header;
      packet.body = buffer.substr(packet.header.header_size, packet.header.remaining_length);
      buffer.erase(0, packet.header.packet_size());
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move(packet));
      ++arrivals_;
    }
    if (failed) break;
  }
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::Status MqttTestClient::SendRaw(const std::string& bytes) {
  boost::system::error_code ec;
  boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<RawPacket> MqttTestClient::Next(mq::PacketType type, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->type() == type) {
        RawPacket packet = std::move(*it);
        queue_.erase(it);
        return packet;
      }
    }
    const char* name = mq::PacketTypeName(static_cast<uint8_t>(type));
    if (closed_) return absl::UnavailableError(absl::StrCat("connection closed before a ", name));
    const uint64_t seen = arrivals_;
    auto changed = [this, seen]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return arrivals_ != seen || closed_; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&changed), deadline)) {
      return absl::DeadlineExceededError(
          absl::StrCat("no ", name, " within ", absl::FormatDuration(timeout)));
    }
  }
}

bool MqttTestClient::WaitClosed(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&closed_), timeout);
}

size_t MqttTestClient::queued() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::StatusOr<mq::Connack> MqttTestClient::Connect(mq::Connect connect) {
  version_ = connect.version;
  std::string out;
  if (absl::Status s = mq::EncodeConnect(connect, &out); !s.ok()) return s;
  if (absl::Status s = SendRaw(out); !s.ok()) return s;
  auto packet = Next(mq::PacketType::kConnack);
  if (!packet.ok()) return packet.status();
  return mq::DecodeConnack(packet->header.flags, packet->body, version_);
}

absl::StatusOr<mq::SubAck> MqttTestClient::Subscribe(std::vector<mq::SubscriptionRequest> requests,
                                                     mq::Properties properties) {
  mq::Subscribe sub;
  sub.packet_id = ++next_id_;
  sub.subscriptions = std::move(requests);
  sub.properties = std::move(properties);
  std::string out;
  if (absl::Status s = mq::EncodeSubscribe(sub, version_, &out); !s.ok()) return s;
  if (absl::Status s = SendRaw(out); !s.ok()) return s;
  auto packet = Next(mq::PacketType::kSuback);
  if (!packet.ok()) return packet.status();
  return mq::DecodeSubAck(mq::PacketType::kSuback, packet->header.flags, packet->body, version_);
}

absl::StatusOr<mq::SubAck> MqttTestClient::Unsubscribe(std::vector<std::string> filters) {
  mq::Unsubscribe unsub;
  unsub.packet_id = ++next_id_;
  unsub.filters = std::move(filters);
  std::string out;
  if (absl::Status s = mq::EncodeUnsubscribe(unsub, version_, &out); !s.ok()) return s;
  if (absl::Status s = SendRaw(out); !s.ok()) return s;
  auto packet = Next(mq::PacketType::kUnsuback);
  if (!packet.ok()) return packet.status();
  return mq::DecodeSubAck(mq::PacketType::kUnsuback, packet->header.flags, packet->body, version_);
}

absl::StatusOr<mq::Ack> MqttTestClient::Publish(mq::Publish publish) {
  if (publish.qos > 0 && publish.packet_id == 0) publish.packet_id = ++next_id_;
  std::string out;
  if (absl::Status s = mq::EncodePublish(publish, version_, &out); !s.ok()) return s;
  if (absl::Status s = SendRaw(out); !s.ok()) return s;
  if (publish.qos == 0) return mq::Ack{};
  auto packet = Next(publish.qos == 1 ? mq::PacketType::kPuback : mq::PacketType::kPubrec);
  if (!packet.ok()) return packet.status();
  return mq::DecodeAck(packet->type(), packet->header.flags, packet->body, version_);
}

absl::StatusOr<mq::Publish> MqttTestClient::NextPublish(absl::Duration timeout) {
  auto packet = Next(mq::PacketType::kPublish, timeout);
  if (!packet.ok()) return packet.status();
  return mq::DecodePublish(packet->header.flags, packet->body, version_);
}

absl::Status MqttTestClient::Puback(uint16_t packet_id) {
  std::string out;
  if (absl::Status s = mq::EncodeAck({mq::PacketType::kPuback, packet_id, 0, {}}, version_, &out);
      !s.ok()) {
    return s;
  }
  return SendRaw(out);
}

absl::Status MqttTestClient::Disconnect(mq::Disconnect disconnect) {
  std::string out;
  if (absl::Status s = mq::EncodeDisconnect(disconnect, version_, &out); !s.ok()) return s;
  return SendRaw(out);
}

}  // namespace eventmesh::runtime::mqtt::testing
