#include "eventmesh/runtime/core/topic_registry.h"

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::core {

absl::Status TopicRegistry::EnsureTopic(const std::string& topic) {
  {
    absl::ReaderMutexLock lock(&mu_);
    if (known_.contains(topic)) return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);  // serializes creation
  if (known_.contains(topic)) return absl::OkStatus();
  auto exists = connector_->TopicExists(topic);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    if (!auto_create_) {
      return absl::NotFoundError(absl::StrCat("topic \"", topic,
                                              "\" does not exist and topic auto-creation is off "
                                              "(eventMesh.server.topic.autoCreate=false)"));
    }
    if (max_topics_ > 0 && static_cast<int64_t>(known_.size()) >= max_topics_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "topic \"", topic, "\" not created: this runtime already uses ", known_.size(),
          " topics (eventMesh.server.topic.maxTopics=", max_topics_, ")"));
    }
    absl::Status created = connector_->CreateTopic(topic, default_partitions_);
    if (!created.ok() && created.code() != absl::StatusCode::kAlreadyExists) return created;
  }
  if (max_topics_ <= 0 || static_cast<int64_t>(known_.size()) < max_topics_) known_.insert(topic);
  return absl::OkStatus();
}

}  // namespace eventmesh::runtime::core
