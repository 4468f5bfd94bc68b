// Publishes --count events over the EventMesh HTTP protocol (code 104), or as CloudEvents
// (--cloudevents=binary|structured, POST /eventmesh/publish/{topic}).
//   bazel run //eventmesh/sdk/examples:http_publisher -- --topic=demo --count=10

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/http/http_client.h"

ABSL_FLAG(std::string, url, "http://127.0.0.1:10105", "runtime HTTP URL (http:// or https://)");
ABSL_FLAG(std::string, ca_file, "", "PEM CA file trusted for https");
ABSL_FLAG(std::string, topic, "demo-topic", "topic to publish to");
ABSL_FLAG(std::string, group, "example-http-producers", "producer group");
ABSL_FLAG(int, count, 10, "events to publish");
ABSL_FLAG(std::string, cloudevents, "", "empty: Message; binary or structured: CloudEvents");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace eventmesh::sdk::http;  // NOLINT: example brevity.

  HttpClientOptions options;
  options.urls = {absl::GetFlag(FLAGS_url)};
  options.ca_file = absl::GetFlag(FLAGS_ca_file);
  options.producer_group = absl::GetFlag(FLAGS_group);
  auto client = EventMeshHttpClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "create: %s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string topic = absl::GetFlag(FLAGS_topic);
  const std::string ce_mode = absl::GetFlag(FLAGS_cloudevents);
  if (!ce_mode.empty() && ce_mode != "binary" && ce_mode != "structured") {
    std::fprintf(stderr, "--cloudevents must be binary or structured\n");
    return 2;
  }
  for (int i = 0; i < absl::GetFlag(FLAGS_count); ++i) {
    const std::string body = absl::StrCat("{\"n\":", i, "}");
    absl::Status status;
    if (ce_mode.empty()) {
      Message message;
      message.topic = topic;
      message.content = body;
      status = (*client)->Publish(message);  // returns when the runtime acked (retCode 0)
    } else {
      CloudEvent event;
      event.set_id(absl::StrCat("http-example-", i, "-", absl::ToUnixMicros(absl::Now())));
      event.set_source("/eventmesh/sdk/examples/http_publisher");
      event.set_type("org.example.demo");
      event.set_subject(topic);
      event.set_data_content_type("application/json");
      event.set_data(body, eventmesh::cloudevents::DataEncoding::kJson);
      status = (*client)->PublishCloudEvent(
          event, ce_mode == "binary" ? CloudEventMode::kBinary : CloudEventMode::kStructured);
    }
    if (!status.ok()) {
      std::fprintf(stderr, "publish %d: %s\n", i, status.ToString().c_str());
      return 1;
    }
    std::printf("published %s\n", body.c_str());
  }
  return 0;
}
