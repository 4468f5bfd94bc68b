#ifndef EVENTMESH_PROTOCOL_HTTP_RET_CODE_H_
#define EVENTMESH_PROTOCOL_HTTP_RET_CODE_H_

// Result codes of the HTTP protocol.
//
// EventMeshRetCode: the `retCode` the runtime answers with, in the numbering used since
// Apache EventMesh v1.6 (STOP = 9, ...). ClientRetCode: the `retCode` a webhook subscriber
// answers a push with, and how the runtime acts on it. Pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::http {

enum class EventMeshRetCode : int {
  kSuccess = 0,
  kOverload = 1,
  kRequestCodeInvalid = 2,
  kSendSyncMsgErr = 3,
  kWaitingRrMsgErr = 4,
  kProtocolHeaderErr = 6,
  kProtocolBodyErr = 7,
  kProtocolBodySizeErr = 8,
  kStop = 9,
  kRejectByProcessorError = 10,
  kBatchProducerStoppedErr = 11,
  kBatchSpeedOverLimitErr = 12,
  kPackageMsgErr = 13,
  kGroupProducerStoppedErr = 14,
  kSendAsyncMsgErr = 15,
  kReplyMsgErr = 16,
  kSendBatchlogMsgErr = 17,
  kRuntimeErr = 18,
  kSubscribeErr = 19,
  kUnsubscribeErr = 20,
  kHeartbeatErr = 21,
  kAclErr = 22,
  kHttpMesSendOverLimitErr = 23,
  kFilterMsgErr = 24,
  kOperateFail = 100,
};

inline int RetCodeValue(EventMeshRetCode code) { return static_cast<int>(code); }

// The protocol name, e.g. "EVENTMESH_PROTOCOL_BODY_ERR".
absl::string_view RetCodeName(EventMeshRetCode code);

// The protocol's default message, e.g. "eventMesh protocol[body] err, ". Messages ending in
// ", " are prefixes the runtime completes with a detail (see FormatRetMsg).
absl::string_view RetCodeMessage(EventMeshRetCode code);

// The code for a numeric value; nullopt when the value is not in the table.
std::optional<EventMeshRetCode> EventMeshRetCodeFromInt(int64_t value);

// `retMsg` for an error: the default message followed by `detail`
// ("eventMesh protocol[body] err, missing body field 'topic'"). A message without the
// trailing ", " gets one inserted when detail is non-empty.
std::string FormatRetMsg(EventMeshRetCode code, absl::string_view detail);

// Call-site mapping of parse failures: a failed header parse answers
// EVENTMESH_PROTOCOL_HEADER_ERR (6), a failed body parse EVENTMESH_PROTOCOL_BODY_ERR (7);
// an OK status maps to kSuccess.
EventMeshRetCode HeaderParseRetCode(const absl::Status& status);
EventMeshRetCode BodyParseRetCode(const absl::Status& status);

// What a webhook subscriber answers a push with (`{"retCode": n}`).
enum class ClientRetCode : int {
  kRemoteOk = 0,
  kOk = 1,
  kRetry = 2,
  kFail = 3,
  kNoListen = 5,
};

absl::string_view ClientRetCodeName(ClientRetCode code);  // "REMOTE_OK", "OK", ...

// The code for a numeric value; nullopt when unknown (the runtime then treats it as FAIL).
std::optional<ClientRetCode> ClientRetCodeFromInt(int64_t value);

// What the runtime does after a push got this answer.
enum class PushAction {
  kDone,    // delivered: commit the offset
  kRetry,   // push again later (to the next URL of the group)
  kGiveUp,  // do not retry: commit the offset
};

// REMOTE_OK, OK -> kDone; RETRY, NOLISTEN -> kRetry; FAIL -> kGiveUp.
PushAction ActionForClientRetCode(ClientRetCode code);

}  // namespace eventmesh::protocol::http

#endif  // EVENTMESH_PROTOCOL_HTTP_RET_CODE_H_
