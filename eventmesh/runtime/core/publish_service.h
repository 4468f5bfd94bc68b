#ifndef EVENTMESH_RUNTIME_CORE_PUBLISH_SERVICE_H_
#define EVENTMESH_RUNTIME_CORE_PUBLISH_SERVICE_H_

// The one publish path of the runtime, used by every protocol frontend.
//
// Admit() applies the publish policy to events of one publisher, always in this order:
//   1. reserved topics: "eventmesh-*" topics belong to the mesh (reply channels, load reports);
//      clients may not publish to them                                   -> PermissionDenied
//   2. the ACL: the authenticated user's publish permissions             -> PermissionDenied
//   3. rate limits: the frontend's limit, then the publisher's own (each refusal says which
//      configuration key to raise)                                       -> ResourceExhausted
//   4. size: event data up to max_event_bytes, batches up to max_batch_events -> OutOfRange
//   5. the topic exists (created when auto-creation is on)               -> TopicRegistry's error
// Publish()/PublishBatch() hand admitted events to the connector; a publish is reported OK only
// once the connector says it is durable, and a connector failure reads
// "publish failed: <CODE>: <reason>". Each frontend maps the status codes to its own codes
// (TCP: PermissionDenied -> aclFail 2, otherwise 1; HTTP: PermissionDenied -> retCode 22,
// ResourceExhausted -> the over-limit retCode 23, OutOfRange -> 413 / retCode 8, otherwise the
// request's own error code).
// Thread-safe; the services it is given must outlive it.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventmesh/common/bytes_equal.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/runtime/core/acl.h"
#include "eventmesh/runtime/core/rate_limiter.h"
#include "eventmesh/runtime/core/runtime_metrics.h"
#include "eventmesh/runtime/core/topic_registry.h"

namespace eventmesh::runtime::core {

// Topics whose name starts with this belong to the mesh itself.
inline constexpr absl::string_view kReservedTopicPrefix = "eventmesh-";
bool IsReservedTopic(absl::string_view topic);

// The extension naming the mesh an event was first published in, set on events another mesh
// forwarded here (runtime/federation). Such events do not make this mesh a producer of their
// topic in the registry.
inline constexpr char kMeshOriginExtension[] = "eventmeshorigin";

// The topics a publisher (a session) has published to and found existing: later publishes to
// them skip the topic registry. A publisher sends one topic over and over, so the last topic
// found is compared first (no hash per publish). Bounded by `max_topics` names. Thread-compatible:
// one publisher's thread.
class KnownTopics {
 public:
  bool Contains(absl::string_view topic) {
    if (!last_.empty() && BytesEqual(topic, last_)) return true;
    if (!topics_.contains(topic)) return false;
    last_.assign(topic.data(), topic.size());
    return true;
  }
  // Remembers `topic` while fewer than `max_topics` are known.
  void Insert(absl::string_view topic, size_t max_topics) {
    if (topics_.size() >= max_topics) return;
    topics_.emplace(topic);
    last_.assign(topic.data(), topic.size());
  }
  size_t size() const { return topics_.size(); }

 private:
  absl::flat_hash_set<std::string> topics_;
  std::string last_;  // empty, or a member of topics_
};

// Who is publishing, as the policy sees them: one per TCP session or HTTP request. Not owned.
struct Publisher {
  const AclUser* user = nullptr;            // nullptr: security is off
  RateLimiter* frontend_limit = nullptr;    // the protocol's global limit, or nullptr
  RateLimiter* own_limit = nullptr;         // this publisher's own limit, or nullptr
  KnownTopics* known_topics = nullptr;      // per-publisher cache, or nullptr
  Protocol protocol = Protocol::kInternal;  // the metrics' protocol label
};

// "aclFail: user \"u\" may not publish to topic \"t\"" (and the subscribe twin) when `user` lacks
// the permission, empty when allowed or `user` is nullptr.
std::string DeniedPublish(const AclUser* user, absl::string_view topic);
std::string DeniedSubscribe(const AclUser* user, absl::string_view topic);
// "" when `user` may act as `group` (the ACL file's "groups"), else the aclFail message.
std::string DeniedGroup(const AclUser* user, absl::string_view group);

// "publish failed: <status>" for a connector failure (keeps the code).
absl::Status PublishFailed(const absl::Status& connector_status);

struct PublishLimits {
  int64_t max_event_bytes = 1 << 20;  // eventMesh.server.maxEventSize
  int64_t max_batch_events = 1000;    // eventMesh.server.maxEventBatchSize
};

class PublishService {
 public:
  // `metrics` may be nullptr (nothing is counted).
  PublishService(connectors::Connector* connector, TopicRegistry* topics, PublishLimits limits = {},
                 RuntimeMetrics* metrics = nullptr)
      : connector_(connector),
        topics_(topics),
        limits_(limits),
        metrics_(metrics),
        takes_stored_bytes_(connector != nullptr && connector->capabilities().takes_stored_bytes) {}

