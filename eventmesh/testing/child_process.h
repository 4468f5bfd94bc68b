#ifndef EVENTMESH_TESTING_CHILD_PROCESS_H_
#define EVENTMESH_TESTING_CHILD_PROCESS_H_

// Test helpers for tests that run a real server binary (etcd, nats-server, the runtime):
// ChildProcess starts a program with its output in a file and kills it (SIGKILL) when destroyed;
// FreeLoopbackPort finds a TCP port free on 127.0.0.1; FindProgram looks a program up in PATH.
// Test-only. Not thread-safe.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace eventmesh::testing {

class ChildProcess {
 public:
  // Starts `program args...` (a path, or a name looked up in PATH) with stdout and stderr
  // appended to `log_file`. Errors: NotFound (no such program), Internal (fork failed).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::string& program,
                                                             const std::vector<std::string>& args,
                                                             const std::string& log_file);
  ~ChildProcess();  // SIGKILL and reap, when still running

  pid_t pid() const { return pid_; }
  // Sends `signal`; then Wait() to reap.
  void Signal(int signal);
  // Waits up to `timeout` for the exit; the exit status (128 + signal when killed), or -1
  // while still running.
  int Wait(absl::Duration timeout);
  bool running() const { return running_; }
  const std::string& log_file() const { return log_file_; }
  // The last `bytes` of the log (for failure messages).
  std::string LogTail(size_t bytes = 2000) const;

 private:
  ChildProcess(pid_t pid, std::string log_file) : pid_(pid), log_file_(std::move(log_file)) {}
  pid_t pid_;
  bool running_ = true;
  int status_ = -1;
  std::string log_file_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int FreeLoopbackPort();

// The full path of `name` found in PATH (or /usr/sbin, /usr/bin), or "" when absent.
std::string FindProgram(const std::string& name);

}  // namespace eventmesh::testing

#endif  // EVENTMESH_TESTING_CHILD_PROCESS_H_
