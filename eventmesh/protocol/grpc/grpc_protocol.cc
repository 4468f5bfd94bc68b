#include "eventmesh/protocol/grpc/grpc_protocol.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/protocol/proto/wire_reader.h"
#include "google/protobuf/io/coded_stream.h"

namespace eventmesh::protocol::grpc {
namespace {

// Values a subscription or heartbeat text_data may have (three or four per topic): a DOM costs
// 16 bytes or more per value, 8 times the text of an array of small numbers.
constexpr size_t kMaxTextDataValues = 65536;

google::protobuf::Timestamp Now() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  google::protobuf::Timestamp ts;
  ts.set_seconds(ns / 1'000'000'000);
  ts.set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
  return ts;
}

std::string RandomUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char buf[37];
  snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
           static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
           static_cast<unsigned>(((b >> 48) & 0x3fff) | 0x8000),
           static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

void SetStatus(pb::CloudEvent* event, Code code, std::string message) {
  SetAttr(event, key::kStatusCode, std::to_string(static_cast<int>(code)));
  SetAttr(event, key::kResponseMessage, std::move(message));
  *(*event->mutable_attributes())[key::kTime].mutable_ce_timestamp() = Now();
}

bool TextLike(absl::string_view type) {
  return absl::StartsWith(type, "text/") || type == "application/json" ||
         type == "application/xml" || absl::EndsWith(type, "+json") || absl::EndsWith(type, "+xml");
}

}  // namespace

absl::string_view CodeText(Code code) {
  switch (code) {
    case Code::kSuccess:
      return "success";
    case Code::kOverload:
      return "eventMesh overload, try later, ";
    case Code::kProtocolHeaderErr:
      return "eventMesh CloudEvent[header] err, ";
    case Code::kProtocolBodyErr:
      return "eventMesh CloudEvent[body] err, ";
    case Code::kStop:
      return "eventMesh will stop or had stopped, ";
    case Code::kBatchPublishErr:
      return "eventMesh batch publish messages error, ";
    case Code::kSendAsyncMsgErr:
      return "eventMesh send async msg err, ";
    case Code::kReplyMsgErr:
      return "eventMesh reply msg err, ";
    case Code::kRuntimeErr:
      return "eventMesh runtime err, ";
    case Code::kSubscribeErr:
      return "eventMesh subscribe err";
    case Code::kUnsubscribeErr:
      return "eventMesh unsubscribe err";
    case Code::kHeartbeatErr:
      return "eventMesh heartbeat err";
    case Code::kAclErr:
      return "eventMesh acl err";
    case Code::kSpeedOverLimitErr:
      return "eventMesh send message speed over the limit err.";
    case Code::kRequestReplyMsgErr:
      return "eventMesh request reply msg err, ";
    case Code::kClientResubscribe:
      return "client needs to resubscribe.";
  }
  return "";
}

std::string Attr(const pb::CloudEvent& event, absl::string_view name) {
  auto it = event.attributes().find(std::string(name));
  if (it == event.attributes().end() || !it->second.has_ce_string()) return "";
  return it->second.ce_string();
}

void SetAttr(pb::CloudEvent* event, const std::string& name, std::string value) {
  (*event->mutable_attributes())[name].set_ce_string(std::move(value));
}

namespace {

using google::protobuf::io::CodedOutputStream;

void AppendVarint(uint64_t value, std::string* out) {
  uint8_t bytes[10];  // a varint of 64 bits takes at most 10 bytes
  const uint8_t* end = CodedOutputStream::WriteVarint64ToArray(value, bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// A length-delimited field's tag (wire type 2) for field numbers below 16.
constexpr char LengthDelimited(int field) { return static_cast<char>(field << 3 | 2); }

}  // namespace

void AppendStringAttr(absl::string_view name, absl::string_view value, std::string* message) {
  // CloudEvent.attributes (5) entry { key (1): name, value (2): { ce_string (3): value } }
  const size_t attribute_size = 1 + CodedOutputStream::VarintSize64(value.size()) + value.size();
  const size_t entry_size = 1 + CodedOutputStream::VarintSize64(name.size()) + name.size() + 1 +
                            CodedOutputStream::VarintSize64(attribute_size) + attribute_size;
  message->push_back(LengthDelimited(5));
  AppendVarint(entry_size, message);
  message->push_back(LengthDelimited(1));
  AppendVarint(name.size(), message);
  message->append(name.data(), name.size());
  message->push_back(LengthDelimited(2));
  AppendVarint(attribute_size, message);
  message->push_back(LengthDelimited(3));
  AppendVarint(value.size(), message);
  message->append(value.data(), value.size());
}

pb::CloudEvent FreshResponse(Code code, absl::string_view detail) {
  pb::CloudEvent response;
  response.set_spec_version("1.0");
  std::string message(CodeText(code));
  if (!detail.empty()) {
    response.set_id(RandomUuid());
    absl::StrAppend(&message, " ", detail);
  }
  SetStatus(&response, code, std::move(message));
  return response;
}

pb::CloudEvent CopyResponse(const pb::CloudEvent& request, Code code, absl::string_view detail) {
  pb::CloudEvent response = request;
  SetStatus(&response, code, detail.empty() ? std::string(CodeText(code)) : std::string(detail));
  return response;
}

int ResponseCode(const pb::CloudEvent& response) {
  int code = -1;
  const std::string text = Attr(response, key::kStatusCode);
  if (!absl::SimpleAtoi(text, &code)) return -1;
  return code;
}

std::optional<WireEventView> WireEventView::Read(absl::string_view bytes) {
  using wire::kLen;
  WireEventView view;
  wire::WireReader r(bytes);
  uint32_t f, t;
  while (!r.done()) {
    // Groups (which no CloudEvent client sends) are left to the parser: their nesting counts
    // against its depth limit from wherever the event sits (a batched event is one level down).
    if (!r.ReadTag(&f, &t) || t == wire::kStartGroup) return std::nullopt;
    if (f == 5 && t == kLen) {
      absl::string_view entry_bytes;
      if (!r.Len(&entry_bytes)) return std::nullopt;
      Entry entry;
      bool name_seen = false;
      bool value_seen = false;
      wire::WireReader er(entry_bytes);
      while (!er.done()) {
        if (!er.ReadTag(&f, &t) || t == wire::kStartGroup) return std::nullopt;
        if (f == 1 && t == kLen) {
          entry.repeated |= name_seen;
          name_seen = true;
          if (!er.Len(&entry.name)) return std::nullopt;
        } else if (f == 2 && t == kLen) {
          entry.repeated |= value_seen;
          value_seen = true;
          // The value message (several of them in one entry merge): the last of its oneof's
          // fields is the one it holds. Kinds other than ce_string are left to the parser.
          absl::string_view value;
          if (!er.Len(&value)) return std::nullopt;
          wire::WireReader vr(value);
          while (!vr.done()) {
            if (!vr.ReadTag(&f, &t) || t == wire::kStartGroup) return std::nullopt;
            if (f == 3 && t == kLen) {
              entry.repeated |= entry.is_string;
              if (!vr.Len(&entry.text)) return std::nullopt;
              entry.is_string = true;
            } else if (f >= 1 && f <= 7) {
              return std::nullopt;
            } else if (!vr.Skip(f, t, 2)) {
              return std::nullopt;
            }
          }
        } else if (!er.Skip(f, t, 1)) {
          return std::nullopt;
        }
      }
      if (const int slot = KnownSlot(entry.name); slot >= 0) {
        view.known_[slot] = static_cast<uint32_t>(view.attributes_.size() + 1);
      }
      view.attributes_.push_back(entry);
    } else if ((f == 6 || f == 7 || f == 8) && t == kLen) {
      if (!r.Len(&view.data_)) return std::nullopt;
      view.repeated_fields_ |= view.data_field_ != 0;
      view.data_field_ = static_cast<int>(f);
    } else if (f >= 1 && f <= 4 && t == kLen) {
      if (!r.Len(&view.core_[f - 1])) return std::nullopt;
      view.repeated_fields_ |= view.core_seen_[f - 1];
      view.core_seen_[f - 1] = true;
    } else if (!r.Skip(f, t, 0)) {
      return std::nullopt;
    }
  }
  return view;
}

std::optional<std::vector<absl::string_view>> BatchEventBytes(absl::string_view bytes) {
  std::vector<absl::string_view> events;
  wire::WireReader r(bytes);
  uint32_t f, t;
  while (!r.done()) {
    if (!r.ReadTag(&f, &t) || t == wire::kStartGroup) return std::nullopt;
    if (f == 1 && t == wire::kLen) {
      absl::string_view event;
      if (!r.Len(&event)) return std::nullopt;
      events.push_back(event);
    } else if (!r.Skip(f, t, 0)) {
      return std::nullopt;
    }
  }
  return events;
}

int WireEventView::KnownSlot(absl::string_view name) {
  // By length first, then comparisons of known length (inline, no library call): every entry of
  // every published event is classified.
  const auto is = [&name](const auto& literal) {  // a string literal: its size is known
    return std::memcmp(name.data(), literal, sizeof(literal) - 1) == 0;
  };
  static_assert(sizeof(key::kIp) == 3 && sizeof(key::kIdc) == 4 && sizeof(key::kEnv) == 4 &&
                sizeof(key::kPid) == 4 && sizeof(key::kSys) == 4 && sizeof(key::kTtl) == 4 &&
                sizeof(key::kToken) == 6 && sizeof(key::kPasswd) == 7 &&
                sizeof(key::kSubject) == 8 && sizeof(key::kUsername) == 9 &&
                sizeof(key::kLanguage) == 9 && sizeof(key::kUniqueId) == 9 &&
                sizeof(key::kProducerGroup) == 14 && sizeof(key::kDataContentType) == 16);
  switch (name.size()) {
    case 2:
      return is(key::kIp) ? 0 : -1;
    case 3:
      return is(key::kIdc)   ? 1
             : is(key::kEnv) ? 2
             : is(key::kPid) ? 3
             : is(key::kSys) ? 4
             : is(key::kTtl) ? 5
                             : -1;
    case 5:
      return is(key::kToken) ? 6 : -1;
    case 6:
      return is(key::kPasswd) ? 7 : -1;
    case 7:
      return is(key::kSubject) ? 8 : -1;
    case 8:
      return is(key::kUsername) ? 9 : is(key::kLanguage) ? 10 : is(key::kUniqueId) ? 11 : -1;
    case 13:
      return is(key::kProducerGroup) ? 12 : -1;
    case 15:
      return is(key::kDataContentType) ? 13 : -1;
    default:
      return -1;
  }
}

absl::string_view WireEventView::Attr(absl::string_view name) const {
  if (const int slot = KnownSlot(name); slot >= 0) {
    return known_[slot] == 0 ? absl::string_view() : attributes_[known_[slot] - 1].text;
  }
  for (auto it = attributes_.rbegin(); it != attributes_.rend(); ++it) {
    if (it->name == name) return it->text;
  }
  return absl::string_view();
}

namespace {

absl::string_view AttrOf(const WireEventView& event, absl::string_view name) {
  return event.Attr(name);
}
std::string AttrOf(const pb::CloudEvent& event, absl::string_view name) {
  return Attr(event, name);
}

template <typename Event>
bool HeaderValidOf(const Event& event) {
  for (const char* name : {key::kIdc, key::kEnv, key::kIp, key::kPid, key::kSys, key::kUsername,
                           key::kPasswd, key::kLanguage}) {
    if (AttrOf(event, name).empty()) return false;
  }
  for (char c : AttrOf(event, key::kPid)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

template <typename Event>
absl::Status CheckDataOf(const Event& event) {
  for (const char* name : {key::kUniqueId, key::kProducerGroup, key::kSubject, key::kTtl}) {
    if (AttrOf(event, name).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("attribute ", name, " is required"));
    }
  }
  const auto type = AttrOf(event, key::kDataContentType);
  if (TextLike(type)) {
    if (event.text_data().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("datacontenttype ", type, " needs non-empty text_data"));
    }
  } else if (type == "application/protobuf") {
    if (!event.has_proto_data()) {
      return absl::InvalidArgumentError("datacontenttype application/protobuf needs proto_data");
    }
  } else if (event.binary_data().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "datacontenttype \"", type, "\" needs non-empty binary_data (text types use text_data)"));
  }
  return absl::OkStatus();
}

}  // namespace

bool HeaderValid(const pb::CloudEvent& event) { return HeaderValidOf(event); }
bool HeaderValid(const WireEventView& event) { return HeaderValidOf(event); }
absl::Status CheckData(const pb::CloudEvent& event) { return CheckDataOf(event); }
absl::Status CheckData(const WireEventView& event) { return CheckDataOf(event); }

absl::StatusOr<Subscription> ParseSubscription(const pb::CloudEvent& event, bool need_url) {
  Subscription subscription;
  subscription.url = Attr(event, key::kUrl);
  if (need_url && subscription.url.empty()) {
    return absl::InvalidArgumentError("attribute url is required");
  }
  if (event.text_data().empty()) {
    return absl::InvalidArgumentError("text_data must hold the SubscriptionItem JSON array");
  }
  auto doc = json::ParseJson(event.text_data(), "subscription", kMaxTextDataValues);
  if (!doc.ok()) return absl::FailedPreconditionError(doc.status().message());
  if (!doc->IsArray()) {
    return absl::FailedPreconditionError("subscription text_data is not a JSON array");
  }
  if (doc->Empty()) return absl::InvalidArgumentError("the subscription has no items");
  subscription.consumer_group = Attr(event, key::kConsumerGroup);
  if (subscription.consumer_group.empty()) {
    return absl::InvalidArgumentError("attribute consumergroup is required");
  }
  for (const auto& value : doc->GetArray()) {
    if (!value.IsObject())
      return absl::FailedPreconditionError("a subscription item is not an object");
    SubscriptionItem item;
    item.topic = std::string(json::GetString(value, "topic").value_or(""));
    if (item.topic.empty()) return absl::InvalidArgumentError("a subscription item has no topic");
    const std::string mode(json::GetString(value, "mode").value_or("CLUSTERING"));
    if (mode == "BROADCASTING") {
      item.broadcasting = true;
    } else if (mode != "CLUSTERING") {
      return absl::FailedPreconditionError(
          absl::StrCat("unknown subscription mode \"", mode, "\" (CLUSTERING or BROADCASTING)"));
    }
    const std::string type(json::GetString(value, "type").value_or("ASYNC"));
    if (type == "SYNC") {
      item.sync = true;
    } else if (type != "ASYNC") {
      return absl::FailedPreconditionError(
          absl::StrCat("unknown subscription type \"", type, "\" (ASYNC or SYNC)"));
    }
    subscription.items.push_back(std::move(item));
  }
  return subscription;
}

std::string SubscriptionJson(const std::vector<SubscriptionItem>& items) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartArray();
  for (const auto& item : items) {
    w.StartObject();
    json::WriteKey(w, "topic");
    json::WriteString(w, item.topic);
    json::WriteKey(w, "mode");
    json::WriteString(w, item.broadcasting ? "BROADCASTING" : "CLUSTERING");
    json::WriteKey(w, "type");
    json::WriteString(w, item.sync ? "SYNC" : "ASYNC");
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<std::vector<HeartbeatItem>> ParseHeartbeat(const pb::CloudEvent& event) {
  if (event.text_data().empty()) {
    return absl::FailedPreconditionError("text_data must hold the HeartbeatItem JSON array");
  }
  auto doc = json::ParseJson(event.text_data(), "heartbeat", kMaxTextDataValues);
  if (!doc.ok()) return absl::FailedPreconditionError(doc.status().message());
  if (!doc->IsArray() || doc->Empty()) {
    return absl::FailedPreconditionError("heartbeat text_data is not a non-empty JSON array");
  }
  std::vector<HeartbeatItem> items;
  for (const auto& value : doc->GetArray()) {
    if (!value.IsObject())
      return absl::FailedPreconditionError("a heartbeat item is not an object");
    HeartbeatItem item;
    item.topic = std::string(json::GetString(value, "topic").value_or(""));
    item.url = std::string(json::GetString(value, "url").value_or(""));
    if (item.topic.empty()) return absl::InvalidArgumentError("a heartbeat item has no topic");
    items.push_back(std::move(item));
  }
  return items;
}

namespace {
absl::StatusOr<cloudevents::CloudEvent> ParsedMeshEvent(absl::string_view bytes);
}  // namespace

absl::StatusOr<cloudevents::CloudEvent> ToMeshEvent(const pb::CloudEvent& event) {
  if (event.has_proto_data()) {
    return absl::InvalidArgumentError("invalid CloudEvent: proto_data is not supported");
  }
  return ParsedMeshEvent(event.SerializeAsString());
}

absl::StatusOr<cloudevents::CloudEvent> ToMeshEvent(absl::string_view bytes,
                                                    const WireEventView& view) {
  if (view.has_proto_data()) {
    return absl::InvalidArgumentError("invalid CloudEvent: proto_data is not supported");
  }
  return ParsedMeshEvent(bytes);
}

namespace {

absl::StatusOr<cloudevents::CloudEvent> ParsedMeshEvent(absl::string_view bytes) {
  // The wire messages are identical: parse the bytes as the CloudEvents format, then drop what
  // must not be stored.
  auto parsed = cloudevents::ParseProto(bytes);
  if (!parsed.ok()) return parsed.status();
  for (const char* name : {key::kPasswd, key::kToken, key::kStatusCode, key::kResponseMessage,
                           key::kSubMessageType, key::kPushSeq, key::kAckMode}) {
    parsed->RemoveExtension(name);
  }
  if (const std::string* desc = parsed->FindExtension(key::kProtocolDesc);
      desc == nullptr || desc->empty()) {
    parsed->SetExtension(key::kProtocolDesc, std::string(kProtocolDescGrpc));
  }
  return parsed;
}

}  // namespace

namespace {

// Attribute names in byte order, the first byte compared inline (a gRPC event's names mostly
// differ there).
int CompareNames(absl::string_view a, absl::string_view b) {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]) ? -1 : 1;
  }
  return a.compare(b);
}

