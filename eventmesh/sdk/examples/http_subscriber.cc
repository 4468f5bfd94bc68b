// Receives events through a webhook: starts an HttpSubscriber (a small HTTP server in this
// process), subscribes its URL for --topic with the runtime (code 206), prints every pushed
// event, heartbeats every 30 s, and unsubscribes when --count events arrived.
//   bazel run //eventmesh/sdk/examples:http_subscriber -- --topic=demo --count=10
// The runtime must accept loopback webhook URLs: start it with
// --eventMesh.server.http.webhook.allow=127.0.0.1 (private addresses are refused by default).

#include "eventmesh/sdk/http/http_subscriber.h"

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"

ABSL_FLAG(std::string, url, "http://127.0.0.1:10105", "runtime HTTP URL (http:// or https://)");
ABSL_FLAG(std::string, ca_file, "", "PEM CA file trusted for https");
ABSL_FLAG(std::string, topic, "demo-topic", "topic to subscribe to");
ABSL_FLAG(std::string, group, "example-http-consumers", "consumer group");
ABSL_FLAG(std::string, listen, "127.0.0.1", "address of the webhook server");
ABSL_FLAG(int, listen_port, 0, "port of the webhook server (0 = any free port)");
ABSL_FLAG(std::string, push_format, "eventmesh",
          "eventmesh (form push), cloudevents-binary, cloudevents-structured or "
          "cloudevents-batch");
ABSL_FLAG(int, count, 0, "exit after this many events (0 = run until killed)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk::http;  // NOLINT: example brevity.

  HttpSubscriberOptions options;
  options.client.urls = {absl::GetFlag(FLAGS_url)};
  options.client.ca_file = absl::GetFlag(FLAGS_ca_file);
  options.client.consumer_group = absl::GetFlag(FLAGS_group);
  options.server.address = absl::GetFlag(FLAGS_listen);
  options.server.port = absl::GetFlag(FLAGS_listen_port);
  const std::string format = absl::GetFlag(FLAGS_push_format);
  if (format == "cloudevents-binary") {
    options.push_format = PushFormat::kCloudEventsBinary;
  } else if (format == "cloudevents-structured") {
    options.push_format = PushFormat::kCloudEventsStructured;
  } else if (format == "cloudevents-batch") {
    options.push_format = PushFormat::kCloudEventsBatch;
  } else if (format != "eventmesh") {
    std::fprintf(stderr,
                 "--push_format must be eventmesh, cloudevents-binary, cloudevents-structured "
                 "or cloudevents-batch\n");
    return 2;
  }
  SubscriptionItem item;
  item.topic = absl::GetFlag(FLAGS_topic);
  options.topics = {item};

  absl::Mutex mu;
  int received = 0;
  // Runs on the webhook server's thread; the answer (retCode 0 / 2xx) follows the return value.
  auto subscriber = HttpSubscriber::Start(options, [&](const ReceivedEvent& event) {
    // A CloudEvent arrives as a CloudEvents push, or (form push) as structured JSON in the
    // content; both become a CloudEvent payload. Other form pushes are a Message.
    const CloudEvent* ce = event.cloud_event();
    std::printf("%s topic=%s id=%s data=%s\n", ce != nullptr ? "cloudevent" : "message",
                event.topic().c_str(),
                ce != nullptr ? ce->id().c_str() : event.message()->biz_seq_no.c_str(),
                event.data().c_str());
    std::fflush(stdout);
    absl::MutexLock lock(&mu);
    ++received;
    return HandlerResult::kSuccess;
  });
  if (!subscriber.ok()) {
    std::fprintf(stderr, "start: %s\n", subscriber.status().ToString().c_str());
    return 1;
  }
  std::printf("webhook %s subscribed to %s\n", (*subscriber)->url().c_str(), item.topic.c_str());
  std::fflush(stdout);

  const int count = absl::GetFlag(FLAGS_count);
  {
    absl::MutexLock lock(&mu);
    auto done = [&] { return count > 0 && received >= count; };
    mu.Await(absl::Condition(&done));
  }
  absl::Status stopped = (*subscriber)->Stop();  // 207 UNSUBSCRIBE, then the server stops
  if (!stopped.ok()) std::fprintf(stderr, "unsubscribe: %s\n", stopped.ToString().c_str());
  return stopped.ok() ? 0 : 1;
}
