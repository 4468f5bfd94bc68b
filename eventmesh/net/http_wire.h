#ifndef EVENTMESH_NET_HTTP_WIRE_H_
#define EVENTMESH_NET_HTTP_WIRE_H_

// HTTP/1.1 message bytes written in one pass into one string, for a single socket write: the
// outbound requests of HttpClient and HttpPipeline here, the runtime's answers
// (runtime/http/response_wire.h). The layout is the one Boost.Beast's serializer produces for
// the same message (the tests compare them), without its buffer-sequence machinery, except that
// CR and LF inside a header name or value are written as spaces, so no value can start a header
// or a message of its own.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace eventmesh::net {

// Appends "<name>: <value>\r\n" (CR and LF in either written as spaces).
void AppendHttpField(absl::string_view name, absl::string_view value, std::string* out);

// Appends `value` in decimal.
void AppendDecimal(uint64_t value, std::string* out);

// Replaces *out with a request: "<method> <target> HTTP/1.1", Host, User-Agent (`user_agent`
// unless `headers` has one), `headers` in order (duplicates kept; Host, Content-Length,
// Transfer-Encoding and Connection are the serializer's and skipped), Content-Length when the
// body is not empty or
// the method is POST or PUT, then the body. The connection stays open (no Connection header:
// HTTP/1.1 keeps it alive).
void SerializeRequest(absl::string_view method, absl::string_view target, absl::string_view host,
                      absl::string_view user_agent,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      absl::string_view body, std::string* out);

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_HTTP_WIRE_H_
