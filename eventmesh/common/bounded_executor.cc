#include "eventmesh/common/bounded_executor.h"

#include <utility>

#include "eventmesh/common/named_thread.h"

namespace eventmesh {

BoundedExecutor::BoundedExecutor(int threads, size_t max_queued, const std::string& name)
    : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    threads_.push_back(StartNamedThread(name, [this] { Loop(); }));
  }
}

BoundedExecutor::~BoundedExecutor() { Shutdown(); }

bool BoundedExecutor::TrySubmit(std::function<void()> task, std::function<void()> cancel) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(Task{std::move(task), std::move(cancel)});
  return true;
}

void BoundedExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Join();
}

void BoundedExecutor::ShutdownNow() {
  std::deque<Task> dropped;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  for (Task& task : dropped) {
    if (task.cancel) task.cancel();
  }
  Join();
}

void BoundedExecutor::Join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool BoundedExecutor::HasWorkOrStopping() const { return stopping_ || !queue_.empty(); }

void BoundedExecutor::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &BoundedExecutor::HasWorkOrStopping));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front().run);
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace eventmesh
