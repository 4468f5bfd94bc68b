#ifndef EVENTMESH_PROTOCOL_HTTP_REQUEST_BODY_H_
#define EVENTMESH_PROTOCOL_HTTP_REQUEST_BODY_H_

// Typed request bodies of the EventMesh HTTP protocol, one per request code, plus the
// JSON bodies of the URI endpoints and the form the runtime POSTs to webhook subscribers.
//
// A body arrives as form fields (application/x-www-form-urlencoded; complex values are
// JSON text inside a field) or as a JSON object (Content-Type contains
// application/json). BodyFields hides the difference; every typed Parse() reads from it.
// Field names are looked up exactly first, then case-insensitively, so the v1.0-v1.2
// camelCase spellings (`bizSeqNo`, `uniqueId`, `producerGroup`) are accepted too.
//
// Every Parse() returns InvalidArgument naming the missing or bad field, e.g.
// "missing body field 'topic'"; the call site answers retCode 7
// (EVENTMESH_PROTOCOL_BODY_ERR, see BodyParseRetCode). ToForm() writes the v1.3+ form a
// Java SDK would send. Value types; thread-safe for concurrent reads.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/protocol/http/url_encoding.h"

namespace eventmesh::protocol::http {

// Values (scalars, objects, arrays, member keys) one JSON body or JSON body field may have: a
// DOM costs 16 bytes or more per value, 8 times the text of an array of small numbers, and a
// body is up to maxBodySize (4 MiB). A batch of 10000 events of ten fields needs 220000.
// Beyond it: OutOfRange "JSON in request body has more than 262144 values".
inline constexpr size_t kMaxJsonBodyValues = 262144;

// Default message TTL when a publish carries none: 4 hours, ms (metadata only).
inline constexpr int64_t kDefaultMessageTtlMs = 14'400'000;

// The fields of one body as strings. JSON non-string values are kept as their compact
// JSON text (so arrays/objects read the same as JSON text inside a form field); JSON
// null members are dropped.
class BodyFields {
 public:
  BodyFields() = default;
  explicit BodyFields(FormFields fields) : fields_(std::move(fields)) {}

  // Errors: as ParseForm (InvalidArgument "invalid percent-escape ...").
  static absl::StatusOr<BodyFields> FromForm(absl::string_view body);
  // Errors: InvalidArgument "malformed JSON in request body: ..." or
  // "request body must be a JSON object".
  static absl::StatusOr<BodyFields> FromJson(absl::string_view body);
  // JSON when `content_type` contains "application/json" (any case), else form.
  static absl::StatusOr<BodyFields> Parse(absl::string_view content_type, absl::string_view body);

  // Exact key first, then the first case-insensitive match; nullopt when absent.
  std::optional<absl::string_view> Get(absl::string_view key) const;
  const FormFields& fields() const { return fields_; }

 private:
  FormFields fields_;
};

using StringMap = std::map<std::string, std::string>;

// 101 MSG_SEND_SYNC / 104 MSG_SEND_ASYNC.
struct SendMessageRequestBody {
  std::string topic;           // `topic`
  std::string content;         // `content`; may be empty but must be present
  std::string biz_seq_no;      // `bizseqno`
  std::string unique_id;       // `uniqueid`
  std::string producer_group;  // `producergroup`
  // `ttl`, ms. Required for 101 (it is also the reply wait); 104 defaults to
  // kDefaultMessageTtlMs.
  int64_t ttl_ms = kDefaultMessageTtlMs;
  std::string tag;       // `tag`, optional
  StringMap ext_fields;  // `extFields`: JSON object string -> string, optional

  // `code` must be 101 or 104. With protocol_type "cloudevents" the content is a
  // structured CloudEvent and only `content` and `producergroup` are required.
  // Errors: "missing body field '<f>'", "body field 'ttl' must be a non-negative integer,
  // got '<v>'", "body field 'extFields' ...", "request code <n> has no send-message body".
  static absl::StatusOr<SendMessageRequestBody> Parse(const BodyFields& fields, RequestCode code,
                                                      absl::string_view protocol_type = "");
  FormFields ToForm() const;
};

// One entry of a 102 batch (`contents`).
struct BatchMessageItem {
  std::string biz_seq_no;         // `bizSeqNo`, optional
  std::string topic;              // `topic`, required
  std::string msg;                // `msg`, required
  std::string tag;                // `tag`, optional
  std::optional<int64_t> ttl_ms;  // `ttl` (number or decimal string), optional
};

// 102 MSG_BATCH_SEND.
struct BatchSendRequestBody {
  std::string batch_id;                    // `batchId`
  std::string producer_group;              // `producerGroup`
  std::vector<BatchMessageItem> contents;  // `contents`: JSON array; `size` must match

  // Errors: "missing body field '<f>'", "body field 'size' must be a non-negative
  // integer, got '<v>'", "body field 'size' is <n> but 'contents' has <m> entries",
  // "body field 'contents' must be a non-empty JSON array",
  // "body field 'contents'[<i>]: missing '<topic|msg>'", ...
  static absl::StatusOr<BatchSendRequestBody> Parse(const BodyFields& fields);
  FormFields ToForm() const;
};

// 107 MSG_BATCH_SEND_V2: one message per request.
struct BatchSendV2RequestBody {
  std::string biz_seq_no;                 // `bizseqno`, required
  std::string topic;                      // `topic`, required
  std::string msg;                        // `msg`, required (may be empty)
  std::string tag;                        // `tag`, optional
  int64_t ttl_ms = kDefaultMessageTtlMs;  // `ttl`, optional
  std::string producer_group;             // `producergroup`, required

