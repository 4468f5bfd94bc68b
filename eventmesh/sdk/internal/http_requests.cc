#include "eventmesh/sdk/internal/http_requests.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/response.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/sdk/internal/protocol_message.h"

namespace eventmesh::sdk::http {
namespace {

namespace ph = protocol::http;
namespace hk = protocol::http::header_key;

constexpr absl::string_view kProtocolTypeEventMesh = "eventmeshmessage";
constexpr absl::string_view kProtocolTypeCloudEvents = "cloudevents";
constexpr absl::string_view kProtocolDescHttp = "http";

// The identity headers every request carries.
void AddIdentityHeaders(const HttpClientOptions& options,
                        std::vector<std::pair<std::string, std::string>>* headers) {
  headers->emplace_back(hk::kVersion, ph::kProtocolVersion1);
  headers->emplace_back(hk::kLanguage, kLanguage);
  headers->emplace_back(hk::kEnv, options.env);
  headers->emplace_back(hk::kIdc, options.idc);
  headers->emplace_back(hk::kSys, options.sys);
  headers->emplace_back(hk::kPid, absl::StrCat(options.EffectivePid()));
  headers->emplace_back(hk::kIp, options.ip);
  if (!options.username.empty()) headers->emplace_back(hk::kUsername, options.username);
  if (!options.password.empty()) headers->emplace_back(hk::kPasswd, options.password);
  if (!options.token.empty()) headers->emplace_back(hk::kToken, options.token);
}

RuntimeRequest CodeRequest(const HttpClientOptions& options, ph::RequestCode code,
                           const ph::FormFields& form) {
  RuntimeRequest request;
  request.code = code;
  request.path = "/";
  request.headers.emplace_back(hk::kCode, absl::StrCat(ph::RequestCodeValue(code)));
  AddIdentityHeaders(options, &request.headers);
  request.headers.emplace_back("Content-Type", kFormContentType);
  request.body = ph::EncodeForm(form);
  return request;
}

void AddProtocolHeaders(RuntimeRequest* request, absl::string_view type,
                        absl::string_view version) {
  request->headers.emplace_back(hk::kProtocolType, type);
  request->headers.emplace_back(hk::kProtocolVersion, version);
  request->headers.emplace_back(hk::kProtocolDesc, kProtocolDescHttp);
}

absl::Status RequireProducerGroup(const HttpClientOptions& options) {
  if (options.producer_group.empty()) {
    return absl::InvalidArgumentError("producer_group is required");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PublishTopic(const std::string& topic, const CloudEvent* event) {
  std::string t = topic;
  if (t.empty() && event != nullptr && event->subject().has_value()) t = *event->subject();
  if (t.empty()) {
    return absl::InvalidArgumentError("topic is required (argument or CloudEvent subject)");
  }
  for (char c : t) {
    if (c == '/' || c == '?' || c == '#' || c == '%' || c <= ' ' || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic '", t, "' must not contain '/', '?', '#', '%' or whitespace"));
    }
  }
  return t;
}

RuntimeRequest PublishRequest(const HttpClientOptions& options, const std::string& topic,
                              cloudevents::HttpMessage message) {
  RuntimeRequest request;
  request.code = ph::RequestCode::kUnknown;
  request.path = absl::StrCat(ph::uri::kPublish, topic);
  AddIdentityHeaders(options, &request.headers);
  if (!options.producer_group.empty()) {
    request.headers.emplace_back(hk::kProducerGroup, options.producer_group);
  }
  for (auto& header : message.headers) request.headers.push_back(std::move(header));
  request.body = std::move(message.body);
  return request;
}

}  // namespace

std::string RandomDigits(int count) {
  thread_local absl::BitGen gen;
  std::string out(static_cast<size_t>(count), '0');
  for (char& c : out) c = static_cast<char>('0' + absl::Uniform(gen, 0, 10));
  return out;
}

absl::StatusOr<RuntimeRequest> BuildSendMessageRequest(const HttpClientOptions& options,
                                                       ph::RequestCode code,
                                                       const Message& message) {
  if (message.topic.empty()) return absl::InvalidArgumentError("message topic is required");
  if (code != ph::RequestCode::kMsgSendAsync && code != ph::RequestCode::kMsgSendSync) {
    return absl::InvalidArgumentError(
        absl::StrCat("request code ", ph::RequestCodeValue(code), " is no send code"));
  }
  if (auto s = RequireProducerGroup(options); !s.ok()) return s;
  if (code == ph::RequestCode::kMsgSendSync && message.ttl_ms <= 0) {
    return absl::InvalidArgumentError("request ttl must be positive");
  }
  ph::SendMessageRequestBody body;
  body.topic = message.topic;
  body.content = message.content;
  body.biz_seq_no = message.biz_seq_no.empty() ? RandomDigits() : message.biz_seq_no;
  body.unique_id = message.unique_id.empty() ? RandomDigits() : message.unique_id;
  body.producer_group = options.producer_group;
  body.ttl_ms = message.ttl_ms > 0 ? message.ttl_ms : ph::kDefaultMessageTtlMs;
  body.tag = message.tag;
  body.ext_fields = ph::StringMap(message.properties.begin(), message.properties.end());
  RuntimeRequest request = CodeRequest(options, code, body.ToForm());
  AddProtocolHeaders(&request, kProtocolTypeEventMesh, ph::kProtocolVersion1);
  return request;
}

absl::StatusOr<RuntimeRequest> BuildSendCloudEventRequest(const HttpClientOptions& options,
                                                          ph::RequestCode code,
                                                          const CloudEvent& event, int64_t ttl_ms) {
  if (!event.subject().has_value() || event.subject()->empty()) {
    return absl::InvalidArgumentError("CloudEvent subject (the topic) is required");
  }
  if (auto s = event.Validate(); !s.ok()) return s;
  if (auto s = RequireProducerGroup(options); !s.ok()) return s;
  if (code == ph::RequestCode::kMsgSendSync && ttl_ms <= 0) {
    return absl::InvalidArgumentError("request ttl must be positive");
  }
  ph::SendMessageRequestBody body;
  body.topic = *event.subject();
  body.content = cloudevents::SerializeJsonEvent(event);
  body.biz_seq_no = event.id();
  const std::string* unique_id = event.FindExtension("uniqueid");
  body.unique_id = unique_id != nullptr ? *unique_id : RandomDigits();
  body.producer_group = options.producer_group;
  body.ttl_ms = ttl_ms > 0 ? ttl_ms : ph::kDefaultMessageTtlMs;
  RuntimeRequest request = CodeRequest(options, code, body.ToForm());
  AddProtocolHeaders(&request, kProtocolTypeCloudEvents, event.spec_version());
  return request;
}

absl::StatusOr<RuntimeRequest> BuildBatchRequest(const HttpClientOptions& options,
                                                 const std::vector<Message>& messages,
                                                 const std::string& batch_id) {
  if (messages.empty()) return absl::InvalidArgumentError("batch is empty");
  if (auto s = RequireProducerGroup(options); !s.ok()) return s;
  ph::BatchSendRequestBody body;
  body.batch_id = batch_id.empty() ? RandomDigits() : batch_id;
  body.producer_group = options.producer_group;
  for (size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    if (m.topic.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("message [", i, "]: topic is required"));
    }
    ph::BatchMessageItem item;
    item.biz_seq_no = m.biz_seq_no.empty() ? RandomDigits() : m.biz_seq_no;
    item.topic = m.topic;
    item.msg = m.content;
    item.tag = m.tag;
    if (m.ttl_ms > 0) item.ttl_ms = m.ttl_ms;
    body.contents.push_back(std::move(item));
  }
  RuntimeRequest request = CodeRequest(options, ph::RequestCode::kMsgBatchSend, body.ToForm());
  AddProtocolHeaders(&request, kProtocolTypeEventMesh, ph::kProtocolVersion1);
  return request;
}

absl::StatusOr<RuntimeRequest> BuildBatchV2Request(const HttpClientOptions& options,
                                                   const Message& message) {
  if (message.topic.empty()) return absl::InvalidArgumentError("message topic is required");
  if (auto s = RequireProducerGroup(options); !s.ok()) return s;
  ph::BatchSendV2RequestBody body;
  body.biz_seq_no = message.biz_seq_no.empty() ? RandomDigits() : message.biz_seq_no;
  body.topic = message.topic;
  body.msg = message.content;
  body.tag = message.tag;
  body.ttl_ms = message.ttl_ms > 0 ? message.ttl_ms : ph::kDefaultMessageTtlMs;
  body.producer_group = options.producer_group;
  RuntimeRequest request = CodeRequest(options, ph::RequestCode::kMsgBatchSendV2, body.ToForm());
  AddProtocolHeaders(&request, kProtocolTypeEventMesh, ph::kProtocolVersion1);
  return request;
}

absl::StatusOr<RuntimeRequest> BuildCloudEventPublishRequest(const HttpClientOptions& options,
                                                             const CloudEvent& event,
                                                             CloudEventMode mode,
                                                             const std::string& topic) {
  auto t = PublishTopic(topic, &event);
  if (!t.ok()) return t.status();
  if (auto s = event.Validate(); !s.ok()) return s;
  return PublishRequest(options, *t,
                        mode == CloudEventMode::kBinary ? cloudevents::ToBinaryHttp(event)
                                                        : cloudevents::ToStructuredHttp(event));
}

absl::StatusOr<RuntimeRequest> BuildCloudEventBatchRequest(const HttpClientOptions& options,
                                                           const std::vector<CloudEvent>& events,
                                                           const std::string& topic) {
  if (events.empty()) return absl::InvalidArgumentError("batch is empty");
  auto t = PublishTopic(topic, &events.front());
  if (!t.ok()) return t.status();
  for (size_t i = 0; i < events.size(); ++i) {
    if (auto s = events[i].Validate(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", s.message()));
    }
  }
  return PublishRequest(options, *t, cloudevents::ToBatchHttp(events));
}

absl::StatusOr<RuntimeRequest> BuildSubscribeRequest(const HttpClientOptions& options,
                                                     const std::string& url,
                                                     const std::vector<SubscriptionItem>& topics,
                                                     PushFormat format) {
  if (url.empty()) return absl::InvalidArgumentError("webhook url is required");
  if (topics.empty()) return absl::InvalidArgumentError("at least one topic is required");
  if (options.consumer_group.empty()) {
    return absl::InvalidArgumentError("consumer_group is required");
  }
  ph::SubscribeRequestBody body;
  for (const SubscriptionItem& item : topics) body.topics.push_back(ToProtocolSubscription(item));
  body.url = url;
  body.consumer_group = options.consumer_group;
  ph::FormFields form = body.ToForm();
  if (format == PushFormat::kCloudEventsBinary)
    form.emplace_back("pushformat", "cloudevents-binary");
  if (format == PushFormat::kCloudEventsStructured) {
    form.emplace_back("pushformat", "cloudevents-structured");
  }
  if (format == PushFormat::kCloudEventsBatch) form.emplace_back("pushformat", "cloudevents-batch");
  return CodeRequest(options, ph::RequestCode::kSubscribe, form);
}

absl::StatusOr<RuntimeRequest> BuildUnsubscribeRequest(const HttpClientOptions& options,
                                                       const std::string& url,
                                                       const std::vector<std::string>& topics) {
  if (url.empty()) return absl::InvalidArgumentError("webhook url is required");
  if (topics.empty()) return absl::InvalidArgumentError("at least one topic is required");
  if (options.consumer_group.empty()) {
    return absl::InvalidArgumentError("consumer_group is required");
  }
  ph::UnsubscribeRequestBody body;
  body.topics = topics;
  body.url = url;
  body.consumer_group = options.consumer_group;
  return CodeRequest(options, ph::RequestCode::kUnsubscribe, body.ToForm());
}

absl::StatusOr<RuntimeRequest> BuildHeartbeatRequest(const HttpClientOptions& options,
                                                     const std::string& url,
                                                     const std::vector<std::string>& topics) {
  if (url.empty()) return absl::InvalidArgumentError("webhook url is required");
  if (topics.empty()) return absl::InvalidArgumentError("at least one topic is required");
  if (options.consumer_group.empty()) {
    return absl::InvalidArgumentError("consumer_group is required");
  }
  ph::HeartbeatRequestBody body;
  body.client_type = ph::ClientType::kSub;
  body.consumer_group = options.consumer_group;
  for (const std::string& topic : topics) {
    ph::HeartbeatEntity entity;
    entity.topic = topic;
    entity.url = url;
    entity.service_id = options.sys;
    entity.instance_id = absl::StrCat(options.ip, "-", options.EffectivePid());
    body.entities.push_back(std::move(entity));
  }
  return CodeRequest(options, ph::RequestCode::kHeartbeat, body.ToForm());
}

absl::StatusOr<RuntimeRequest> BuildReplyRequest(const HttpClientOptions& options,
                                                 const ph::ReplyMessageRequestBody& body) {
  if (body.orig_topic.empty()) return absl::InvalidArgumentError("reply origtopic is required");
  if (body.biz_seq_no.empty()) return absl::InvalidArgumentError("reply bizseqno is required");
  if (body.unique_id.empty()) return absl::InvalidArgumentError("reply uniqueid is required");
  ph::ReplyMessageRequestBody b = body;
  if (b.producer_group.empty()) b.producer_group = options.producer_group;
  if (b.producer_group.empty()) return absl::InvalidArgumentError("producer_group is required");
  RuntimeRequest request = CodeRequest(options, ph::RequestCode::kReplyMessage, b.ToForm());
  AddProtocolHeaders(&request, kProtocolTypeEventMesh, ph::kProtocolVersion1);
  return request;
}

absl::StatusCode RetCodeToStatusCode(int64_t ret_code) {
  switch (ret_code) {
    case 0:
      return absl::StatusCode::kOk;
    case 1:
    case 10:
    case 12:
    case 23:
      return absl::StatusCode::kResourceExhausted;
    case 2:
    case 6:
    case 7:
    case 8:
    case 13:
      return absl::StatusCode::kInvalidArgument;
    case 4:
      return absl::StatusCode::kDeadlineExceeded;
    case 3:
    case 9:
    case 11:
    case 14:
    case 15:
      return absl::StatusCode::kUnavailable;
    case 19:
    case 20:
    case 21:
    case 24:
      return absl::StatusCode::kFailedPrecondition;
    case 22:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusOr<std::string> StatusFromRuntimeResponse(int http_status, absl::string_view body) {
  auto parsed = ph::ParseResponseJson(body);
  auto with_code = [&](absl::Status status) {
    if (parsed.ok())
      status.SetPayload(kRetCodePayloadUrl, absl::Cord(absl::StrCat(parsed->ret_code)));
    return status;
  };
  if (parsed.ok() && parsed->ret_code != 0) {
    std::string message = parsed->ret_msg;
    if (message.empty()) {
      auto known = ph::EventMeshRetCodeFromInt(parsed->ret_code);
      message = absl::StrCat("retCode ", parsed->ret_code, " (",
                             known.has_value() ? ph::RetCodeName(*known) : "unknown", ")");
    }
    return with_code(absl::Status(RetCodeToStatusCode(parsed->ret_code), message));
  }
  if (http_status != 200) {
    const std::string detail = parsed.ok() ? parsed->ret_msg : std::string(body.substr(0, 512));
    const std::string message = absl::StrCat("runtime answered HTTP ", http_status, ": ", detail);
    absl::StatusCode code = absl::StatusCode::kInternal;
    if (http_status == 503) code = absl::StatusCode::kUnavailable;
    if (http_status == 400) code = absl::StatusCode::kInvalidArgument;
    if (http_status == 429) code = absl::StatusCode::kResourceExhausted;
    if (http_status == 403 || http_status == 401) code = absl::StatusCode::kPermissionDenied;
    return with_code(absl::Status(code, message));
  }
  if (!parsed.ok()) {
    return absl::InternalError(
        absl::StrCat("malformed runtime response: ", parsed.status().message()));
  }
  return std::move(parsed->ret_msg);
}

absl::StatusOr<Message> ParseReplyMessage(absl::string_view ret_msg) {
  auto message = protocol::tcp::EventMeshMessage::FromJson(ret_msg);
  if (!message.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed reply message: ", message.status().message()));
  }
  return FromProtocolMessage(*std::move(message));
}

ph::SubscriptionItem ToProtocolSubscription(const SubscriptionItem& item) {
  ph::SubscriptionItem out;
  out.topic = item.topic;
  out.mode = item.mode == SubscriptionMode::kBroadcasting ? ph::SubscriptionMode::kBroadcasting
                                                          : ph::SubscriptionMode::kClustering;
  out.type = item.type == SubscriptionType::kSync ? ph::SubscriptionType::kSync
                                                  : ph::SubscriptionType::kAsync;
  return out;
}

absl::StatusOr<ph::ReplyMessageRequestBody> BuildReplyBody(const ReceivedEvent& request,
                                                           const Message& reply) {
  ph::ReplyMessageRequestBody body;
  body.orig_topic = request.topic();
  if (const Message* m = request.message()) {
    body.biz_seq_no = m->biz_seq_no;
    body.unique_id = m->unique_id;
    body.ext_fields = ph::StringMap(m->properties.begin(), m->properties.end());
  } else if (const CloudEvent* e = request.cloud_event()) {
    for (const auto& [name, value] : e->extensions()) body.ext_fields[name] = value.text;
  }
  // A request that does not carry them as fields may carry them as properties/extensions
  // (a TCP request from an HTTP requester: "bizseqno" / "uniqueid").
  if (body.biz_seq_no.empty()) {
    if (const std::string* v = request.property(kBizSeqNoProperty)) body.biz_seq_no = *v;
  }
  if (body.unique_id.empty()) {
    if (const std::string* v = request.property(kUniqueIdProperty)) body.unique_id = *v;
  }
  if (const CloudEvent* e = request.cloud_event()) {
    if (body.biz_seq_no.empty()) body.biz_seq_no = e->id();
    if (body.unique_id.empty()) body.unique_id = e->id();
  }
  if (body.unique_id.empty()) body.unique_id = body.biz_seq_no;
  body.content = reply.content;
  for (const auto& [key, value] : reply.properties) body.ext_fields[key] = value;
  return body;
}

}  // namespace eventmesh::sdk::http
