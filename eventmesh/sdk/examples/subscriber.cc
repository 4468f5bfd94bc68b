// Subscribes to --topic and prints events until --count arrived (0 = forever).
//   bazel run //eventmesh/sdk/examples:subscriber -- --topic=demo --count=10
// With --registry, finds its runtime in the mesh registry instead of --host/--port (and moves to
// another runtime of the mesh when that one goes away):
//   bazel run //eventmesh/sdk/examples:subscriber -- --registry=127.0.0.1:10200 --mesh=LS

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/sdk/tcp_client.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10000, "runtime TCP port");
ABSL_FLAG(std::string, topic, "demo-topic", "topic to subscribe to");
ABSL_FLAG(std::string, group, "example-consumers", "consumer group");
ABSL_FLAG(bool, broadcast, false, "BROADCASTING instead of CLUSTERING subscription");
ABSL_FLAG(int, count, 0, "exit after this many events (0 = run until killed)");
ABSL_FLAG(std::string, registry, "",
          "registry addresses, host:port[,host:port...]; when set, --host/--port are not used");
ABSL_FLAG(std::string, registry_type, "eventmesh", "registry backend: eventmesh or etcd");
ABSL_FLAG(std::string, mesh, "LS",
          "with --registry: the mesh (the runtimes' eventMesh.server.cluster, default LS)");
ABSL_FLAG(std::string, idc, "", "with --registry: this client's IDC (its runtimes preferred)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk;  // NOLINT: example brevity.

  TcpClientOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.group = absl::GetFlag(FLAGS_group);
  options.purpose = ClientPurpose::kSubscribe;
  if (!absl::GetFlag(FLAGS_registry).empty()) {
    RegistryOptions registry;
    registry.type = absl::GetFlag(FLAGS_registry_type);
    registry.addresses = absl::StrSplit(absl::GetFlag(FLAGS_registry), ',', absl::SkipEmpty());
    registry.mesh = absl::GetFlag(FLAGS_mesh);
    registry.idc = absl::GetFlag(FLAGS_idc);
    options.registry = registry;
  }
  auto client = EventMeshTcpClient::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }

  absl::Mutex mu;
  int received = 0;
  // Runs on the client's io thread; the event is acknowledged when it returns (AckMode::kAuto).
  (*client)->SetHandler([&](std::shared_ptr<Delivery> delivery) {
    const ReceivedEvent& event = delivery->event();
    std::printf("%s seq=%s topic=%s data=%s\n", event.protocol_type.c_str(), event.seq.c_str(),
                event.topic().c_str(), event.data().c_str());
    std::fflush(stdout);
    absl::MutexLock lock(&mu);
    ++received;
  });
  const auto mode = absl::GetFlag(FLAGS_broadcast) ? SubscriptionMode::kBroadcasting
                                                   : SubscriptionMode::kClustering;
  absl::Status status =
      (*client)->Subscribe(absl::GetFlag(FLAGS_topic), mode, SubscriptionType::kAsync);
  if (status.ok()) status = (*client)->Listen();
  if (!status.ok()) {
    std::fprintf(stderr, "subscribe: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("listening on %s at %s\n", absl::GetFlag(FLAGS_topic).c_str(),
              (*client)->server_address().c_str());
  std::fflush(stdout);

  const int count = absl::GetFlag(FLAGS_count);
  absl::MutexLock lock(&mu);
  auto done = [&] { return count > 0 && received >= count; };
  mu.Await(absl::Condition(&done));
  return (*client)->Close().ok() ? 0 : 1;
}
