#include "eventmesh/sdk/message.h"

namespace eventmesh::sdk {

namespace {

std::string SubjectOf(const CloudEvent& event) {
  const auto& subject = event.subject();
  return subject.has_value() ? *subject : std::string();
}

}  // namespace

std::string TopicOf(const Event& event) {
  if (const auto* m = std::get_if<Message>(&event)) return m->topic;
  return SubjectOf(std::get<CloudEvent>(event));
}

std::string ReceivedEvent::topic() const { return TopicOf(payload); }

const std::string& ReceivedEvent::data() const {
  if (const auto* m = message()) return m->content;
  return std::get<CloudEvent>(payload).data();
}

const std::string* ReceivedEvent::property(absl::string_view name) const {
  if (const auto* m = message()) {
    auto it = m->properties.find(std::string(name));
    return it == m->properties.end() ? nullptr : &it->second;
  }
  return std::get<CloudEvent>(payload).FindExtension(name);
}

}  // namespace eventmesh::sdk
