#ifndef EVENTMESH_CONNECTORS_API_CONNECTOR_H_
#define EVENTMESH_CONNECTORS_API_CONNECTOR_H_

// The store-plugin interface: the runtime reaches event stores only through Connector.
//
// A Connector publishes CloudEvents (the topic is the event's subject), hands out
// consumer-group subscriptions that yield delivered events with a position token, takes
// acknowledgements of those positions, and administers topics. Capability flags tell the
// runtime what the store guarantees.
//
// Ownership: the runtime owns the Connector (unique_ptr from a ConnectorFactory) and every
// Subscription it opened; all Subscriptions must be closed (or destroyed) before the
// Connector is destroyed.
// Thread-safety: every method of Connector and Subscription may be called from any thread.
// Callbacks (PublishCallback, DeliveryHandler) run on connector-owned threads; they must not
// block for long and must not call Subscription::Close of their own subscription.
// Errors: absl::Status codes as the store reports them: NotFound (unknown topic),
// InvalidArgument (bad topic/group name, oversize event), ResourceExhausted (store full or
// overloaded), Unavailable (connector shutting down), FailedPrecondition (no such capability).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/connectors/api/topic_name.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/cloudevents/stored_hints.h"

namespace eventmesh::connectors {

// What a connector's store guarantees.
struct Capabilities {
  bool durable = false;                   // a publish ack means the event survives a crash
  bool supports_request_reply = false;    // native request/reply (the runtime can do RR itself)
  bool supports_consumer_groups = false;  // store-side group membership (several runtimes)
  bool supports_broadcasting = false;
  // Other runtimes may use the same store (e.g. the "store" connector): state that must reach
  // another runtime (request-reply responses) has to travel through the store.
  bool shared_store = false;
  // Subscription::NoteDeliveries is kept with the group's committed position, so an event's
  // delivery count survives a runtime restart and a rebalance to another runtime
  // (DeliveredEvent::previous_deliveries). Without it the count starts at 0 on every holder.
  bool durable_delivery_counts = false;
  // PublishBatch stores Connector::PendingPublish::stored as it is (no decoding): publishers
  // that can write the encoded form directly should.
  bool takes_stored_bytes = false;
};

// Where a delivered event sits in the store. Opaque to the runtime except for logging; it is
// handed back to Subscription::Ack. A connector gives the events of one stream copies of one
// TopicName.
struct Position {
  TopicName topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

// One partition's offsets as the store reports them (admin API, consumer lag).
struct PartitionOffsets {
  int32_t partition = 0;
  int64_t earliest = 0;    // first retained offset
  int64_t end = 0;         // offset the next event will get (high watermark)
  int64_t committed = -1;  // the group's next offset to consume; -1 = never committed / no group
  int64_t bytes = -1;      // bytes of the retained events; -1 = the connector cannot tell
};

// How long a topic keeps its events (admin API). 0 = the connector's default.
struct TopicRetention {
  int64_t max_age_ms = 0;  // events older than this are removed; < 0 = no age limit
  int64_t max_bytes = 0;   // per partition, oldest removed first; < 0 = no size limit
};

// Where ResetGroupOffsets moves a group.
struct OffsetReset {
  enum class Kind { kEarliest, kLatest, kOffset, kTimestamp };
  Kind kind = Kind::kLatest;
  int64_t offset = 0;  // kOffset: clamped per partition into [earliest, end]
  // kTimestamp: per partition the first event stored at or after this time (ms since the epoch),
  // or the partition's end when none is.
  int64_t timestamp_ms = 0;
};

// One event read back from a topic (ReadEvents).
struct StoredEvent {
  cloudevents::CloudEvent event;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t stored_ms = 0;  // when the store appended it (ms since the epoch), 0 = unknown
};

struct PublishResult {
  Position position;  // where the event was stored
};

// The result is passed by reference: a connector may answer a batch's events from one
// PublishResult (changing only the offset), so a callback that needs no copy makes none.
using PublishCallback = std::function<void(const absl::StatusOr<PublishResult>&)>;

// A value a connector reports about its store, exported with the runtime's metrics (e.g. the
// memory of the embedded store's tail cache).
struct ConnectorGauge {
  std::string name;  // a Prometheus metric name, e.g. "eventmesh_store_tail_cache_bytes"
  std::string help;
  double value = 0;
  // A total that only grows (named "..._total"): registered as a counter, not a gauge.
  bool counter = false;
};

enum class ConsumeMode {
  // The group shares the topic: each event goes to one member of the group (store-assigned
  // partitions when several runtimes share the group); positions are committed on Ack.
  kClustering,
  // Every subscription sees every event published after it was opened; nothing is committed.
  kBroadcasting,
};

// Where a clustering group that has no committed position yet starts reading.
enum class StartPosition {
  kLatest,    // events published from now on (what applications usually want)
  kEarliest,  // everything the store still holds (mesh forwarding: nothing published before
              // the group existed is skipped)
};

struct SubscribeOptions {
  std::string group;
  std::string topic;
  ConsumeMode mode = ConsumeMode::kClustering;
  // Clustering only; ignored once the group committed a position.
  StartPosition start = StartPosition::kLatest;
  // Flow control: at most this many delivered-but-unacknowledged events per subscription; the
  // connector stops reading the store while the limit is reached.
  int32_t max_unacked = 1000;
  // The same bound in bytes (payload and attributes of the delivered-but-unacknowledged
  // events): the connector stops reading while it is reached, but always lets one event
  // through when nothing is outstanding, so an event larger than the bound is still delivered.
  int64_t max_unacked_bytes = int64_t{64} << 20;
  // The subscriber takes events as their stored bytes: a connector that keeps events in the
  // CloudEvents protobuf format may then deliver those bytes without decoding them
  // (DeliveredEvent::stored, with a null event). Off: every delivered event is decoded.
  bool accepts_stored_bytes = false;
};

// One delivered event: the event object, or (only to a subscription that accepts_stored_bytes)
// its stored bytes instead, so that a subscriber which writes the event onward in a format it can
// make from those bytes never decodes it. Both are shared and read-only: a connector may hand out
// what it keeps in a cache (no copy per delivery), and the runtime may keep it until the event
// is acknowledged. Exactly one of `event` and `stored` is set in what a connector delivers.
struct DeliveredEvent {
  std::shared_ptr<const cloudevents::CloudEvent> event;
  Position position;
  // Deliveries of this event that an earlier holder of the partition recorded with
  // Subscription::NoteDeliveries (another runtime, or this one before a restart); 0 when none
  // were recorded or the connector does not keep them (Capabilities::durable_delivery_counts).
  int32_t previous_deliveries = 0;
  // The event in the CloudEvents protobuf format (cloudevents::ParseProto), when `event` is null.
  std::shared_ptr<const std::string> stored;
  // `stored` are bytes this process wrote for an event CloudEvent::Validate accepted (a
  // PendingPublish::stored it kept in memory): readers may skip re-checking the strings' contents
  // (cloudevents::ProtoEventView::Checks::kStructure). False when unknown.
  bool stored_validated = false;
  // What the writer of `stored` knew about them (PendingPublish::stored_hints): writers of JSON
  // may copy plain data without looking for bytes to escape, and find the data and reuse what
  // they wrote for an earlier event's attributes without reading the bytes. Default: unknown.
  cloudevents::StoredEventHints stored_hints;

