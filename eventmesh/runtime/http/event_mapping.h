#ifndef EVENTMESH_RUNTIME_HTTP_EVENT_MAPPING_H_
#define EVENTMESH_RUNTIME_HTTP_EVENT_MAPPING_H_

// Maps the messages of the code-based HTTP protocol to the canonical CloudEvent (reference 2.4)
// and a reply event back to the {"topic","body","properties"} JSON of a 101 answer.
//
// protocoltype eventmeshmessage (the default): id = bizseqno, source "/", type
// "eventmeshmessage", subject = topic, data = content (JSON when it parses as JSON, text when
// UTF-8, bytes otherwise), extensions = the request headers code, env, idc, ip, pid, sys,
// username, version, language, protocoltype, protocolversion, protocoldesc, the body fields
// bizseqno, uniqueid, producergroup, ttl, tag (empty values omitted), then extFields (which win).
// The password is never copied into the event. protocoltype cloudevents: content is a
// structured-mode CloudEvent; the header properties are added where the event has none.
// Pure functions; thread-safe. Errors: InvalidArgument naming the field or the CloudEvents rule.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_body.h"

namespace eventmesh::runtime::http {

inline constexpr char kProtocolTypeEventMeshMessage[] = "eventmeshmessage";
inline constexpr char kProtocolTypeCloudEvents[] = "cloudevents";

// The fields of one message of a send request (101/104/102 item/107/301).
struct MessageFields {
  std::string topic;
  std::string content;
  std::string biz_seq_no;
  std::string unique_id;
  std::string producer_group;
  int64_t ttl_ms = 0;  // 0: no ttl extension
  std::string tag;
  protocol::http::StringMap ext_fields;
};

// `header` supplies protocoltype (default eventmeshmessage), protocolversion (default 1.0),
// protocoldesc (default http) and the client identity extensions. Errors: "Abnormal propKey: k
// ..." for an extFields key that is no valid extension name, "unsupported protocoltype 'x'
// (expected eventmeshmessage or cloudevents)", "unsupported protocolversion 'x' (expected 1.0
// or 0.3)", the CloudEvents parser's or Validate()'s message, "CloudEvent has no subject ...".
absl::StatusOr<cloudevents::CloudEvent> MessageToEvent(const MessageFields& message,
                                                       const protocol::http::RequestHeader& header);

// {"topic":subject,"body":data,"properties":{extension:value...}} (the retMsg of a 101 answer).
std::string ReplyMessageJson(const cloudevents::CloudEvent& event);

// JSON when `body` parses as JSON (and the content type allows it), text when UTF-8, else bytes.
cloudevents::DataEncoding GuessDataEncoding(const std::optional<std::string>& content_type,
                                            absl::string_view body);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_EVENT_MAPPING_H_
