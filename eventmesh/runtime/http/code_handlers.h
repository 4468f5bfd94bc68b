#ifndef EVENTMESH_RUNTIME_HTTP_CODE_HANDLERS_H_
#define EVENTMESH_RUNTIME_HTTP_CODE_HANDLERS_H_

// The code-based HTTP protocol (reference 2.1-2.5): dispatch on the request code (header `code`,
// or query parameter `code`), validation of the protocol header (RequestHeader) and of the typed
// body (form fields or JSON), ACL, rate limit, and the processors
//   101 send sync (request-reply through core::RequestReplyService, waits up to `ttl` ms, also
//       for a responder on another runtime sharing the store),
//   102 batch send, 104 send async, 107 batch send v2 (answered once the events are durable),
//   203 heartbeat, 206 subscribe, 207 unsubscribe (through webhook::WebhookService),
//   301 reply (answers a pending 101 or TCP REQUEST_TO_SERVER by its rrcorrelationid, on this
//       runtime or, through the store, on the requester's).
// Publishing and request-reply go through the core services; their refusals are answered as
// RefusalFor (publisher.h) says.
// Answers: HTTP 200 with {retCode, retMsg, resTime} and the header `code`; an unknown code or a
// bad `version` header is HTTP 400 (retCode 2 / 6).
// Thread-safe. Handle() returns at once; the Responder runs later on any thread.

#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/runtime/http/handler_context.h"

namespace eventmesh::runtime::http {

class CodeHandlers {
 public:
  // `services` must outlive the handlers.
  explicit CodeHandlers(const HttpServices* services) : services_(services) {}

  // `code_text`: the value of the `code` header or query parameter.
  void Handle(HttpRequest request, absl::string_view code_text, Responder respond);

  // Cancels every 101 request still waiting for its reply (shutdown); each is answered with
  // retCode SEND_SYNC_MSG_ERR if its connection is still there. Called once the connections
  // are closed.
  void CancelPendingRequests();

 private:
  struct Call;
  void SendAsync(Call& call);
  void SendSync(Call& call);
  void BatchSend(Call& call);
  void BatchSendV2(Call& call);
  void Heartbeat(Call& call);
  void Subscribe(Call& call);
  void Unsubscribe(Call& call);
  void Reply(Call& call);
  // Publishes `event` through the publish service; answers success or the refusal/failure
  // (`error_code` for a failure) once the event is stored.
  void PublishOne(Call& call, cloudevents::CloudEvent event,
                  protocol::http::EventMeshRetCode error_code);

  const HttpServices* const services_;
};

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_CODE_HANDLERS_H_