  // The publish policy (see the file comment) for one event (its topic is its subject).
  // Refusals are counted in the metrics under the publisher's protocol.
  absl::Status Admit(const Publisher& publisher, const cloudevents::CloudEvent& event);
  // The same policy for an event known by what the policy reads of it: its topic, the size of
  // its data, and whether it carries kMeshOriginExtension (it was forwarded from another mesh).
  // For publishers that hold the event in its stored form (PendingPublish::stored).
  absl::Status Admit(const Publisher& publisher, absl::string_view topic, size_t data_size,
                     bool forwarded);
  // The policy for a batch: every topic is checked (1, 2, 4) and the rate limits are taken
  // once for the whole batch, all or none.
  absl::Status AdmitAll(const Publisher& publisher,
                        const std::vector<cloudevents::CloudEvent>& events);
  // What the policy reads of one event of a batch held in its stored form.
  struct EventFacts {
    absl::string_view topic;
    size_t data_size = 0;
    bool forwarded = false;  // it carries kMeshOriginExtension
  };
  // AdmitAll for a batch held in its stored form: the same checks and refusals.
  absl::Status AdmitAll(const Publisher& publisher, absl::Span<const EventFacts> events);

  // Publishes admitted events in order; `done` runs exactly once (on a connector thread or
  // the calling thread) with OK when every event is durable, else the first error. Each event's
  // outcome and durable latency are counted under `protocol`. Called on an event-loop thread
  // (one with a common::ThreadDeferrer: the HTTP, TCP and MQTT io threads), the events join the
  // other publishes of that loop turn and reach the connector in one batch after the turn
  // (one store write for the HTTP requests that arrived together, in their order).
  void Publish(std::vector<cloudevents::CloudEvent> events, std::function<void(absl::Status)> done,
               Protocol protocol = Protocol::kInternal);
  // Publish() for admitted events already in their stored form (each PendingPublish with
  // `stored`, `stored_topic` and `stored_hints` set; its `done` is set here), for frontends that
  // write the stored form straight from a request. Only when TakesStoredBytes().
  void PublishStored(std::vector<connectors::Connector::PendingPublish> batch,
                     std::function<void(absl::Status)> done, Protocol protocol);
  // Hands admitted events with their own callbacks to the connector in one batch (the TCP
  // session's path: one call per socket read). Use PublishFailed() on errors; the callbacks
  // report their outcome with metrics()->PublishDone.
  // Publishes that Publish() deferred to the end of this loop turn on the calling thread go to
  // the connector first, so one connection's events keep their order across both paths.
  void PublishBatch(std::vector<connectors::Connector::PendingPublish>* batch);

  connectors::Connector* connector() const { return connector_; }
  // Whether the connector stores PendingPublish::stored without decoding it
  // (Capabilities::takes_stored_bytes): then publishers that can write the stored form should.
  bool TakesStoredBytes() const { return takes_stored_bytes_; }
  // nullptr when nothing is counted.
  RuntimeMetrics* metrics() const { return metrics_; }

  // Topics admitted for publishing since start (at most 10,000, sorted), not counting events
  // forwarded from another mesh: what the runtime reports to the registry as the topics its
  // clients produce.
  std::vector<std::string> PublishedTopics() const;

 private:
  void NotePublished(const std::string& topic);

  absl::Status AdmitOne(const Publisher& publisher, absl::string_view topic, size_t data_size,
                        bool forwarded);
  absl::Status AdmitBatch(const Publisher& publisher, absl::Span<const EventFacts> events);
  // Publish/PublishStored once the batch is built: one `done` for all, metrics, the loop turn.
  void Dispatch(std::vector<connectors::Connector::PendingPublish> batch,
                std::function<void(absl::Status)> done, Protocol protocol);
  absl::Status AdmitTopic(const Publisher& publisher, absl::string_view topic);
  absl::Status TakeRate(const Publisher& publisher, int64_t count);
  absl::Status CheckSize(size_t data_size) const;

  connectors::Connector* const connector_;
  TopicRegistry* const topics_;
  const PublishLimits limits_;
  RuntimeMetrics* const metrics_;
  const bool takes_stored_bytes_;
  mutable std::mutex published_mu_;
  absl::flat_hash_set<std::string> published_;  // guarded by published_mu_
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_PUBLISH_SERVICE_H_
