// Subscribes to --topic over the EventMesh TCP protocol (//eventmesh/sdk:tcp_client) and prints
// every received event as one line of structured CloudEvents JSON (an EventMeshMessage is
// printed as its JSON). Prints "listening" once subscribed; exits 0 after --count events, 1 when
// they do not arrive within --timeout_s. Used by the interop tests to see what reached the
// runtime from a foreign client.

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/sdk/tcp_client.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10000, "runtime TCP port");
ABSL_FLAG(std::string, topic, "interop", "topic to subscribe to");
ABSL_FLAG(std::string, group, "interop-dump", "consumer group");
ABSL_FLAG(int, count, 1, "exit after this many events");
ABSL_FLAG(int, timeout_s, 60, "give up after this many seconds");

namespace {

// The message as the TCP protocol's EventMeshMessage JSON (what the runtime sent).
std::string MessageJson(const eventmesh::sdk::Message& message) {
  eventmesh::protocol::tcp::EventMeshMessage wire;
  wire.topic = message.topic;
  wire.body = message.content;
  wire.properties = message.properties;
  if (!message.content_type.empty()) wire.headers["datacontenttype"] = message.content_type;
  return wire.ToJson();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk;  // NOLINT: tool brevity.
  TcpClientOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.group = absl::GetFlag(FLAGS_group);
  options.purpose = ClientPurpose::kSubscribe;
  auto client = EventMeshTcpClient::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "tcp_event_dump: connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  absl::Mutex mu;
  int received = 0;
  (*client)->SetHandler([&](std::shared_ptr<Delivery> delivery) {
    const ReceivedEvent& event = delivery->event();
    const std::string line = event.cloud_event() != nullptr
                                 ? eventmesh::cloudevents::SerializeJsonEvent(*event.cloud_event())
                                 : MessageJson(*event.message());
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    absl::MutexLock lock(&mu);
    ++received;
  });
  absl::Status status = (*client)->Subscribe(
      absl::GetFlag(FLAGS_topic), SubscriptionMode::kClustering, SubscriptionType::kAsync);
  if (status.ok()) status = (*client)->Listen();
  if (!status.ok()) {
    std::fprintf(stderr, "tcp_event_dump: subscribe: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("listening\n");
  std::fflush(stdout);
  const int count = absl::GetFlag(FLAGS_count);
  bool done = false;
  {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return received >= count; };
    done = mu.AwaitWithTimeout(absl::Condition(&enough),
                               absl::Seconds(absl::GetFlag(FLAGS_timeout_s)));
  }
  (*client)->Close().IgnoreError();
  if (!done) {
    std::fprintf(stderr, "tcp_event_dump: timeout: %d of %d events arrived\n", received, count);
    return 1;
  }
  return 0;
}
