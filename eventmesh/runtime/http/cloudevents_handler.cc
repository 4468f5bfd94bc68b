#include "eventmesh/runtime/http/cloudevents_handler.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/runtime/http/publisher.h"

namespace eventmesh::runtime::http {

using protocol::http::EventMeshRetCode;

std::function<void(absl::Status)> UriPublishAnswer(const HttpServices* services,
                                                   const HttpRequest& request, Responder respond) {
  return
      [services, meta = ResponseMeta(request), respond = std::move(respond)](absl::Status status) {
        HttpResponse response;
        if (status.ok()) {
          response = RetCodeResponse(*services, meta, 200, EventMeshRetCode::kSuccess, "success",
                                     {"uri", meta.path});
        } else {
          const HttpRefusal refusal = RefusalFor(status, EventMeshRetCode::kSendAsyncMsgErr);
          response = RetCodeResponse(*services, meta, refusal.http_status, refusal.ret_code,
                                     refusal.ret_msg, {"uri", meta.path});
        }
        response.content_type = "application/json";
        respond(std::move(response));
      };
}

bool CloudEventsHandler::IsCloudEventsRequest(const HttpRequest& request) {
  return cloudevents::DetectContentMode(request.raw_headers) != cloudevents::ContentMode::kNone;
}

void CloudEventsHandler::Handle(const HttpRequest& request, const std::string& path_topic,
                                Responder respond) {
  const HttpServices& services = *services_;
  auto answer = [&services, &request, &respond](int http_status, EventMeshRetCode code,
                                                absl::string_view msg) {
    HttpResponse response =
        RetCodeResponse(services, request, http_status, code, msg, {"uri", request.path});
    response.content_type = "application/json";
    respond(std::move(response));
  };
  auto events = cloudevents::FromHttp(request.raw_headers, request.body);
  if (!events.ok()) {
    if (events.status().code() == absl::StatusCode::kOutOfRange) {  // a format limit
      return answer(413, EventMeshRetCode::kProtocolBodySizeErr, events.status().message());
    }
    return answer(400, EventMeshRetCode::kProtocolBodyErr, events.status().message());
  }
  if (events->empty()) {
    return answer(400, EventMeshRetCode::kProtocolBodyErr, "the batch contains no events");
  }
  auto user = Authenticate(services, request);
  if (!user.ok()) return answer(403, EventMeshRetCode::kAclErr, user.status().message());
  for (size_t i = 0; i < events->size(); ++i) {
    cloudevents::CloudEvent& event = (*events)[i];
    if (!path_topic.empty()) event.set_subject(path_topic);
    if (!event.subject().has_value() || event.subject()->empty()) {
      return answer(400, EventMeshRetCode::kProtocolBodyErr,
                    absl::StrCat("CloudEvent '", event.id(),
                                 "' has no subject (the topic to publish to): set the subject "
                                 "or post to /eventmesh/publish/{topic}"));
    }
    auto add = [&event](const char* name, const std::string& value) {
      if (event.FindExtension(name) == nullptr) event.SetExtension(name, value);
    };
    add("protocoltype", "cloudevents");
    add("protocolversion", event.spec_version());
    add("protocoldesc", "http");
  }
  PublishEvents(services, *user, *std::move(events), UriPublishAnswer(services_, request, respond));
}

}  // namespace eventmesh::runtime::http
