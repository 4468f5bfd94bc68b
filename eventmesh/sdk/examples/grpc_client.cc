// The gRPC client in three roles against a runtime started with GRPC in
// eventMesh.server.provide.protocols (port 10205 by default):
//   --role=subscriber  subscribes to --topic on a stream, prints and acknowledges each event
//                      (SYNC requests on --rpc_topic are answered "reply to <data>");
//   --role=publisher   publishes --count events to --topic;
//   --role=requester   sends --count requests to --rpc_topic and prints each reply.
//   bazel run //eventmesh/runtime -- --eventMesh.server.provide.protocols=TCP,HTTP,GRPC &
//   bazel run //eventmesh/sdk/examples:grpc_client -- --role=subscriber &
//   bazel run //eventmesh/sdk/examples:grpc_client -- --role=publisher --count=3
//   bazel run //eventmesh/sdk/examples:grpc_client -- --role=requester --count=2

#include "eventmesh/sdk/grpc/grpc_client.h"

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10205, "runtime gRPC port");
ABSL_FLAG(std::string, topic, "demo-grpc-topic", "event topic");
ABSL_FLAG(std::string, rpc_topic, "demo-grpc-rpc", "request topic");
ABSL_FLAG(std::string, role, "publisher", "subscriber, publisher or requester");
ABSL_FLAG(int, count, 3, "events or requests to send");
ABSL_FLAG(int, max_events, 0, "subscriber: exit after this many events (0 = run until killed)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk;  // NOLINT: example brevity.

  const std::string role = absl::GetFlag(FLAGS_role);
  GrpcClientOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.consumer_group = "example-grpc-consumers";
  auto client = EventMeshGrpcClient::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }

  if (role == "subscriber") {
    const int max_events = absl::GetFlag(FLAGS_max_events);
    int seen = 0;
    absl::Notification done;
    (*client)->SetHandler([&](std::shared_ptr<GrpcDelivery> delivery) {
      const ReceivedEvent& event = delivery->event();
      if (event.kind == EventKind::kRequest) {
        Message reply;
        reply.content = absl::StrCat("reply to ", event.data());
        absl::Status replied = delivery->Reply(reply);
        std::printf("request %s -> %s\n", event.data().c_str(), replied.ToString().c_str());
      } else {
        std::printf("event on %s: %s\n", event.topic().c_str(), event.data().c_str());
        delivery->Ack();  // the group's position moves only now
      }
      std::fflush(stdout);
      if (max_events > 0 && ++seen >= max_events && !done.HasBeenNotified()) done.Notify();
    });
    absl::Status subscribed = (*client)->Subscribe(
        {SubscriptionItem{absl::GetFlag(FLAGS_topic)},
         SubscriptionItem{absl::GetFlag(FLAGS_rpc_topic), SubscriptionMode::kClustering,
                          SubscriptionType::kSync}});
    if (!subscribed.ok()) {
      std::fprintf(stderr, "subscribe: %s\n", subscribed.ToString().c_str());
      return 1;
    }
    std::printf("subscribed to %s and %s\n", absl::GetFlag(FLAGS_topic).c_str(),
                absl::GetFlag(FLAGS_rpc_topic).c_str());
    std::fflush(stdout);
    if (max_events > 0) {
      done.WaitForNotification();
    } else {
      while (true) {
        absl::SleepFor(absl::Seconds(30));
        absl::Status alive = (*client)->Heartbeat();
        if (!alive.ok()) std::fprintf(stderr, "heartbeat: %s\n", alive.ToString().c_str());
      }
    }
    (*client)->Close();
    return 0;
  }

  for (int i = 0; i < absl::GetFlag(FLAGS_count); ++i) {
    Message message;
    message.content = absl::StrCat("hello ", i);
    if (role == "requester") {
      message.topic = absl::GetFlag(FLAGS_rpc_topic);
      auto reply = (*client)->Request(message, absl::Seconds(5));
      std::printf("%s -> %s\n", message.content.c_str(),
                  reply.ok() ? reply->data().c_str() : reply.status().ToString().c_str());
    } else {
      message.topic = absl::GetFlag(FLAGS_topic);
      absl::Status published = (*client)->Publish(message);
      std::printf("published %s: %s\n", message.content.c_str(), published.ToString().c_str());
    }
    std::fflush(stdout);
  }
  return 0;
}
