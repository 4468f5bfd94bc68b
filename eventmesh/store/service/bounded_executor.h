#ifndef EVENTMESH_STORE_SERVICE_BOUNDED_EXECUTOR_H_
#define EVENTMESH_STORE_SERVICE_BOUNDED_EXECUTOR_H_

// A fixed pool of threads running blocking tasks (engine calls that wait for an fsync) off the
// network threads, with a bounded queue: TrySubmit refuses work beyond `max_queued` instead of
// growing without limit. Thread-safe. Shutdown() (also run by the destructor) refuses new tasks,
// runs every task already queued and joins the threads.

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace eventmesh::store::service {

class BoundedExecutor {
 public:
  BoundedExecutor(int threads, size_t max_queued);
  ~BoundedExecutor();
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Queues `task`; false when the queue is full or the executor is shut down.
  bool TrySubmit(std::function<void()> task);
  void Shutdown();

 private:
  void Loop();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace eventmesh::store::service

#endif  // EVENTMESH_STORE_SERVICE_BOUNDED_EXECUTOR_H_
