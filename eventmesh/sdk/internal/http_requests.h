#ifndef EVENTMESH_SDK_INTERNAL_HTTP_REQUESTS_H_
#define EVENTMESH_SDK_INTERNAL_HTTP_REQUESTS_H_

// The requests EventMeshHttpClient sends and how it reads the runtime's answers, as pure
// functions (no I/O), wire-compatible with Apache EventMesh's Java HTTP SDK:
//   * code-based requests are POSTed to "/" with the header `code` and the identity headers
//     (env, idc, sys, pid, ip, username, passwd, language, version) and a form body
//     (application/x-www-form-urlencoded) built by //eventmesh/protocol/http:request_body;
//   * CloudEvents are POSTed to /eventmesh/publish/{topic} in binary, structured or batch
//     content mode (//eventmesh/protocol/cloudevents:http_binding);
//   * the runtime answers {"retCode","retMsg","resTime"}; StatusFromRuntimeResponse maps the
//     retCode to an absl::Status carrying the runtime's retMsg.
// Thread-safe (no shared state; ids come from a thread-local generator).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/sdk/internal/http_client_options.h"
#include "eventmesh/sdk/internal/http_types.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk::http {

using cloudevents::CloudEvent;

// One request to the runtime (path relative to a runtime URL).
struct RuntimeRequest {
  protocol::http::RequestCode code =
      protocol::http::RequestCode::kUnknown;  // kUnknown: URI endpoint
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> headers;  // includes Content-Type
  std::string body;
};

inline constexpr absl::string_view kFormContentType =
    "application/x-www-form-urlencoded; charset=UTF-8";
// Value of the `language` header.
inline constexpr absl::string_view kLanguage = "CPP";

// 30 random decimal digits (the Java SDK's bizseqno / uniqueid format).
std::string RandomDigits(int count = 30);

// 104 MSG_SEND_ASYNC (publish) or 101 MSG_SEND_SYNC (request-reply; `ttl_ms` > 0 required).
// Errors: InvalidArgument "message topic is required", "producer_group is required",
// "request ttl must be positive", "request code <n> is no send code".
absl::StatusOr<RuntimeRequest> BuildSendMessageRequest(const HttpClientOptions& options,
                                                       protocol::http::RequestCode code,
                                                       const Message& message);

// 104 / 101 carrying a CloudEvent (protocoltype cloudevents, content = structured JSON); the
// topic is the event's subject. Errors: "CloudEvent subject (the topic) is required",
// Validate()'s error, "producer_group is required".
absl::StatusOr<RuntimeRequest> BuildSendCloudEventRequest(const HttpClientOptions& options,
                                                          protocol::http::RequestCode code,
                                                          const CloudEvent& event, int64_t ttl_ms);

// 102 MSG_BATCH_SEND: every message in one request. `batch_id` empty = random digits.
// Errors: "batch is empty", "message [i]: topic is required", "producer_group is required".
absl::StatusOr<RuntimeRequest> BuildBatchRequest(const HttpClientOptions& options,
                                                 const std::vector<Message>& messages,
                                                 const std::string& batch_id);

// 107 MSG_BATCH_SEND_V2: one message (the runtime batches them on its side).
absl::StatusOr<RuntimeRequest> BuildBatchV2Request(const HttpClientOptions& options,
                                                   const Message& message);

// POST /eventmesh/publish/{topic} with one CloudEvent (binary or structured mode). `topic`
// empty = the event's subject. Errors: "topic is required (argument or CloudEvent subject)",
// "topic '<t>' must not contain '/', '?', '#', '%' or whitespace", Validate()'s error.
absl::StatusOr<RuntimeRequest> BuildCloudEventPublishRequest(const HttpClientOptions& options,
                                                             const CloudEvent& event,
                                                             CloudEventMode mode,
                                                             const std::string& topic);

// POST /eventmesh/publish/{topic} with application/cloudevents-batch+json. Errors: "batch is
// empty", the topic errors above, "event [i]: <Validate() error>".
absl::StatusOr<RuntimeRequest> BuildCloudEventBatchRequest(const HttpClientOptions& options,
                                                           const std::vector<CloudEvent>& events,
                                                           const std::string& topic);