  // Makes `event` available: decodes `stored` when `event` is null and keeps the result (for
  // one thread at a time, like the rest of the struct). InvalidArgument when the stored bytes
  // are not a valid CloudEvent; `event` stays null then.
  absl::Status Materialize();
};

// Wraps a freshly decoded event for delivery.
inline std::shared_ptr<const cloudevents::CloudEvent> ShareEvent(cloudevents::CloudEvent event) {
  return std::make_shared<const cloudevents::CloudEvent>(std::move(event));
}

inline absl::Status DeliveredEvent::Materialize() {
  if (event != nullptr) return absl::OkStatus();
  if (stored == nullptr) return absl::InvalidArgumentError("delivered event has no content");
  absl::StatusOr<cloudevents::CloudEvent> decoded = cloudevents::ParseProto(*stored);
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stored event does not decode: ", decoded.status().message()));
  }
  event = ShareEvent(*std::move(decoded));
  return absl::OkStatus();
}

// Receives batches of events in store order per partition. The vector may be consumed
// (moved from). Runs on a connector thread.
using DeliveryHandler = std::function<void(std::vector<DeliveredEvent>* events)>;

// One open consumer-group subscription. Events are delivered at least once: an event whose
// position was never acknowledged comes again after a restart or a group rebalance.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Acknowledges one delivered event. Clustering: the connector commits per partition the
  // contiguous acknowledged watermark (never an offset at or above the first unacked one).
  // Unknown or stale positions (after a rebalance) are ignored.
  virtual void Ack(const Position& position) = 0;
  // Acknowledges several events at once (same semantics as Ack for each, one round of
  // bookkeeping). The default calls Ack for each position.
  virtual void AckAll(const std::vector<Position>& positions) {
    for (const auto& position : positions) Ack(position);
  }
  // Records that the event at `position` has been delivered `deliveries` times without being
  // acknowledged (called when a delivery failed: ack timeout, subscriber gone). Clustering
  // connectors with Capabilities::durable_delivery_counts keep the count of the partition's
  // first unacknowledged event with its committed position and report it as
  // DeliveredEvent::previous_deliveries to the next holder, so a poison event reaches the
  // dead-letter topic even when every runtime that holds it restarts. Best effort (written with
  // the next commit); the default ignores it.
  virtual void NoteDeliveries(const Position& position, int32_t deliveries) {
    (void)position;
    (void)deliveries;
  }
  // Stops delivery, commits what was acknowledged and leaves the group. Blocks until no
  // DeliveryHandler call of this subscription is running. Idempotent.
  virtual void Close() = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;

