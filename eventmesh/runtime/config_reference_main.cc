// Prints the runtime's configuration reference (Markdown) from RuntimeKeyTable(), for
// eventmesh/runtime/README.md:
//   bazel run //eventmesh/runtime:config_reference

#include <iostream>

#include "eventmesh/runtime/config.h"

int main() {
  std::cout << eventmesh::runtime::RuntimeKeyTable().Markdown();
  return 0;
}
