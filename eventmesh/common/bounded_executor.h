#ifndef EVENTMESH_COMMON_BOUNDED_EXECUTOR_H_
#define EVENTMESH_COMMON_BOUNDED_EXECUTOR_H_

// A fixed pool of threads running blocking tasks (store calls that wait for an fsync, webhook
// validation handshakes) off the network threads, with a bounded queue: TrySubmit refuses work
// beyond `max_queued` instead of growing without limit. Thread-safe. Shutdown() (also run by the
// destructor) refuses new tasks, runs every task already queued and joins the threads;
// ShutdownNow() instead drops the queued tasks, running their `cancel` function (if any) instead,
// and joins. Threads are named `name` (at most 15 characters kept) when one is given.

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace eventmesh {

class BoundedExecutor {
 public:
  BoundedExecutor(int threads, size_t max_queued, const std::string& name = "");
  ~BoundedExecutor();
  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Queues `task`; false when the queue is full or the executor is shut down.
  // `cancel` runs instead of `task` if ShutdownNow() drops it.
  bool TrySubmit(std::function<void()> task, std::function<void()> cancel = nullptr);
  void Shutdown();
  void ShutdownNow();

 private:
  void Loop();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queued_;
  absl::Mutex mu_;
  struct Task {
    std::function<void()> run;
    std::function<void()> cancel;
  };
  void Join();

  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_BOUNDED_EXECUTOR_H_
