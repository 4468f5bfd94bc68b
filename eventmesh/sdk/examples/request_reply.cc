// Request-reply over TCP. Two roles:
//   --role=responder  subscribes to --topic with a SYNC subscription and answers each
//                     REQUEST_TO_CLIENT with "reply to <request body>";
//   --role=requester  sends --count requests (REQUEST_TO_SERVER) and prints each reply.
//   bazel run //eventmesh/sdk/examples:request_reply -- --role=responder &
//   bazel run //eventmesh/sdk/examples:request_reply -- --role=requester --count=3

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/tcp_client.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10000, "runtime TCP port");
ABSL_FLAG(std::string, topic, "demo-rr-topic", "request topic");
ABSL_FLAG(std::string, role, "requester", "requester or responder");
ABSL_FLAG(int, count, 3, "requests to send (requester)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(3), "reply timeout per request");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk;  // NOLINT: example brevity.

  const bool responder = absl::GetFlag(FLAGS_role) == "responder";
  TcpClientOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.group = responder ? "example-responders" : "example-requesters";
  options.purpose = responder ? ClientPurpose::kSubscribe : ClientPurpose::kPublish;
  auto client = EventMeshTcpClient::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string topic = absl::GetFlag(FLAGS_topic);

  if (responder) {
    (*client)->SetHandler([](std::shared_ptr<Delivery> delivery) {
      Message reply;
      reply.topic = delivery->event().topic();
      reply.content = absl::StrCat("reply to ", delivery->event().data());
      absl::Status status = delivery->Reply(reply);
      std::printf("request %s -> %s\n", delivery->event().data().c_str(),
                  status.ok() ? "replied" : status.ToString().c_str());
      std::fflush(stdout);
    });
    absl::Status status =
        (*client)->Subscribe(topic, SubscriptionMode::kClustering, SubscriptionType::kSync);
    if (status.ok()) status = (*client)->Listen();
    if (!status.ok()) {
      std::fprintf(stderr, "subscribe: %s\n", status.ToString().c_str());
      return 1;
    }
    std::printf("responding on %s (Ctrl-C to stop)\n", topic.c_str());
    std::fflush(stdout);
    absl::Notification forever;
    forever.WaitForNotification();
    return 0;
  }

  int failed = 0;
  for (int i = 0; i < absl::GetFlag(FLAGS_count); ++i) {
    Message request;
    request.topic = topic;
    request.content = absl::StrCat("question #", i);
    auto reply = (*client)->Request(request, absl::GetFlag(FLAGS_timeout));
    if (reply.ok()) {
      std::printf("%s -> %s\n", request.content.c_str(), reply->data().c_str());
    } else {
      ++failed;
      std::printf("%s -> error: %s\n", request.content.c_str(), reply.status().ToString().c_str());
    }
  }
  absl::Status closed = (*client)->Close();
  return failed == 0 && closed.ok() ? 0 : 1;
}
