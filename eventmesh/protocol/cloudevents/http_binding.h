#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_HTTP_BINDING_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_HTTP_BINDING_H_

// CloudEvents HTTP protocol binding: binary content mode (attributes in ce-* headers,
// data in the body), plus structured and batched mode through json_format.
//
// Binary mode mapping (ToBinaryHttp / FromBinaryHttp):
//   every attribute except datacontenttype  <-> header "ce-<name>" (0.3: ce-schemaurl)
//   datacontenttype                         <-> Content-Type
//   data bytes                              <-> body
// Header values are percent-encoded on output (space, '"', '%' and every byte outside
// printable ASCII 0x21-0x7E, upper-case hex) and on input first unquoted (RFC 7230
// quoted-string with backslash escapes), then percent-decoded once; the decoded value
// must be valid UTF-8 (overlong forms, surrogates and malformed sequences are rejected).
//
// Body -> data (FromBinaryHttp), this package's decision for opaque HTTP bodies:
//   empty body                                  -> no data (kNone)
//   Content-Type declares JSON (*/json, *+json) -> kJson (the body must be valid JSON)
//   Content-Type text/* and the body is UTF-8   -> kText
//   anything else, or no Content-Type           -> kBinary
// The body bytes are kept as they are (JSON bodies are not re-formatted). Extensions read
// from headers are Strings (HTTP carries no type information). kJson data without a
// datacontenttype is written with "Content-Type: application/json" (JSON format spec:
// the implied content type becomes explicit).
//
// Errors are InvalidArgument naming the header or rule, e.g.
//   "invalid percent-encoding in header 'ce-id'", "header 'ce-subject' is not valid
//   UTF-8 after percent-decoding", "duplicate header 'ce-id'", or Validate()'s message.
// All functions are thread-safe (no shared state).

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"

namespace eventmesh::cloudevents {

// One HTTP header (name as sent; lookups are case-insensitive).
using HttpHeader = std::pair<std::string, std::string>;

// An HTTP message owned by the caller (what ToBinaryHttp produces).
struct HttpMessage {
  std::vector<HttpHeader> headers;
  std::string body;
};

// A borrowed view of a received HTTP message; valid while the referenced data lives.
struct HttpMessageView {
  absl::Span<const HttpHeader> headers;
  absl::string_view body;
};

enum class ContentMode {
  kNone,        // not a CloudEvent
  kBinary,      // ce-specversion header present
  kStructured,  // Content-Type application/cloudevents(+format)
  kBatch,       // Content-Type application/cloudevents-batch+json
};

// Which content mode a received message uses; Content-Type wins over ce- headers.
ContentMode DetectContentMode(absl::Span<const HttpHeader> headers);

// The value of the first header named `name` (case-insensitive), or nullptr.
const std::string* FindHttpHeader(absl::Span<const HttpHeader> headers, absl::string_view name);

// Binary content mode. Does not validate `event` (call Validate() first if needed).
HttpMessage ToBinaryHttp(const CloudEvent& event);
// The same for an event viewed in its stored bytes (the same message, no CloudEvent built).
HttpMessage ToBinaryHttp(const ProtoEventView& event);

// Reads a binary-mode message and validates the event.
absl::StatusOr<CloudEvent> FromBinaryHttp(absl::Span<const HttpHeader> headers,
                                          absl::string_view body);
inline absl::StatusOr<CloudEvent> FromBinaryHttp(const HttpMessageView& message) {
  return FromBinaryHttp(message.headers, message.body);
}

// Structured content mode: Content-Type application/cloudevents+json, body = JSON event.
HttpMessage ToStructuredHttp(const CloudEvent& event);
// The same for an event viewed in its stored bytes (the same message, no CloudEvent built).
HttpMessage ToStructuredHttp(const ProtoEventView& event);
// Batched content mode: Content-Type application/cloudevents-batch+json.
HttpMessage ToBatchHttp(const std::vector<CloudEvent>& events);

// Reads the events of any content mode (one event for binary/structured, all for batch).
// InvalidArgument "not a CloudEvents HTTP message" for ContentMode::kNone, and
// "unsupported CloudEvents event format '<media type>'" for structured formats other
// than JSON.
absl::StatusOr<std::vector<CloudEvent>> FromHttp(absl::Span<const HttpHeader> headers,
                                                 absl::string_view body);

// Header value codec of the binding (exposed for tests and other bindings).
std::string PercentEncodeHeaderValue(absl::string_view value);
// Unquotes a quoted-string, percent-decodes and checks UTF-8. `header` names the header
// in error messages.
absl::StatusOr<std::string> DecodeHeaderValue(absl::string_view raw, absl::string_view header);

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_HTTP_BINDING_H_
