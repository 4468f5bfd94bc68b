#ifndef EVENTMESH_CONNECTORS_API_TOPIC_NAME_H_
#define EVENTMESH_CONNECTORS_API_TOPIC_NAME_H_

#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace eventmesh::connectors {

// A topic name that every event of a stream carries (a publish's topic, a delivered event's
// position): immutable and shared, so that copying it per event costs a reference count instead
// of an allocation and a copy (names above std::string's 15 inline characters are the usual
// case), and the copies one thread makes may be released by another without the allocator's
// cross-thread traffic. Make one TopicName per stream and copy it; one built from a string makes
// a new shared copy.
//
// Reads like a const std::string (str(), comparisons with strings, streaming). Copies may be
// used and released from any threads; one object is thread-compatible.
class TopicName {
 public:
  TopicName() = default;
  TopicName(std::string name)  // NOLINT(google-explicit-constructor): a topic is a string
      : name_(name.empty() ? nullptr : std::make_shared<const std::string>(std::move(name))) {}
  TopicName(absl::string_view name)  // NOLINT(google-explicit-constructor)
      : TopicName(std::string(name)) {}
  TopicName(const char* name)  // NOLINT(google-explicit-constructor)
      : TopicName(std::string(name)) {}

  const std::string& str() const { return name_ != nullptr ? *name_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  operator absl::string_view() const { return str(); }   // NOLINT(google-explicit-constructor)
  bool empty() const { return name_ == nullptr; }
  size_t size() const { return str().size(); }
  const char* data() const { return str().data(); }
  // Both are copies of the same TopicName (or both empty): equal without comparing the text.
  bool SharesNameWith(const TopicName& other) const { return name_ == other.name_; }

  friend bool operator==(const TopicName& a, const TopicName& b) {
    return a.SharesNameWith(b) || a.str() == b.str();
  }
  friend bool operator!=(const TopicName& a, const TopicName& b) { return !(a == b); }
  friend bool operator==(const TopicName& a, absl::string_view b) { return a.str() == b; }
  friend bool operator!=(const TopicName& a, absl::string_view b) { return a.str() != b; }
  friend bool operator==(absl::string_view a, const TopicName& b) { return a == b.str(); }
  friend bool operator!=(absl::string_view a, const TopicName& b) { return a != b.str(); }
  friend bool operator==(const TopicName& a, const std::string& b) { return a.str() == b; }
  friend bool operator!=(const TopicName& a, const std::string& b) { return a.str() != b; }
  friend bool operator==(const std::string& a, const TopicName& b) { return a == b.str(); }
  friend bool operator!=(const std::string& a, const TopicName& b) { return a != b.str(); }
  friend bool operator==(const TopicName& a, const char* b) { return a.str() == b; }
  friend bool operator!=(const TopicName& a, const char* b) { return a.str() != b; }
  friend bool operator<(const TopicName& a, const TopicName& b) { return a.str() < b.str(); }
  friend std::ostream& operator<<(std::ostream& os, const TopicName& name) {
    return os << name.str();
  }
  template <typename H>
  friend H AbslHashValue(H h, const TopicName& name) {
    return H::combine(std::move(h), name.str());
  }

 private:
  static const std::string& Empty() {
    static const std::string* const empty = new std::string();
    return *empty;
  }

  std::shared_ptr<const std::string> name_;  // null: the empty name
};

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_API_TOPIC_NAME_H_
