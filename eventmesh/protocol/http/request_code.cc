#include "eventmesh/protocol/http/request_code.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace eventmesh::protocol::http {
namespace {

struct CodeEntry {
  RequestCode code;
  absl::string_view name;
};

constexpr CodeEntry kCodes[] = {
    {RequestCode::kUnknown, "UNKNOWN"},
    {RequestCode::kMsgSendSync, "MSG_SEND_SYNC"},
    {RequestCode::kMsgBatchSend, "MSG_BATCH_SEND"},
    {RequestCode::kMsgSendAsync, "MSG_SEND_ASYNC"},
    {RequestCode::kHttpPushClientAsync, "HTTP_PUSH_CLIENT_ASYNC"},
    {RequestCode::kHttpPushClientSync, "HTTP_PUSH_CLIENT_SYNC"},
    {RequestCode::kMsgBatchSendV2, "MSG_BATCH_SEND_V2"},
    {RequestCode::kRegister, "REGISTER"},
    {RequestCode::kUnregister, "UNREGISTER"},
    {RequestCode::kHeartbeat, "HEARTBEAT"},
    {RequestCode::kSubscribe, "SUBSCRIBE"},
    {RequestCode::kUnsubscribe, "UNSUBSCRIBE"},
    {RequestCode::kReplyMessage, "REPLY_MESSAGE"},
    {RequestCode::kAdminShutdown, "ADMIN_SHUTDOWN"},
    {RequestCode::kAdminMetrics, "ADMIN_METRICS"},
};

}  // namespace

absl::string_view RequestCodeName(RequestCode code) {
  for (const CodeEntry& e : kCodes) {
    if (e.code == code) return e.name;
  }
  return "UNKNOWN";
}

std::optional<RequestCode> ParseRequestCode(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;  // no sign, no hex
  }
  int value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;
  for (const CodeEntry& e : kCodes) {
    if (static_cast<int>(e.code) == value) return e.code;
  }
  return std::nullopt;
}

bool RequiresClientIdentity(RequestCode code) {
  switch (code) {
    case RequestCode::kMsgSendSync:
    case RequestCode::kMsgBatchSend:
    case RequestCode::kMsgSendAsync:
    case RequestCode::kMsgBatchSendV2:
    case RequestCode::kHeartbeat:
    case RequestCode::kSubscribe:
    case RequestCode::kUnsubscribe:
    case RequestCode::kReplyMessage:
      return true;
    default:
      return false;
  }
}

}  // namespace eventmesh::protocol::http
