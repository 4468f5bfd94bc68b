#ifndef EVENTMESH_COMMON_RELEASE_TUNING_H_
#define EVENTMESH_COMMON_RELEASE_TUNING_H_

namespace eventmesh::common {

// Process-wide settings for optimised (NDEBUG) builds, called first thing in the main() of every
// server, tool and benchmark binary. Does nothing in debug and test builds.
//
// What it sets: Abseil Mutex lock-order (deadlock) detection off. Debian's libabsl is compiled
// without NDEBUG, so by default every absl::Mutex::Lock records the lock order in one
// process-wide graph guarded by one global lock, and every Mutex destruction removes its node:
// ~50 ns per lock and a point where all threads contend. Tests keep the detection (it aborts on
// a lock-order inversion); released binaries do not pay for it. Setting the environment variable
// EVENTMESH_LOCK_ORDER_CHECKS=1 keeps the checks on in a release binary (to diagnose a hang).
void ApplyReleaseTuning();

// Turns Abseil's Mutex lock-order detection on (abort on an inversion) or off, for the whole
// process. ApplyReleaseTuning() calls it with false in NDEBUG builds.
void SetMutexLockOrderChecks(bool on);

}  // namespace eventmesh::common

#endif  // EVENTMESH_COMMON_RELEASE_TUNING_H_
