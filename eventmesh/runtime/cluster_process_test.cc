// Multi-process tests: the real runtime binary (alone with the embedded store, or two of them on
// the store service binary), three subscriber processes of one CLUSTERING group and a publisher
// process (cluster_process_helper). One subscriber never acknowledges and is SIGKILLed mid-stream
// while it holds unacknowledged events; every published event must reach some subscriber, and the
// killed one's events must reach the survivors. Every wait is bounded; all child processes are
// killed and reaped even when an assertion fails.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/store/client/store_client.h"
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

// The published bodies no survivor received, each marked "(held)" when the killed subscriber
// had received it.
std::string Missing(const std::multiset<std::string>& published,
                    const std::set<std::string>& survivors,
                    const std::multiset<std::string>& held) {
  std::vector<std::string> missing;
  for (const auto& body : published) {
    if (survivors.count(body) == 0) {
      missing.push_back(held.count(body) > 0 ? body + " (held)" : body);
    }
  }
  return absl::StrJoin(missing, " ");
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

// Waits for a line of `file` matching `pattern`; returns its first group as a number (0: none).
int WaitForPort(const std::string& file, const std::string& pattern) {
  int port = 0;
  WaitUntil(
      [&] {
        for (const auto& line : ReadLines(file)) {
          std::smatch match;
          if (std::regex_search(line, match, std::regex(pattern))) {
            port = std::stoi(match[1]);
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30));
  return port;
}

class ClusterProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }

  // Starts the runtime binary on a free port with `extra` flags; returns its TCP port.
  int StartRuntime(const std::string& name, std::vector<std::string> extra) {
    const std::string out = absl::StrCat(dir_, "/", name, ".out");
    std::vector<std::string> args = {"--port=0", absl::StrCat("--data_dir=", dir_, "/", name),
                                     "--eventMesh.server.tcp.workerThreads=2",
                                     "--eventMesh.server.delivery.ackTimeoutInMills=2000"};
    args.insert(args.end(), extra.begin(), extra.end());
    runtimes_.push_back(processes_.Spawn(Runfile("eventmesh/runtime/runtime"), args, out));
    const int port = WaitForPort(out, "TCP port ([0-9]+)");
    EXPECT_GT(port, 0) << "runtime " << name
                       << " did not start: " << absl::StrJoin(ReadLines(out + ".err"), "\n");
    return port;
  }

  // Three subscribers of group "workers" on topic "jobs" (subscriber i on subscriber_ports[i]);
  // subscriber 2 never acknowledges and is SIGKILLed once it holds a few events while a
  // publisher process (on publisher_port) is still publishing. `settled` runs once every
  // subscriber is ready, before publishing.
  void RunKillScenario(const std::vector<int>& subscriber_ports, int publisher_port,
                       const std::function<void()>& settled) {
    const std::string helper = Runfile("eventmesh/runtime/testing/cluster_process_helper");
    std::vector<int> subscribers;
    std::vector<std::string> outs;
    for (int i = 0; i < 3; ++i) {
      outs.push_back(absl::StrCat(dir_, "/sub", i, ".out"));
      subscribers.push_back(
          processes_.Spawn(helper,
                           {"sub", absl::StrCat("--port=", subscriber_ports[i]), "--group=workers",
                            "--topic=jobs", i == 2 ? "--ack=no" : "--ack=yes", "--max_seconds=120"},
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
          << out << " never became ready: " << absl::StrJoin(ReadLines(out + ".err"), "\n");
    }
    settled();

    // The publisher: 300 events, 5 ms apart.
    constexpr int kEvents = 300;
    const std::string publisher_out = dir_ + "/pub.out";
    const int publisher =
        processes_.Spawn(helper,
                         {"pub", absl::StrCat("--port=", publisher_port), "--topic=jobs",
                          absl::StrCat("--count=", kEvents), "--delay_ms=5"},
                         publisher_out);

    // Mid-stream, while the non-acknowledging subscriber holds a few events: SIGKILL it.
    ASSERT_TRUE(WaitUntil([&] { return Bodies(outs[2], "GOT").size() >= 3; }, absl::Seconds(30)))
        << "the holder received nothing";
    EXPECT_LT(Bodies(publisher_out, "PUBLISHED").size(), static_cast<size_t>(kEvents))
        << "the publisher finished before the kill (not mid-stream)";
    processes_.Kill(subscribers[2], SIGKILL);
    EXPECT_EQ(processes_.Wait(subscribers[2], absl::Seconds(10)), 128 + SIGKILL);
    const std::multiset<std::string> held = Bodies(outs[2], "GOT");
    ASSERT_FALSE(held.empty());

    EXPECT_EQ(processes_.Wait(publisher, absl::Seconds(60)), 0)
        << "publisher failed or hung; it published " << Bodies(publisher_out, "PUBLISHED").size()
        << ": " << absl::StrJoin(ReadLines(publisher_out + ".err"), "\n");
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
        << "survivors received " << survivors.size() << " of " << kEvents
        << " events; missing: " << Missing(published, survivors, held)
        << "\nholder received: " << absl::StrJoin(held, " ") << "\nruntime log:\n"
        << absl::StrJoin(ReadLines(dir_ + "/runtime.out.err"), "\n");
    for (const auto& body : held) {
      EXPECT_EQ(survivors.count(body), 1u) << body << " held by the killed subscriber was lost";
    }
    for (int i = 0; i < 2; ++i) {
      EXPECT_GT(Bodies(outs[i], "GOT").size(), 0u) << "subscriber " << i << " got nothing";
    }
    for (int i = 0; i < 2; ++i) processes_.Kill(subscribers[i], SIGKILL);
  }

  // Graceful stop (SIGTERM) of every runtime; each must exit 0.
  void StopRuntimes() {
    for (int runtime : runtimes_) processes_.Kill(runtime, SIGTERM);
    for (int runtime : runtimes_) EXPECT_EQ(processes_.Wait(runtime, absl::Seconds(30)), 0);
  }

  std::string dir_;
  Processes processes_;
  std::vector<int> runtimes_;
};

TEST_F(ClusterProcessTest, KilledSubscribersUnackedEventsReachTheOthers) {
  const int port = StartRuntime("runtime", {"--eventMesh.storage.embedded.syncMode=none",
                                            "--eventMesh.storage.embedded.fetchWaitMs=100"});
  ASSERT_GT(port, 0);
  RunKillScenario({port, port, port}, port, [] {});
  StopRuntimes();
}

// The same over the store service: store_main plus two runtime processes with the "store"
// connector. Subscribers 0 and 1 on runtime A, the holder alone on runtime B: when it is killed,
// runtime B leaves the store group and runtime A takes its partitions over, held events included.
TEST_F(ClusterProcessTest, KilledSubscriberOnOneRuntimeIsTakenOverByAnotherRuntime) {
  const std::string store_out = dir_ + "/store.out";
  const int store = processes_.Spawn(
      Runfile("eventmesh/store/service/store_main"),
      {"--port=0", absl::StrCat("--data_dir=", dir_, "/store"), "--sync=none"}, store_out);
  const int store_port = WaitForPort(store_out, "listening on [0-9.]+:([0-9]+)");
  ASSERT_GT(store_port, 0) << absl::StrJoin(ReadLines(store_out + ".err"), "\n");
  const std::vector<std::string> store_flags = {
      "--eventMesh.storage.plugin.type=store",
      absl::StrCat("--eventMesh.storage.store.address=127.0.0.1:", store_port),
      "--eventMesh.storage.store.fetchWaitMs=100",
      "--eventMesh.storage.store.heartbeatIntervalMs=100",
      "--eventMesh.storage.store.commitIntervalMs=50"};
  const int port_a = StartRuntime("runtime_a", store_flags);
  const int port_b = StartRuntime("runtime_b", store_flags);
  ASSERT_GT(port_a, 0);
  ASSERT_GT(port_b, 0);

  store::client::StoreClientOptions options;
  options.port = static_cast<uint16_t>(store_port);
  auto client = store::client::StoreClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  RunKillScenario({port_a, port_a, port_b}, port_b, [&] {
    // Both runtimes are members of the store group, 2 of the 4 partitions each, and have seen
    // the assignment (a few heartbeats).
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto group = (*client)->DescribeGroup({"workers"});
          return group.ok() && group->members.size() == 2 &&
                 group->members[0].partitions.size() == 2 &&
                 group->members[1].partitions.size() == 2;
        },
        absl::Seconds(30)));
    absl::SleepFor(absl::Milliseconds(400));
  });
  client->reset();
  StopRuntimes();
  processes_.Kill(store, SIGTERM);
  EXPECT_EQ(processes_.Wait(store, absl::Seconds(30)), 0);
}

}  // namespace
}  // namespace eventmesh::runtime
