#include "eventmesh/protocol/mqtt/codec.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/utf8.h"

namespace eventmesh::protocol::mqtt {
namespace {

constexpr char kReasonPayload[] = "mqtt-reason-code";

// Where a property list sits; decides which identifiers are allowed.
enum class Context {
  kConnect,
  kWill,
  kConnack,
  kPublish,
  kAck,
  kSubscribe,
  kSubAck,
  kUnsubscribe,
  kDisconnect
};

bool Allowed(Context context, uint8_t id) {
  auto in = [id](std::initializer_list<uint8_t> ids) {
    for (uint8_t allowed : ids) {
      if (allowed == id) return true;
    }
    return false;
  };
  switch (context) {
    case Context::kConnect:
      return in({0x11, 0x21, 0x27, 0x22, 0x19, 0x17, 0x26, 0x15, 0x16});
    case Context::kWill:
      return in({0x18, 0x01, 0x02, 0x03, 0x08, 0x09, 0x26});
    case Context::kConnack:
      return in({0x11, 0x21, 0x24, 0x25, 0x27, 0x12, 0x22, 0x1F, 0x26, 0x28, 0x29, 0x2A, 0x13, 0x1A,
                 0x1C, 0x15, 0x16});
    case Context::kPublish:
      return in({0x01, 0x02, 0x23, 0x08, 0x09, 0x26, 0x0B, 0x03});
    case Context::kAck:
    case Context::kSubAck:
      return in({0x1F, 0x26});
    case Context::kSubscribe:
      return in({0x0B, 0x26});
    case Context::kUnsubscribe:
      return in({0x26});
    case Context::kDisconnect:
      return in({0x11, 0x1F, 0x26, 0x1C});
  }
  return false;
}

absl::Status Malformed(const char* packet, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed ", packet, ": ", what));
}
absl::Status ProtocolError(const char* packet, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("protocol error in ", packet, ": ", what));
}
absl::Status TooManyFilters(const char* packet) {
  return WithReasonCode(absl::ResourceExhaustedError(absl::StrCat(
                            packet, " with more than ", kMaxTopicFilters, " topic filters")),
                        reason::kQuotaExceeded);
}

// Reads the body of one packet; every read checks the bounds.
class Reader {
 public:
  Reader(absl::string_view data, const char* packet) : data_(data), packet_(packet) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool done() const { return pos_ == data_.size(); }
  const char* packet() const { return packet_; }

  absl::Status Byte(uint8_t* v) {
    if (remaining() < 1) return Malformed(packet_, "truncated");
    *v = static_cast<uint8_t>(data_[pos_++]);
    return absl::OkStatus();
  }
  absl::Status U16(uint16_t* v) {
    if (remaining() < 2) return Malformed(packet_, "truncated");
    *v = static_cast<uint16_t>((static_cast<uint8_t>(data_[pos_]) << 8) |
                               static_cast<uint8_t>(data_[pos_ + 1]));
    pos_ += 2;
    return absl::OkStatus();
  }
  absl::Status U32(uint32_t* v) {
    if (remaining() < 4) return Malformed(packet_, "truncated");
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += 4;
    *v = r;
    return absl::OkStatus();
  }
  absl::Status VarInt(uint32_t* v) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      uint8_t b = 0;
      if (absl::Status s = Byte(&b); !s.ok()) return s;
      value |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        *v = value;
        return absl::OkStatus();
      }
    }
    return Malformed(packet_, "variable byte integer longer than 4 bytes");
  }
  absl::Status Binary(std::string* v) {
    uint16_t len = 0;
    if (absl::Status s = U16(&len); !s.ok()) return s;
    if (remaining() < len) return Malformed(packet_, "string length beyond the packet");
    v->assign(data_.data() + pos_, len);
    pos_ += len;
    return absl::OkStatus();
  }
  absl::Status Utf8(std::string* v, absl::string_view what) {
    if (absl::Status s = Binary(v); !s.ok()) return s;
    if (!IsValidMqttUtf8(*v)) return Malformed(packet_, absl::StrCat(what, " is not valid UTF-8"));
    return absl::OkStatus();
  }
  absl::string_view Rest() {
    absl::string_view rest = data_.substr(pos_);
    pos_ = data_.size();
    return rest;
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
  const char* packet_;
};

