// Prints the runtime's configuration reference (Markdown) from RuntimeKeyTable(), or with
// --update rewrites it in eventmesh/runtime/README.md:
//   bazel run //eventmesh/runtime:config_reference [-- --update]

#include "eventmesh/common/config/reference.h"
#include "eventmesh/runtime/config.h"

int main(int argc, char** argv) {
  return eventmesh::config::RunReferenceTool(
      argc, argv, eventmesh::runtime::RuntimeKeyTable().Markdown(), "eventmesh/runtime/README.md");
}
