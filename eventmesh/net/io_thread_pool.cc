#include "eventmesh/net/io_thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "eventmesh/common/thread_deferral.h"

namespace eventmesh::net {
namespace {

class PostingDeferrer final : public common::ThreadDeferrer {
 public:
  explicit PostingDeferrer(boost::asio::io_context* io) : io_(io) {}
  void Defer(std::function<void()> fn) override { boost::asio::post(*io_, std::move(fn)); }

 private:
  boost::asio::io_context* const io_;
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
      if (!name.empty()) pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      // A thread that runs its own context lets work be deferred to it: the work runs on this
      // thread after the handlers already ready. (A shared context could run it on another
      // thread of the pool, so none is installed there.)
      PostingDeferrer deferrer(io);
      std::optional<common::ScopedThreadDeferrer> scoped;
      if (own_context) scoped.emplace(&deferrer);
      io->run();
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