absl::Status ReadProperties(Reader& r, Context context, Properties* p) {
  uint32_t length = 0;
  if (absl::Status s = r.VarInt(&length); !s.ok()) return s;
  if (length > r.remaining()) return Malformed(r.packet(), "property length beyond the packet");
  const size_t end_remaining = r.remaining() - length;
  auto once = [&](bool present, uint8_t id) -> absl::Status {
    if (present) {
      return ProtocolError(r.packet(), absl::StrCat("property 0x", absl::Hex(id), " given twice"));
    }
    return absl::OkStatus();
  };
  auto byte_prop = [&](std::optional<uint8_t>* field, uint8_t id, bool boolean) -> absl::Status {
    if (absl::Status s = once(field->has_value(), id); !s.ok()) return s;
    uint8_t v = 0;
    if (absl::Status s = r.Byte(&v); !s.ok()) return s;
    if (boolean && v > 1) {
      return ProtocolError(r.packet(),
                           absl::StrCat("property 0x", absl::Hex(id), " must be 0 or 1"));
    }
    *field = v;
    return absl::OkStatus();
  };
  auto u16_prop = [&](std::optional<uint16_t>* field, uint8_t id) -> absl::Status {
    if (absl::Status s = once(field->has_value(), id); !s.ok()) return s;
    uint16_t v = 0;
    if (absl::Status s = r.U16(&v); !s.ok()) return s;
    *field = v;
    return absl::OkStatus();
  };
  auto u32_prop = [&](std::optional<uint32_t>* field, uint8_t id) -> absl::Status {
    if (absl::Status s = once(field->has_value(), id); !s.ok()) return s;
    uint32_t v = 0;
    if (absl::Status s = r.U32(&v); !s.ok()) return s;
    *field = v;
    return absl::OkStatus();
  };
  auto str_prop = [&](std::optional<std::string>* field, uint8_t id, bool utf8) -> absl::Status {
    if (absl::Status s = once(field->has_value(), id); !s.ok()) return s;
    std::string v;
    absl::Status s = utf8 ? r.Utf8(&v, absl::StrCat("property 0x", absl::Hex(id))) : r.Binary(&v);
    if (!s.ok()) return s;
    *field = std::move(v);
    return absl::OkStatus();
  };
  while (r.remaining() > end_remaining) {
    uint32_t id32 = 0;
    if (absl::Status s = r.VarInt(&id32); !s.ok()) return s;
    if (id32 > 0xFF || !Allowed(context, static_cast<uint8_t>(id32))) {
      return Malformed(r.packet(),
                       absl::StrCat("property 0x", absl::Hex(id32), " is not allowed here"));
    }
    const uint8_t id = static_cast<uint8_t>(id32);
    absl::Status s;
    switch (id) {
      case 0x01:
        s = byte_prop(&p->payload_format_indicator, id, true);
        break;
      case 0x02:
        s = u32_prop(&p->message_expiry_interval, id);
        break;
      case 0x03:
        s = str_prop(&p->content_type, id, true);
        break;
      case 0x08:
        s = str_prop(&p->response_topic, id, true);
        break;
      case 0x09:
        s = str_prop(&p->correlation_data, id, false);
        break;
      case 0x0B: {
        uint32_t v = 0;
        s = r.VarInt(&v);
        if (s.ok() && v == 0) s = ProtocolError(r.packet(), "subscription identifier 0");
        if (s.ok() && context == Context::kSubscribe && !p->subscription_identifiers.empty()) {
          s = ProtocolError(r.packet(), "subscription identifier given twice");
        }
        if (s.ok()) p->subscription_identifiers.push_back(v);
        break;
      }
      case 0x11:
        s = u32_prop(&p->session_expiry_interval, id);
        break;
      case 0x12:
        s = str_prop(&p->assigned_client_identifier, id, true);
        break;
      case 0x13:
        s = u16_prop(&p->server_keep_alive, id);
        break;
      case 0x15:
        s = str_prop(&p->authentication_method, id, true);
        break;
      case 0x16:
        s = str_prop(&p->authentication_data, id, false);
        break;
      case 0x17:
        s = byte_prop(&p->request_problem_information, id, true);
        break;
      case 0x18:
        s = u32_prop(&p->will_delay_interval, id);
        break;
      case 0x19:
        s = byte_prop(&p->request_response_information, id, true);
        break;
      case 0x1A:
        s = str_prop(&p->response_information, id, true);
        break;
      case 0x1C:
        s = str_prop(&p->server_reference, id, true);
        break;
      case 0x1F:
        s = str_prop(&p->reason_string, id, true);
        break;
      case 0x21:
        s = u16_prop(&p->receive_maximum, id);
        if (s.ok() && *p->receive_maximum == 0) s = ProtocolError(r.packet(), "receive maximum 0");
        break;
      case 0x22:
        s = u16_prop(&p->topic_alias_maximum, id);
        break;
      case 0x23:
        s = u16_prop(&p->topic_alias, id);
        break;
      case 0x24:
        s = byte_prop(&p->maximum_qos, id, true);
        break;
      case 0x25:
        s = byte_prop(&p->retain_available, id, true);
        break;
      case 0x26: {
        if (p->user_properties.size() == kMaxUserProperties) {
          return WithReasonCode(
              absl::ResourceExhaustedError(absl::StrCat(r.packet(), " with more than ",
                                                        kMaxUserProperties, " user properties")),
              reason::kQuotaExceeded);
        }
        std::string key, value;
        s = r.Utf8(&key, "user property name");
        if (s.ok()) s = r.Utf8(&value, "user property value");
        if (s.ok()) p->user_properties.emplace_back(std::move(key), std::move(value));
        break;
      }
      case 0x27:
        s = u32_prop(&p->maximum_packet_size, id);
        if (s.ok() && *p->maximum_packet_size == 0) {
          s = ProtocolError(r.packet(), "maximum packet size 0");
        }
        break;
      case 0x28:
        s = byte_prop(&p->wildcard_subscription_available, id, true);
        break;
      case 0x29:
        s = byte_prop(&p->subscription_identifier_available, id, true);
        break;
      case 0x2A:
        s = byte_prop(&p->shared_subscription_available, id, true);
        break;
      default:
        s = Malformed(r.packet(), absl::StrCat("unknown property 0x", absl::Hex(id)));
    }
    if (!s.ok()) return s;
    if (r.remaining() < end_remaining) {
      return Malformed(r.packet(), "property runs past the property length");
    }
  }
  return absl::OkStatus();
}

