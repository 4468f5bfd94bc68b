// Inbox: collects the deliveries a subscriber's handler receives, for tests.
// Thread-safe: Add is called from client threads while the test waits and reads.

#ifndef EVENTMESH_SDK_TESTING_INBOX_H_
#define EVENTMESH_SDK_TESTING_INBOX_H_

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/tcp_client.h"

namespace eventmesh::sdk::testing {

class Inbox {
 public:
  void Add(std::shared_ptr<Delivery> delivery) {
    absl::MutexLock lock(&mu_);
    deliveries_.push_back(std::move(delivery));
  }

  // Waits until at least n deliveries arrived or `timeout` passed; returns how many did.
  size_t WaitFor(size_t n, absl::Duration timeout = absl::Seconds(30)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return deliveries_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return deliveries_.size();
  }

  std::vector<std::shared_ptr<Delivery>> deliveries() {
    absl::MutexLock lock(&mu_);
    return deliveries_;
  }

  // The data of every delivery's event.
  std::multiset<std::string> Bodies() {
    std::multiset<std::string> bodies;
    for (const auto& delivery : deliveries()) bodies.insert(delivery->event().data());
    return bodies;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Delivery>> deliveries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::sdk::testing

#endif  // EVENTMESH_SDK_TESTING_INBOX_H_
