// IoThreadPool: both models run work on their threads, per-thread contexts are dealt round
// robin, strands serialise, ReleaseWork lets the threads finish, Stop is idempotent, names.

#include "eventmesh/net/io_thread_pool.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/post.hpp"
#include "eventmesh/common/thread_deferral.h"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

namespace asio = boost::asio;

std::thread::id RunOn(const asio::any_io_executor& executor) {
  std::promise<std::thread::id> where;
  asio::post(executor, [&] { where.set_value(std::this_thread::get_id()); });
  return where.get_future().get();
}

TEST(IoThreadPoolTest, PerThreadThreadsDeferWorkToTheirOwnLoopAfterReadyHandlers) {
  EXPECT_EQ(common::CurrentThreadDeferrer(), nullptr);  // not an event-loop thread
  IoThreadPool pool({/*threads=*/1, IoThreadPool::Model::kPerThread, ""});
  pool.Start();
  std::mutex mu;
  std::vector<std::string> order;
  std::thread::id handler_thread, deferred_thread;
  std::promise<void> done;
  auto note = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(what);
  };
  asio::post(pool.context(), [&] {
    note("first");
    handler_thread = std::this_thread::get_id();
    common::ThreadDeferrer* deferrer = common::CurrentThreadDeferrer();
    ASSERT_NE(deferrer, nullptr);
    deferrer->Defer([&] {
      note("deferred");
      deferred_thread = std::this_thread::get_id();
      done.set_value();
    });
  });
  asio::post(pool.context(), [&] { note("second"); });  // already queued when first runs
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "deferred"}));
  EXPECT_EQ(deferred_thread, handler_thread);
  pool.Stop();
}

TEST(IoThreadPoolTest, WorkDeferredWhenTheLoopStopsStillRuns) {
  IoThreadPool pool({/*threads=*/1, IoThreadPool::Model::kPerThread, ""});
  pool.Start();
  std::promise<std::thread::id> handler_thread;
  std::atomic<bool> ran{false};
  std::thread::id deferred_thread;
  asio::post(pool.context(), [&] {
    common::CurrentThreadDeferrer()->Defer([&] {
      deferred_thread = std::this_thread::get_id();
      ran = true;
    });
    pool.context().stop();  // the loop returns before the deferred work's turn
    handler_thread.set_value(std::this_thread::get_id());
  });
  const std::thread::id expected = handler_thread.get_future().get();
  pool.Stop();  // joins the thread, which ran the leftover work after its loop returned
  EXPECT_TRUE(ran);
  EXPECT_EQ(deferred_thread, expected);
}

TEST(IoThreadPoolTest, SharedContextThreadsHaveNoDeferrer) {
  // Work posted to a shared context may run on another thread of the pool.
  IoThreadPool pool({/*threads=*/2, IoThreadPool::Model::kShared, ""});
  pool.Start();
  std::promise<bool> has_deferrer;
  asio::post(pool.context(), [&] { has_deferrer.set_value(common::CurrentThreadDeferrer()); });
  EXPECT_FALSE(has_deferrer.get_future().get());
  pool.Stop();
}

TEST(IoThreadPoolTest, PerThreadDealsContextsRoundRobin) {
  IoThreadPool pool({/*threads=*/3, IoThreadPool::Model::kPerThread, ""});
  EXPECT_EQ(pool.contexts(), 3u);
  EXPECT_EQ(pool.threads(), 3);
  pool.Start();
  EXPECT_TRUE(pool.running());
  std::set<std::thread::id> threads;
  std::thread::id first;
  for (int i = 0; i < 6; ++i) {
    const std::thread::id id = RunOn(pool.NextExecutor());
    if (i == 0) first = id;
    if (i == 3) {
      EXPECT_EQ(id, first);  // the fourth connection goes back to the first worker
    }
    threads.insert(id);
  }
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  pool.Stop();
  EXPECT_FALSE(pool.running());
  pool.Stop();  // idempotent
}

TEST(IoThreadPoolTest, SharedGivesEachConnectionAStrand) {
  IoThreadPool pool({/*threads=*/4, IoThreadPool::Model::kShared, ""});
  EXPECT_EQ(pool.contexts(), 1u);
  pool.Start();
  auto strand = pool.NextExecutor();
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) {
    asio::post(strand, [&] {
      if (inside.fetch_add(1) != 0) overlapped = true;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      inside.fetch_sub(1);
      done.fetch_add(1);
    });
  }
  while (done.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(overlapped.load());
}

TEST(IoThreadPoolTest, ReleaseWorkLetsThreadsFinishQueuedWork) {
  IoThreadPool pool({/*threads=*/2, IoThreadPool::Model::kShared, ""});
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) asio::post(pool.context(), [&] { ran.fetch_add(1); });
  pool.Start();
  pool.ReleaseWork();
  // Out of work, run() returns by itself (the context reports stopped) after the queue ran.
  for (int i = 0; i < 500 && !pool.context().stopped(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(pool.context().stopped());
  EXPECT_EQ(ran.load(), 10);
  pool.Stop();
}

TEST(IoThreadPoolTest, NeverStartedStopsAndStartAfterStopDoesNothing) {
  IoThreadPool pool({/*threads=*/2, IoThreadPool::Model::kPerThread, ""});
  pool.Stop();
  pool.Start();
  EXPECT_FALSE(pool.running());
}

TEST(IoThreadPoolTest, ThreadsAreNamed) {
  IoThreadPool pool({/*threads=*/1, IoThreadPool::Model::kPerThread, "em-test"});
  pool.Start();
  std::promise<std::string> name;
  asio::post(pool.context(), [&] {
    char buf[16] = {};
    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    name.set_value(buf);
  });
  EXPECT_EQ(name.get_future().get(), "em-test-0");
}

TEST(IoThreadPoolTest, ThreadCountBelowOneMeansOne) {
  IoThreadPool pool({/*threads=*/0, IoThreadPool::Model::kPerThread, ""});
  EXPECT_EQ(pool.threads(), 1);
  EXPECT_EQ(pool.contexts(), 1u);
}

}  // namespace
}  // namespace eventmesh::net
