#ifndef EVENTMESH_RUNTIME_WEBHOOK_PUSH_REQUEST_H_
#define EVENTMESH_RUNTIME_WEBHOOK_PUSH_REQUEST_H_

// What one webhook push looks like on the wire, and what the endpoint's answer means.
//
// BuildPushRequest: the POST that delivers an event.
//   kEventMeshForm (reference 2.6, Apache AsyncHTTPPushRequest): form body
//     (application/x-www-form-urlencoded;charset=UTF-8) with content, bizseqno, uniqueId,
//     randomNo, topic, extFields; headers code 105 (ASYNC) / 106 (SYNC), language JAVA,
//     version 1.0, eventmeshcluster, eventmeship, eventmeshenv, eventmeshidc. `content` is the
//     event data, or the structured CloudEvent JSON for events published as protocoltype
//     "cloudevents"; events of protocoltype "http" also carry their extensions as headers.
//   kCloudEventsBinary / kCloudEventsStructured: the CloudEvents HTTP binding.
// BatchPushBuilder: kCloudEventsBatch, the HTTP binding's batched mode (a JSON array of
//   structured events, application/cloudevents-batch+json).
// ClassifyResponse: the verdict on a push result.
//   EventMesh form, HTTP 2xx: JSON body retCode 0/1 -> kAccepted; 2 (RETRY), 5 (NOLISTEN) ->
//     kRetry; 3 (FAIL), a missing/unknown retCode or a body that is not JSON -> kGiveUp (the
//     event counts as handled and its position is committed, as Apache EventMesh does).
//   CloudEvents (every mode), HTTP 2xx -> kAccepted (for a batch: every event of it).
//   Both: 429 -> kRetry with Retry-After (delta-seconds or HTTP-date) when present; 410, 415 ->
//     kReject (no retry: dead-letter); any other status and every transport error -> kRetry.
// Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/runtime/webhook/webhook_service.h"

namespace eventmesh::runtime::webhook {

// The runtime's identity, sent in the eventmesh* headers of EventMesh form pushes.
struct RuntimeIdentity {
  std::string cluster = "DEFAULT";
  std::string ip;
  std::string env = "PRD";
  std::string idc = "DEFAULT";
};

// `random_no` is the randomNo field (and the source of a missing bizseqno's digits).
net::HttpRequest BuildPushRequest(const cloudevents::CloudEvent& event, const std::string& url,
                                  PushFormat format, bool sync, const RuntimeIdentity& identity,
                                  uint64_t random_no);
// The same for an event viewed in its stored bytes (the same request, no CloudEvent built).
net::HttpRequest BuildPushRequest(const cloudevents::ProtoEventView& event, const std::string& url,
                                  PushFormat format, bool sync, const RuntimeIdentity& identity,
                                  uint64_t random_no);

// Serialises events into a batch body: AddEvent appends one structured event; the request is
// taken once (Finish). Not thread-safe.
class BatchPushBuilder {
 public:
  explicit BatchPushBuilder(std::string url);
  // Appends `event` unless the body would then exceed `max_bytes` and it already holds an
  // event (the first event is always taken). Returns whether it was appended.
  bool AddEvent(const cloudevents::CloudEvent& event, size_t max_bytes);
  // The same for an event viewed in its stored bytes (the same JSON, no CloudEvent built).
  bool AddEvent(const cloudevents::ProtoEventView& event, size_t max_bytes);
  size_t events() const { return events_; }
  net::HttpRequest Finish();

 private:
  template <typename E>
  bool Add(const E& event, size_t max_bytes);

  net::HttpRequest request_;
  size_t events_ = 0;
};

enum class PushOutcome {
  kAccepted,  // delivered: acknowledge
  kGiveUp,    // EventMesh FAIL / no or unknown retCode: not retried (as Apache); dead-lettered
  kRetry,     // try again later
  kReject,    // never retry: dead-letter
};

struct PushVerdict {
  PushOutcome outcome = PushOutcome::kRetry;
  std::string reason;                     // for logs and the dead-letter "dlqreason"
  std::optional<int64_t> retry_after_ms;  // from Retry-After of a 429
};

PushVerdict ClassifyResponse(PushFormat format, const absl::StatusOr<net::HttpResponse>& result,
                             absl::Time now);

// Retry-After (RFC 9110 10.2.3): delta-seconds or an HTTP-date (IMF-fixdate, e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT"); ms from `now` (0 for a date in the past); nullopt when
// malformed. Delta-seconds too large for int64 milliseconds saturate at INT64_MAX.
std::optional<int64_t> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace eventmesh::runtime::webhook

#endif  // EVENTMESH_RUNTIME_WEBHOOK_PUSH_REQUEST_H_
