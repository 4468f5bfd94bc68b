#ifndef EVENTMESH_NET_IO_THREAD_POOL_H_
#define EVENTMESH_NET_IO_THREAD_POOL_H_

// IoThreadPool: the io threads of one server, in one of the two models our servers use.
//
//   kShared:    one io_context run by `threads` threads; a connection gets its own strand
//               (NextExecutor()). For servers whose connections post work from other threads
//               and where one busy connection must not hold up others on a shared thread
//               (the store service, net::HttpServer).
//   kPerThread: `threads` io_contexts (concurrency hint 1), each run by one thread; a connection
//               is dealt round robin to one of them and stays there, its thread being its strand
//               (no strand or lock on the hot path: the runtime's TCP and HTTP frontends).
//
// Lifecycle: the constructor creates the contexts with a work guard each (so run() does not
// return while idle); Start() starts the threads; ReleaseWork() drops the guards (the threads
// return once no work is left); Stop() drops the guards, stops the contexts and joins the
// threads. Start and Stop are idempotent; Stop is also run by the destructor. The contexts live
// until the pool is destroyed: handlers still queued after Stop() are destroyed with them, so
// an object captured by a handler must either be owned by it (shared_ptr) or outlive the pool.
// Thread-safety: NextExecutor, context, running and ReleaseWork may be called from any thread.
// Start and Stop from a controlling thread (REQUIRES: Stop not from a pool thread). Concurrent
// Stop calls are serialised: the second returns once the first joined the threads.
// Threads are named "<name>-<i>" (Linux keeps 15 characters) when a name is given.
// kPerThread threads install a common::ThreadDeferrer that posts to their own context, so code
// running on them can defer work by one loop turn (see common/thread_deferral.h).

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"

namespace eventmesh::net {

class IoThreadPool {
 public:
  enum class Model { kShared, kPerThread };

  struct Options {
    // Threads; values below 1 mean 1. Default 1.
    int threads = 1;
    Model model = Model::kShared;
    // Thread name prefix ("" = threads keep the process name).
    std::string name;
  };

  explicit IoThreadPool(const Options& options);
  ~IoThreadPool();
  IoThreadPool(const IoThreadPool&) = delete;
  IoThreadPool& operator=(const IoThreadPool&) = delete;

  // Starts the threads. Idempotent; does nothing after Stop().
  void Start();

  Model model() const { return model_; }
  int threads() const { return threads_count_; }
  // Number of io_contexts: 1 (kShared) or threads() (kPerThread).
  size_t contexts() const { return contexts_.size(); }
  // REQUIRES: i < contexts().
  boost::asio::io_context& context(size_t i = 0) { return *contexts_[i]; }

  // The executor for a new connection: a new strand on the context (kShared) or the next
  // context round robin (kPerThread).
  boost::asio::any_io_executor NextExecutor();

  // True between Start() and Stop().
  bool running() const { return started_.load() && !stopped_.load(); }

  // Drops the work guards: the threads return once the contexts run out of work.
  void ReleaseWork();
  // Drops the work guards, stops every context and joins the threads. Idempotent.
  void Stop();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  const Model model_;
  const int threads_count_;
  const std::string name_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::mutex guards_mu_;
  std::vector<WorkGuard> guards_;     // guarded by guards_mu_
  std::mutex mu_;                     // held for the whole of Start and Stop
  std::vector<std::thread> threads_;  // guarded by mu_
};

}  // namespace eventmesh::net

#endif  // EVENTMESH_NET_IO_THREAD_POOL_H_
