// Prints the store service's configuration reference (Markdown) from StoreServiceKeyTable(), or
// with --update rewrites it in eventmesh/store/service/README.md:
//   bazel run //eventmesh/store/service:config_reference [-- --update]

#include "eventmesh/common/config/reference.h"
#include "eventmesh/store/service/store_config.h"

int main(int argc, char** argv) {
  return eventmesh::config::RunReferenceTool(
      argc, argv, eventmesh::store::service::StoreServiceKeyTable().Markdown(),
      "eventmesh/store/service/README.md");
}
