#include "eventmesh/runtime/core/publish_service.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/thread_deferral.h"

namespace eventmesh::runtime::core {
namespace {

// The publishes handed to Publish on one event-loop thread during one turn of its loop.
struct TurnBatch {
  connectors::Connector* connector = nullptr;
  std::vector<connectors::Connector::PendingPublish> publishes;
  bool flush_deferred = false;
};
thread_local TurnBatch turn_batch;

void FlushTurnBatch() {
  TurnBatch& turn = turn_batch;
  turn.flush_deferred = false;
  if (turn.publishes.empty()) return;
  std::vector<connectors::Connector::PendingPublish> publishes;
  publishes.swap(turn.publishes);
  turn.connector->PublishBatch(&publishes);
}

}  // namespace

namespace {

constexpr size_t kMaxKnownTopicsPerPublisher = 10'000;

absl::string_view TopicOf(const cloudevents::CloudEvent& event) {
  const auto& subject = event.subject();
  return subject.has_value() ? absl::string_view(*subject) : absl::string_view();
}

}  // namespace

bool IsReservedTopic(absl::string_view topic) {
  return absl::StartsWith(topic, kReservedTopicPrefix);
}

std::string DeniedPublish(const AclUser* user, absl::string_view topic) {
  if (user == nullptr || Acl::CanPublish(*user, topic)) return "";
  return absl::StrCat("aclFail: user \"", user->username, "\" may not publish to topic \"", topic,
                      "\"");
}

std::string DeniedSubscribe(const AclUser* user, absl::string_view topic) {
  if (user == nullptr || Acl::CanSubscribe(*user, topic)) return "";
  return absl::StrCat("aclFail: user \"", user->username, "\" may not subscribe to topic \"", topic,
                      "\"");
}

std::string DeniedGroup(const AclUser* user, absl::string_view group) {
  if (user == nullptr || Acl::CanUseGroup(*user, group)) return "";
  return absl::StrCat("aclFail: user \"", user->username, "\" may not use group \"", group, "\"");
}

absl::Status PublishFailed(const absl::Status& connector_status) {
  return absl::Status(connector_status.code(),
                      absl::StrCat("publish failed: ", connector_status.ToString()));
}

absl::Status PublishService::AdmitTopic(const Publisher& publisher, absl::string_view topic) {
  if (topic.empty()) {
    return absl::InvalidArgumentError("the event has no topic (subject)");
  }
  if (IsReservedTopic(topic)) {
    return absl::PermissionDeniedError(
        absl::StrCat("topic \"", topic, "\" is reserved for the mesh (topics starting with \"",
                     kReservedTopicPrefix, "\" cannot be published to by clients)"));
  }
  if (std::string denied = DeniedPublish(publisher.user, topic); !denied.empty()) {
    return absl::PermissionDeniedError(denied);
  }
  return absl::OkStatus();
}

void PublishService::NotePublished(const std::string& topic) {
  std::lock_guard<std::mutex> lock(published_mu_);
  if (published_.size() < kMaxKnownTopicsPerPublisher) published_.insert(topic);
}

std::vector<std::string> PublishService::PublishedTopics() const {
  std::vector<std::string> topics;
  {
    std::lock_guard<std::mutex> lock(published_mu_);
    topics.assign(published_.begin(), published_.end());
  }
  std::sort(topics.begin(), topics.end());
  return topics;
}

absl::Status PublishService::TakeRate(const Publisher& publisher, int64_t count) {
  if (publisher.frontend_limit != nullptr && !publisher.frontend_limit->TryAcquire(count)) {
    return absl::ResourceExhaustedError(publisher.frontend_limit->refusal());
  }
  if (publisher.own_limit != nullptr && !publisher.own_limit->TryAcquire(count)) {
    return absl::ResourceExhaustedError(publisher.own_limit->refusal());
  }
  return absl::OkStatus();
}

absl::Status PublishService::CheckSize(size_t data_size) const {
  if (static_cast<int64_t>(data_size) <= limits_.max_event_bytes) return absl::OkStatus();
  return absl::OutOfRangeError(absl::StrCat("event data of ", data_size,
                                            " bytes exceeds the limit of ", limits_.max_event_bytes,
                                            " bytes (eventMesh.server.maxEventSize)"));
}

absl::Status PublishService::Admit(const Publisher& publisher,
                                   const cloudevents::CloudEvent& event) {
  return Admit(publisher, TopicOf(event), event.data().size(),
               event.FindExtension(kMeshOriginExtension) != nullptr);
}

absl::Status PublishService::Admit(const Publisher& publisher, absl::string_view topic,
                                   size_t data_size, bool forwarded) {
  absl::Status status = AdmitOne(publisher, topic, data_size, forwarded);
  if (!status.ok() && metrics_ != nullptr) metrics_->PublishRefused(publisher.protocol, status);
  return status;
}

absl::Status PublishService::AdmitAll(const Publisher& publisher,
                                      const std::vector<cloudevents::CloudEvent>& events) {
  absl::InlinedVector<EventFacts, 16> facts;
  facts.reserve(events.size());
  for (const auto& event : events) {
    facts.push_back(EventFacts{TopicOf(event), event.data().size(),
                               event.FindExtension(kMeshOriginExtension) != nullptr});
  }
  return AdmitAll(publisher, facts);
}

absl::Status PublishService::AdmitAll(const Publisher& publisher,
                                      absl::Span<const EventFacts> events) {
  absl::Status status = AdmitBatch(publisher, events);
  if (!status.ok() && metrics_ != nullptr) {
    metrics_->PublishRefused(publisher.protocol, status, std::max<size_t>(1, events.size()));
  }
  return status;
}

absl::Status PublishService::AdmitOne(const Publisher& publisher, absl::string_view topic,
                                      size_t data_size, bool forwarded) {
  if (absl::Status s = AdmitTopic(publisher, topic); !s.ok()) return s;
  if (absl::Status s = TakeRate(publisher, 1); !s.ok()) return s;
  if (absl::Status s = CheckSize(data_size); !s.ok()) return s;
  if (publisher.known_topics != nullptr && publisher.known_topics->Contains(topic)) {
    return absl::OkStatus();
  }
  const std::string name(topic);
  if (absl::Status ensured = topics_->EnsureTopic(name); !ensured.ok()) return ensured;
  if (!forwarded) NotePublished(name);
  if (publisher.known_topics != nullptr) {
    publisher.known_topics->Insert(name, kMaxKnownTopicsPerPublisher);
  }
  return absl::OkStatus();
}

absl::Status PublishService::AdmitBatch(const Publisher& publisher,
                                        absl::Span<const EventFacts> events) {
  for (const EventFacts& event : events) {
    if (absl::Status s = AdmitTopic(publisher, event.topic); !s.ok()) return s;
  }
  if (static_cast<int64_t>(events.size()) > limits_.max_batch_events) {
    return absl::OutOfRangeError(
        absl::StrCat("a batch of ", events.size(), " events exceeds the limit of ",
                     limits_.max_batch_events, " (eventMesh.server.maxEventBatchSize)"));
  }
  if (absl::Status s = TakeRate(publisher, static_cast<int64_t>(events.size())); !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = CheckSize(events[i].data_size); !s.ok()) {
      return absl::OutOfRangeError(absl::StrCat("event [", i, "]: ", s.message()));
    }
  }
  for (const EventFacts& event : events) {
    const std::string topic(event.topic);
    if (absl::Status ensured = topics_->EnsureTopic(topic); !ensured.ok()) {
      return absl::Status(ensured.code(),
                          absl::StrCat("topic \"", topic, "\": ", ensured.message()));
    }
    if (!event.forwarded) NotePublished(topic);
  }
  return absl::OkStatus();
}

