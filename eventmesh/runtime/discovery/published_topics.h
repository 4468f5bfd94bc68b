#ifndef EVENTMESH_RUNTIME_DISCOVERY_PUBLISHED_TOPICS_H_
#define EVENTMESH_RUNTIME_DISCOVERY_PUBLISHED_TOPICS_H_

// PublishedTopics: the topics this runtime's clients have published, kept across restarts in a
// file of the data directory (one topic per line, appended as new ones are seen). The runtime
// reports them to the registry as topics it produces, so after a restart cross-mesh forwarding
// of events already stored (published before the restart, not yet forwarded) resumes at once,
// without waiting for a client to publish the topic again.
//
// Bounded: at most `max_topics` topics are kept. A torn last line (a crash mid-append) is
// ignored at load. Thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/status/statusor.h"

namespace eventmesh::runtime::discovery {

class PublishedTopics {
 public:
  static constexpr size_t kDefaultMaxTopics = 10000;

  // Loads `path` (a missing file is an empty set). Errors: Internal when the file exists but
  // cannot be read.
  static absl::StatusOr<std::unique_ptr<PublishedTopics>> Open(
      std::string path, size_t max_topics = kDefaultMaxTopics);

  // Adds the topics not known yet and appends them to the file (one write, flushed). Returns
  // every known topic, sorted. A failed write is logged once per call and the topics stay known
  // in memory.
  std::vector<std::string> Update(const std::vector<std::string>& topics);

  std::vector<std::string> Topics() const;

 private:
  PublishedTopics(std::string path, size_t max_topics) : path_(std::move(path)), max_(max_topics) {}

  const std::string path_;
  const size_t max_;
  mutable std::mutex mu_;
  absl::btree_set<std::string> topics_;  // guarded by mu_
};

}  // namespace eventmesh::runtime::discovery

#endif  // EVENTMESH_RUNTIME_DISCOVERY_PUBLISHED_TOPICS_H_
