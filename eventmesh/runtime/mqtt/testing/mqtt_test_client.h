#ifndef EVENTMESH_RUNTIME_MQTT_TESTING_MQTT_TEST_CLIENT_H_
#define EVENTMESH_RUNTIME_MQTT_TESTING_MQTT_TEST_CLIENT_H_

// A blocking raw MQTT client for tests: a loopback socket, a reader thread that frames every
// incoming packet with the codec and queues it, and helpers that send one packet and wait for
// the answer of a given type. Raw bytes can be sent to test bad input. Nothing here asserts;
// errors come back as Status (DeadlineExceeded when nothing arrived in time).
// Thread-safe for one user thread plus the reader.

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio.hpp"
#include "eventmesh/protocol/mqtt/codec.h"

namespace eventmesh::runtime::mqtt::testing {

struct RawPacket {
  protocol::mqtt::FixedHeader header;
  std::string body;
  protocol::mqtt::PacketType type() const {
    return static_cast<protocol::mqtt::PacketType>(header.type);
  }
};

class MqttTestClient {
 public:
  static absl::StatusOr<std::unique_ptr<MqttTestClient>> Open(int port);
  ~MqttTestClient();

  absl::Status SendRaw(const std::string& bytes);
  // The next packet of `type` (others stay queued).
  absl::StatusOr<RawPacket> Next(protocol::mqtt::PacketType type,
                                 absl::Duration timeout = absl::Seconds(10));
  // True once the server closed the connection (waits up to `timeout`).
  bool WaitClosed(absl::Duration timeout = absl::Seconds(10));
  // Packets queued and not taken yet.
  size_t queued();

  // CONNECT, then the CONNACK.
  absl::StatusOr<protocol::mqtt::Connack> Connect(protocol::mqtt::Connect connect);
  // SUBSCRIBE (packet id assigned), then the SUBACK.
  absl::StatusOr<protocol::mqtt::SubAck> Subscribe(
      std::vector<protocol::mqtt::SubscriptionRequest> requests,
      protocol::mqtt::Properties properties = {});
  absl::StatusOr<protocol::mqtt::SubAck> Unsubscribe(std::vector<std::string> filters);
  // PUBLISH; QoS 1 waits for the PUBACK (returned), QoS 0 returns a default Ack at once.
  absl::StatusOr<protocol::mqtt::Ack> Publish(protocol::mqtt::Publish publish);
  // The next PUBLISH the server sent.
  absl::StatusOr<protocol::mqtt::Publish> NextPublish(absl::Duration timeout = absl::Seconds(10));
  absl::Status Puback(uint16_t packet_id);
  absl::Status Disconnect(protocol::mqtt::Disconnect disconnect = {});
  // Closes the socket without DISCONNECT.
  void Drop();

  protocol::mqtt::Version version() const { return version_; }

 private:
  MqttTestClient() : socket_(io_) {}
  void ReadLoop();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::thread reader_;
  protocol::mqtt::Version version_ = protocol::mqtt::Version::kV311;
  uint16_t next_id_ = 0;
  absl::Mutex mu_;
  std::deque<RawPacket> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t arrivals_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace eventmesh::runtime::mqtt::testing

#endif  // EVENTMESH_RUNTIME_MQTT_TESTING_MQTT_TEST_CLIENT_H_
