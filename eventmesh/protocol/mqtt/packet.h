#ifndef EVENTMESH_PROTOCOL_MQTT_PACKET_H_
#define EVENTMESH_PROTOCOL_MQTT_PACKET_H_

// MQTT control packets (3.1.1 and 5.0) as plain values: what the codec (codec.h) decodes from
// and encodes to the wire. Fields that exist only in MQTT 5 (properties, reason codes of
// acknowledgements) are ignored when a packet is encoded for 3.1.1. No behaviour here; the
// types are copyable values, thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eventmesh::protocol::mqtt {

// The protocol level byte of CONNECT.
enum class Version : uint8_t { kV311 = 4, kV5 = 5 };

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// "CONNECT", "PUBLISH", ... ("type 0" for values outside 1..15).
const char* PacketTypeName(uint8_t type);

// MQTT 5 reason codes used by this mesh (MQTT 5.0 section 2.4). For MQTT 3.1.1 CONNACK the
// codec maps them to the 3.1.1 return codes (see EncodeConnack).
namespace reason {
inline constexpr uint8_t kSuccess = 0x00;  // also "granted QoS 0", "normal disconnection"
inline constexpr uint8_t kGrantedQos1 = 0x01;
inline constexpr uint8_t kDisconnectWithWill = 0x04;
inline constexpr uint8_t kNoMatchingSubscribers = 0x10;
inline constexpr uint8_t kNoSubscriptionExisted = 0x11;
inline constexpr uint8_t kUnspecifiedError = 0x80;
inline constexpr uint8_t kMalformedPacket = 0x81;
inline constexpr uint8_t kProtocolError = 0x82;
inline constexpr uint8_t kImplementationSpecificError = 0x83;
inline constexpr uint8_t kUnsupportedProtocolVersion = 0x84;
inline constexpr uint8_t kClientIdentifierNotValid = 0x85;
inline constexpr uint8_t kBadUserNameOrPassword = 0x86;
inline constexpr uint8_t kNotAuthorized = 0x87;
inline constexpr uint8_t kServerUnavailable = 0x88;
inline constexpr uint8_t kServerBusy = 0x89;
inline constexpr uint8_t kServerShuttingDown = 0x8B;
inline constexpr uint8_t kKeepAliveTimeout = 0x8D;
inline constexpr uint8_t kSessionTakenOver = 0x8E;
inline constexpr uint8_t kTopicFilterInvalid = 0x8F;
inline constexpr uint8_t kTopicNameInvalid = 0x90;
inline constexpr uint8_t kPacketIdentifierInUse = 0x91;
inline constexpr uint8_t kPacketIdentifierNotFound = 0x92;
inline constexpr uint8_t kReceiveMaximumExceeded = 0x93;
inline constexpr uint8_t kTopicAliasInvalid = 0x94;
inline constexpr uint8_t kPacketTooLarge = 0x95;
inline constexpr uint8_t kQuotaExceeded = 0x97;
inline constexpr uint8_t kPayloadFormatInvalid = 0x99;
inline constexpr uint8_t kRetainNotSupported = 0x9A;
inline constexpr uint8_t kQosNotSupported = 0x9B;
inline constexpr uint8_t kSharedSubscriptionsNotSupported = 0x9E;
inline constexpr uint8_t kWildcardSubscriptionsNotSupported = 0xA2;
}  // namespace reason

// MQTT 5 properties. Absent optional = the property was not sent. Encoding writes the set ones
// in identifier order, then the user properties in their order.
struct Properties {
  std::optional<uint8_t> payload_format_indicator;                   // 0x01
  std::optional<uint32_t> message_expiry_interval;                   // 0x02, seconds
  std::optional<std::string> content_type;                           // 0x03
  std::optional<std::string> response_topic;                         // 0x08
  std::optional<std::string> correlation_data;                       // 0x09, binary
  std::vector<uint32_t> subscription_identifiers;                    // 0x0B (repeatable in PUBLISH)
  std::optional<uint32_t> session_expiry_interval;                   // 0x11, seconds
  std::optional<std::string> assigned_client_identifier;             // 0x12
  std::optional<uint16_t> server_keep_alive;                         // 0x13, seconds
  std::optional<std::string> authentication_method;                  // 0x15
  std::optional<std::string> authentication_data;                    // 0x16
  std::optional<uint8_t> request_problem_information;                // 0x17
  std::optional<uint32_t> will_delay_interval;                       // 0x18, seconds
  std::optional<uint8_t> request_response_information;               // 0x19
  std::optional<std::string> response_information;                   // 0x1A
  std::optional<std::string> server_reference;                       // 0x1C
  std::optional<std::string> reason_string;                          // 0x1F
  std::optional<uint16_t> receive_maximum;                           // 0x21
  std::optional<uint16_t> topic_alias_maximum;                       // 0x22
  std::optional<uint16_t> topic_alias;                               // 0x23
  std::optional<uint8_t> maximum_qos;                                // 0x24
  std::optional<uint8_t> retain_available;                           // 0x25
  std::vector<std::pair<std::string, std::string>> user_properties;  // 0x26
  std::optional<uint32_t> maximum_packet_size;                       // 0x27, bytes
  std::optional<uint8_t> wildcard_subscription_available;            // 0x28
  std::optional<uint8_t> subscription_identifier_available;          // 0x29
  std::optional<uint8_t> shared_subscription_available;              // 0x2A

  bool operator==(const Properties& o) const;
};

struct Will {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // MQTT 5 will properties
};

struct Connect {
  Version version = Version::kV311;
  std::string client_id;
  bool clean_start = true;  // "clean session" in 3.1.1
  uint16_t keep_alive = 0;  // seconds; 0 = no keep-alive
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary data
  std::optional<Will> will;
  Properties properties;
};

struct Connack {
  bool session_present = false;
  uint8_t reason_code = reason::kSuccess;
  Properties properties;
};

struct Publish {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  uint16_t packet_id = 0;  // QoS > 0 only
  Properties properties;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP.
struct Ack {
  PacketType type = PacketType::kPuback;
  uint16_t packet_id = 0;
  uint8_t reason_code = reason::kSuccess;
  Properties properties;
};

struct SubscriptionRequest {
  std::string filter;
  uint8_t qos = 0;
  bool no_local = false;             // MQTT 5
  bool retain_as_published = false;  // MQTT 5
  uint8_t retain_handling = 0;       // MQTT 5: 0 send retained, 1 only if new, 2 never
};

struct Subscribe {
  uint16_t packet_id = 0;
  std::vector<SubscriptionRequest> subscriptions;
  Properties properties;
};

// SUBACK and UNSUBACK (UNSUBACK has no reason codes in 3.1.1).
struct SubAck {
  PacketType type = PacketType::kSuback;
  uint16_t packet_id = 0;
  std::vector<uint8_t> reason_codes;
  Properties properties;
};

struct Unsubscribe {
  uint16_t packet_id = 0;
  std::vector<std::string> filters;
  Properties properties;
};

struct Disconnect {
  uint8_t reason_code = reason::kSuccess;
  Properties properties;
};

}  // namespace eventmesh::protocol::mqtt

#endif  // EVENTMESH_PROTOCOL_MQTT_PACKET_H_
