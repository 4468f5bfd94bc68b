#include "eventmesh/common/release_tuning.h"

#include <cstdlib>
#include <string_view>

#include "absl/synchronization/mutex.h"

namespace eventmesh::common {

void SetMutexLockOrderChecks(bool on) {
  absl::SetMutexDeadlockDetectionMode(on ? absl::OnDeadlockCycle::kAbort
                                         : absl::OnDeadlockCycle::kIgnore);
}

void ApplyReleaseTuning() {
#ifdef NDEBUG
  const char* keep = std::getenv("EVENTMESH_LOCK_ORDER_CHECKS");
  if (keep == nullptr || std::string_view(keep) != "1") SetMutexLockOrderChecks(false);
#endif
}

}  // namespace eventmesh::common