// ----- Writing -------------------------------------------------------------------------------

void PutByte(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xFF));
}
void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
}
void PutVarInt(std::string* out, uint32_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v > 0) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (v > 0);
}
size_t VarIntSize(uint32_t v) { return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4; }

// Writes length-prefixed strings, remembering whether one was too long.
struct Writer {
  std::string body;
  bool too_long = false;
  void Str(absl::string_view s) {
    if (s.size() > 0xFFFF) {
      too_long = true;
      return;
    }
    PutU16(&body, static_cast<uint16_t>(s.size()));
    body.append(s.data(), s.size());
  }
};

void WriteProperties(const Properties& p, Writer* w) {
  Writer props;
  auto byte = [&](uint8_t id, const std::optional<uint8_t>& v) {
    if (v) {
      PutByte(&props.body, id);
      PutByte(&props.body, *v);
    }
  };
  auto u16 = [&](uint8_t id, const std::optional<uint16_t>& v) {
    if (v) {
      PutByte(&props.body, id);
      PutU16(&props.body, *v);
    }
  };
  auto u32 = [&](uint8_t id, const std::optional<uint32_t>& v) {
    if (v) {
      PutByte(&props.body, id);
      PutU32(&props.body, *v);
    }
  };
  auto str = [&](uint8_t id, const std::optional<std::string>& v) {
    if (v) {
      PutByte(&props.body, id);
      props.Str(*v);
    }
  };
  byte(0x01, p.payload_format_indicator);
  u32(0x02, p.message_expiry_interval);
  str(0x03, p.content_type);
  str(0x08, p.response_topic);
  str(0x09, p.correlation_data);
  for (uint32_t id : p.subscription_identifiers) {
    PutByte(&props.body, 0x0B);
    PutVarInt(&props.body, id);
  }
  u32(0x11, p.session_expiry_interval);
  str(0x12, p.assigned_client_identifier);
  u16(0x13, p.server_keep_alive);
  str(0x15, p.authentication_method);
  str(0x16, p.authentication_data);
  byte(0x17, p.request_problem_information);
  u32(0x18, p.will_delay_interval);
  byte(0x19, p.request_response_information);
  str(0x1A, p.response_information);
  str(0x1C, p.server_reference);
  str(0x1F, p.reason_string);
  u16(0x21, p.receive_maximum);
  u16(0x22, p.topic_alias_maximum);
  u16(0x23, p.topic_alias);
  byte(0x24, p.maximum_qos);
  byte(0x25, p.retain_available);
  for (const auto& [key, value] : p.user_properties) {
    PutByte(&props.body, 0x26);
    props.Str(key);
    props.Str(value);
  }
  u32(0x27, p.maximum_packet_size);
  byte(0x28, p.wildcard_subscription_available);
  byte(0x29, p.subscription_identifier_available);
  byte(0x2A, p.shared_subscription_available);
  if (props.too_long) w->too_long = true;
  PutVarInt(&w->body, static_cast<uint32_t>(props.body.size()));
  w->body += props.body;
}