// 206 SUBSCRIBE of `url` for `topics` in options.consumer_group. Errors: "webhook url is
// required", "at least one topic is required", "consumer_group is required".
absl::StatusOr<RuntimeRequest> BuildSubscribeRequest(
    const HttpClientOptions& options, const std::string& url,
    const std::vector<SubscriptionItem>& topics, PushFormat format = PushFormat::kEventMeshForm);

// 207 UNSUBSCRIBE.
absl::StatusOr<RuntimeRequest> BuildUnsubscribeRequest(const HttpClientOptions& options,
                                                       const std::string& url,
                                                       const std::vector<std::string>& topics);

// 203 HEARTBEAT (clientType SUB, one entity per topic with `url`).
absl::StatusOr<RuntimeRequest> BuildHeartbeatRequest(const HttpClientOptions& options,
                                                     const std::string& url,
                                                     const std::vector<std::string>& topics);

// 301 REPLY_MESSAGE for a request received by a webhook (legacy request-reply).
// `orig_topic`, `biz_seq_no` and `unique_id` come from the request; `ext_fields` must carry
// what the runtime needs to route the reply (the request's extFields).
absl::StatusOr<RuntimeRequest> BuildReplyRequest(
    const HttpClientOptions& options, const protocol::http::ReplyMessageRequestBody& body);

// Reads the runtime's answer. A body with a non-zero retCode (whatever the HTTP status: the
// URI endpoints answer 400/403/429/503 with one) gives the status of RetCodeToStatusCode with
// message = retMsg (or "retCode N (NAME)" when retMsg is empty) and the retCode attached (see
// RetCodeOf). HTTP 200 with retCode 0: OK. Other non-200 answers: message "runtime answered
// HTTP <status>: <retMsg or body>", code Unavailable (503), InvalidArgument (400),
// ResourceExhausted (429), PermissionDenied (401/403), Internal otherwise. A 200 whose body is
// no response JSON: Internal "malformed runtime response: <parser error>".
// On success returns the retMsg (101 carries the reply message in it).
absl::StatusOr<std::string> StatusFromRuntimeResponse(int http_status, absl::string_view body);

// The status code for a non-zero retCode:
//   1 OVERLOAD, 10 REJECT_BY_PROCESSOR, 12 BATCH_SPEED_OVER_LIMIT, 23 SEND_OVER_LIMIT
//                                                    -> ResourceExhausted
//   2 REQUESTCODE_INVALID, 6 HEADER, 7 BODY, 8 BODY_SIZE, 13 PACKAGE_MSG -> InvalidArgument
//   4 WAITING_RR_MSG (request-reply timed out)       -> DeadlineExceeded
//   9 STOP, 11/14 producer stopped, 3 SEND_SYNC, 15 SEND_ASYNC (store failed) -> Unavailable
//   19 SUBSCRIBE, 20 UNSUBSCRIBE, 21 HEARTBEAT, 24 FILTER -> FailedPrecondition
//   22 ACL                                           -> PermissionDenied
//   16, 17, 18, 100 and unknown codes                -> Internal
absl::StatusCode RetCodeToStatusCode(int64_t ret_code);

// The reply of a 101 request: the retMsg JSON {"topic","body","properties"} as a Message
// (FromProtocolMessage: content = body, biz_seq_no etc. from the properties). Errors:
// InvalidArgument "malformed reply message: ...".
absl::StatusOr<Message> ParseReplyMessage(absl::string_view ret_msg);

// The SDK subscription item as the HTTP protocol's.
protocol::http::SubscriptionItem ToProtocolSubscription(const SubscriptionItem& item);

// The 301 body answering `request` (a pushed or received request event) with `reply`:
// origtopic = the request's topic; bizseqno / uniqueid = the request message's fields, else its
// "bizseqno" / "uniqueid" property or extension, else (CloudEvents) its id (uniqueid falls back
// to bizseqno); extFields = the request's properties / extensions (the runtime correlates the
// reply through them, e.g. "rrcorrelationid") overridden by the reply's properties;
// content = the reply's content.
absl::StatusOr<protocol::http::ReplyMessageRequestBody> BuildReplyBody(const ReceivedEvent& request,
                                                                       const Message& reply);

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_HTTP_REQUESTS_H_
