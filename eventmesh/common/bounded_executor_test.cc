#include "eventmesh/common/bounded_executor.h"

#include <pthread.h>

#include <atomic>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace eventmesh {
namespace {

TEST(BoundedExecutorTest, RefusesBeyondTheQueueAndRunsEverythingItAccepted) {
  BoundedExecutor executor(1, 2);
  absl::Notification started, release;
  std::atomic<int> ran{0};
  ASSERT_TRUE(executor.TrySubmit([&] {
    started.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
    ++ran;
  }));
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(executor.TrySubmit([&] { ++ran; })) << "the queue holds 2";
  release.Notify();
  executor.Shutdown();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(executor.TrySubmit([&] { ++ran; })) << "shut down";
}

TEST(BoundedExecutorTest, ShutdownNowCancelsQueuedTasks) {
  BoundedExecutor executor(1, 4);
  absl::Notification started, release;
  std::atomic<int> ran{0}, cancelled{0};
  ASSERT_TRUE(executor.TrySubmit([&] {
    started.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  }));
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(absl::Seconds(30)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(executor.TrySubmit([&] { ++ran; }, [&] { ++cancelled; }));
  }
  release.Notify();
  executor.ShutdownNow();
  EXPECT_EQ(ran.load() + cancelled.load(), 3);
}

TEST(BoundedExecutorTest, NamesItsThreads) {
  BoundedExecutor executor(1, 1, "em-test-executor-long-name");
  absl::Notification done;
  std::string name;
  ASSERT_TRUE(executor.TrySubmit([&] {
    char buf[16] = {};
    pthread_getname_np(pthread_self(), buf, sizeof(buf));
    name = buf;
    done.Notify();
  }));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(name, "em-test-executo") << "the first 15 characters";
}

}  // namespace
}  // namespace eventmesh
