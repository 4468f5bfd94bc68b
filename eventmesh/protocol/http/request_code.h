#ifndef EVENTMESH_PROTOCOL_HTTP_REQUEST_CODE_H_
#define EVENTMESH_PROTOCOL_HTTP_REQUEST_CODE_H_

// Request codes of EventMesh's code-based HTTP protocol (header `code` on POST, query
// parameter `code` on GET). Values and names are the protocol's own (RequestCode.java).
// Pure functions, thread-safe.

#include <optional>

#include "absl/strings/string_view.h"

namespace eventmesh::protocol::http {

enum class RequestCode : int {
  kUnknown = 0,                // placeholder in responses
  kMsgSendSync = 101,          // request-reply over HTTP
  kMsgBatchSend = 102,         // batch publish
  kMsgSendAsync = 104,         // publish
  kHttpPushClientAsync = 105,  // runtime -> subscriber URL (ASYNC subscription)
  kHttpPushClientSync = 106,   // runtime -> subscriber URL (SYNC subscription)
  kMsgBatchSendV2 = 107,       // one message per request, batched server-side
  kRegister = 201,             // defined, no processor in the Java runtime
  kUnregister = 202,           // defined, no processor in the Java runtime
  kHeartbeat = 203,
  kSubscribe = 206,
  kUnsubscribe = 207,
  kReplyMessage = 301,   // legacy request-reply reply
  kAdminShutdown = 601,  // not served at Java HEAD
  kAdminMetrics = 603,   // served <= v1.10 only
};

// The protocol name, e.g. "MSG_SEND_ASYNC"; "UNKNOWN" for kUnknown.
absl::string_view RequestCodeName(RequestCode code);

inline int RequestCodeValue(RequestCode code) { return static_cast<int>(code); }

// Parses the decimal text of a `code` header or query parameter (surrounding ASCII
// whitespace ignored). nullopt for non-numbers and numbers that are no request code; "0"
// yields kUnknown (which no processor serves).
std::optional<RequestCode> ParseRequestCode(absl::string_view text);

// True for codes whose requests must carry non-blank `idc`, `sys` and numeric `pid`
// headers: 101, 102, 104, 107, 203, 206, 207, 301.
bool RequiresClientIdentity(RequestCode code);

}  // namespace eventmesh::protocol::http

#endif  // EVENTMESH_PROTOCOL_HTTP_REQUEST_CODE_H_
