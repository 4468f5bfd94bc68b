// Prints the kafka connector's configuration reference (Markdown) from KafkaKeyTable(), or with
// --update rewrites it in eventmesh/connectors/kafka/README.md:
//   bazel run //eventmesh/connectors/kafka:config_reference [-- --update]

#include "eventmesh/common/config/reference.h"
#include "eventmesh/connectors/kafka/kafka_options.h"

int main(int argc, char** argv) {
  return eventmesh::config::RunReferenceTool(
      argc, argv, eventmesh::connectors::kafka::KafkaKeyTable().Markdown(),
      "eventmesh/connectors/kafka/README.md");
}
