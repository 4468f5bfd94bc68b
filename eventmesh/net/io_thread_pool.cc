#include "eventmesh/net/io_thread_pool.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "eventmesh/common/named_thread.h"
#include "eventmesh/common/thread_deferral.h"

namespace eventmesh::net {
namespace {

// Deferred work of one io thread: queued in order and run by one handler posted to the thread's
// own context. Work still queued when the context stops (Stop() with a flush pending) runs when
// the thread's run() returns, so nothing deferred is dropped.
class PostingDeferrer final : public common::ThreadDeferrer {
 public:
  explicit PostingDeferrer(boost::asio::io_context* io) : io_(io) {}

  void Defer(std::function<void()> fn) override {
    queue_.push_back(std::move(fn));
    if (posted_) return;
    posted_ = true;
    boost::asio::post(*io_, [this] { RunQueued(); });
  }

  // After run() returned: what is left, including what it defers in turn (bounded passes).
  void RunLeftovers() {
    for (int pass = 0; pass < 100 && !queue_.empty(); ++pass) RunQueued();
  }

 private:
  void RunQueued() {
    posted_ = false;
    std::vector<std::function<void()>> work;
    work.swap(queue_);
    for (auto& fn : work) fn();
  }

  boost::asio::io_context* const io_;
  std::vector<std::function<void()>> queue_;  // this thread only
  bool posted_ = false;
};

}  // namespace

IoThreadPool::IoThreadPool(const Options& options)
    : model_(options.model), threads_count_(std::max(1, options.threads)), name_(options.name) {
  const int contexts = model_ == Model::kShared ? 1 : threads_count_;
  for (int i = 0; i < contexts; ++i) {
    contexts_.push_back(model_ == Model::kShared ? std::make_unique<boost::asio::io_context>()
                                                 : std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

IoThreadPool::~IoThreadPool() { Stop(); }

void IoThreadPool::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_.load() || stopped_.load()) return;
  for (int i = 0; i < threads_count_; ++i) {
    boost::asio::io_context* io = contexts_[model_ == Model::kShared ? 0 : i].get();
    std::string name = name_.empty() ? std::string() : name_ + "-" + std::to_string(i);
    const bool own_context = model_ == Model::kPerThread;
    threads_.emplace_back([io, own_context, name = std::move(name)] {
      SetCurrentThreadName(name);
      // A thread that runs its own context lets work be deferred to it: the work runs on this
      // thread after the handlers already ready. (A shared context could run it on another
      // thread of the pool, so none is installed there.)
      PostingDeferrer deferrer(io);
      std::optional<common::ScopedThreadDeferrer> scoped;
      if (own_context) scoped.emplace(&deferrer);
      io->run();
      if (own_context) deferrer.RunLeftovers();
    });
  }
  started_.store(true);
}

boost::asio::any_io_executor IoThreadPool::NextExecutor() {
  if (model_ == Model::kShared) return boost::asio::make_strand(*contexts_[0]);
  return contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()]
      ->get_executor();
}

void IoThreadPool::ReleaseWork() {
  std::lock_guard<std::mutex> lock(guards_mu_);
  for (auto& guard : guards_) guard.reset();
}

void IoThreadPool::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_.exchange(true)) return;
  ReleaseWork();
  for (auto& io : contexts_) io->stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace eventmesh::net