  virtual absl::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;

  // Publishes `event` to topic `event.subject()`. `done` runs exactly once, after the event is
  // durable (Capabilities::durable) or on failure. The topic must exist (NotFound otherwise).
  virtual void Publish(cloudevents::CloudEvent event, PublishCallback done) = 0;

  // Publishes several events, in order, with the same guarantees as one Publish call each
  // (every callback runs exactly once). Connectors override it to hand the whole batch to their
  // writer in one step; the default calls Publish for each element. Empties `batch`. Unlike
  // Publish, the callbacks may run on the calling thread before PublishBatch returns (the
  // caller must not hold a lock its callbacks take).
  struct PendingPublish {
    cloudevents::CloudEvent event;
    PublishCallback done;
    // When not empty: the protobuf encoding (cloudevents::SerializeProto) of an event
    // CloudEvent::Validate accepts, and its topic; `event` is unused. Publishers that have the
    // encoded form already (the TCP publish path) set it when the connector's
    // Capabilities::takes_stored_bytes says it uses the bytes as they are; other connectors
    // decode it first. A publisher sending one topic over and over gives its events copies of
    // one TopicName.
    std::string stored;
    TopicName stored_topic;
    // What the publisher knows about `stored` (cloudevents::StoredEventHints): a connector that
    // keeps the bytes in memory may pass this on to their readers (DeliveredEvent::stored_hints).
    // Default: unknown.
    cloudevents::StoredEventHints stored_hints;
  };
  virtual void PublishBatch(std::vector<PendingPublish>* batch) {
    for (auto& pending : *batch) {
      if (absl::Status decoded = DecodeStored(&pending); !decoded.ok()) {
        pending.done(decoded);
        continue;
      }
      Publish(std::move(pending.event), std::move(pending.done));
    }
    batch->clear();
  }
  // For PublishBatch implementations. DecodeStored makes `event` the event `stored` encodes
  // (nothing to do when `stored` is empty); errors are ParseProto's. TakeStoredForm moves out
  // the topic and the stored bytes, or serializes `event`; InvalidArgument when the event has no
  // subject (topic).
  static absl::Status DecodeStored(PendingPublish* pending) {
    if (pending->stored.empty()) return absl::OkStatus();
    absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(pending->stored);
    if (!event.ok()) return event.status();
    pending->event = *std::move(event);
    pending->stored.clear();
    return absl::OkStatus();
  }
  struct StoredForm {
    TopicName topic;
    std::string bytes;       // cloudevents::SerializeProto of the event
    bool validated = false;  // taken from `stored`: the event passed CloudEvent::Validate
    cloudevents::StoredEventHints hints;  // PendingPublish::stored_hints
  };
  static absl::StatusOr<StoredForm> TakeStoredForm(PendingPublish* pending) {
    StoredForm form;
    if (!pending->stored.empty()) {
      form.topic = std::move(pending->stored_topic);
      form.bytes = std::move(pending->stored);
      form.validated = true;
      form.hints = pending->stored_hints;
    } else {
      if (pending->event.subject().has_value()) form.topic = *pending->event.subject();
    }
    if (form.topic.empty()) return absl::InvalidArgumentError("event has no subject (topic)");
    if (form.bytes.empty()) {
      absl::StatusOr<std::string> bytes = cloudevents::SerializeProto(pending->event);
      if (!bytes.ok()) return bytes.status();
      form.bytes = *std::move(bytes);
    }
    return form;
  }

