#include "eventmesh/common/named_thread.h"

#include <pthread.h>

#include <string>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

std::string CurrentThreadName() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof(buf));
  return buf;
}

TEST(NamedThreadTest, ThreadRunsUnderItsName) {
  std::string seen;
  std::thread t = StartNamedThread("em-test-worker", [&seen] { seen = CurrentThreadName(); });
  t.join();
  EXPECT_EQ(seen, "em-test-worker");
}

TEST(NamedThreadTest, LongNamesAreCutTo15Bytes) {
  std::string seen;
  std::thread t =
      StartNamedThread("em-a-very-long-thread-name", [&seen] { seen = CurrentThreadName(); });
  t.join();
  EXPECT_EQ(seen, "em-a-very-long-");
}

TEST(NamedThreadTest, EmptyNameKeepsTheInheritedName) {
  std::string outer, seen;
  std::thread t = StartNamedThread("em-outer", [&] {
    outer = CurrentThreadName();
    SetCurrentThreadName("");
    seen = CurrentThreadName();
  });
  t.join();
  EXPECT_EQ(outer, "em-outer");
  EXPECT_EQ(seen, "em-outer");
}

}  // namespace
}  // namespace eventmesh