void PublishService::Publish(std::vector<cloudevents::CloudEvent> events,
                             std::function<void(absl::Status)> done, Protocol protocol) {
  std::vector<connectors::Connector::PendingPublish> batch(events.size());
  for (size_t i = 0; i < events.size(); ++i) batch[i].event = std::move(events[i]);
  Dispatch(std::move(batch), std::move(done), protocol);
}

void PublishService::PublishStored(std::vector<connectors::Connector::PendingPublish> batch,
                                   std::function<void(absl::Status)> done, Protocol protocol) {
  Dispatch(std::move(batch), std::move(done), protocol);
}

void PublishService::Dispatch(std::vector<connectors::Connector::PendingPublish> batch,
                              std::function<void(absl::Status)> done, Protocol protocol) {
  if (batch.empty()) {
    done(absl::OkStatus());
    return;
  }
  struct Gather {
    std::atomic<size_t> remaining;
    std::mutex mu;
    absl::Status first_error;
    std::function<void(absl::Status)> done;
    RuntimeMetrics* metrics;
    Protocol protocol;
    int64_t start_ns;
  };
  auto gather = std::make_shared<Gather>();
  gather->metrics = metrics_;
  gather->protocol = protocol;
  gather->start_ns = metrics_ != nullptr ? SteadyNowNs() : 0;
  gather->remaining = batch.size();
  gather->done = std::move(done);
  for (auto& pending : batch) {
    pending.done = [gather](absl::StatusOr<connectors::PublishResult> result) {
      if (gather->metrics != nullptr) {
        gather->metrics->PublishDone(gather->protocol, result.ok(), gather->start_ns);
      }
      if (!result.ok()) {
        std::lock_guard<std::mutex> lock(gather->mu);
        if (gather->first_error.ok()) gather->first_error = PublishFailed(result.status());
      }
      if (gather->remaining.fetch_sub(1) == 1) {
        absl::Status status;
        {
          std::lock_guard<std::mutex> lock(gather->mu);
          status = gather->first_error;
        }
        gather->done(std::move(status));
      }
    };
  }
  if (common::ThreadDeferrer* deferrer = common::CurrentThreadDeferrer()) {
    // On an event-loop thread: join the publishes of this loop turn (other requests that
    // arrived together) and hand them to the connector in one batch after the turn.
    TurnBatch& turn = turn_batch;
    if (turn.connector != connector_ && !turn.publishes.empty()) FlushTurnBatch();
    turn.connector = connector_;
    for (auto& pending : batch) turn.publishes.push_back(std::move(pending));
    if (!turn.flush_deferred) {
      turn.flush_deferred = true;
      deferrer->Defer(&FlushTurnBatch);
    }
    return;
  }
  connector_->PublishBatch(&batch);
}

void PublishService::PublishBatch(std::vector<connectors::Connector::PendingPublish>* batch) {
  if (turn_batch.connector == connector_ && !turn_batch.publishes.empty()) FlushTurnBatch();
  connector_->PublishBatch(batch);
}

}  // namespace eventmesh::runtime::core
