// emctl: `bazel run //tools/emctl -- [--admin=host:port] [--token=T] [--json] <command> ...`.
// See eventmesh/cli/README.md.

#include <stdlib.h>

#include <iostream>
#include <string>
#include <vector>

#include "eventmesh/cli/emctl.h"

int main(int argc, char** argv) {
  eventmesh::cli::EmctlEnvironment env;
  if (const char* admin = getenv("EMCTL_ADMIN")) env.admin = admin;
  if (const char* token = getenv("EMCTL_TOKEN")) env.token = token;
  return eventmesh::cli::RunEmctl(std::vector<std::string>(argv + 1, argv + argc), env, std::cout,
                                  std::cerr);
}
