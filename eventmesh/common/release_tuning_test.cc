#include "eventmesh/common/release_tuning.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::common {
namespace {

// The probe's name as `ps` shows it: the kernel keeps 15 characters.
constexpr char kProbeName[] = "comm=release_tuning_";
constexpr char kNoRepMovsb[] = "glibc.cpu.x86_rep_movsb_threshold=4294967296";

// Takes a then b, then b then a: a lock-order inversion (a potential deadlock).
void InvertLockOrder() {
  absl::Mutex a;
  absl::Mutex b;
  {
    absl::MutexLock la(&a);
    absl::MutexLock lb(&b);
  }
  {
    absl::MutexLock lb(&b);
    absl::MutexLock la(&a);
  }
}

TEST(ReleaseTuningDeathTest, LockOrderChecksAbortOnAnInversionWhenOn) {
  // The premise of ApplyReleaseTuning: the system Abseil checks lock order unless told not to.
  SetMutexLockOrderChecks(true);
  EXPECT_DEATH(InvertLockOrder(), "Potential Mutex deadlock");
}

TEST(ReleaseTuningDeathTest, AnInversionPassesWithLockOrderChecksOff) {
  EXPECT_EXIT(
      {
        SetMutexLockOrderChecks(false);
        InvertLockOrder();
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(GlibcTunablesForFastCopiesTest, AmdWithAnOldGlibcRestartsWithoutRepMovsb) {
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, std::nullopt, "AuthenticAMD", "2.36"),
            kNoRepMovsb);
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, "auto", "AuthenticAMD", "2.39.1"),
            kNoRepMovsb);
  EXPECT_EQ(GlibcTunablesForFastCopies("", std::nullopt, "AuthenticAMD", "2.36"), kNoRepMovsb);
  // An unreadable version counts as old.
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, std::nullopt, "AuthenticAMD", "unknown"),
            kNoRepMovsb);
  // An unknown mode counts as auto.
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, "yes", "AuthenticAMD", "2.36"), kNoRepMovsb);
}

TEST(GlibcTunablesForFastCopiesTest, OtherTunablesAreKept) {
  EXPECT_EQ(
      GlibcTunablesForFastCopies("glibc.malloc.check=0", std::nullopt, "AuthenticAMD", "2.36"),
      absl::StrCat("glibc.malloc.check=0:", kNoRepMovsb));
}

TEST(GlibcTunablesForFastCopiesTest, KeepsTheProcessWhereGlibcOrTheOperatorDecides) {
  // glibc 2.40 and later choose well on AMD by themselves.
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, std::nullopt, "AuthenticAMD", "2.40"),
            std::nullopt);
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, std::nullopt, "AuthenticAMD", "3.1"),
            std::nullopt);
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, std::nullopt, "GenuineIntel", "2.36"),
            std::nullopt);
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, "off", "AuthenticAMD", "2.36"), std::nullopt);
  // The operator's own threshold wins; this is also what stops a second restart.
  EXPECT_EQ(GlibcTunablesForFastCopies("glibc.cpu.x86_rep_movsb_threshold=8192", "on",
                                       "AuthenticAMD", "2.36"),
            std::nullopt);
  // `on` applies whatever the CPU and glibc.
  EXPECT_EQ(GlibcTunablesForFastCopies(std::nullopt, "on", "GenuineIntel", "2.41"), kNoRepMovsb);
}

// Runs the probe binary with `mode` as EVENTMESH_GLIBC_COPY_TUNING and `tunables` as
// GLIBC_TUNABLES (unset when null); its output lines.
std::vector<std::string> RunProbe(const char* mode, const char* tunables) {
  static int runs = 0;
  const std::string log = absl::StrCat(std::getenv("TEST_TMPDIR"), "/probe_", ++runs, ".log");
  setenv("EVENTMESH_GLIBC_COPY_TUNING", mode, 1);
  if (tunables == nullptr) {
    unsetenv("GLIBC_TUNABLES");
  } else {
    setenv("GLIBC_TUNABLES", tunables, 1);
  }
  unsetenv("RELEASE_TUNING_PROBE_STARTS");
  const std::string probe =
      absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"),
                   "/eventmesh/common/release_tuning_probe");
  auto child = testing::ChildProcess::Start(probe, {"one", "two words", "--x=3"}, log);
  unsetenv("EVENTMESH_GLIBC_COPY_TUNING");
  unsetenv("GLIBC_TUNABLES");
  if (!child.ok()) {
    ADD_FAILURE() << child.status();
    return {};
  }
  EXPECT_EQ((*child)->Wait(absl::Seconds(30)), 0) << (*child)->LogTail();
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ReleaseTuningProcessTest, RestartsOnceWithTheTunableAndTheSameArguments) {
  EXPECT_THAT(RunProbe("on", nullptr),
              ::testing::ElementsAre(absl::StrCat("tunables=", kNoRepMovsb),
                                     "args=one two words --x=3", "starts=2", kProbeName));
  EXPECT_THAT(RunProbe("on", "glibc.malloc.check=0"),
              ::testing::ElementsAre(absl::StrCat("tunables=glibc.malloc.check=0:", kNoRepMovsb),
                                     "args=one two words --x=3", "starts=2", kProbeName));
}

TEST(ReleaseTuningProcessTest, OffOrTheOperatorsOwnThresholdKeepsTheProcess) {
  EXPECT_THAT(RunProbe("off", nullptr),
              ::testing::ElementsAre("tunables=(unset)", "args=one two words --x=3", "starts=1",
                                     kProbeName));
  EXPECT_THAT(RunProbe("on", "glibc.cpu.x86_rep_movsb_threshold=8192"),
              ::testing::ElementsAre("tunables=glibc.cpu.x86_rep_movsb_threshold=8192",
                                     "args=one two words --x=3", "starts=1", kProbeName));
}

}  // namespace
}  // namespace eventmesh::common
