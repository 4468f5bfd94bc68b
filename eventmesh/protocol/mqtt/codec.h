#ifndef EVENTMESH_PROTOCOL_MQTT_CODEC_H_
#define EVENTMESH_PROTOCOL_MQTT_CODEC_H_

// Encoding and decoding of MQTT 3.1.1 and 5.0 control packets (packet.h). Pure functions over
// byte strings, no I/O; thread-safe.
//
// Framing: PeekPacket finds one whole packet at the start of a buffer. The remaining length is
// bounded twice: by the protocol (at most 4 length bytes, 268,435,455) and by the caller's
// `max_packet_size` (whole packet, fixed header included), which is enforced as soon as the
// length bytes arrived, before any body is buffered.
//
// Decoding validates everything the specifications make a receiver check: reserved flag bits,
// string lengths inside the packet, UTF-8 strings (RFC 3629, no U+0000), property identifiers
// allowed in the packet, duplicate properties, QoS values, packet identifiers != 0, non-empty
// SUBSCRIBE/UNSUBSCRIBE lists, trailing bytes. Topic name and filter syntax (wildcards) is
// checked by topic.h, not here.
//
// Errors carry the MQTT 5 reason code the receiver should answer with (ReasonCodeOf):
//   InvalidArgument  "malformed <PACKET>: <what>"            -> 0x81 Malformed Packet
//   FailedPrecondition "protocol error in <PACKET>: <what>"  -> 0x82 Protocol Error
//   OutOfRange "packet of N bytes exceeds the maximum packet size M" -> 0x95 Packet Too Large
//   Unimplemented "unsupported protocol ..."                -> 0x84 Unsupported Protocol Version
//   ResourceExhausted "<PACKET> with more than 4096 user properties" (or topic filters)
//                                                           -> 0x97 Quota Exceeded
// Encoding fails (InvalidArgument) only when a value cannot be represented (a string longer
// than 65,535 bytes, a packet longer than the remaining-length limit).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/mqtt/packet.h"

namespace eventmesh::protocol::mqtt {

// The protocol's largest remaining length (4 length bytes).
inline constexpr uint32_t kMaxRemainingLength = 268'435'455;

// User properties one packet's properties may hold, and topic filters one SUBSCRIBE or
// UNSUBSCRIBE may list. Each costs 64 bytes or more decoded however short its bytes (a user
// property is 5, a filter 3 or 4: a 4 MiB packet of them was over 100 MB decoded).
inline constexpr size_t kMaxUserProperties = 4096;
inline constexpr size_t kMaxTopicFilters = 4096;

struct FixedHeader {
  uint8_t type = 0;   // high nibble of the first byte
  uint8_t flags = 0;  // low nibble
  uint32_t remaining_length = 0;
  size_t header_size = 0;  // 2..5 bytes
  size_t packet_size() const { return header_size + remaining_length; }
};

// The header of the packet at the start of `buffer` when the whole packet is there; nullopt
// when more bytes are needed. Errors: InvalidArgument (a fifth length byte, type 0),
// OutOfRange (the packet is larger than `max_packet_size` bytes).
absl::StatusOr<std::optional<FixedHeader>> PeekPacket(absl::string_view buffer,
                                                      uint32_t max_packet_size);

// The reason code an error of this codec (or a status built with WithReasonCode) stands for;
// kUnspecifiedError for other errors, kSuccess for OK.
uint8_t ReasonCodeOf(const absl::Status& status);
// `status` carrying an explicit MQTT reason code.
absl::Status WithReasonCode(absl::Status status, uint8_t reason_code);

// ----- Decoding (the body is the packet without its fixed header) --------------------------
// CONNECT decides the version of the connection. Errors besides the above: Unimplemented for a
// protocol name/level other than MQTT 3.1.1 (4) and 5.0 (5) (reason 0x84; 3.1.1 answers
// CONNACK return code 1).
absl::StatusOr<Connect> DecodeConnect(uint8_t flags, absl::string_view body);
absl::StatusOr<Connack> DecodeConnack(uint8_t flags, absl::string_view body, Version version);
absl::StatusOr<Publish> DecodePublish(uint8_t flags, absl::string_view body, Version version);
// PUBACK, PUBREC, PUBREL, PUBCOMP (`type` says which).
absl::StatusOr<Ack> DecodeAck(PacketType type, uint8_t flags, absl::string_view body,
                              Version version);
absl::StatusOr<Subscribe> DecodeSubscribe(uint8_t flags, absl::string_view body, Version version);
// SUBACK and UNSUBACK.
absl::StatusOr<SubAck> DecodeSubAck(PacketType type, uint8_t flags, absl::string_view body,
                                    Version version);
absl::StatusOr<Unsubscribe> DecodeUnsubscribe(uint8_t flags, absl::string_view body,
                                              Version version);
absl::StatusOr<Disconnect> DecodeDisconnect(uint8_t flags, absl::string_view body, Version version);
// PINGREQ / PINGRESP: no flags, no body.
absl::Status DecodeEmpty(PacketType type, uint8_t flags, absl::string_view body);

// ----- Encoding (appends one whole packet to `out`; nothing is appended on error) ----------
absl::Status EncodeConnect(const Connect& connect, std::string* out);
// For 3.1.1 the reason code becomes the return code: 0x84 -> 1, 0x85 -> 2, 0x88/0x89/0x8B -> 3,
// 0x86 -> 4, 0x87 and every other failure -> 5.
absl::Status EncodeConnack(const Connack& connack, Version version, std::string* out);
absl::Status EncodePublish(const Publish& publish, Version version, std::string* out);
absl::Status EncodeAck(const Ack& ack, Version version, std::string* out);
absl::Status EncodeSubscribe(const Subscribe& subscribe, Version version, std::string* out);
absl::Status EncodeSubAck(const SubAck& ack, Version version, std::string* out);
absl::Status EncodeUnsubscribe(const Unsubscribe& unsubscribe, Version version, std::string* out);
absl::Status EncodeDisconnect(const Disconnect& disconnect, Version version, std::string* out);
void EncodeEmpty(PacketType type, std::string* out);  // PINGREQ, PINGRESP

// Bytes EncodePublish would append (to honour a client's Maximum Packet Size).
size_t PublishPacketSize(const Publish& publish, Version version);

// MQTT's UTF-8 rule: valid UTF-8 without U+0000.
bool IsValidMqttUtf8(absl::string_view text);

}  // namespace eventmesh::protocol::mqtt

#endif  // EVENTMESH_PROTOCOL_MQTT_CODEC_H_
