// emctl: `bazel run //tools/emctl -- [--admin=host:port] [--token=T] [--json] <command> ...`.
// See eventmesh/cli/README.md.

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include "eventmesh/cli/emctl.h"

namespace {

std::atomic<bool> interrupted{false};

// First Ctrl-C: ask the running command to stop; a second one ends the process.
void OnInterrupt(int) {
  interrupted.store(true);
  signal(SIGINT, SIG_DFL);
}

}  // namespace

int main(int argc, char** argv) {
  eventmesh::cli::EmctlEnvironment env;
  if (const char* admin = getenv("EMCTL_ADMIN")) env.admin = admin;
  if (const char* token = getenv("EMCTL_TOKEN")) env.token = token;
  if (const char* server = getenv("EMCTL_SERVER")) env.server = server;
  env.in = &std::cin;
  env.progress = isatty(STDERR_FILENO) == 1;
  env.catch_interrupts = [] {
    signal(SIGINT, OnInterrupt);
    return &interrupted;
  };
  return eventmesh::cli::RunEmctl(std::vector<std::string>(argv + 1, argv + argc), env, std::cout,
                                  std::cerr);
}
