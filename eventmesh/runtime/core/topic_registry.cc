#include "eventmesh/runtime/core/topic_registry.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::core {

absl::Status TopicRegistry::EnsureTopic(const std::string& topic) {
  bool created = false;
  absl::Status status = EnsureTopicLocked(topic, &created);
  if (status.ok() && created) {
    std::vector<std::function<void(const std::string&)>> listeners;
    {
      absl::MutexLock lock(&listeners_mu_);
      for (const auto& [id, listener] : listeners_) listeners.push_back(listener);
    }
    for (const auto& listener : listeners) listener(topic);
  }
  return status;
}

uint64_t TopicRegistry::AddCreationListener(std::function<void(const std::string&)> listener) {
  absl::MutexLock lock(&listeners_mu_);
  const uint64_t id = ++next_listener_;
  listeners_[id] = std::move(listener);
  return id;
}

void TopicRegistry::RemoveCreationListener(uint64_t id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

absl::Status TopicRegistry::EnsureTopicLocked(const std::string& topic, bool* created) {
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
    absl::Status creation = connector_->CreateTopic(topic, default_partitions_);
    if (!creation.ok() && creation.code() != absl::StatusCode::kAlreadyExists) return creation;
    *created = creation.ok();
  }
  if (max_topics_ <= 0 || static_cast<int64_t>(known_.size()) < max_topics_) known_.insert(topic);
  return absl::OkStatus();
}

}  // namespace eventmesh::runtime::core
