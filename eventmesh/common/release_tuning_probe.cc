// Calls ApplyReleaseTuning like a server's main(), then prints what the process was left with:
// "tunables=<GLIBC_TUNABLES or (unset)>" and "args=<argv[1..] separated by spaces>", one line
// each, "starts=<how many times main() ran in this process>" (counted through the
// environment, which survives a restart) and "comm=<the process name ps shows>".

#include <stdlib.h>

#include <cstdio>
#include <string>

#include "eventmesh/common/release_tuning.h"

int main(int argc, char** argv) {
  const char* before = std::getenv("RELEASE_TUNING_PROBE_STARTS");
  const std::string starts = std::to_string((before == nullptr ? 0 : std::atoi(before)) + 1);
  setenv("RELEASE_TUNING_PROBE_STARTS", starts.c_str(), 1);
  eventmesh::common::ApplyReleaseTuning(argv);
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::printf("tunables=%s\n", tunables == nullptr ? "(unset)" : tunables);
  std::string args;
  for (int i = 1; i < argc; ++i) {
    if (i > 1) args += ' ';
    args += argv[i];
  }
  std::printf("args=%s\nstarts=%s\n", args.c_str(), std::getenv("RELEASE_TUNING_PROBE_STARTS"));
  // The name `ps` and `pidof` show (the kernel keeps 15 characters of the file's name).
  char comm[32] = {};
  if (FILE* f = std::fopen("/proc/self/comm", "r")) {
    if (std::fgets(comm, sizeof(comm), f) == nullptr) comm[0] = '\0';
    std::fclose(f);
  }
  std::printf("comm=%s", comm);
  return 0;
}
