#include "eventmesh/runtime/http/uri_handlers.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/runtime/http/event_mapping.h"
#include "eventmesh/runtime/http/publisher.h"
#include "eventmesh/runtime/http/webhook_mapping.h"

namespace eventmesh::runtime::http {
namespace {

using protocol::http::BodyFields;
using protocol::http::EventMeshRetCode;
using protocol::http::UriEndpoint;

// data of an event published as protocoltype "http".
// Request headers that carry credentials: never copied into a stored event.
bool IsCredentialHeader(absl::string_view name) {
  for (absl::string_view secret :
       {"passwd", "password", "authorization", "proxy-authorization", "cookie", "token"}) {
    if (absl::EqualsIgnoreCase(name, secret)) return true;
  }
  return false;
}

std::string HttpEnvelopeJson(const HttpRequest& request) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "headers");
  w.StartObject();
  request.headers.ForEach([&w](const std::string& name, const std::string& value) {
    if (IsCredentialHeader(name)) return;
    json::WriteKey(w, name);
    json::WriteString(w, value);
  });
  w.EndObject();
  json::WriteKey(w, "body");
  json::WriteString(w, request.body);
  json::WriteKey(w, "path");
  json::WriteString(w, request.path);
  json::WriteKey(w, "method");
  json::WriteString(w, request.method_name);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void UriHandlers::Handle(HttpRequest request, UriEndpoint endpoint, Responder respond) {
  const HttpServices& services = *services_;
  auto answer = [&services, &request, &respond](int http_status, int ret_code,
                                                absl::string_view msg) {
    HttpResponse response =
        RetCodeResponse(services, request, http_status, ret_code, msg, {"uri", request.path});
    response.content_type = "application/json";
    respond(std::move(response));
  };
  auto fail = [&answer](EventMeshRetCode code, const absl::Status& status) {
    answer(HttpStatusFor(status), protocol::http::RetCodeValue(code), status.message());
  };
  if (endpoint == UriEndpoint::kPublish) return Publish(request, respond);
  if (endpoint == UriEndpoint::kPublishBatch) {
    if (!CloudEventsHandler::IsCloudEventsRequest(request)) {
      return answer(400, protocol::http::RetCodeValue(EventMeshRetCode::kProtocolBodyErr),
                    "/eventmesh/publish/batch accepts CloudEvents only (Content-Type "
                    "application/cloudevents-batch+json or application/cloudevents+json, or "
                    "ce-* headers)");
    }
    return cloudevents_->Handle(request, "", std::move(respond));
  }
  if (endpoint == UriEndpoint::kBridgePublish || endpoint == UriEndpoint::kSubscribeRemote ||
      endpoint == UriEndpoint::kUnsubscribeRemote) {
    return answer(404, protocol::http::RetCodeValue(EventMeshRetCode::kRequestCodeInvalid),
                  absl::StrCat("endpoint ", request.path,
                               " is not served by this runtime (no mesh bridging)"));
  }
  const bool changes_state =
      endpoint == UriEndpoint::kSubscribeLocal || endpoint == UriEndpoint::kUnsubscribeLocal ||
      endpoint == UriEndpoint::kTopicCreate || endpoint == UriEndpoint::kTopicDelete;
  if (changes_state && request.method != Method::kPost) {
    HttpResponse response = RetCodeResponse(
        services, request, 405, protocol::http::RetCodeValue(EventMeshRetCode::kRequestCodeInvalid),
        absl::StrCat(request.path, " changes state: use POST"), {"uri", request.path});
    response.content_type = "application/json";
    response.headers.emplace_back("Allow", "POST");
    return respond(std::move(response));
  }
  auto body = request.method == Method::kGet
                  ? BodyFields::FromForm(request.query)
                  : BodyFields::Parse(request.headers.GetOr("content-type", ""), request.body);
  if (!body.ok()) return fail(EventMeshRetCode::kProtocolBodyErr, body.status());
  auto user = Authenticate(services, request);
  if (!user.ok()) return fail(EventMeshRetCode::kAclErr, user.status());
  switch (endpoint) {
    case UriEndpoint::kSubscribeLocal: {
      auto parsed = protocol::http::SubscribeRequestBody::Parse(*body);
      if (!parsed.ok()) return fail(EventMeshRetCode::kProtocolBodyErr, parsed.status());
      auto format = ParsePushFormat(*body);
      if (!format.ok()) return fail(EventMeshRetCode::kProtocolBodyErr, format.status());
      if (std::string denied = core::DeniedGroup(*user, parsed->consumer_group); !denied.empty()) {
        return answer(403, protocol::http::RetCodeValue(EventMeshRetCode::kAclErr), denied);
      }
      for (const auto& item : parsed->topics) {
        if (std::string denied = core::DeniedSubscribe(*user, item.topic); !denied.empty()) {
          return answer(403, protocol::http::RetCodeValue(EventMeshRetCode::kAclErr), denied);
        }
      }
      if (services.webhook == nullptr) {
        return answer(503, protocol::http::RetCodeValue(EventMeshRetCode::kSubscribeErr),
                      kWebhookDisabledMsg);
      }
      // Validation (name resolution, the handshake) runs off this HTTP worker.
      services.webhook->SubscribeAsync(
          ToSubscribeRequest(*parsed, *format,
                             IdentityFromHeaders(request.headers, request.peer_ip)),
          [services = &services, meta = ResponseMeta(request), path = request.path,
           respond = std::move(respond)](absl::Status status) {
            const int http_status = status.ok() ? 200 : HttpStatusFor(status);
            const int ret_code =
                status.ok() ? 0 : protocol::http::RetCodeValue(SubscribeFailureRetCode(status));
            HttpResponse response = RetCodeResponse(
                *services, meta, http_status, ret_code,
                status.ok() ? absl::string_view("success") : status.message(), {"uri", path});
            response.content_type = "application/json";
            respond(std::move(response));
          });
      return;
    }
    case UriEndpoint::kUnsubscribeLocal: {
      auto parsed = protocol::http::UnsubscribeRequestBody::Parse(*body);
      if (!parsed.ok()) return fail(EventMeshRetCode::kProtocolBodyErr, parsed.status());
      if (services.webhook == nullptr) {
        return answer(503, protocol::http::RetCodeValue(EventMeshRetCode::kUnsubscribeErr),
                      kWebhookDisabledMsg);
      }
      if (absl::Status owned =
              MayRemove(*user, services.webhook->List(), parsed->consumer_group, parsed->url);
          !owned.ok()) {
        return answer(403, protocol::http::RetCodeValue(EventMeshRetCode::kAclErr),
                      owned.message());
      }
      absl::Status status =
          services.webhook->Unsubscribe(parsed->consumer_group, parsed->url, parsed->topics);
      if (!status.ok()) return fail(EventMeshRetCode::kUnsubscribeErr, status);
      return answer(200, 0, "success");
    }
    case UriEndpoint::kTopicCreate:
    case UriEndpoint::kTopicDelete: {
      auto parsed = protocol::http::TopicRequestBody::Parse(*body);
      if (!parsed.ok()) return fail(EventMeshRetCode::kProtocolBodyErr, parsed.status());
      const bool create = endpoint == UriEndpoint::kTopicCreate;
      if (core::IsReservedTopic(parsed->topic)) {
        return answer(403, protocol::http::RetCodeValue(EventMeshRetCode::kAclErr),
                      absl::StrCat("topic \"", parsed->topic, "\" is reserved for the mesh"));
      }
      // With security on, creating or deleting a topic is an admin's right.
      if (*user != nullptr && !(*user)->admin) {
        return answer(403, protocol::http::RetCodeValue(EventMeshRetCode::kAclErr),
                      absl::StrCat("aclFail: user \"", (*user)->username, "\" may not ",
                                   create ? "create" : "delete",
                                   " topics (needs \"admin\": true in the credentials file)"));
      }
      absl::Status status =
          create
              ? services.connector->CreateTopic(
                    parsed->topic, static_cast<int32_t>(services.config->topic_default_partitions))
              : services.connector->DeleteTopic(parsed->topic);
      if (!status.ok()) {
        return fail(EventMeshRetCode::kOperateFail,
                    absl::Status(status.code(), absl::StrCat("topic \"", parsed->topic,
                                                             "\": ", status.message())));
      }
      return answer(200, 0, "success");
    }
    case UriEndpoint::kSubscriptionQuery: {
      if (services.webhook == nullptr) {
        return answer(503, protocol::http::RetCodeValue(EventMeshRetCode::kSubscribeErr),
                      kWebhookDisabledMsg);
      }
      return answer(200, 0, SubscriptionsJson(VisibleTo(*user, services.webhook->List())));
    }
    default:
      return answer(404, protocol::http::RetCodeValue(EventMeshRetCode::kRequestCodeInvalid),
                    absl::StrCat("endpoint ", request.path, " is not served"));
  }
}

void UriHandlers::Publish(HttpRequest& request, Responder& respond) {
  std::string topic = protocol::http::PublishTopicFromPath(request.path);
  if (CloudEventsHandler::IsCloudEventsRequest(request)) {
    return cloudevents_->Handle(request, topic, std::move(respond));
  }
  const HttpServices& services = *services_;
  auto answer = [&services, &request, &respond](int http_status, EventMeshRetCode code,
                                                absl::string_view msg) {
    HttpResponse response =
        RetCodeResponse(services, request, http_status, code, msg, {"uri", request.path});
    response.content_type = "application/json";
    respond(std::move(response));
  };
  namespace key = protocol::http::header_key;
  if (topic.empty()) topic = request.headers.GetOr(key::kSubject, "");
  if (topic.empty()) {
    return answer(400, EventMeshRetCode::kProtocolBodyErr,
                  "missing topic: post to /eventmesh/publish/{topic} or set header 'subject'");
  }
  auto user = Authenticate(services, request);
  if (!user.ok()) return answer(403, EventMeshRetCode::kAclErr, user.status().message());
  cloudevents::CloudEvent event;
  event.set_id(request.headers.GetOr(key::kBizSeqNo, ""));
  if (event.id().empty()) event.set_id(NewEventId());
  event.set_source(request.headers.GetOr(key::kSource, "/"));
  event.set_type(request.headers.GetOr(key::kType, "http_request"));
  event.set_subject(topic);
  event.set_data_content_type(request.headers.GetOr(key::kDataContentType, "application/json"));
  event.set_data(HttpEnvelopeJson(request), cloudevents::DataEncoding::kJson);
  event.SetExtension("protocoldesc", "http");
  // (Not the token header: a credential is never stored with an event; IsCredentialHeader.)
  for (auto name : {key::kUniqueId, key::kProducerGroup, key::kTtl}) {
    std::string value = request.headers.GetOr(name, "");
    if (!value.empty()) event.SetExtension(std::string(name), value);
  }
  if (absl::Status valid = event.Validate(); !valid.ok()) {
    return answer(400, EventMeshRetCode::kProtocolBodyErr, valid.message());
  }
  std::vector<cloudevents::CloudEvent> events;
  events.push_back(std::move(event));
  PublishEvents(services, *user, std::move(events), UriPublishAnswer(services_, request, respond));
}

}  // namespace eventmesh::runtime::http
