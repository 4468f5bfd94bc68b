#ifndef EVENTMESH_PROTOCOL_GRPC_GRPC_PROTOCOL_H_
#define EVENTMESH_PROTOCOL_GRPC_GRPC_PROTOCOL_H_

// Apache EventMesh's gRPC conventions (v1.9+), independent of the server plumbing: the status
// codes and their texts, the two response shapes ("fresh" and "copy" of the request), the
// attribute checks in Apache's order (H header, D data, S subscription), the SubscriptionItem
// JSON, and the conversion between the wire CloudEvent and the mesh's cloudevents::CloudEvent.
// Every function is thread-safe (no shared state).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/grpc/eventmesh_cloudevents.pb.h"

namespace eventmesh::protocol::grpc {

namespace pb = ::org::apache::eventmesh::cloudevents::v1;

// Apache's StatusCode numbers (C/StatusCode).
enum class Code : int {
  kSuccess = 0,
  kOverload = 1,
  kProtocolHeaderErr = 6,
  kProtocolBodyErr = 7,
  kStop = 8,
  kBatchPublishErr = 10,
  kSendAsyncMsgErr = 14,
  kReplyMsgErr = 15,
  kRuntimeErr = 16,
  kSubscribeErr = 17,
  kUnsubscribeErr = 18,
  kHeartbeatErr = 19,
  kAclErr = 20,
  kSpeedOverLimitErr = 21,
  kRequestReplyMsgErr = 22,
  kClientResubscribe = 30,
};
// The code's text, exactly as Apache's (e.g. "eventMesh CloudEvent[header] err, ").
absl::string_view CodeText(Code code);

// Attribute keys (Apache's ProtocolKey, all lower case).
namespace key {
inline constexpr char kEnv[] = "env";
inline constexpr char kIdc[] = "idc";
inline constexpr char kIp[] = "ip";
inline constexpr char kPid[] = "pid";
inline constexpr char kSys[] = "sys";
inline constexpr char kUsername[] = "username";
inline constexpr char kPasswd[] = "passwd";
inline constexpr char kToken[] = "token";  // a signed access token instead of username/passwd
inline constexpr char kLanguage[] = "language";
inline constexpr char kProtocolType[] = "protocoltype";
inline constexpr char kProtocolVersion[] = "protocolversion";
inline constexpr char kProtocolDesc[] = "protocoldesc";
inline constexpr char kSeqNum[] = "seqnum";
inline constexpr char kUniqueId[] = "uniqueid";
inline constexpr char kTtl[] = "ttl";
inline constexpr char kProducerGroup[] = "producergroup";
inline constexpr char kConsumerGroup[] = "consumergroup";
inline constexpr char kSubject[] = "subject";
inline constexpr char kDataContentType[] = "datacontenttype";
inline constexpr char kUrl[] = "url";
inline constexpr char kClientType[] = "clienttype";
inline constexpr char kSubMessageType[] = "submessagetype";
inline constexpr char kStatusCode[] = "statuscode";
inline constexpr char kResponseMessage[] = "responsemessage";
inline constexpr char kTime[] = "time";
// This runtime's stream extensions (optional; Apache clients never send them):
// a subscription with ackmode=client asks for explicit acks on its stream; every pushed event
// carries pushseq; an ack is a stream message with submessagetype=subscription_ack and pushseq
// (one number or several separated by commas).
inline constexpr char kAckMode[] = "ackmode";
inline constexpr char kPushSeq[] = "pushseq";
}  // namespace key

inline constexpr char kSubscriptionReply[] = "subscription_reply";
inline constexpr char kSubscriptionAck[] = "subscription_ack";
inline constexpr char kAckModeClient[] = "client";
inline constexpr char kProtocolDescGrpc[] = "grpc-cloud-event";
// HeartbeatItem url of stream subscriptions (Java SDK).
inline constexpr char kGrpcStreamUrl[] = "grpc_stream";

// The attribute's ce_string value; "" when absent or of another type (as Apache reads them).
std::string Attr(const pb::CloudEvent& event, absl::string_view name);
void SetAttr(pb::CloudEvent* event, const std::string& name, std::string value);
// SetAttr on a serialized CloudEvent: appends an `attributes` entry of `name` with ce_string
// `value` to `message`. A parser keeps a map key's last entry, so this sets or replaces the
// attribute without reading or rewriting what `message` already holds.
void AppendStringAttr(absl::string_view name, absl::string_view value, std::string* message);

// A response of the "fresh" shape: spec_version "1.0", statuscode, responsemessage (the code's
// text, or text + " " + detail), time; an id only when a detail is given.
pb::CloudEvent FreshResponse(Code code, absl::string_view detail = "");
// A copy of `request` with statuscode, responsemessage (the detail, or the code's text when
// empty) and time added.
pb::CloudEvent CopyResponse(const pb::CloudEvent& request, Code code,
                            absl::string_view detail = "");
// The statuscode of a response (-1 when absent or not a number).
int ResponseCode(const pb::CloudEvent& response);

// What the publish checks read of a serialized CloudEvent, read from its bytes without parsing
// them into a message (no allocation for an event of up to 24 attributes): the attributes as
// Attr gives them (a ce_string value, or "" for another kind; a name's last entry wins) and
// the data field the event carries (the last of text_data, binary_data and proto_data).
// Views into the bytes, which must outlive the view.
class WireEventView {
 public:
  // nullopt when the bytes are not a well-formed CloudEvent at the levels read (the top level,
  // the attribute entries and their values) or hold a group; the protobuf parser then decides.
  static std::optional<WireEventView> Read(absl::string_view bytes);

