// Prints the store connector's configuration reference (Markdown) from StoreConnectorKeyTable(), or
// with
// --update rewrites it in eventmesh/connectors/store/README.md:
//   bazel run //eventmesh/connectors/store:config_reference [-- --update]

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/store/store_connector.h"

int main(int argc, char** argv) {
  return eventmesh::config::RunReferenceTool(
      argc, argv, eventmesh::connectors::StoreConnectorKeyTable().Markdown(),
      "eventmesh/connectors/store/README.md");
}
