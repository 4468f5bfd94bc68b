#ifndef EVENTMESH_SDK_INTERNAL_HTTP_TYPES_H_
#define EVENTMESH_SDK_INTERNAL_HTTP_TYPES_H_

// The small value types of the SDK's HTTP side that its public headers (http/http_client.h,
// http/http_subscriber.h) bring with them: CloudEvents publish modes, webhook push formats, the
// push handler and its result, and RetCodeOf. No protocol types. Thread-safe (pure values).

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk::http {

// How a CloudEvent is POSTed to /eventmesh/publish/{topic}.
enum class CloudEventMode {
  kBinary,      // attributes in ce-* headers, data as the body
  kStructured,  // application/cloudevents+json
};

// How the runtime POSTs events to a webhook (body field `pushformat` of 206; a field of this
// runtime, ignored by Apache EventMesh's Java runtime, which always sends the form).
enum class PushFormat {
  kEventMeshForm,          // form push, header code 105/106 (the protocol's own); not sent
  kCloudEventsBinary,      // "cloudevents-binary"
  kCloudEventsStructured,  // "cloudevents-structured"
  // "cloudevents-batch": several events per POST (application/cloudevents-batch+json); the
  // endpoint's answer settles them all (the handler's worst result for the batch).
  kCloudEventsBatch,
};

// What the application's handler says about one pushed event.
enum class HandlerResult {
  kSuccess,  // consumed: the runtime commits it
  kRetry,    // not now: the runtime pushes it again later
  kFail,     // cannot be consumed: the runtime gives up on it
};

// Handles one event pushed to a webhook. The event's transport is kHttpForm or
// kHttpCloudEvents; form pushes of a SYNC subscription (code 106) have kind kRequest.
using PushHandler = std::function<HandlerResult(const ReceivedEvent&)>;

// Payload type URL under which statuses from the runtime carry its retCode.
inline constexpr absl::string_view kRetCodePayloadUrl = "type.eventmesh.apache.org/http.retCode";

// The runtime retCode a status returned by an EventMeshHttpClient call carries; nullopt for
// statuses without one (transport errors, OK).
std::optional<int64_t> RetCodeOf(const absl::Status& status);

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_HTTP_TYPES_H_