  absl::string_view Attr(absl::string_view name) const;
  absl::string_view text_data() const { return data_field_ == 7 ? data_ : absl::string_view(); }
  absl::string_view binary_data() const { return data_field_ == 6 ? data_ : absl::string_view(); }
  bool has_proto_data() const { return data_field_ == 8; }
  // The core fields (a field's last occurrence; "" when absent).
  absl::string_view id() const { return core_[0]; }
  absl::string_view source() const { return core_[1]; }
  absl::string_view spec_version() const { return core_[2]; }
  absl::string_view type() const { return core_[3]; }

  struct Entry {
    absl::string_view name;
    absl::string_view text;  // the ce_string value; empty for another kind
    bool is_string = false;  // the value holds a ce_string (else no value)
    // The entry's key, its value message or the value's ce_string came more than once (the
    // earlier occurrences were not kept).
    bool repeated = false;
  };
  // Every attribute entry, in wire order (a name may come more than once).
  absl::Span<const Entry> entries() const { return attributes_; }
  // 6 (binary_data), 7 (text_data), 8 (proto_data) or 0 (no data).
  int data_field() const { return data_field_; }
  // A core field, or the data, came more than once (its earlier occurrences were not kept).
  bool repeated_fields() const { return repeated_fields_; }
  absl::string_view data() const { return data_; }

