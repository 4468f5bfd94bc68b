#ifndef EVENTMESH_RUNTIME_MQTT_STATE_STORE_H_
#define EVENTMESH_RUNTIME_MQTT_STATE_STORE_H_

// What the MQTT frontend keeps across runtime restarts, in <dataDir>/mqtt/:
//  - sessions.json: persistent sessions (MQTT 3.1.1 clean session 0, MQTT 5 session expiry > 0):
//    client id -> topic filters with their QoS, the session expiry and when the client
//    disconnected. The QoS 1 messages of a session are not here: they stay in the event store,
//    in the session's durable consumer group (mqtt_session.h), and are delivered when the client
//    comes back.
//  - retained.json: the retained message per topic (structured-mode CloudEvent JSON + QoS).
// Every change is written at once (whole file, temporary file + fsync + rename), so a crash
// leaves either the old or the new state. Thread-safe.
// Errors: DataLoss naming the file for an unreadable or malformed file at Load; Internal for a
// failed write (the in-memory state is kept and the write is retried with the next change).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"

namespace eventmesh::runtime::mqtt {

struct PersistedSubscription {
  std::string filter;  // as the client sent it ("$share/g/a/#" included)
  uint8_t qos = 0;
  bool operator==(const PersistedSubscription& o) const {
    return filter == o.filter && qos == o.qos;
  }
};

struct PersistedSession {
  std::vector<PersistedSubscription> subscriptions;
  int64_t expiry_s = 0;         // after disconnection; 0xFFFFFFFF = never
  int64_t disconnected_ms = 0;  // wall clock; 0 = connected (or never disconnected)
  // Topics the session's group subscribed to (its positions are committed in the store).
  std::vector<std::string> topics;
};

struct RetainedMessage {
  cloudevents::CloudEvent event;
  uint8_t qos = 0;
};

class StateStore {
 public:
  // `dir` is created at Load when missing.
  explicit StateStore(std::string dir) : dir_(std::move(dir)) {}

  // Reads both files (missing files = empty state).
  absl::Status Load();

  // The session of `client_id` unless it expired by `now_ms` (an expired one is removed).
  std::optional<PersistedSession> FindSession(const std::string& client_id, int64_t now_ms);
  absl::Status PutSession(const std::string& client_id, const PersistedSession& session);
  absl::Status RemoveSession(const std::string& client_id);
  // Removes sessions expired by `now_ms`; returns their client ids.
  std::vector<std::string> ExpireSessions(int64_t now_ms);

  // Sets (non-empty data) or clears (empty data) the retained message of the event's topic.
  absl::Status Retain(const std::string& topic, const RetainedMessage& message, bool clear);
  // Retained messages whose topic `matches` (expired ones are skipped).
  template <typename Match>
  std::vector<RetainedMessage> Retained(Match matches) {
    absl::MutexLock lock(&mu_);
    std::vector<RetainedMessage> out;
    for (const auto& [topic, message] : retained_) {
      if (matches(topic)) out.push_back(message);
    }
    return out;
  }
  size_t session_count();

 private:
  absl::Status WriteSessionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteRetainedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  absl::Mutex mu_;
  std::map<std::string, PersistedSession> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RetainedMessage> retained_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::runtime::mqtt

#endif  // EVENTMESH_RUNTIME_MQTT_STATE_STORE_H_