  // Opens a subscription; `handler` starts receiving events at once. The topic must exist.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const SubscribeOptions& options,
                                                                  DeliveryHandler handler) = 0;

  // Topic admin.
  virtual absl::Status CreateTopic(const std::string& topic, int32_t partitions) = 0;
  // CreateTopic with a retention other than the default. Connectors that cannot set one keep
  // this default: a default retention creates the topic, anything else is Unimplemented.
  virtual absl::Status CreateTopicWithRetention(const std::string& topic, int32_t partitions,
                                                const TopicRetention& retention) {
    if (retention.max_age_ms == 0 && retention.max_bytes == 0) {
      return CreateTopic(topic, partitions);
    }
    return absl::UnimplementedError(
        absl::StrCat("connector ", name(), " cannot set a topic's retention"));
  }
  // The topic's retention; Unimplemented by default.
  virtual absl::StatusOr<TopicRetention> GetTopicRetention(const std::string& topic) {
    (void)topic;
    return absl::UnimplementedError(
        absl::StrCat("connector ", name(), " cannot report a topic's retention"));
  }
  virtual absl::StatusOr<bool> TopicExists(const std::string& topic) = 0;
  virtual absl::Status DeleteTopic(const std::string& topic) = 0;

  // Optional admin operations (the runtime's admin port). Connectors that cannot answer keep
  // the defaults, which return Unimplemented.
  // Every topic, sorted by name.
  virtual absl::StatusOr<std::vector<std::string>> ListTopics() {
    return absl::UnimplementedError(absl::StrCat("connector ", name(), " cannot list topics"));
  }
  // The topic's partitions in order; with a non-empty `group`, each with that group's committed
  // offset. Errors: NotFound (unknown topic).
  virtual absl::StatusOr<std::vector<PartitionOffsets>> Offsets(const std::string& topic,
                                                                const std::string& group) {
    return absl::UnimplementedError(absl::StrCat("connector ", name(), " cannot report offsets"));
  }
  // Moves `group`'s committed position on every partition of `topic` (replay or skip).
  // Errors: FailedPrecondition while the group has live members (stop its consumers first),
  // NotFound (unknown topic).
  virtual absl::Status ResetGroupOffsets(const std::string& group, const std::string& topic,
                                         OffsetReset reset) {
    return absl::UnimplementedError(
        absl::StrCat("connector ", name(), " cannot reset group offsets"));
  }
  // Reads up to `max_events` events of one partition from `offset` on (an offset below the
  // earliest retained one reads from the earliest), without any consumer group: debugging and
  // dead-letter republishing. Returns fewer (or none) at the partition's end; never waits.
  // Errors: NotFound (unknown topic), OutOfRange (no such partition).
  virtual absl::StatusOr<std::vector<StoredEvent>> ReadEvents(const std::string& topic,
                                                              int32_t partition, int64_t offset,
                                                              int32_t max_events) {
    return absl::UnimplementedError(absl::StrCat("connector ", name(), " cannot read events"));
  }

  // Finishes in-flight publishes (their callbacks run), then refuses new work with
  // Unavailable. Subscriptions should be closed first (one still open stops being maintained
  // but may still be closed afterwards). Idempotent.
  virtual void Shutdown() = 0;

  // The connector's gauges, read at every metrics scrape: the same names on every call. The
  // default reports none.
  virtual std::vector<ConnectorGauge> Gauges() { return {}; }
};

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_API_CONNECTOR_H_