 private:
  WireEventView() = default;
  // The attributes the publish path looks up (the checks, the credentials): their slot in
  // known_, or -1 for another name.
  static int KnownSlot(absl::string_view name);
  static constexpr int kKnownSlots = 14;
  absl::InlinedVector<Entry, 24> attributes_;  // in wire order
  uint32_t known_[kKnownSlots] = {};           // 1 + the index of the name's last entry; 0: none
  absl::string_view core_[4];                  // id, source, spec_version, type
  bool core_seen_[4] = {};
  bool repeated_fields_ = false;
  int data_field_ = 0;
  absl::string_view data_;
};

// A published event's stored form written straight from its request bytes: what
// ToMeshEvent(bytes, view) converts, serialized (cloudevents::SerializeProto), without building
// a CloudEvent or a message in between.
struct StoredEvent {
  std::string bytes;
  absl::string_view topic;  // the subject; views into the request
  absl::string_view id;
  size_t data_size = 0;
  bool has_marker = false;  // it carries the extension named by EncodeStoredEvent's `marker`
};
// Writes *out for the events clients send: spec version 1.0, every
// attribute a UTF-8 ce_string with a valid extension name (or datacontenttype, subject), no
// time or dataschema, binary or text data, each field (and each entry's key and value) once, at
// most 64 attribute entries.
// Returns false for
// anything else, deciding nothing: the caller then converts with ToMeshEvent, which accepts or
// refuses the event with its reason. When it returns true, ToMeshEvent(bytes, view) accepts the
// event and SerializeProto of its result is out->bytes (grpc_protocol_test and
// grpc_message_fuzzer compare them).
bool EncodeStoredEvent(const WireEventView& view, absl::string_view marker, StoredEvent* out);

// The events of a serialized CloudEventBatch (field 1), in order, as views into `bytes`;
// nullopt for bytes that are not well-formed at that level or hold a group (left to the parser).
std::optional<std::vector<absl::string_view>> BatchEventBytes(absl::string_view bytes);

// H: idc, env, ip, pid, sys, username, passwd, language non-empty and pid all digits.
bool HeaderValid(const pb::CloudEvent& event);
bool HeaderValid(const WireEventView& event);
// D: uniqueid, producergroup, subject, ttl non-empty, then data placed as datacontenttype says
// (text-like -> non-empty text_data; application/protobuf -> proto_data; else non-empty
// binary_data). InvalidArgument naming what is missing.
absl::Status CheckData(const pb::CloudEvent& event);
absl::Status CheckData(const WireEventView& event);

struct SubscriptionItem {
  std::string topic;
  bool broadcasting = false;  // mode BROADCASTING (else CLUSTERING)
  bool sync = false;
};
struct Subscription {
  std::string consumer_group;
  std::string url;  // webhook form only
  std::vector<SubscriptionItem> items;
};
// S: the SubscriptionItem JSON array in text_data, consumergroup, (url when `need_url`).
// Errors: InvalidArgument (-> code 7: missing url/group/items/topic), FailedPrecondition
// (-> code 17/18: unparsable JSON, unknown mode or type).
absl::StatusOr<Subscription> ParseSubscription(const pb::CloudEvent& event, bool need_url);
// The SubscriptionItem JSON array of `items` (what clients put in text_data).
std::string SubscriptionJson(const std::vector<SubscriptionItem>& items);

struct HeartbeatItem {
  std::string topic;
  std::string url;
};
// The HeartbeatItem JSON array in text_data. Errors: FailedPrecondition (unparsable, empty ->
// 19), InvalidArgument (an item without topic -> 7).
absl::StatusOr<std::vector<HeartbeatItem>> ParseHeartbeat(const pb::CloudEvent& event);

// Wire event -> mesh event: the CloudEvents protobuf format (the messages are wire-identical),
// without the credentials (passwd, token) and without response attributes; protoc desc defaults to
// grpc-cloud-event. InvalidArgument "invalid CloudEvent: ..." (spec version, source, names).
absl::StatusOr<cloudevents::CloudEvent> ToMeshEvent(const pb::CloudEvent& event);
// ToMeshEvent of the event whose serialized form is `bytes` (as a client sent it: one parse,
// no message in between); `view` is WireEventView::Read(bytes). InvalidArgument as
// ToMeshEvent, or for bytes that do not parse.
absl::StatusOr<cloudevents::CloudEvent> ToMeshEvent(absl::string_view bytes,
                                                    const WireEventView& view);
// Mesh event -> wire event (for pushes and replies). Text data of a text-like content type
// travels in text_data, other data in binary_data.
absl::StatusOr<pb::CloudEvent> FromMeshEvent(const cloudevents::CloudEvent& event);

}  // namespace eventmesh::protocol::grpc

#endif  // EVENTMESH_PROTOCOL_GRPC_GRPC_PROTOCOL_H_