// A name's first 8 bytes as a big-endian number, zeros after a shorter name: names whose
// prefixes differ are in the order of their prefixes.
uint64_t NamePrefix(absl::string_view name) {
  if (name.size() >= 8) return LoadBigEndian64(name.data());
  char first8[8] = {};
  if (!name.empty()) std::memcpy(first8, name.data(), name.size());  // (an absent key: null)
  return LoadBigEndian64(first8);
}

// What EncodeStoredEvent does with an attribute, by its name.
enum class StoredRole {
  kExtension,    // stored as an extension
  kSubject,      // the subject
  kContentType,  // the datacontenttype
  kNotStored,    // credentials and response/stream attributes (ParsedMeshEvent drops them)
};

// By length first, then comparisons of known length (inline, no library call).
StoredRole RoleOf(absl::string_view name) {
  const auto is = [&name](const auto& literal) {  // a string literal: its size is known
    return std::memcmp(name.data(), literal, sizeof(literal) - 1) == 0;
  };
  static_assert(sizeof(key::kToken) == 6 && sizeof(key::kPasswd) == 7 &&
                sizeof(key::kSubject) == 8 && sizeof(key::kPushSeq) == 8 &&
                sizeof(key::kAckMode) == 8 && sizeof(key::kStatusCode) == 11 &&
                sizeof(key::kSubMessageType) == 15 && sizeof(key::kDataContentType) == 16 &&
                sizeof(key::kResponseMessage) == 16);
  switch (name.size()) {
    case 5:
      return is(key::kToken) ? StoredRole::kNotStored : StoredRole::kExtension;
    case 6:
      return is(key::kPasswd) ? StoredRole::kNotStored : StoredRole::kExtension;
    case 7:
      if (is(key::kSubject)) return StoredRole::kSubject;
      return is(key::kPushSeq) || is(key::kAckMode) ? StoredRole::kNotStored
                                                    : StoredRole::kExtension;
    case 10:
      return is(key::kStatusCode) ? StoredRole::kNotStored : StoredRole::kExtension;
    case 14:
      return is(key::kSubMessageType) ? StoredRole::kNotStored : StoredRole::kExtension;
    case 15:
      if (is(key::kDataContentType)) return StoredRole::kContentType;
      return is(key::kResponseMessage) ? StoredRole::kNotStored : StoredRole::kExtension;
    default:
      return StoredRole::kExtension;
  }
}

}  // namespace

