// Subscribes to a topic, publishes --count events to it and waits until all of them arrived,
// with EventMesh-cpp's TCP client (@eventmesh//eventmesh/sdk:tcp_client).
//   bazel run //:pubsub -- --port=10000 --topic=demo --count=10
// Exit status 0 when every event arrived, 1 otherwise.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/tcp_client.h"

namespace {

// The value of --name=value in argv, or `fallback`.
std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return argv[i] + prefix.size();
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace eventmesh::sdk;  // NOLINT: example brevity.
  const std::string host = Flag(argc, argv, "host", "127.0.0.1");
  const int port = std::atoi(Flag(argc, argv, "port", "10000").c_str());
  const std::string topic = Flag(argc, argv, "topic", "sdk-consumer-demo");
  const int count = std::atoi(Flag(argc, argv, "count", "10").c_str());

  TcpClientOptions sub_options;
  sub_options.host = host;
  sub_options.port = port;
  sub_options.group = "sdk-consumer-subscribers";
  sub_options.purpose = ClientPurpose::kSubscribe;
  auto subscriber = EventMeshTcpClient::Connect(sub_options);
  if (!subscriber.ok()) {
    std::fprintf(stderr, "subscriber: %s\n", subscriber.status().ToString().c_str());
    return 1;
  }
  absl::Mutex mu;
  int received = 0;
  (*subscriber)->SetHandler([&](std::shared_ptr<Delivery> delivery) {
    absl::MutexLock lock(&mu);
    ++received;
    std::printf("received %s\n", delivery->event().data().c_str());
  });
  absl::Status status =
      (*subscriber)->Subscribe(topic, SubscriptionMode::kClustering, SubscriptionType::kAsync);
  if (status.ok()) status = (*subscriber)->Listen();
  if (!status.ok()) {
    std::fprintf(stderr, "subscribe: %s\n", status.ToString().c_str());
    return 1;
  }

  TcpClientOptions pub_options = sub_options;
  pub_options.group = "sdk-consumer-publishers";
  pub_options.purpose = ClientPurpose::kPublish;
  auto publisher = EventMeshTcpClient::Connect(pub_options);
  if (!publisher.ok()) {
    std::fprintf(stderr, "publisher: %s\n", publisher.status().ToString().c_str());
    return 1;
  }
  for (int i = 1; i <= count; ++i) {
    Message message;
    message.topic = topic;
    message.content = "event " + std::to_string(i);
    absl::Status acked = (*publisher)->Publish(message).get();
    if (!acked.ok()) {
      std::fprintf(stderr, "publish %d: %s\n", i, acked.ToString().c_str());
      return 1;
    }
  }

  bool all = false;
  {
    absl::MutexLock lock(&mu);
    auto done = [&] { return received >= count; };
    all = mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
    std::printf("published %d, received %d\n", count, received);
  }
  (void)(*publisher)->Close();
  (void)(*subscriber)->Close();
  return all ? 0 : 1;
}
