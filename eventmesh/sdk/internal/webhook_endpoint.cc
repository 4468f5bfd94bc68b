#include "eventmesh/sdk/internal/webhook_endpoint.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::sdk::http {
namespace {

namespace ph = protocol::http;
namespace ce = cloudevents;

ServerResponse Text(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=UTF-8");
  r.body = std::move(body);
  return r;
}

ServerResponse ClientRetCodeReply(ph::ClientRetCode code, absl::string_view message) {
  ServerResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/json");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("retCode");
  w.Int(static_cast<int>(code));
  if (!message.empty()) {
    w.Key("retMsg");
    json::WriteString(w, message);
  }
  w.EndObject();
  r.body.assign(buf.GetString(), buf.GetSize());
  return r;
}

ph::ClientRetCode ToClientRetCode(HandlerResult result) {
  switch (result) {
    case HandlerResult::kSuccess:
      return ph::ClientRetCode::kRemoteOk;
    case HandlerResult::kRetry:
      return ph::ClientRetCode::kRetry;
    case HandlerResult::kFail:
      return ph::ClientRetCode::kFail;
  }
  return ph::ClientRetCode::kFail;
}

// Retry outranks fail outranks success when a batch is answered as a whole.
int Severity(HandlerResult r) {
  return r == HandlerResult::kSuccess ? 0 : (r == HandlerResult::kFail ? 1 : 2);
}

ServerResponse Handshake(const ServerRequest& request, const WebhookEndpointOptions& options) {
  const std::string* origin = request.Header("WebHook-Request-Origin");
  ServerResponse r;
  r.status = 200;
  r.headers.emplace_back("Allow", "POST, OPTIONS");
  if (origin == nullptr) return r;
  const bool allowed = options.allowed_origins.empty() ||
                       std::find(options.allowed_origins.begin(), options.allowed_origins.end(),
                                 *origin) != options.allowed_origins.end();
  if (!allowed) return Text(403, absl::StrCat("origin '", *origin, "' is not allowed"));
  r.headers.emplace_back("WebHook-Allowed-Origin", *origin);
  if (request.Header("WebHook-Request-Rate") != nullptr) {
    r.headers.emplace_back("WebHook-Allowed-Rate", "*");
  }
  return r;
}

ServerResponse FormPush(const ServerRequest& request, ph::RequestCode code,
                        const PushHandler& handler) {
  auto fields = ph::BodyFields::FromForm(request.body);
  auto form = fields.ok() ? ph::PushMessageForm::Parse(*fields)
                          : absl::StatusOr<ph::PushMessageForm>(fields.status());
  if (!form.ok()) {
    return ClientRetCodeReply(ph::ClientRetCode::kFail,
                              absl::StrCat("malformed push: ", form.status().message()));
  }
  ReceivedEvent event;
  event.kind =
      code == ph::RequestCode::kHttpPushClientSync ? EventKind::kRequest : EventKind::kAsync;
  event.transport = Transport::kHttpForm;
  event.random_no = std::move(form->random_no);
  event.headers = request.headers;
  Message message;
  message.topic = std::move(form->topic);
  message.content = std::move(form->content);
  message.biz_seq_no = std::move(form->biz_seq_no);
  message.unique_id = std::move(form->unique_id);
  message.properties.insert(form->ext_fields.begin(), form->ext_fields.end());
  auto type = message.properties.find("protocoltype");
  event.protocol_type = type != message.properties.end() ? type->second : "eventmeshmessage";
  if (event.protocol_type == "cloudevents") {
    auto parsed = ce::ParseJsonEvent(message.content);
    if (parsed.ok()) {
      event.payload = *std::move(parsed);
    } else {
      event.payload = std::move(message);
    }
  } else {
    event.payload = std::move(message);
  }
  return ClientRetCodeReply(ToClientRetCode(handler(event)), "");
}

ServerResponse CloudEventsPush(const ServerRequest& request, const PushHandler& handler) {
  auto events = ce::FromHttp(request.headers, request.body);
  if (!events.ok()) {
    return Text(400, absl::StrCat("malformed CloudEvent: ", events.status().message()));
  }
  HandlerResult worst = HandlerResult::kSuccess;
  for (ce::CloudEvent& e : *events) {
    ReceivedEvent event;
    event.kind = EventKind::kAsync;
    event.transport = Transport::kHttpCloudEvents;
    event.protocol_type = "cloudevents";
    event.headers = request.headers;
    event.payload = std::move(e);
    const HandlerResult result = handler(event);
    if (Severity(result) > Severity(worst)) worst = result;
  }
  switch (worst) {
    case HandlerResult::kSuccess:
      return Text(200, "");
    case HandlerResult::kRetry:
      return Text(kRetryStatus, "retry later");
    case HandlerResult::kFail:
      return Text(kFailStatus, "the subscriber could not consume the event");
  }
  return Text(kFailStatus, "");
}

}  // namespace

ServerResponse HandleWebhookRequest(const ServerRequest& request, const PushHandler& handler,
                                    const WebhookEndpointOptions& options) {
  if (request.method == "OPTIONS") return Handshake(request, options);
  if (request.method != "POST") {
    ServerResponse r = Text(405, absl::StrCat("method ", request.method, " is not allowed"));
    r.headers.emplace_back("Allow", "POST, OPTIONS");
    return r;
  }
  if (const std::string* code_text = request.Header("code")) {
    auto code = ph::ParseRequestCode(*code_text);
    if (code == ph::RequestCode::kHttpPushClientAsync ||
        code == ph::RequestCode::kHttpPushClientSync) {
      return FormPush(request, *code, handler);
    }
  }
  if (ce::DetectContentMode(request.headers) != ce::ContentMode::kNone) {
    return CloudEventsPush(request, handler);
  }
  const std::string* content_type = request.Header("Content-Type");
  if (content_type != nullptr && absl::StrContains(absl::AsciiStrToLower(*content_type),
                                                   "application/x-www-form-urlencoded")) {
    return FormPush(request, ph::RequestCode::kHttpPushClientAsync, handler);
  }
  return Text(400,
              "not a webhook push: expected header code 105/106 with a form body, or a "
              "CloudEvents HTTP message");
}

}  // namespace eventmesh::sdk::http