absl::Status Finish(uint8_t first_byte, const Writer& w, const char* packet, std::string* out) {
  if (w.too_long) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot encode ", packet, ": a string is longer than 65535 bytes"));
  }
  if (w.body.size() > kMaxRemainingLength) {
    return absl::InvalidArgumentError(absl::StrCat("cannot encode ", packet, ": ", w.body.size(),
                                                   " bytes exceed the remaining-length limit"));
  }
  PutByte(out, first_byte);
  PutVarInt(out, static_cast<uint32_t>(w.body.size()));
  out->append(w.body);
  return absl::OkStatus();
}

absl::Status CheckFlags(const char* packet, uint8_t flags, uint8_t expected) {
  if (flags != expected) {
    return Malformed(packet, absl::StrCat("reserved flags 0x", absl::Hex(flags), " (expected 0x",
                                          absl::Hex(expected), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckDone(const Reader& r) {
  if (!r.done()) return Malformed(r.packet(), "unexpected bytes after the packet's content");
  return absl::OkStatus();
}

}  // namespace

const char* PacketTypeName(uint8_t type) {
  static const char* const kNames[] = {"type 0",    "CONNECT",  "CONNACK",     "PUBLISH",
                                       "PUBACK",    "PUBREC",   "PUBREL",      "PUBCOMP",
                                       "SUBSCRIBE", "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
                                       "PINGREQ",   "PINGRESP", "DISCONNECT",  "AUTH"};
  return type < 16 ? kNames[type] : "type 0";
}

bool Properties::operator==(const Properties& o) const {
  return payload_format_indicator == o.payload_format_indicator &&
         message_expiry_interval == o.message_expiry_interval && content_type == o.content_type &&
         response_topic == o.response_topic && correlation_data == o.correlation_data &&
         subscription_identifiers == o.subscription_identifiers &&
         session_expiry_interval == o.session_expiry_interval &&
         assigned_client_identifier == o.assigned_client_identifier &&
         server_keep_alive == o.server_keep_alive &&
         authentication_method == o.authentication_method &&
         authentication_data == o.authentication_data &&
         request_problem_information == o.request_problem_information &&
         will_delay_interval == o.will_delay_interval &&
         request_response_information == o.request_response_information &&
         response_information == o.response_information && server_reference == o.server_reference &&
         reason_string == o.reason_string && receive_maximum == o.receive_maximum &&
         topic_alias_maximum == o.topic_alias_maximum && topic_alias == o.topic_alias &&
         maximum_qos == o.maximum_qos && retain_available == o.retain_available &&
         user_properties == o.user_properties && maximum_packet_size == o.maximum_packet_size &&
         wildcard_subscription_available == o.wildcard_subscription_available &&
         subscription_identifier_available == o.subscription_identifier_available &&
         shared_subscription_available == o.shared_subscription_available;
}

bool IsValidMqttUtf8(absl::string_view text) {
  if (text.find('\0') != absl::string_view::npos) return false;
  return IsValidUtf8(text);
}

absl::Status WithReasonCode(absl::Status status, uint8_t reason_code) {
  status.SetPayload(kReasonPayload, absl::Cord(std::string(1, static_cast<char>(reason_code))));
  return status;
}

uint8_t ReasonCodeOf(const absl::Status& status) {
  if (status.ok()) return reason::kSuccess;
  if (auto payload = status.GetPayload(kReasonPayload); payload.has_value()) {
    std::string bytes(*payload);
    if (bytes.size() == 1) return static_cast<uint8_t>(bytes[0]);
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return reason::kMalformedPacket;
    case absl::StatusCode::kFailedPrecondition:
      return reason::kProtocolError;
    case absl::StatusCode::kOutOfRange:
      return reason::kPacketTooLarge;
    case absl::StatusCode::kUnimplemented:
      return reason::kUnsupportedProtocolVersion;
    default:
      return reason::kUnspecifiedError;
  }
}

absl::StatusOr<std::optional<FixedHeader>> PeekPacket(absl::string_view buffer,
                                                      uint32_t max_packet_size) {
  if (buffer.empty()) return std::optional<FixedHeader>();
  FixedHeader h;
  const uint8_t first = static_cast<uint8_t>(buffer[0]);
  h.type = first >> 4;
  h.flags = first & 0x0F;
  if (h.type == 0) return Malformed("packet", "packet type 0 is reserved");
  uint32_t length = 0;
  size_t i = 1;
  for (;; ++i) {
    if (i > 4) return Malformed(PacketTypeName(h.type), "remaining length longer than 4 bytes");
    if (i >= buffer.size()) return std::optional<FixedHeader>();
    const uint8_t b = static_cast<uint8_t>(buffer[i]);
    length |= static_cast<uint32_t>(b & 0x7F) << (7 * (i - 1));
    if ((b & 0x80) == 0) break;
  }
  h.header_size = i + 1;
  h.remaining_length = length;
  if (h.packet_size() > max_packet_size) {
    return absl::OutOfRangeError(absl::StrCat(PacketTypeName(h.type), " of ", h.packet_size(),
                                              " bytes exceeds the maximum packet size ",
                                              max_packet_size));
  }
  if (buffer.size() < h.packet_size()) return std::optional<FixedHeader>();
  return std::optional<FixedHeader>(h);
}

// ----- CONNECT ---------------------------------------------------------------------------------

absl::StatusOr<Connect> DecodeConnect(uint8_t flags, absl::string_view body) {
  if (absl::Status s = CheckFlags("CONNECT", flags, 0); !s.ok()) return s;
  Reader r(body, "CONNECT");
  std::string name;
  if (absl::Status s = r.Binary(&name); !s.ok()) return s;
  uint8_t level = 0;
  if (absl::Status s = r.Byte(&level); !s.ok()) return s;
  if (name != "MQTT" || (level != 4 && level != 5)) {
    return absl::UnimplementedError(absl::StrCat("unsupported protocol \"", absl::CEscape(name),
                                                 "\" level ", level,
                                                 " (MQTT 3.1.1 = level 4 and 5.0 = level 5 are)"));
  }
  Connect c;
  c.version = static_cast<Version>(level);
  uint8_t cf = 0;
  if (absl::Status s = r.Byte(&cf); !s.ok()) return s;
  if (cf & 0x01) return Malformed("CONNECT", "reserved connect flag set");
  c.clean_start = (cf & 0x02) != 0;
  const bool will = (cf & 0x04) != 0;
  const uint8_t will_qos = (cf >> 3) & 0x03;
  const bool will_retain = (cf & 0x20) != 0;
  const bool has_password = (cf & 0x40) != 0;
  const bool has_username = (cf & 0x80) != 0;
  if (!will && (will_qos != 0 || will_retain)) {
    return Malformed("CONNECT", "will QoS or retain set without a will");
  }
  if (will_qos > 2) return Malformed("CONNECT", "will QoS 3");
  if (c.version == Version::kV311 && has_password && !has_username) {
    return Malformed("CONNECT", "password without user name");
  }
  if (absl::Status s = r.U16(&c.keep_alive); !s.ok()) return s;
  if (c.version == Version::kV5) {
    if (absl::Status s = ReadProperties(r, Context::kConnect, &c.properties); !s.ok()) return s;
  }
  if (absl::Status s = r.Utf8(&c.client_id, "client identifier"); !s.ok()) return s;
  if (will) {
    Will w;
    w.qos = will_qos;
    w.retain = will_retain;
    if (c.version == Version::kV5) {
      if (absl::Status s = ReadProperties(r, Context::kWill, &w.properties); !s.ok()) return s;
    }
    if (absl::Status s = r.Utf8(&w.topic, "will topic"); !s.ok()) return s;
    if (absl::Status s = r.Binary(&w.payload); !s.ok()) return s;
    c.will = std::move(w);
  }
  if (has_username) {
    std::string u;
    if (absl::Status s = r.Utf8(&u, "user name"); !s.ok()) return s;
    c.username = std::move(u);
  }
  if (has_password) {
    std::string p;
    if (absl::Status s = r.Binary(&p); !s.ok()) return s;
    c.password = std::move(p);
  }
  if (absl::Status s = CheckDone(r); !s.ok()) return s;
  return c;
}

absl::Status EncodeConnect(const Connect& c, std::string* out) {
  Writer w;
  w.Str("MQTT");
  PutByte(&w.body, static_cast<uint8_t>(c.version));
  uint8_t cf = 0;
  if (c.clean_start) cf |= 0x02;
  if (c.will) {
    cf |= 0x04 | static_cast<uint8_t>((c.will->qos & 0x03) << 3);
    if (c.will->retain) cf |= 0x20;
  }
  if (c.password) cf |= 0x40;
  if (c.username) cf |= 0x80;
  PutByte(&w.body, cf);
  PutU16(&w.body, c.keep_alive);
  const bool v5 = c.version == Version::kV5;
  if (v5) WriteProperties(c.properties, &w);
  w.Str(c.client_id);
  if (c.will) {
    if (v5) WriteProperties(c.will->properties, &w);
    w.Str(c.will->topic);
    w.Str(c.will->payload);
  }
  if (c.username) w.Str(*c.username);
  if (c.password) w.Str(*c.password);
  return Finish(0x10, w, "CONNECT", out);
}

// ----- CONNACK ---------------------------------------------------------------------------------

absl::StatusOr<Connack> DecodeConnack(uint8_t flags, absl::string_view body, Version version) {
  if (absl::Status s = CheckFlags("CONNACK", flags, 0); !s.ok()) return s;
  Reader r(body, "CONNACK");
  Connack c;
  uint8_t ack_flags = 0;
  if (absl::Status s = r.Byte(&ack_flags); !s.ok()) return s;
  if (ack_flags > 1) return Malformed("CONNACK", "reserved acknowledge flags set");
  c.session_present = ack_flags == 1;
  if (absl::Status s = r.Byte(&c.reason_code); !s.ok()) return s;
  if (version == Version::kV5 && !r.done()) {
    if (absl::Status s = ReadProperties(r, Context::kConnack, &c.properties); !s.ok()) return s;
  }
  if (absl::Status s = CheckDone(r); !s.ok()) return s;
  return c;
}

absl::Status EncodeConnack(const Connack& c, Version version, std::string* out) {
  Writer w;
  PutByte(&w.body, c.session_present ? 1 : 0);
  if (version == Version::kV5) {
    PutByte(&w.body, c.reason_code);
    WriteProperties(c.properties, &w);
  } else {
    uint8_t code = 0;
    switch (c.reason_code) {
      case reason::kSuccess:
        code = 0;
        break;
      case reason::kUnsupportedProtocolVersion:
        code = 1;
        break;
      case reason::kClientIdentifierNotValid:
        code = 2;
        break;
      case reason::kServerUnavailable:
      case reason::kServerBusy:
      case reason::kServerShuttingDown:
        code = 3;
        break;
      case reason::kBadUserNameOrPassword:
        code = 4;
        break;
      default:
        code = 5;
        break;
    }
    PutByte(&w.body, code);
  }
  return Finish(0x20, w, "CONNACK", out);
}

// ----- PUBLISH ---------------------------------------------------------------------------------

absl::StatusOr<Publish> DecodePublish(uint8_t flags, absl::string_view body, Version version) {
  Publish p;
  p.dup = (flags & 0x08) != 0;
  p.qos = (flags >> 1) & 0x03;
  p.retain = (flags & 0x01) != 0;
  if (p.qos == 3) return Malformed("PUBLISH", "QoS 3");
  if (p.qos == 0 && p.dup) return Malformed("PUBLISH", "DUP set on a QoS 0 message");
  Reader r(body, "PUBLISH");
  if (absl::Status s = r.Utf8(&p.topic, "topic name"); !s.ok()) {
    return WithReasonCode(s, reason::kTopicNameInvalid);
  }
  if (p.qos > 0) {
    if (absl::Status s = r.U16(&p.packet_id); !s.ok()) return s;
    if (p.packet_id == 0) return Malformed("PUBLISH", "packet identifier 0");
  }
  if (version == Version::kV5) {
    if (absl::Status s = ReadProperties(r, Context::kPublish, &p.properties); !s.ok()) return s;
  }
  absl::string_view payload = r.Rest();
  p.payload.assign(payload.data(), payload.size());
  return p;
}

absl::Status EncodePublish(const Publish& p, Version version, std::string* out) {
  Writer w;
  w.body.reserve(p.topic.size() + p.payload.size() + 16);
  w.Str(p.topic);
  if (p.qos > 0) PutU16(&w.body, p.packet_id);
  if (version == Version::kV5) WriteProperties(p.properties, &w);
  w.body += p.payload;
  uint8_t first = 0x30 | static_cast<uint8_t>((p.qos & 0x03) << 1);
  if (p.dup) first |= 0x08;
  if (p.retain) first |= 0x01;
  return Finish(first, w, "PUBLISH", out);
}

size_t PublishPacketSize(const Publish& p, Version version) {
  std::string props;
  if (version == Version::kV5) {
    Writer w;
    WriteProperties(p.properties, &w);
    props = std::move(w.body);
  }
  const size_t body = 2 + p.topic.size() + (p.qos > 0 ? 2 : 0) + props.size() + p.payload.size();
  return 1 + VarIntSize(static_cast<uint32_t>(body)) + body;
}

// ----- PUBACK / PUBREC / PUBREL / PUBCOMP -------------------------------------------------------

absl::StatusOr<Ack> DecodeAck(PacketType type, uint8_t flags, absl::string_view body,
                              Version version) {
  const char* name = PacketTypeName(static_cast<uint8_t>(type));
  if (absl::Status s = CheckFlags(name, flags, type == PacketType::kPubrel ? 2 : 0); !s.ok()) {
    return s;
  }
  Reader r(body, name);
  Ack a;
  a.type = type;
  if (absl::Status s = r.U16(&a.packet_id); !s.ok()) return s;
  if (a.packet_id == 0) return Malformed(name, "packet identifier 0");
  if (version == Version::kV5 && !r.done()) {
    if (absl::Status s = r.Byte(&a.reason_code); !s.ok()) return s;
    if (!r.done()) {
      if (absl::Status s = ReadProperties(r, Context::kAck, &a.properties); !s.ok()) return s;
    }
  }
  if (absl::Status s = CheckDone(r); !s.ok()) return s;
  return a;
}

absl::Status EncodeAck(const Ack& a, Version version, std::string* out) {
  Writer w;
  PutU16(&w.body, a.packet_id);
  if (version == Version::kV5) {
    const bool props = !(a.properties == Properties());
    if (a.reason_code != reason::kSuccess || props) PutByte(&w.body, a.reason_code);
    if (props) WriteProperties(a.properties, &w);
  }
  const uint8_t first = static_cast<uint8_t>(static_cast<uint8_t>(a.type) << 4) |
                        (a.type == PacketType::kPubrel ? 0x02 : 0x00);
  return Finish(first, w, PacketTypeName(static_cast<uint8_t>(a.type)), out);
}

// ----- SUBSCRIBE / SUBACK ----------------------------------------------------------------------

absl::StatusOr<Subscribe> DecodeSubscribe(uint8_t flags, absl::string_view body, Version version) {
  if (absl::Status s = CheckFlags("SUBSCRIBE", flags, 2); !s.ok()) return s;
  Reader r(body, "SUBSCRIBE");
  Subscribe sub;
  if (absl::Status s = r.U16(&sub.packet_id); !s.ok()) return s;
  if (sub.packet_id == 0) return Malformed("SUBSCRIBE", "packet identifier 0");
  if (version == Version::kV5) {
    if (absl::Status s = ReadProperties(r, Context::kSubscribe, &sub.properties); !s.ok()) {
      return s;
    }
  }
  while (!r.done()) {
    if (sub.subscriptions.size() == kMaxTopicFilters) return TooManyFilters("SUBSCRIBE");
    SubscriptionRequest req;
    if (absl::Status s = r.Utf8(&req.filter, "topic filter"); !s.ok()) {
      return WithReasonCode(s, reason::kTopicFilterInvalid);
    }
    uint8_t options = 0;
    if (absl::Status s = r.Byte(&options); !s.ok()) return s;
    req.qos = options & 0x03;
    if (req.qos == 3) return Malformed("SUBSCRIBE", "QoS 3");
    if (version == Version::kV5) {
      req.no_local = (options & 0x04) != 0;
      req.retain_as_published = (options & 0x08) != 0;
      req.retain_handling = (options >> 4) & 0x03;
      if (req.retain_handling == 3) return Malformed("SUBSCRIBE", "retain handling 3");
      if (options & 0xC0) return Malformed("SUBSCRIBE", "reserved subscription option bits set");
    } else if (options & 0xFC) {
      return Malformed("SUBSCRIBE", "reserved subscription option bits set");
    }
    sub.subscriptions.push_back(std::move(req));
  }
  if (sub.subscriptions.empty()) return ProtocolError("SUBSCRIBE", "no topic filter");
  return sub;
}

absl::Status EncodeSubscribe(const Subscribe& sub, Version version, std::string* out) {
  Writer w;
  PutU16(&w.body, sub.packet_id);
  if (version == Version::kV5) WriteProperties(sub.properties, &w);
  for (const auto& req : sub.subscriptions) {
    w.Str(req.filter);
    uint8_t options = req.qos & 0x03;
    if (version == Version::kV5) {
      if (req.no_local) options |= 0x04;
      if (req.retain_as_published) options |= 0x08;
      options |= static_cast<uint8_t>((req.retain_handling & 0x03) << 4);
    }
    PutByte(&w.body, options);
  }
  return Finish(0x82, w, "SUBSCRIBE", out);
}

absl::StatusOr<SubAck> DecodeSubAck(PacketType type, uint8_t flags, absl::string_view body,
                                    Version version) {
  const char* name = PacketTypeName(static_cast<uint8_t>(type));
  if (absl::Status s = CheckFlags(name, flags, 0); !s.ok()) return s;
  Reader r(body, name);
  SubAck a;
  a.type = type;
  if (absl::Status s = r.U16(&a.packet_id); !s.ok()) return s;
  if (version == Version::kV5) {
    if (absl::Status s = ReadProperties(r, Context::kSubAck, &a.properties); !s.ok()) return s;
  }
  absl::string_view codes = r.Rest();
  for (char c : codes) a.reason_codes.push_back(static_cast<uint8_t>(c));
  if (type == PacketType::kSuback && a.reason_codes.empty()) {
    return ProtocolError(name, "no reason code");
  }
  return a;
}

absl::Status EncodeSubAck(const SubAck& a, Version version, std::string* out) {
  Writer w;
  PutU16(&w.body, a.packet_id);
  if (version == Version::kV5) WriteProperties(a.properties, &w);
  if (version == Version::kV5 || a.type == PacketType::kSuback) {
    for (uint8_t code : a.reason_codes) {
      // 3.1.1 SUBACK knows only 0, 1, 2 and 0x80.
      PutByte(&w.body, version == Version::kV5 || code <= 2 ? code : 0x80);
    }
  }
  const uint8_t first = static_cast<uint8_t>(static_cast<uint8_t>(a.type) << 4);
  return Finish(first, w, PacketTypeName(static_cast<uint8_t>(a.type)), out);
}

// ----- UNSUBSCRIBE -----------------------------------------------------------------------------

absl::StatusOr<Unsubscribe> DecodeUnsubscribe(uint8_t flags, absl::string_view body,
                                              Version version) {
  if (absl::Status s = CheckFlags("UNSUBSCRIBE", flags, 2); !s.ok()) return s;
  Reader r(body, "UNSUBSCRIBE");
  Unsubscribe u;
  if (absl::Status s = r.U16(&u.packet_id); !s.ok()) return s;
  if (u.packet_id == 0) return Malformed("UNSUBSCRIBE", "packet identifier 0");
  if (version == Version::kV5) {
    if (absl::Status s = ReadProperties(r, Context::kUnsubscribe, &u.properties); !s.ok()) {
      return s;
    }
  }
  while (!r.done()) {
    if (u.filters.size() == kMaxTopicFilters) return TooManyFilters("UNSUBSCRIBE");
    std::string filter;
    if (absl::Status s = r.Utf8(&filter, "topic filter"); !s.ok()) {
      return WithReasonCode(s, reason::kTopicFilterInvalid);
    }
    u.filters.push_back(std::move(filter));
  }
  if (u.filters.empty()) return ProtocolError("UNSUBSCRIBE", "no topic filter");
  return u;
}

absl::Status EncodeUnsubscribe(const Unsubscribe& u, Version version, std::string* out) {
  Writer w;
  PutU16(&w.body, u.packet_id);
  if (version == Version::kV5) WriteProperties(u.properties, &w);
  for (const auto& filter : u.filters) w.Str(filter);
  return Finish(0xA2, w, "UNSUBSCRIBE", out);
}

// ----- DISCONNECT, PINGREQ, PINGRESP -----------------------------------------------------------

absl::StatusOr<Disconnect> DecodeDisconnect(uint8_t flags, absl::string_view body,
                                            Version version) {
  if (absl::Status s = CheckFlags("DISCONNECT", flags, 0); !s.ok()) return s;
  Reader r(body, "DISCONNECT");
  Disconnect d;
  if (version == Version::kV5 && !r.done()) {
    if (absl::Status s = r.Byte(&d.reason_code); !s.ok()) return s;
    if (!r.done()) {
      if (absl::Status s = ReadProperties(r, Context::kDisconnect, &d.properties); !s.ok()) {
        return s;
      }
    }
  }
  if (absl::Status s = CheckDone(r); !s.ok()) return s;
  return d;
}

absl::Status EncodeDisconnect(const Disconnect& d, Version version, std::string* out) {
  Writer w;
  if (version == Version::kV5) {
    const bool props = !(d.properties == Properties());
    if (d.reason_code != reason::kSuccess || props) PutByte(&w.body, d.reason_code);
    if (props) WriteProperties(d.properties, &w);
  }
  return Finish(0xE0, w, "DISCONNECT", out);
}

absl::Status DecodeEmpty(PacketType type, uint8_t flags, absl::string_view body) {
  const char* name = PacketTypeName(static_cast<uint8_t>(type));
  if (absl::Status s = CheckFlags(name, flags, 0); !s.ok()) return s;
  if (!body.empty()) return Malformed(name, "unexpected bytes after the packet's content");
  return absl::OkStatus();
}

void EncodeEmpty(PacketType type, std::string* out) {
  PutByte(out, static_cast<uint8_t>(static_cast<uint8_t>(type) << 4));
  PutByte(out, 0);
}

}  // namespace eventmesh::protocol::mqtt
