#ifndef EVENTMESH_RUNTIME_HTTP_ROUTER_H_
#define EVENTMESH_RUNTIME_HTTP_ROUTER_H_

// Sends each request to its handler (reference 2.1): only GET and POST are served (405
// otherwise); a path starting with a URI endpoint goes to UriHandlers; otherwise a request with
// a `code` header (or, for GET, query parameter) goes to the code-based protocol; otherwise a
// CloudEvents request (ce-* headers or a cloudevents Content-Type) is published to its subject;
// anything else is HTTP 400 with retCode 2.
// Thread-safe; owns the handlers.

#include "eventmesh/runtime/http/cloudevents_handler.h"
#include "eventmesh/runtime/http/code_handlers.h"
#include "eventmesh/runtime/http/handler_context.h"
#include "eventmesh/runtime/http/uri_handlers.h"

namespace eventmesh::runtime::http {

class Router {
 public:
  // `services` must outlive the router.
  explicit Router(const HttpServices* services)
      : services_(services),
        code_(services),
        cloudevents_(services),
        uri_(services, &cloudevents_) {}

  void Handle(HttpRequest request, Responder respond);
  CodeHandlers& code_handlers() { return code_; }
  const HttpServices& services() const { return *services_; }

 private:
  const HttpServices* const services_;
  CodeHandlers code_;
  CloudEventsHandler cloudevents_;
  UriHandlers uri_;
};

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_ROUTER_H_
