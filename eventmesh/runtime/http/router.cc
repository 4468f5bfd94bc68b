#include "eventmesh/runtime/http/router.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/http/response.h"
#include "eventmesh/protocol/http/url_encoding.h"

namespace eventmesh::runtime::http {

using protocol::http::EventMeshRetCode;

void Router::Handle(HttpRequest request, Responder respond) {
  if (request.method == Method::kOther) {
    HttpResponse response = RetCodeResponse(
        *services_, request, 405, EventMeshRetCode::kRequestCodeInvalid,
        absl::StrCat("method ", request.method_name, " is not allowed (only GET and POST)"));
    response.headers.emplace_back("Allow", "GET, POST");
    return respond(std::move(response));
  }
  if (auto endpoint = protocol::http::MatchUriEndpoint(request.path); endpoint.has_value()) {
    return uri_.Handle(std::move(request), *endpoint, std::move(respond));
  }
  std::optional<std::string> code;
  if (auto header = request.headers.Get(protocol::http::header_key::kCode); header.has_value()) {
    code = std::string(*header);
  } else if (request.method == Method::kGet && !request.query.empty()) {
    auto form = protocol::http::Form::Parse(request.query);
    if (form.ok()) {
      if (auto value = form->Get("code"); value.has_value()) code = std::string(*value);
    }
  }
  if (code.has_value()) return code_.Handle(std::move(request), *code, std::move(respond));
  if (CloudEventsHandler::IsCloudEventsRequest(request)) {
    return cloudevents_.Handle(request, "", std::move(respond));
  }
  respond(RetCodeResponse(
      *services_, request, 400, EventMeshRetCode::kRequestCodeInvalid,
      protocol::http::FormatRetMsg(
          EventMeshRetCode::kRequestCodeInvalid,
          "missing request code: send header 'code' (GET: query parameter 'code'), post to a "
          "/eventmesh/... endpoint, or send a CloudEvent")));
}

}  // namespace eventmesh::runtime::http
