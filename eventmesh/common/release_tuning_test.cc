#include "eventmesh/common/release_tuning.h"

#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace eventmesh::common {
namespace {

// Takes a then b, then b then a: a lock-order inversion (a potential deadlock).
void InvertLockOrder() {
  absl::Mutex a;
  absl::Mutex b;
  {
    absl::MutexLock la(&a);
    absl::MutexLock lb(&b);
  }
  {
    absl::MutexLock lb(&b);
    absl::MutexLock la(&a);
  }
}

TEST(ReleaseTuningDeathTest, LockOrderChecksAbortOnAnInversionWhenOn) {
  // The premise of ApplyReleaseTuning: the system Abseil checks lock order unless told not to.
  SetMutexLockOrderChecks(true);
  EXPECT_DEATH(InvertLockOrder(), "Potential Mutex deadlock");
}

TEST(ReleaseTuningDeathTest, AnInversionPassesWithLockOrderChecksOff) {
  EXPECT_EXIT(
      {
        SetMutexLockOrderChecks(false);
        InvertLockOrder();
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace eventmesh::common
