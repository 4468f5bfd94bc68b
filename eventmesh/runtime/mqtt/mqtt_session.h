#ifndef EVENTMESH_RUNTIME_MQTT_MQTT_SESSION_H_
#define EVENTMESH_RUNTIME_MQTT_MQTT_SESSION_H_

// One MQTT client connection: decodes packets (protocol/mqtt), calls the core services
// (PublishService, ConsumerManager, Acl, TopicRegistry) and encodes their answers.
//
// Lifecycle: Start (TLS handshake when configured) -> CONNECT within connectTimeoutMs ->
// packets -> Close (socket closed, delivery targets removed, will published unless the client
// sent DISCONNECT 0x00, persistent session state marked disconnected).
// Threads: reads, packet handling and timers run on the connection's io thread. Push, Forget,
// TryAcquireSlot, ReleaseSlot and FlushPushes (DeliveryTarget) come from consumer threads;
// OnTopicCreated and TakeOver from any thread. Shared state is guarded by the mutexes below.
//
// Inbound PUBLISH: QoS 0 is handed to the store; QoS 1 is answered PUBACK only after the store
// says the event is durable, in the order the publishes arrived; QoS 2 is answered PUBREC after
// the event is durable and PUBCOMP on PUBREL (packet ids seen twice before PUBREL are not
// published again). At most eventMesh.server.mqtt.receiveMaximum publishes are being stored at
// once; beyond that the socket is not read (back-pressure; an MQTT 5 client exceeding the
// Receive Maximum it was told is disconnected with 0x93).
// Delivery: each subscribed (group, topic) is a GroupConsumer target. QoS 1 pushes take a
// window slot (eventMesh.server.mqtt.maxInflight or the client's Receive Maximum, whichever is
// smaller) and are acknowledged to the group only by the client's PUBACK, so a group's position
// never passes an event the client did not acknowledge; a push not acknowledged within the
// delivery ack timeout is pushed again with DUP set. QoS 0 pushes are acknowledged once
// written to the socket buffer.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/protocol/mqtt/codec.h"
#include "eventmesh/runtime/core/delivery_target.h"
#include "eventmesh/runtime/core/group_consumer.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/frontend/frontend.h"
#include "eventmesh/runtime/mqtt/mqtt_context.h"
#include "eventmesh/runtime/mqtt/state_store.h"

