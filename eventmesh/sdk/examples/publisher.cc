// Publishes --count events to --topic and waits for every acknowledgement.
//   bazel run //eventmesh/runtime &
//   bazel run //eventmesh/sdk/examples:publisher -- --topic=demo --count=10

#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/sdk/tcp_client.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10000, "runtime TCP port");
ABSL_FLAG(std::string, topic, "demo-topic", "topic to publish to");
ABSL_FLAG(int, count, 10, "events to publish");
ABSL_FLAG(bool, broadcast, false, "use BROADCAST_MESSAGE_TO_SERVER instead of async publish");
ABSL_FLAG(bool, cloudevents, false, "publish CloudEvents instead of Messages");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk;  // NOLINT: example brevity.

  TcpClientOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.group = "example-producers";
  options.purpose = ClientPurpose::kPublish;
  auto client = EventMeshTcpClient::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }

  const std::string topic = absl::GetFlag(FLAGS_topic);
  std::vector<std::future<absl::Status>> acks;
  for (int i = 0; i < absl::GetFlag(FLAGS_count); ++i) {
    Event event;
    if (absl::GetFlag(FLAGS_cloudevents)) {
      CloudEvent ce;
      ce.set_id(absl::StrCat("example-", i));
      ce.set_source("/examples/publisher");
      ce.set_spec_version("1.0");
      ce.set_type("com.example.demo");
      ce.set_subject(topic);
      ce.set_data_content_type("text/plain");
      ce.set_data(absl::StrCat("hello #", i), eventmesh::cloudevents::DataEncoding::kText);
      event = std::move(ce);
    } else {
      Message message;
      message.topic = topic;
      message.content = absl::StrCat("hello #", i);
      message.properties["keys"] = absl::StrCat("key-", i);
      event = std::move(message);
    }
    acks.push_back(absl::GetFlag(FLAGS_broadcast) ? (*client)->Broadcast(event)
                                                  : (*client)->Publish(event));
  }
  int failed = 0;
  for (size_t i = 0; i < acks.size(); ++i) {
    absl::Status status = acks[i].get();
    if (!status.ok()) {
      ++failed;
      std::fprintf(stderr, "event %zu: %s\n", i, status.ToString().c_str());
    }
  }
  std::printf("published %zu events to %s (%d failed)\n", acks.size(), topic.c_str(), failed);
  absl::Status closed = (*client)->Close();
  return failed == 0 && closed.ok() ? 0 : 1;
}
