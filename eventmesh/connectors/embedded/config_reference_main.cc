// Prints the embedded connector's configuration reference (Markdown) from EmbeddedKeyTable(), or
// with
// --update rewrites it in eventmesh/connectors/embedded/README.md:
//   bazel run //eventmesh/connectors/embedded:config_reference [-- --update]

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/embedded/embedded_connector.h"

int main(int argc, char** argv) {
  return eventmesh::config::RunReferenceTool(argc, argv,
                                             eventmesh::connectors::EmbeddedKeyTable().Markdown(),
                                             "eventmesh/connectors/embedded/README.md");
}