  static absl::StatusOr<BatchSendV2RequestBody> Parse(const BodyFields& fields);
  FormFields ToForm() const;
};

enum class ClientType { kPub, kSub };
absl::string_view ClientTypeName(ClientType type);  // "PUB" / "SUB"

struct HeartbeatEntity {
  std::string topic;        // required
  std::string service_id;   // `serviceId`, optional
  std::string url;          // required
  std::string instance_id;  // `instanceId`, optional
};

// 203 HEARTBEAT.
struct HeartbeatRequestBody {
  ClientType client_type = ClientType::kSub;  // `clientType`: PUB or SUB
  std::string consumer_group;                 // `consumerGroup`, required for SUB
  std::string producer_group;                 // `producerGroup`, required for PUB
  std::vector<HeartbeatEntity> entities;      // `heartbeatEntities`: JSON array

  // Errors: "body field 'clientType' must be PUB or SUB, got '<v>'",
  // "missing body field 'consumerGroup'", "body field 'heartbeatEntities'[<i>]: missing
  // 'url'", ...
  static absl::StatusOr<HeartbeatRequestBody> Parse(const BodyFields& fields);
  FormFields ToForm() const;
};

enum class SubscriptionMode { kClustering, kBroadcasting };
enum class SubscriptionType { kAsync, kSync };
absl::string_view SubscriptionModeName(SubscriptionMode mode);  // "CLUSTERING", ...
absl::string_view SubscriptionTypeName(SubscriptionType type);  // "ASYNC", "SYNC"

// {topic, mode, type}; mode defaults to CLUSTERING and type to ASYNC when absent.
struct SubscriptionItem {
  std::string topic;
  SubscriptionMode mode = SubscriptionMode::kClustering;
  SubscriptionType type = SubscriptionType::kAsync;
  bool operator==(const SubscriptionItem& o) const {
    return topic == o.topic && mode == o.mode && type == o.type;
  }
};

// 206 SUBSCRIBE, and the JSON body of /eventmesh/subscribe/local (and .../remote).
struct SubscribeRequestBody {
  std::vector<SubscriptionItem> topics;  // `topic`: non-empty JSON array of items
  std::string url;                       // `url`, required (webhook target)
  std::string consumer_group;            // `consumerGroup`, required
  std::string remote_mesh;               // `remoteMesh`, only for .../remote

  // Errors: "missing body field '<url|consumerGroup|topic>'", "body field 'topic' must be
  // a non-empty JSON array", "body field 'topic'[<i>]: mode must be CLUSTERING or
  // BROADCASTING, got '<v>'", ...
  static absl::StatusOr<SubscribeRequestBody> Parse(const BodyFields& fields);
  FormFields ToForm() const;
};

// 207 UNSUBSCRIBE, and the JSON body of /eventmesh/unsubscribe/local (and .../remote).
struct UnsubscribeRequestBody {
  // `topic`: non-empty JSON array of topic names (SubscriptionItem objects are accepted
  // too; their `topic` is used).
  std::vector<std::string> topics;
  std::string url;             // `url`, required
  std::string consumer_group;  // `consumerGroup`, required
  std::string remote_mesh;     // `remoteMesh`, only for .../remote

  static absl::StatusOr<UnsubscribeRequestBody> Parse(const BodyFields& fields);
  FormFields ToForm() const;
};

// 301 REPLY_MESSAGE (legacy request-reply).
struct ReplyMessageRequestBody {
  std::string orig_topic;      // `origtopic`, required
  std::string biz_seq_no;      // `bizseqno`, required
  std::string unique_id;       // `uniqueid`, required
  std::string content;         // `content`, required (may be empty)
  std::string producer_group;  // `producergroup`, required
  StringMap ext_fields;        // `extFields`, optional

  static absl::StatusOr<ReplyMessageRequestBody> Parse(const BodyFields& fields);
  FormFields ToForm() const;
};

// /eventmesh/topic/create and /eventmesh/topic/delete: {"topic": "..."}.
struct TopicRequestBody {
  std::string topic;  // required

  static absl::StatusOr<TopicRequestBody> Parse(const BodyFields& fields);
};

// The form the runtime POSTs to a webhook subscriber (codes 105/106). Field keys:
// content, bizseqno, uniqueId (camelCase on the wire), randomNo, topic, extFields.
struct PushMessageForm {
  std::string content;
  std::string biz_seq_no;
  std::string unique_id;
  std::string random_no;
  std::string topic;
  StringMap ext_fields;  // all event extensions / properties

  FormFields ToForm() const;
  std::string Encode() const { return EncodeForm(ToForm()); }
  // Subscriber side. Errors: "missing body field '<content|topic>'", bad extFields.
  static absl::StatusOr<PushMessageForm> Parse(const BodyFields& fields);
};

// 105 for ASYNC subscriptions, 106 for SYNC.
RequestCode PushRequestCode(SubscriptionType type);

}  // namespace eventmesh::protocol::http

#endif  // EVENTMESH_PROTOCOL_HTTP_REQUEST_BODY_H_
