#ifndef EVENTMESH_RUNTIME_HTTP_URI_HANDLERS_H_
#define EVENTMESH_RUNTIME_HTTP_URI_HANDLERS_H_

// The URI endpoints (reference 2.7): /eventmesh/publish/{topic} (CloudEvents binding, or any
// other body published as protocoltype "http": data = {"headers","body","path","method"}),
// /eventmesh/publish/batch (CloudEvents batch), /eventmesh/subscribe/local,
// /eventmesh/unsubscribe/local (WebhookService), /eventmesh/topic/create, /eventmesh/topic/delete
// (connector admin), /eventmesh/subscrition/query and /eventmesh/subscription/query
// (WebhookService::List; retMsg = JSON array). The bridge/remote endpoints are answered 404.
// Bodies: JSON when Content-Type contains application/json, else form fields (GET: the query).
// Answers {retCode, retMsg, resTime} (application/json) with header `uri`; bad input 400,
// ACL 403, other failures by status (see HttpStatusFor in publisher.h).
// Thread-safe.

#include "eventmesh/protocol/http/response.h"
#include "eventmesh/runtime/http/cloudevents_handler.h"
#include "eventmesh/runtime/http/handler_context.h"

namespace eventmesh::runtime::http {

class UriHandlers {
 public:
  // Both must outlive the handlers.
  UriHandlers(const HttpServices* services, CloudEventsHandler* cloudevents)
      : services_(services), cloudevents_(cloudevents) {}

  void Handle(HttpRequest request, protocol::http::UriEndpoint endpoint, Responder respond);

 private:
  void Publish(HttpRequest& request, Responder& respond);

  const HttpServices* const services_;
  CloudEventsHandler* const cloudevents_;
};

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_URI_HANDLERS_H_
