#ifndef EVENTMESH_RUNTIME_HTTP_CLOUDEVENTS_HANDLER_H_
#define EVENTMESH_RUNTIME_HTTP_CLOUDEVENTS_HANDLER_H_

// Publishing with the CloudEvents HTTP binding: binary mode (ce-* headers), structured
// (application/cloudevents+json) and batched (application/cloudevents-batch+json). The topic is
// the path topic of /eventmesh/publish/{topic} (it replaces the event's subject) or else each
// event's subject. Events get the extensions protocoltype=cloudevents, protocolversion,
// protocoldesc=http unless they carry them, so TCP subscribers receive them as CloudEvents.
// Answers {retCode, retMsg, resTime}: 200/0 once every event is durable; 400/7 with the
// parser's or Validate()'s exact message for an invalid event or a missing topic; 403/22 ACL;
// 429/23 rate limit; 404, 503 or 500 with retCode 15 when publishing failed.
// Thread-safe.

#include <functional>
#include <string>

#include "eventmesh/runtime/http/handler_context.h"

namespace eventmesh::runtime::http {

class CloudEventsHandler {
 public:
  // `services` must outlive the handler.
  explicit CloudEventsHandler(const HttpServices* services) : services_(services) {}

  // True when the request uses a CloudEvents content mode.
  static bool IsCloudEventsRequest(const HttpRequest& request);

  // `path_topic`: the topic from the path, empty to use each event's subject.
  void Handle(const HttpRequest& request, const std::string& path_topic, Responder respond);

 private:
  const HttpServices* const services_;
};

// The completion of a URI-endpoint publish: 200 {retCode 0, "success"} or the status's HTTP code
// with retCode 15 (send async error), header `uri`, JSON content type, sent through `respond`.
std::function<void(absl::Status)> UriPublishAnswer(const HttpServices* services,
                                                   const HttpRequest& request, Responder respond);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_CLOUDEVENTS_HANDLER_H_
