#ifndef EVENTMESH_TESTING_RECEIVED_BODIES_H_
#define EVENTMESH_TESTING_RECEIVED_BODIES_H_

// The distinct event bodies subscribers received, shared by their handlers, for tests that check
// "every acknowledged event arrived at least once". Thread-safe. Test-only.

#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace eventmesh::testing {

class ReceivedBodies {
 public:
  void Add(const std::string& body) {
    absl::MutexLock lock(&mu_);
    bodies_.insert(body);
  }
  // The bodies of `expected` not received yet.
  std::set<std::string> Missing(const std::set<std::string>& expected) {
    absl::MutexLock lock(&mu_);
    std::set<std::string> missing;
    for (const auto& body : expected) {
      if (bodies_.count(body) == 0) missing.insert(body);
    }
    return missing;
  }
  // Waits (bounded) until every body of `expected` arrived; returns the missing ones.
  std::set<std::string> WaitFor(const std::set<std::string>& expected, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      std::set<std::string> missing = Missing(expected);
      if (missing.empty() || absl::Now() >= deadline) return missing;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> bodies_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::testing

#endif  // EVENTMESH_TESTING_RECEIVED_BODIES_H_
