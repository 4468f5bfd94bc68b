// Prints the nats connector's configuration reference (Markdown) from NatsKeyTable(), or
// with
// --update rewrites it in eventmesh/connectors/nats/README.md:
//   bazel run //eventmesh/connectors/nats:config_reference [-- --update]

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/nats/nats_connector.h"

int main(int argc, char** argv) {
  return eventmesh::config::RunReferenceTool(argc, argv,
                                             eventmesh::connectors::NatsKeyTable().Markdown(),
                                             "eventmesh/connectors/nats/README.md");
}
