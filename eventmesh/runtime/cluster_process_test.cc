// Multi-process test: the real runtime binary, three subscriber processes of one CLUSTERING
// group and a publisher process (cluster_process_helper). One subscriber never acknowledges and
// is SIGKILLed mid-stream while it holds unacknowledged events; every published event must reach
// some subscriber, and the killed one's events must reach the survivors. Every wait is bounded;
// all child processes are killed and reaped even when an assertion fails.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"), "/", path);
}

std::vector<std::string> ReadLines(const std::string& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Bodies of the lines "<prefix> <body>" of `file`.
std::multiset<std::string> Bodies(const std::string& file, const std::string& prefix) {
  std::multiset<std::string> bodies;
  for (const auto& line : ReadLines(file)) {
    if (absl::StartsWith(line, prefix + " ")) bodies.insert(line.substr(prefix.size() + 1));
  }
  return bodies;
}

// Child processes; the destructor SIGKILLs and reaps every one still running.
class Processes {
 public:
  ~Processes() {
    for (auto& child : children_) {
      if (child.running) {
        kill(child.pid, SIGKILL);
        waitpid(child.pid, nullptr, 0);
      }
    }
  }

  // Starts `binary args...` with stdout to `out` (stderr to out + ".err"); returns an index.
  int Spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& out) {
    pid_t pid = fork();
    if (pid == 0) {
      FILE* stdout_file = freopen(out.c_str(), "w", stdout);
      FILE* stderr_file = freopen((out + ".err").c_str(), "w", stderr);
      if (stdout_file == nullptr || stderr_file == nullptr) _exit(127);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(binary.c_str()));
      for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    EXPECT_GT(pid, 0) << "fork failed";
    children_.push_back({pid, true});
    return static_cast<int>(children_.size()) - 1;
  }

  void Kill(int index, int signal) {
    if (children_[index].running) kill(children_[index].pid, signal);
  }

  // Waits up to `timeout` for the child to exit; returns its exit status (-1: still running,
  // then it is left for the destructor).
  int Wait(int index, absl::Duration timeout) {
    Child& child = children_[index];
    if (!child.running) return child.status;
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      int status = 0;
      pid_t done = waitpid(child.pid, &status, WNOHANG);
      if (done == child.pid) {
        child.running = false;
        child.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return child.status;
      }
      if (absl::Now() >= deadline) return -1;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

 private:
  struct Child {
    pid_t pid;
    bool running;
    int status = 0;
  };
  std::vector<Child> children_;
};

// Polls `predicate` every 20 ms up to `timeout`.
template <typename Predicate>
bool WaitUntil(Predicate predicate, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!predicate()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

TEST(ClusterProcessTest, KilledSubscribersUnackedEventsReachTheOthers) {
  const std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/cluster_process");
  std::filesystem::create_directories(dir);
  const std::string runtime_bin = Runfile("eventmesh/runtime/runtime");
  const std::string helper_bin = Runfile("eventmesh/runtime/cluster_process_helper");
  Processes processes;

  // The runtime on a free port (--port=0; it prints the bound port).
  const std::string runtime_out = dir + "/runtime.out";
  const int runtime = processes.Spawn(
      runtime_bin,
      {"--port=0", absl::StrCat("--data_dir=", dir, "/data"),
       "--eventMesh.server.tcp.workerThreads=2", "--eventMesh.storage.embedded.syncMode=none",
       "--eventMesh.storage.embedded.fetchWaitMs=100",
       "--eventMesh.server.delivery.ackTimeoutInMills=2000"},
      runtime_out);
  int port = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& line : ReadLines(runtime_out)) {
          std::smatch match;
          if (std::regex_search(line, match, std::regex("TCP port ([0-9]+)"))) {
            port = std::stoi(match[1]);
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30)))
      << "the runtime did not start; stderr: " << ReadLines(runtime_out + ".err").size()
      << " lines";

  // Three subscribers of one group; subscriber 2 never acknowledges.
  std::vector<int> subscribers;
  std::vector<std::string> outs;
  for (int i = 0; i < 3; ++i) {
    outs.push_back(absl::StrCat(dir, "/sub", i, ".out"));
    subscribers.push_back(
        processes.Spawn(helper_bin,
                        {"sub", absl::StrCat("--port=", port), "--group=workers", "--topic=jobs",
                         i == 2 ? "--ack=no" : "--ack=yes", "--max_seconds=120"},
                        outs.back()));
  }
  for (const auto& out : outs) {
    ASSERT_TRUE(WaitUntil(
        [&] {
          for (const auto& line : ReadLines(out)) {
            if (line == "READY") return true;
          }
          return false;
        },
        absl::Seconds(30)))
        << out << " never became ready";
  }

  // The publisher: 300 events, 5 ms apart.
  constexpr int kEvents = 300;
  const std::string publisher_out = dir + "/pub.out";
  const int publisher = processes.Spawn(helper_bin,
                                        {"pub", absl::StrCat("--port=", port), "--topic=jobs",
                                         absl::StrCat("--count=", kEvents), "--delay_ms=5"},
                                        publisher_out);

  // Mid-stream, while the non-acknowledging subscriber holds a few events: SIGKILL it.
  ASSERT_TRUE(WaitUntil([&] { return Bodies(outs[2], "GOT").size() >= 3; }, absl::Seconds(30)))
      << "the holder received nothing";
  EXPECT_LT(Bodies(publisher_out, "PUBLISHED").size(), static_cast<size_t>(kEvents))
      << "the publisher finished before the kill (not mid-stream)";
  processes.Kill(subscribers[2], SIGKILL);
  EXPECT_EQ(processes.Wait(subscribers[2], absl::Seconds(10)), 128 + SIGKILL);
  const std::multiset<std::string> held = Bodies(outs[2], "GOT");
  ASSERT_FALSE(held.empty());

  EXPECT_EQ(processes.Wait(publisher, absl::Seconds(60)), 0)
      << "publisher failed or hung; it published " << Bodies(publisher_out, "PUBLISHED").size();
  const std::multiset<std::string> published = Bodies(publisher_out, "PUBLISHED");
  ASSERT_EQ(published.size(), static_cast<size_t>(kEvents));

  // Every published event reaches a surviving subscriber (the holder's included).
  std::set<std::string> survivors;
  ASSERT_TRUE(WaitUntil(
      [&] {
        survivors.clear();
        for (int i = 0; i < 2; ++i) {
          for (const auto& body : Bodies(outs[i], "GOT")) survivors.insert(body);
        }
        for (const auto& body : published) {
          if (!survivors.count(body)) return false;
        }
        return true;
      },
      absl::Seconds(60)))
      << "survivors received " << survivors.size() << " of " << kEvents << " events";
  for (const auto& body : held) {
    EXPECT_EQ(survivors.count(body), 1u) << body << " held by the killed subscriber was lost";
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_GT(Bodies(outs[i], "GOT").size(), 0u) << "subscriber " << i << " got nothing";
  }

  // Graceful stop of the runtime (SIGTERM), then the subscribers.
  processes.Kill(runtime, SIGTERM);
  EXPECT_EQ(processes.Wait(runtime, absl::Seconds(30)), 0);
  for (int i = 0; i < 2; ++i) processes.Kill(subscribers[i], SIGKILL);
}

}  // namespace
}  // namespace eventmesh::runtime
