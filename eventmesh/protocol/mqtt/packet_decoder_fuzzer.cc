// Fuzz target for the MQTT codec: the input is a connection's byte stream. The first byte picks
// the protocol version (even: 3.1.1, odd: 5.0); the rest is split into packets with PeekPacket
// (maximum packet size 64 KiB) and every packet is decoded by its type.
//
// Property: nothing crashes; every packet that decodes encodes again and decodes to the same
// value; topic names and filters either validate or are refused with a reason code.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/mqtt/codec.h"
#include "eventmesh/protocol/mqtt/topic.h"

namespace {

using namespace eventmesh::protocol::mqtt;  // NOLINT: a fuzz target's local scope

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "packet_decoder_fuzzer: %s\n", what);
  std::abort();
}

// Decodes an encoded packet again (header included).
absl::string_view BodyOf(const std::string& wire, FixedHeader* header) {
  auto peeked = PeekPacket(wire, kMaxRemainingLength + 5);
  if (!peeked.ok() || !peeked->has_value()) Fail("re-encoded packet does not frame");
  *header = **peeked;
  if (header->packet_size() != wire.size()) Fail("re-encoded packet has the wrong size");
  return absl::string_view(wire).substr(header->header_size);
}

void CheckPublish(const Publish& p, Version v) {
  (void)ValidateTopicName(p.topic);
  std::string wire;
  if (!EncodePublish(p, v, &wire).ok()) Fail("decoded PUBLISH does not encode");
  if (wire.size() != PublishPacketSize(p, v)) Fail("PublishPacketSize differs");
  FixedHeader h;
  absl::string_view body = BodyOf(wire, &h);
  auto again = DecodePublish(h.flags, body, v);
  if (!again.ok() || again->topic != p.topic || again->payload != p.payload ||
      again->qos != p.qos || again->dup != p.dup || again->retain != p.retain ||
      again->packet_id != p.packet_id || !(again->properties == p.properties)) {
    Fail("PUBLISH round trip differs");
  }
}

void CheckConnect(const Connect& c) {
  std::string wire;
  if (!EncodeConnect(c, &wire).ok()) Fail("decoded CONNECT does not encode");
  FixedHeader h;
  absl::string_view body = BodyOf(wire, &h);
  auto again = DecodeConnect(h.flags, body);
  if (!again.ok() || again->client_id != c.client_id || again->username != c.username ||
      again->password != c.password || again->keep_alive != c.keep_alive ||
      again->clean_start != c.clean_start || again->will.has_value() != c.will.has_value() ||
      !(again->properties == c.properties)) {
    Fail("CONNECT round trip differs");
  }
  if (c.will && (again->will->topic != c.will->topic || again->will->payload != c.will->payload ||
                 !(again->will->properties == c.will->properties))) {
    Fail("CONNECT will round trip differs");
  }
}

void CheckSubscribe(const Subscribe& s, Version v) {
  for (const auto& req : s.subscriptions) {
    auto shared = ParseSharedFilter(req.filter);
    if (shared.ok()) (void)ValidateTopicFilter(shared->filter);
    if (ValidateTopicFilter(req.filter).ok() && !HasWildcard(req.filter)) {
      if (!TopicMatches(req.filter, req.filter)) Fail("a plain filter does not match itself");
    }
  }
  std::string wire;
  if (!EncodeSubscribe(s, v, &wire).ok()) Fail("decoded SUBSCRIBE does not encode");
  FixedHeader h;
  absl::string_view body = BodyOf(wire, &h);  // sets h: read before h.flags
  auto again = DecodeSubscribe(h.flags, body, v);
  if (!again.ok() || again->subscriptions.size() != s.subscriptions.size() ||
      !(again->properties == s.properties)) {
    Fail("SUBSCRIBE round trip differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Version version = (data[0] & 1) ? Version::kV5 : Version::kV311;
  absl::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (int packets = 0; packets < 64 && !input.empty(); ++packets) {
    auto peeked = PeekPacket(input, 64 * 1024);
    if (!peeked.ok()) {
      if (ReasonCodeOf(peeked.status()) == reason::kSuccess) Fail("error without reason code");
      return 0;
    }
    if (!peeked->has_value()) return 0;
    const FixedHeader h = **peeked;
    absl::string_view body = input.substr(h.header_size, h.remaining_length);
    input.remove_prefix(h.packet_size());
    switch (static_cast<PacketType>(h.type)) {
      case PacketType::kConnect:
        if (auto c = DecodeConnect(h.flags, body); c.ok()) CheckConnect(*c);
        break;
      case PacketType::kConnack:
        (void)DecodeConnack(h.flags, body, version);
        break;
      case PacketType::kPublish:
        if (auto p = DecodePublish(h.flags, body, version); p.ok()) CheckPublish(*p, version);
        break;
      case PacketType::kPuback:
      case PacketType::kPubrec:
      case PacketType::kPubrel:
      case PacketType::kPubcomp:
        if (auto a = DecodeAck(static_cast<PacketType>(h.type), h.flags, body, version); a.ok()) {
          std::string wire;
          if (!EncodeAck(*a, version, &wire).ok()) Fail("decoded ack does not encode");
        }
        break;
      case PacketType::kSubscribe:
        if (auto s = DecodeSubscribe(h.flags, body, version); s.ok()) CheckSubscribe(*s, version);
        break;
      case PacketType::kSuback:
      case PacketType::kUnsuback:
        (void)DecodeSubAck(static_cast<PacketType>(h.type), h.flags, body, version);
        break;
      case PacketType::kUnsubscribe:
        if (auto u = DecodeUnsubscribe(h.flags, body, version); u.ok()) {
          std::string wire;
          if (!EncodeUnsubscribe(*u, version, &wire).ok()) Fail("UNSUBSCRIBE does not encode");
        }
        break;
      case PacketType::kDisconnect:
        (void)DecodeDisconnect(h.flags, body, version);
        break;
      default:
        (void)DecodeEmpty(static_cast<PacketType>(h.type), h.flags, body);
    }
  }
  return 0;
}
