#include "eventmesh/protocol/http/ret_code.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::protocol::http {
namespace {

struct RetCodeEntry {
  EventMeshRetCode code;
  absl::string_view name;
  absl::string_view message;
};

constexpr RetCodeEntry kRetCodes[] = {
    {EventMeshRetCode::kSuccess, "SUCCESS", "success"},
    {EventMeshRetCode::kOverload, "OVERLOAD", "eventMesh overload, try later, "},
    {EventMeshRetCode::kRequestCodeInvalid, "EVENTMESH_REQUESTCODE_INVALID",
     "requestCode can't be null, or must be number, "},
    {EventMeshRetCode::kSendSyncMsgErr, "EVENTMESH_SEND_SYNC_MSG_ERR",
     "eventMesh send rr msg err, "},
    {EventMeshRetCode::kWaitingRrMsgErr, "EVENTMESH_WAITING_RR_MSG_ERR",
     "eventMesh waiting rr msg err, "},
    {EventMeshRetCode::kProtocolHeaderErr, "EVENTMESH_PROTOCOL_HEADER_ERR",
     "eventMesh protocol[header] err, "},
    {EventMeshRetCode::kProtocolBodyErr, "EVENTMESH_PROTOCOL_BODY_ERR",
     "eventMesh protocol[body] err, "},
    {EventMeshRetCode::kProtocolBodySizeErr, "EVENTMESH_PROTOCOL_BODY_SIZE_ERR",
     "event size exceeds the limit, "},
    {EventMeshRetCode::kStop, "EVENTMESH_STOP", "eventMesh will stop or had stopped, "},
    {EventMeshRetCode::kRejectByProcessorError, "EVENTMESH_REJECT_BY_PROCESSOR_ERROR",
     "eventMesh reject by processor error, "},
    {EventMeshRetCode::kBatchProducerStoppedErr, "EVENTMESH_BATCH_PRODUCER_STOPED_ERR",
     "eventMesh batch msg producer stopped, "},
    {EventMeshRetCode::kBatchSpeedOverLimitErr, "EVENTMESH_BATCH_SPEED_OVER_LIMIT_ERR",
     "eventMesh batch msg speed over the limit, "},
    {EventMeshRetCode::kPackageMsgErr, "EVENTMESH_PACKAGE_MSG_ERR", "eventMesh package msg err, "},
    {EventMeshRetCode::kGroupProducerStoppedErr, "EVENTMESH_GROUP_PRODUCER_STOPED_ERR",
     "eventMesh group producer stopped, "},
    {EventMeshRetCode::kSendAsyncMsgErr, "EVENTMESH_SEND_ASYNC_MSG_ERR",
     "eventMesh send async msg err, "},
    {EventMeshRetCode::kReplyMsgErr, "EVENTMESH_REPLY_MSG_ERR", "eventMesh reply msg err, "},
    {EventMeshRetCode::kSendBatchlogMsgErr, "EVENTMESH_SEND_BATCHLOG_MSG_ERR",
     "eventMesh send batchlog msg err, "},
    {EventMeshRetCode::kRuntimeErr, "EVENTMESH_RUNTIME_ERR", "eventMesh runtime err, "},
    {EventMeshRetCode::kSubscribeErr, "EVENTMESH_SUBSCRIBE_ERR", "eventMesh subscribe err"},
    {EventMeshRetCode::kUnsubscribeErr, "EVENTMESH_UNSUBSCRIBE_ERR", "eventMesh unsubscribe err"},
    {EventMeshRetCode::kHeartbeatErr, "EVENTMESH_HEARTBEAT_ERR", "eventMesh heartbeat err"},
    {EventMeshRetCode::kAclErr, "EVENTMESH_ACL_ERR", "eventMesh acl err"},
    {EventMeshRetCode::kHttpMesSendOverLimitErr, "EVENTMESH_HTTP_MES_SEND_OVER_LIMIT_ERR",
     "eventMesh http msg send over the limit, "},
    {EventMeshRetCode::kFilterMsgErr, "EVENTMESH_FILTER_MSG_ERR", "eventMesh filter msg err, "},
    {EventMeshRetCode::kOperateFail, "EVENTMESH_OPERATE_FAIL", "operate fail"},
};

const RetCodeEntry* Find(EventMeshRetCode code) {
  for (const RetCodeEntry& e : kRetCodes) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

absl::string_view RetCodeName(EventMeshRetCode code) {
  const RetCodeEntry* e = Find(code);
  return e != nullptr ? e->name : "UNKNOWN";
}

absl::string_view RetCodeMessage(EventMeshRetCode code) {
  const RetCodeEntry* e = Find(code);
  return e != nullptr ? e->message : "";
}

std::optional<EventMeshRetCode> EventMeshRetCodeFromInt(int64_t value) {
  for (const RetCodeEntry& e : kRetCodes) {
    if (static_cast<int64_t>(e.code) == value) return e.code;
  }
  return std::nullopt;
}

std::string FormatRetMsg(EventMeshRetCode code, absl::string_view detail) {
  absl::string_view base = RetCodeMessage(code);
  if (detail.empty()) return std::string(base);
  if (absl::EndsWith(base, ", ") || base.empty()) return absl::StrCat(base, detail);
  return absl::StrCat(base, ", ", detail);
}

EventMeshRetCode HeaderParseRetCode(const absl::Status& status) {
  return status.ok() ? EventMeshRetCode::kSuccess : EventMeshRetCode::kProtocolHeaderErr;
}

EventMeshRetCode BodyParseRetCode(const absl::Status& status) {
  return status.ok() ? EventMeshRetCode::kSuccess : EventMeshRetCode::kProtocolBodyErr;
}

absl::string_view ClientRetCodeName(ClientRetCode code) {
  switch (code) {
    case ClientRetCode::kRemoteOk:
      return "REMOTE_OK";
    case ClientRetCode::kOk:
      return "OK";
    case ClientRetCode::kRetry:
      return "RETRY";
    case ClientRetCode::kFail:
      return "FAIL";
    case ClientRetCode::kNoListen:
      return "NOLISTEN";
  }
  return "FAIL";
}

std::optional<ClientRetCode> ClientRetCodeFromInt(int64_t value) {
  switch (value) {
    case 0:
      return ClientRetCode::kRemoteOk;
    case 1:
      return ClientRetCode::kOk;
    case 2:
      return ClientRetCode::kRetry;
    case 3:
      return ClientRetCode::kFail;
    case 5:
      return ClientRetCode::kNoListen;
    default:
      return std::nullopt;
  }
}

PushAction ActionForClientRetCode(ClientRetCode code) {
  switch (code) {
    case ClientRetCode::kRemoteOk:
    case ClientRetCode::kOk:
      return PushAction::kDone;
    case ClientRetCode::kRetry:
    case ClientRetCode::kNoListen:
      return PushAction::kRetry;
    case ClientRetCode::kFail:
      return PushAction::kGiveUp;
  }
  return PushAction::kGiveUp;
}

}  // namespace eventmesh::protocol::http
