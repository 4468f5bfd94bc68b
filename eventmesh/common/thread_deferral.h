#ifndef EVENTMESH_COMMON_THREAD_DEFERRAL_H_
#define EVENTMESH_COMMON_THREAD_DEFERRAL_H_

// Per-thread deferral: a thread that runs an event loop (net::IoThreadPool's threads) installs
// a ThreadDeferrer for as long as its loop runs, so code running on it can schedule work for
// after the handlers the loop already has ready, without knowing the loop. The runtime's
// PublishService uses it to hand the publishes of one loop turn (for example the HTTP requests
// that arrived together on one io thread) to the connector in one batch.
//
// CurrentThreadDeferrer() is nullptr on threads without a loop: callers then do the work at
// once. Deferred work runs on the same thread, in the order it was deferred, exactly once:
// net::IoThreadPool runs work still deferred when its loop is stopped after the loop returns.

#include <functional>

namespace eventmesh::common {

// Schedules a function to run later on the calling thread's event loop.
class ThreadDeferrer {
 public:
  virtual ~ThreadDeferrer() = default;
  virtual void Defer(std::function<void()> fn) = 0;
};

// The deferrer of the calling thread, or nullptr.
ThreadDeferrer* CurrentThreadDeferrer();

// Installs `deferrer` as the calling thread's deferrer for the scope's lifetime (restoring the
// previous one after).
class ScopedThreadDeferrer {
 public:
  explicit ScopedThreadDeferrer(ThreadDeferrer* deferrer);
  ~ScopedThreadDeferrer();
  ScopedThreadDeferrer(const ScopedThreadDeferrer&) = delete;
  ScopedThreadDeferrer& operator=(const ScopedThreadDeferrer&) = delete;

 private:
  ThreadDeferrer* const previous_;
};

}  // namespace eventmesh::common

#endif  // EVENTMESH_COMMON_THREAD_DEFERRAL_H_