bool EncodeStoredEvent(const WireEventView& view, absl::string_view marker, StoredEvent* out) {
  // Each condition below is one that ParseProto, CloudEvent::Validate or ParsedMeshEvent would
  // otherwise look at; anything unusual is left to them.
  // (An earlier occurrence of a field, not kept by the view, is read by the parser too.)
  if (view.repeated_fields() || view.spec_version() != cloudevents::kSpecVersion10 ||
      view.id().empty() || view.source().empty() || view.type().empty() || view.data_field() == 8) {
    return false;
  }
  if (!IsValidUtf8(view.id()) || !IsValidUtf8(view.source()) || !IsValidUtf8(view.type()) ||
      !cloudevents::IsUriReference(view.source())) {
    return false;
  }
  const absl::Span<const WireEventView::Entry> entries = view.entries();
  constexpr size_t kMaxEntries = 64;
  if (entries.size() > kMaxEntries) return false;
  // The entries in name order, a name's entries in wire order, so the last of each run is the
  // one that counts (a parsed map keeps a key's last entry). Sorted by each name's first 8 bytes
  // as a big-endian number (their byte order), whole names compared only where those are equal:
  // clients write a map in any order (C++ protobuf in a hash order of its own per message).
  struct Keyed {
    uint64_t prefix;
    uint32_t index;
  };
  absl::InlinedVector<Keyed, 24> keyed(entries.size());
  bool in_order = true;  // strictly: no name twice
  for (uint32_t i = 0; i < entries.size(); ++i) {
    const WireEventView::Entry& entry = entries[i];
    // The parser reads every entry, the ones a newer entry replaces too; an entry's own earlier
    // key or value occurrences (not kept by the view) are declined.
    if (!entry.is_string || entry.repeated || !IsValidUtf8(entry.name) ||
        !IsValidUtf8(entry.text)) {
      return false;
    }
    keyed[i] = {NamePrefix(entry.name), i};
    if (i > 0 &&
        (keyed[i - 1].prefix > keyed[i].prefix || (keyed[i - 1].prefix == keyed[i].prefix &&
                                                   entries[i - 1].name.compare(entry.name) >= 0))) {
      in_order = false;
    }
  }
  if (!in_order) {
    std::sort(keyed.begin(), keyed.end(), [&entries](const Keyed& a, const Keyed& b) {
      if (a.prefix != b.prefix) return a.prefix < b.prefix;
      const int order = entries[a.index].name.compare(entries[b.index].name);
      return order < 0 || (order == 0 && a.index < b.index);
    });
  }
  absl::InlinedVector<const WireEventView::Entry*, 24> sorted(entries.size());
  for (size_t i = 0; i < keyed.size(); ++i) sorted[i] = &entries[keyed[i].index];
  absl::InlinedVector<std::pair<absl::string_view, absl::string_view>, 24> extensions;
  std::optional<absl::string_view> content_type;
  std::optional<absl::string_view> subject;
  bool desc_added = false;
  out->has_marker = false;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const absl::string_view name = sorted[i]->name;
    if (i + 1 < sorted.size() && sorted[i + 1]->name == name) continue;  // replaced
    const absl::string_view text = sorted[i]->text;
    const StoredRole role = RoleOf(name);
    if (role == StoredRole::kSubject || role == StoredRole::kContentType) {
      if (text.empty()) return false;  // present means non-empty
      (role == StoredRole::kSubject ? subject : content_type) = text;
      continue;
    }
    if (!cloudevents::IsValidAttributeName(name) || cloudevents::IsCoreAttributeName(name)) {
      return false;
    }
    if (role == StoredRole::kNotStored) continue;  // (ParsedMeshEvent)
    // protocoldesc defaults to the gRPC text when absent or empty, in its place in name order.
    if (!desc_added && CompareNames(name, key::kProtocolDesc) >= 0) {
      desc_added = true;
      const bool is_desc = name == key::kProtocolDesc;
      if (!is_desc || text.empty()) {
        extensions.emplace_back(key::kProtocolDesc, kProtocolDescGrpc);
        if (is_desc) continue;
      }
    }
    if (name.size() == marker.size() && name == marker) out->has_marker = true;
    extensions.emplace_back(name, text);
  }
  if (!desc_added) extensions.emplace_back(key::kProtocolDesc, kProtocolDescGrpc);

  cloudevents::PlainEventFields fields;
  fields.spec_version = view.spec_version();
  fields.id = view.id();
  fields.source = view.source();
  fields.type = view.type();
  fields.data_content_type = content_type;
  fields.subject = subject;
  fields.extensions = extensions;
  fields.data = view.data();
  switch (view.data_field()) {
    case 6:
      fields.data_encoding = cloudevents::DataEncoding::kBinary;
      break;
    case 7:
      if (!IsValidUtf8(fields.data)) return false;
      fields.data_encoding = cloudevents::IsJsonContentType(content_type.value_or("")) &&
                                     cloudevents::IsJsonText(fields.data)
                                 ? cloudevents::DataEncoding::kJson
                                 : cloudevents::DataEncoding::kText;
      break;
    default:
      fields.data = absl::string_view();
      break;
  }
  out->bytes.clear();
  cloudevents::AppendPlainProto(fields, &out->bytes);
  out->topic = subject.value_or(absl::string_view());
  out->id = view.id();
  out->data_size = fields.data.size();
  return true;
}

absl::StatusOr<pb::CloudEvent> FromMeshEvent(const cloudevents::CloudEvent& event) {
  auto bytes = cloudevents::SerializeProto(event);
  if (!bytes.ok()) return bytes.status();
  pb::CloudEvent out;
  if (!out.ParseFromString(*bytes)) {
    return absl::InternalError("cannot re-read the serialized CloudEvent");
  }
  return out;
}

}  // namespace eventmesh::protocol::grpc
