#include "eventmesh/protocol/cloudevents/stored_hints.h"

#include <atomic>

namespace eventmesh::cloudevents {

uint64_t NewStoredAttributesId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace eventmesh::cloudevents
