#include "eventmesh/runtime/http/code_handlers.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/runtime/http/event_mapping.h"
#include "eventmesh/runtime/http/publisher.h"
#include "eventmesh/runtime/http/webhook_mapping.h"

namespace eventmesh::runtime::http {
namespace {

using protocol::http::BodyFields;
using protocol::http::EventMeshRetCode;
using protocol::http::FormatRetMsg;
using protocol::http::RequestCode;

bool IsServed(RequestCode code) {
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

}  // namespace

// One request on its way through a processor.
struct CodeHandlers::Call {
  HttpRequest request;
  Responder respond;
  RequestCode code = RequestCode::kUnknown;
  protocol::http::RequestHeader header;
  BodyFields body;
  const core::AclUser* user = nullptr;
  const HttpServices* services = nullptr;

  HttpResponse Make(int http_status, int ret_code, absl::string_view msg) const {
    return RetCodeResponse(*services, request, http_status, ret_code, msg,
                           {"code", std::to_string(protocol::http::RequestCodeValue(code))});
  }
  // Answers now (HTTP 200).
  void Answer(EventMeshRetCode ret_code, absl::string_view msg) {
    respond(Make(200, protocol::http::RetCodeValue(ret_code), msg));
  }
  void Fail(EventMeshRetCode ret_code, absl::string_view detail) {
    Answer(ret_code, FormatRetMsg(ret_code, detail));
  }
  // Answers a core service's refusal or failure (HTTP 200; RefusalFor's retCode and retMsg).
  void Refuse(const absl::Status& status, EventMeshRetCode otherwise) {
    const HttpRefusal refusal = RefusalFor(status, otherwise);
    respond(Make(200, protocol::http::RetCodeValue(refusal.ret_code), refusal.ret_msg));
  }
  // A Responder-like callback that answers once the publish finished.
  std::function<void(absl::Status)> AnswerPublish(EventMeshRetCode error_code) {
    return [services = services, request = ResponseMeta(request), code = code, respond = respond,
            error_code](absl::Status status) {
      const std::pair<std::string, std::string> code_header{
          "code", std::to_string(protocol::http::RequestCodeValue(code))};
      if (status.ok()) {
        respond(RetCodeResponse(*services, request, 200, EventMeshRetCode::kSuccess, "success",
                                code_header));
      } else {
        const HttpRefusal refusal = RefusalFor(status, error_code);
        respond(RetCodeResponse(*services, request, 200, refusal.ret_code, refusal.ret_msg,
                                code_header));
      }
    };
  }
};

void CodeHandlers::Handle(HttpRequest request, absl::string_view code_text, Responder respond) {
  Call call;
  call.services = services_;
  call.respond = std::move(respond);
  call.request = std::move(request);
  std::optional<RequestCode> code = protocol::http::ParseRequestCode(code_text);
  if (!code.has_value() || !IsServed(*code)) {
    // The client's text is echoed only when it cannot break out of the header (no CR/LF or
    // other control characters) and is short; otherwise the header is left out.
    const bool echo =
        code_text.size() <= 32 && std::all_of(code_text.begin(), code_text.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
    call.respond(RetCodeResponse(
        *services_, call.request, 400, EventMeshRetCode::kRequestCodeInvalid,
        FormatRetMsg(EventMeshRetCode::kRequestCodeInvalid,
                     absl::StrCat("unknown request code '", absl::CHexEscape(code_text), "'")),
        echo ? std::pair<std::string, std::string>{"code", std::string(code_text)}
             : std::pair<std::string, std::string>{}));
    return;
  }
  call.code = *code;
  auto header = protocol::http::RequestHeader::Parse(call.request.headers, call.code);
  if (!header.ok()) {
    const bool version = absl::StartsWith(header.status().message(), "header 'version'");
    call.respond(call.Make(
        version ? 400 : 200, protocol::http::RetCodeValue(EventMeshRetCode::kProtocolHeaderErr),
        FormatRetMsg(EventMeshRetCode::kProtocolHeaderErr, header.status().message())));
    return;
  }
  call.header = std::move(*header);
  call.header.ip = call.request.peer_ip;  // as the Java runtime does: the peer address wins
  auto body =
      call.request.method == Method::kGet
          ? BodyFields::FromForm(call.request.query)
          : BodyFields::Parse(call.request.headers.GetOr("content-type", ""), call.request.body);
  if (!body.ok()) {
    call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
    return;
  }
  call.body = std::move(*body);
  auto user = Authenticate(*services_, call.request);
  if (!user.ok()) {
    call.Answer(EventMeshRetCode::kAclErr, user.status().message());
    return;
  }
  call.user = *user;
  switch (call.code) {
    case RequestCode::kMsgSendSync:
      return SendSync(call);
    case RequestCode::kMsgSendAsync:
      return SendAsync(call);
    case RequestCode::kMsgBatchSend:
      return BatchSend(call);
    case RequestCode::kMsgBatchSendV2:
      return BatchSendV2(call);
    case RequestCode::kHeartbeat:
      return Heartbeat(call);
    case RequestCode::kSubscribe:
      return Subscribe(call);
    case RequestCode::kUnsubscribe:
      return Unsubscribe(call);
    case RequestCode::kReplyMessage:
      return Reply(call);
    default:
      return;  // not reached: IsServed
  }
}

void CodeHandlers::SendAsync(Call& call) {
  auto body = protocol::http::SendMessageRequestBody::Parse(call.body, call.code,
                                                            call.header.protocol_type);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  MessageFields message{body->topic,          body->content, body->biz_seq_no, body->unique_id,
                        body->producer_group, body->ttl_ms,  body->tag,        body->ext_fields};
  auto event = MessageToEvent(message, call.header);
  if (!event.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, event.status().message());
  if (event->FindExtension("msgtype") == nullptr) event->SetExtension("msgtype", "persistent");
  PublishOne(call, std::move(*event), EventMeshRetCode::kSendAsyncMsgErr);
}

void CodeHandlers::PublishOne(Call& call, cloudevents::CloudEvent event,
                              EventMeshRetCode error_code) {
  std::vector<cloudevents::CloudEvent> events;
  events.push_back(std::move(event));
  PublishEvents(*services_, call.user, std::move(events), call.AnswerPublish(error_code));
}

void CodeHandlers::SendSync(Call& call) {
  const bool cloudevents =
      absl::EqualsIgnoreCase(call.header.protocol_type, kProtocolTypeCloudEvents);
  auto body = protocol::http::SendMessageRequestBody::Parse(call.body, call.code,
                                                            call.header.protocol_type);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  int64_t ttl_ms = body->ttl_ms;
  if (cloudevents && !call.body.Get("ttl").has_value()) ttl_ms = 3000;
  if (ttl_ms <= 0) {
    return call.Fail(EventMeshRetCode::kProtocolBodyErr,
                     "body field 'ttl' must be a positive number of milliseconds (the reply "
                     "wait of request code 101)");
  }
  MessageFields message{body->topic,          body->content, body->biz_seq_no, body->unique_id,
                        body->producer_group, ttl_ms,        body->tag,        body->ext_fields};
  auto event = MessageToEvent(message, call.header);
  if (!event.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, event.status().message());
  auto shared = std::make_shared<Call>(std::move(call));
  services_->requests->Request(
      HttpPublisher(*services_, shared->user),
      core::RequestOwner{kFrontendName, std::hash<std::string>()(shared->request.peer_ip)},
      event->id(), *std::move(event), ttl_ms, shared->request.executor,
      [shared, ttl_ms](absl::StatusOr<cloudevents::CloudEvent> response) {
        if (response.ok()) {
          return shared->Answer(EventMeshRetCode::kSuccess, ReplyMessageJson(*response));
        }
        if (response.status().code() == absl::StatusCode::kDeadlineExceeded) {
          return shared->Fail(EventMeshRetCode::kWaitingRrMsgErr,
                              absl::StrCat("no reply within ", ttl_ms, " ms (ttl)"));
        }
        shared->Refuse(response.status(), EventMeshRetCode::kSendSyncMsgErr);
      });
}

void CodeHandlers::BatchSend(Call& call) {
  auto body = protocol::http::BatchSendRequestBody::Parse(call.body);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  std::vector<cloudevents::CloudEvent> events;
  events.reserve(body->contents.size());
  for (size_t i = 0; i < body->contents.size(); ++i) {
    const auto& item = body->contents[i];
    MessageFields message{item.topic,
                          item.msg,
                          item.biz_seq_no.empty() ? NewEventId() : item.biz_seq_no,
                          "",
                          body->producer_group,
                          item.ttl_ms.value_or(0),
                          item.tag,
                          {}};
    auto event = MessageToEvent(message, call.header);
    if (!event.ok()) {
      return call.Fail(EventMeshRetCode::kProtocolBodyErr,
                       absl::StrCat("body field 'contents'[", i, "]: ", event.status().message()));
    }
    if (!body->batch_id.empty()) event->SetExtension("batchid", body->batch_id);
    events.push_back(std::move(*event));
  }
  PublishEvents(*services_, call.user, std::move(events),
                call.AnswerPublish(EventMeshRetCode::kSendBatchlogMsgErr));
}

void CodeHandlers::BatchSendV2(Call& call) {
  auto body = protocol::http::BatchSendV2RequestBody::Parse(call.body);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  MessageFields message{body->topic,          body->msg,    body->biz_seq_no, "",
                        body->producer_group, body->ttl_ms, body->tag,        {}};
  auto event = MessageToEvent(message, call.header);
  if (!event.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, event.status().message());
  PublishOne(call, std::move(*event), EventMeshRetCode::kSendBatchlogMsgErr);
}

void CodeHandlers::Heartbeat(Call& call) {
  auto body = protocol::http::HeartbeatRequestBody::Parse(call.body);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  if (body->client_type == protocol::http::ClientType::kPub) {
    return call.Answer(EventMeshRetCode::kSuccess, "success");
  }
  if (services_->webhook == nullptr) {
    return call.Answer(EventMeshRetCode::kHeartbeatErr, kWebhookDisabledMsg);
  }
  std::map<std::string, std::vector<std::string>> topics_by_url;
  for (const auto& entity : body->entities) topics_by_url[entity.url].push_back(entity.topic);
  for (const auto& [url, topics] : topics_by_url) {
    absl::Status status = services_->webhook->Heartbeat(body->consumer_group, url, topics);
    if (!status.ok()) return call.Answer(EventMeshRetCode::kHeartbeatErr, status.message());
  }
  call.Answer(EventMeshRetCode::kSuccess, "success");
}

void CodeHandlers::Subscribe(Call& call) {
  auto body = protocol::http::SubscribeRequestBody::Parse(call.body);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  auto format = ParsePushFormat(call.body);
  if (!format.ok()) {
    return call.Fail(EventMeshRetCode::kProtocolBodyErr, format.status().message());
  }
  if (std::string denied = core::DeniedGroup(call.user, body->consumer_group); !denied.empty()) {
    return call.Answer(EventMeshRetCode::kAclErr, denied);
  }
  for (const auto& item : body->topics) {
    if (std::string denied = core::DeniedSubscribe(call.user, item.topic); !denied.empty()) {
      return call.Answer(EventMeshRetCode::kAclErr, denied);
    }
  }
  if (services_->webhook == nullptr) {
    return call.Answer(EventMeshRetCode::kSubscribeErr, kWebhookDisabledMsg);
  }
  // Validation (name resolution, the handshake) runs off this HTTP worker.
  auto shared = std::make_shared<Call>(std::move(call));
  services_->webhook->SubscribeAsync(
      ToSubscribeRequest(*body, *format,
                         IdentityFromHeaders(shared->request.headers, shared->request.peer_ip)),
      [shared](absl::Status status) {
        if (!status.ok()) return shared->Answer(SubscribeFailureRetCode(status), status.message());
        shared->Answer(EventMeshRetCode::kSuccess, "success");
      });
}

void CodeHandlers::Unsubscribe(Call& call) {
  auto body = protocol::http::UnsubscribeRequestBody::Parse(call.body);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  if (services_->webhook == nullptr) {
    return call.Answer(EventMeshRetCode::kUnsubscribeErr, kWebhookDisabledMsg);
  }
  if (absl::Status owned =
          MayRemove(call.user, services_->webhook->List(), body->consumer_group, body->url);
      !owned.ok()) {
    return call.Answer(EventMeshRetCode::kAclErr, owned.message());
  }
  absl::Status status =
      services_->webhook->Unsubscribe(body->consumer_group, body->url, body->topics);
  if (!status.ok()) return call.Answer(EventMeshRetCode::kUnsubscribeErr, status.message());
  call.Answer(EventMeshRetCode::kSuccess, "success");
}

void CodeHandlers::Reply(Call& call) {
  auto body = protocol::http::ReplyMessageRequestBody::Parse(call.body);
  if (!body.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, body.status().message());
  MessageFields message{body->orig_topic,
                        body->content,
                        body->biz_seq_no,
                        body->unique_id,
                        body->producer_group,
                        0,
                        "",
                        body->ext_fields};
  auto event = MessageToEvent(message, call.header);
  if (!event.ok()) return call.Fail(EventMeshRetCode::kProtocolBodyErr, event.status().message());
  const std::string* id = event->FindExtension(core::kCorrelationExtension);
  if (id == nullptr) {
    return call.Fail(EventMeshRetCode::kReplyMsgErr,
                     absl::StrCat("extFields has no '", core::kCorrelationExtension,
                                  "' (a reply must carry the request's properties)"));
  }
  if (absl::Status routed = services_->requests->Respond(*std::move(event)); !routed.ok()) {
    return call.Refuse(routed, EventMeshRetCode::kReplyMsgErr);
  }
  call.Answer(EventMeshRetCode::kSuccess, "success");
}

void CodeHandlers::CancelPendingRequests() { services_->requests->CancelFrontend(kFrontendName); }

}  // namespace eventmesh::runtime::http
