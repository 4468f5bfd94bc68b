#include "eventmesh/testing/peak_memory.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace eventmesh::testing {

int64_t PeakRssBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return static_cast<int64_t>(kib) * 1024;
}

bool ResetPeakRss() {
  FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool written = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && written;
}

int64_t PeakGrowthInChild(const std::function<void()>& prepare, const std::function<bool()>& work) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    prepare();
    const int64_t before = PeakRssBytes();
    const int64_t growth = work() && before > 0 ? PeakRssBytes() - before : -1;
    (void)!write(fds[1], &growth, sizeof growth);
    _exit(0);
  }
  close(fds[1]);
  int64_t growth = -1;
  if (child < 0 || read(fds[0], &growth, sizeof growth) != sizeof growth) growth = -1;
  close(fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return growth;
}

}  // namespace eventmesh::testing
