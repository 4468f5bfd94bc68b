#ifndef EVENTMESH_RUNTIME_CORE_TOPIC_REGISTRY_H_
#define EVENTMESH_RUNTIME_CORE_TOPIC_REGISTRY_H_

// Makes sure topics exist before publish/subscribe: creates a missing topic with the default
// partition count when auto-creation is on, otherwise fails with NotFound naming the topic.
// Topics known to exist are cached (a topic deleted behind the runtime's back makes publishes
// fail with the connector's NotFound until restart).
// Thread-safe. Errors: NotFound ("topic \"T\" does not exist and topic auto-creation is off
// (eventMesh.server.topic.autoCreate=false)"), InvalidArgument (bad topic name, from the
// connector), others from the connector.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/connectors/api/connector.h"

namespace eventmesh::runtime::core {

class TopicRegistry {
 public:
  // `connector` must outlive the registry. `max_topics` (eventMesh.server.topic.maxTopics; 0 =
  // unbounded) caps the topics this runtime uses: beyond it, a missing topic is not auto-created
  // (ResourceExhausted naming the key) and existing ones are used without being remembered.
  TopicRegistry(connectors::Connector* connector, bool auto_create, int32_t default_partitions,
                int64_t max_topics = 0)
      : connector_(connector),
        auto_create_(auto_create),
        default_partitions_(default_partitions),
        max_topics_(max_topics) {}

  absl::Status EnsureTopic(const std::string& topic);

  // Runs `listener(topic)` after this registry created a topic, on the creating thread, without
  // the registry's lock, before that EnsureTopic returns (so a wildcard subscriber can start
  // consuming the new topic before the first event is published to it). Returns an id for
  // RemoveCreationListener. Topics created elsewhere (admin port, other runtimes) are not seen.
  uint64_t AddCreationListener(std::function<void(const std::string& topic)> listener);
  void RemoveCreationListener(uint64_t id);
  // Drops `topic` from the cache (after it was deleted through the connector).
  void Forget(const std::string& topic) {
    absl::MutexLock lock(&mu_);
    known_.erase(topic);
  }

 private:
  absl::Status EnsureTopicLocked(const std::string& topic, bool* created);

  connectors::Connector* const connector_;
  const bool auto_create_;
  const int32_t default_partitions_;
  const int64_t max_topics_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(mu_);
  absl::Mutex listeners_mu_;
  uint64_t next_listener_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  std::map<uint64_t, std::function<void(const std::string&)>> listeners_
      ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_TOPIC_REGISTRY_H_
