#ifndef EVENTMESH_RUNTIME_HTTP_RESPONSE_WIRE_H_
#define EVENTMESH_RUNTIME_HTTP_RESPONSE_WIRE_H_

// The bytes of one HTTP/1.1 answer, written in one pass into one string (one socket write).
//
// The layout is the one Boost.Beast's serializer produces for the same response (the test
// compares them): status line with the standard reason phrase, Content-Type, the response's
// headers in order (a later header replaces an earlier one of the same name, ignoring case;
// a "Content-Type" header replaces the content type), "Connection: close" when the connection
// closes after it, Content-Length. Where it differs from Beast: 1xx, 204 and 304 answers carry
// neither a body nor a Content-Length (RFC 9110 8.6; Beast writes "Content-Length: 0"), and CR
// and LF inside a header name or value are written as spaces, so no value can start a header
// or a response of its own.

#include <string>

#include "eventmesh/runtime/http/handler_context.h"

namespace eventmesh::runtime::http {

// Replaces *out with the serialized `response`. `head_request`: the answer to a HEAD request,
// written without its body (RFC 9110 9.3.2; the Content-Length still says how long it is), so
// the client does not read the body as the start of the next answer.
void SerializeResponse(const HttpResponse& response, bool keep_alive, bool head_request,
                       std::string* out);

}  // namespace eventmesh::runtime::http

#endif  // EVENTMESH_RUNTIME_HTTP_RESPONSE_WIRE_H_