namespace eventmesh::runtime::mqtt {

class MqttSession final : public core::DeliveryTarget,
                          public std::enable_shared_from_this<MqttSession> {
 public:
  MqttSession(boost::asio::ip::tcp::socket socket, MqttContext* context, uint64_t id);
  ~MqttSession() override;

  // Starts the handshake (TLS) and reading. On the session's io thread.
  void Start();

  // ----- core::DeliveryTarget
  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override;
  void ReleaseSlot() override;
  void ReleaseSlots(int64_t n) override;
  core::PushResult Push(const cloudevents::CloudEvent& event, core::PushKind kind,
                        const std::string& seq,
                        const std::shared_ptr<core::GroupConsumer>& consumer) override;
  void Forget(const std::string& seq) override;
  void FlushPushes() override;

  // A topic appeared (created in this runtime or found by the topic scan): wildcard filters
  // that match it start consuming it. Any thread; synchronous.
  void OnTopicCreated(const std::string& topic);
  // Another connection took this client id: delivery stops at once (synchronously), then the
  // connection is closed (MQTT 5: DISCONNECT 0x8E). Any thread.
  void TakeOver();
  // The runtime is stopping: MQTT 5 clients get DISCONNECT 0x8B, then the connection closes.
  void ServerShutdown();

  const std::string& client_id() const { return client_id_; }
  // What the admin port lists for this connection; nullopt before CONNECT succeeded. Any
  // thread.
  std::optional<frontend::ConnectedClient> Describe();
  bool has_wildcards();
  bool closed() const { return closed_.load(); }

 private:
  struct FilterEntry {
    std::string group;   // the consumer group its topics are consumed in
    std::string filter;  // without "$share/<g>/"
    bool shared = false;
    bool wildcard = false;
    uint8_t qos = 0;
  };
  struct Outbound {                               // a QoS 1 push awaiting PUBACK
    std::weak_ptr<core::GroupConsumer> consumer;  // empty: a retained message
    uint64_t seq = 0;
    std::string event_key;
  };
  struct Inbound {  // a publish being stored
    uint16_t packet_id = 0;
    uint8_t qos = 0;
    bool done = false;
    uint8_t reason = protocol::mqtt::reason::kSuccess;
    std::string reason_string;
  };

  // ----- input
  void DoRead();
  void OnRead(const boost::system::error_code& ec, size_t bytes);
  // Handles every whole packet in the buffer; false when the connection is closing.
  bool HandlePackets();
  bool HandlePacket(const protocol::mqtt::FixedHeader& header, absl::string_view body);
  bool HandleConnect(uint8_t flags, absl::string_view body);
  bool HandlePublish(protocol::mqtt::Publish publish);
  void HandleSubscribe(const protocol::mqtt::Subscribe& subscribe);
  void HandleUnsubscribe(const protocol::mqtt::Unsubscribe& unsubscribe);
  void HandlePuback(uint16_t packet_id);
  void FlushPublishBatch();
  void OnPublished(uint64_t inbound_id, absl::Status status);
  void SendInboundAcks();
  void MaybeResumeReading();

  // ----- subscriptions
  // Adds or replaces one filter; returns the SUBACK reason code.
  uint8_t SubscribeFilter(const std::string& full_filter,
                          const protocol::mqtt::SubscriptionRequest& request, bool restoring,
                          std::string* why);
  // Starts consuming (group, topic) unless already done; updates its QoS.
  absl::Status ActivateTopic(const FilterEntry& entry, const std::string& topic, bool discovered);
  // Stops consuming topics no filter covers any more.
  void Reconcile();
  uint8_t QosFor(const std::string& group, const std::string& topic);
  void SendRetained(const FilterEntry& entry);
  void PersistSession() ABSL_EXCLUSIVE_LOCKS_REQUIRED(subs_mu_);

  // ----- output
  void Send(absl::string_view bytes);
  void StartWrite();
  // Protocol error / bad input: MQTT 5 gets DISCONNECT `reason` first; then the socket closes.
  void Fail(uint8_t reason, const std::string& why);
  void CloseAfterFlush(const std::string& why);
  void Close(const std::string& why);
  void ScheduleTimer();
  uint16_t NextPacketIdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(deliveries_mu_);

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::asio::steady_timer timer_;
  MqttContext* const ctx_;
  const uint64_t id_;
  std::string peer_;
  std::string address_;

  // Io-thread state.
  std::string in_;
  size_t in_start_ = 0;
  std::array<char, 64 * 1024> read_buffer_;
  bool reading_ = false;
  bool read_paused_ = false;
  bool closing_ = false;  // CloseAfterFlush: the rest of the output goes out, nothing is read
  bool connected_ = false;
  bool clean_disconnect_ = false;
  int64_t last_packet_ms_ = 0;
  int64_t accepted_ms_ = 0;
  uint16_t keep_alive_s_ = 0;
  protocol::mqtt::Version version_ = protocol::mqtt::Version::kV311;
  std::string client_id_;
  const core::AclUser* user_ = nullptr;
  std::optional<protocol::mqtt::Will> will_;
  bool persistent_ = false;
  int64_t session_expiry_s_ = 0;
  uint32_t client_max_packet_ = 0;  // 0 = no limit
  std::vector<connectors::Connector::PendingPublish> publish_batch_;
  std::map<uint64_t, Inbound> inbound_;  // by arrival order
  uint64_t next_inbound_ = 0;
  int64_t inbound_acked_ = 0;  // entries of inbound_ with QoS > 0 (Receive Maximum)
  absl::flat_hash_set<uint16_t> qos2_pending_;  // QoS 2 ids published, awaiting PUBREL
  core::KnownTopics known_topics_;
  core::Publisher publisher_;

  // Subscriptions (any thread: io thread, topic-creation listeners).
  std::mutex subs_mu_;
  std::map<std::string, FilterEntry> filters_ ABSL_GUARDED_BY(subs_mu_);
  std::set<std::string> persisted_topics_ ABSL_GUARDED_BY(subs_mu_);
  // (group, topic) consumed now -> QoS; read by Push.
  std::mutex active_mu_;
  std::map<std::pair<std::string, std::string>, uint8_t> active_ ABSL_GUARDED_BY(active_mu_);

  // Deliveries (consumer threads and the io thread).
  std::mutex deliveries_mu_;
  absl::flat_hash_map<uint16_t, Outbound> outbound_ ABSL_GUARDED_BY(deliveries_mu_);
  absl::flat_hash_map<uint64_t, uint16_t> seq_to_packet_ ABSL_GUARDED_BY(deliveries_mu_);
  // Events pushed once and not acknowledged yet: a second push carries DUP.
  absl::flat_hash_map<std::string, int> pushed_ ABSL_GUARDED_BY(deliveries_mu_);
  std::vector<std::pair<std::shared_ptr<core::GroupConsumer>, uint64_t>> auto_acks_
      ABSL_GUARDED_BY(deliveries_mu_);
  uint16_t next_packet_id_ ABSL_GUARDED_BY(deliveries_mu_) = 0;
  std::atomic<int64_t> window_{1000};
  std::atomic<int64_t> window_used_{0};

  // Identity for Describe (written once at CONNECT on the io thread).
  std::mutex info_mu_;
  std::optional<frontend::ConnectedClient> info_ ABSL_GUARDED_BY(info_mu_);

  // Output.
  std::mutex out_mu_;
  std::string out_pending_ ABSL_GUARDED_BY(out_mu_);
  std::string out_writing_;
  bool writing_ ABSL_GUARDED_BY(out_mu_) = false;
  bool out_closed_ ABSL_GUARDED_BY(out_mu_) = false;
  bool close_after_flush_ ABSL_GUARDED_BY(out_mu_) = false;
  std::string close_reason_ ABSL_GUARDED_BY(out_mu_);

  std::atomic<bool> closed_{false};
  std::atomic<bool> taken_over_{false};
};

}  // namespace eventmesh::runtime::mqtt

#endif  // EVENTMESH_RUNTIME_MQTT_MQTT_SESSION_H_
