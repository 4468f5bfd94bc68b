// Development aid: webhook delivery throughput from the embedded store to one local endpoint.
//
//   bazel run -c opt //eventmesh/runtime/webhook:webhook_throughput --
//       [--events=20000] [--concurrency=8] [--pipeline_depth=1] [--io_threads=2]
//       [--url=http://127.0.0.1:PORT/hook]
//       [--format=eventmesh|cloudevents-binary|cloudevents-structured|cloudevents-batch]
//
// Publishes --events events to a topic subscribed by one webhook URL and reports the time until
// the endpoint accepted all of them. The endpoint is an in-process server (a thread per
// connection, blocking reads) answering {"retCode":0}, or, with --url, any endpoint that
// answers the validation handshake and 200 {"retCode":0}, e.g. the bare Beast responder in
// another process: `http_baseline PORT 1` (//eventmesh/runtime/http/bench).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "eventmesh/net/testing/test_http_server.h"
#include "eventmesh/runtime/webhook/webhook_manager.h"

namespace eventmesh::runtime::webhook {
namespace {

int Run(int argc, char** argv) {
  int64_t events = 20'000;
  int32_t concurrency = 8;
  int32_t io_threads = WebhookOptions{}.io_threads;
  int32_t pipeline_depth = 1;
  std::string url;
  PushFormat format = PushFormat::kEventMeshForm;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--events=")) {
      if (!absl::SimpleAtoi(arg, &events)) return 2;
    } else if (absl::ConsumePrefix(&arg, "--concurrency=")) {
      if (!absl::SimpleAtoi(arg, &concurrency)) return 2;
    } else if (absl::ConsumePrefix(&arg, "--url=")) {
      url = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--pipeline_depth=")) {
      if (!absl::SimpleAtoi(arg, &pipeline_depth) || pipeline_depth < 1) return 2;
    } else if (absl::ConsumePrefix(&arg, "--io_threads=")) {
      if (!absl::SimpleAtoi(arg, &io_threads) || io_threads < 1) return 2;
    } else if (absl::ConsumePrefix(&arg, "--format=")) {
      auto parsed = PushFormatFromName(arg);
      if (!parsed) return 2;
      format = *parsed;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("webhook_throughput_", getpid()))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto server = net::testing::TestHttpServer::Start([&](const net::testing::TestRequest& r) {
    net::testing::TestResponse response;
    if (r.method == "OPTIONS") {
      response.headers = {{"WebHook-Allowed-Origin", "*"}};
      return response;
    }
    response.body = R"({"retCode":0})";
    return response;
  });
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return 1;
  }

  connectors::EmbeddedOptions options;
  options.store.path = dir + "/store";
  options.store.sync_mode = store::SyncMode::kNone;
  options.fetch_wait_ms = 50;
  options.heartbeat_interval_ms = 50;
  auto connector = connectors::OpenEmbeddedConnector(options);
  if (!connector.ok()) {
    std::fprintf(stderr, "connector: %s\n", connector.status().ToString().c_str());
    return 1;
  }
  core::TopicRegistry topics(connector->get(), true, 1);
  core::ConsumerManager consumers(connector->get(), &topics, {});
  WebhookOptions webhook_options;
  webhook_options.max_concurrent_pushes_per_target = concurrency;
  webhook_options.io_threads = io_threads;
  webhook_options.pipeline_depth = pipeline_depth;
  webhook_options.allow_private_networks = true;  // the endpoint is on loopback
  auto manager = WebhookManager::Create(&consumers, &topics, webhook_options);
  if (!manager.ok() || !(*manager)->Start().ok()) {
    std::fprintf(stderr, "webhook manager: %s\n", manager.status().ToString().c_str());
    return 1;
  }
  WebhookSubscribeRequest request;
  request.consumer_group = "bench";
  request.url = url.empty() ? (*server)->Url("/hook") : url;
  request.topics = {WebhookTopic{"bench-topic", connectors::ConsumeMode::kClustering, false}};
  request.format = format;
  absl::Status subscribed = (*manager)->Subscribe(request);
  if (!subscribed.ok()) {
    std::fprintf(stderr, "subscribe: %s\n", subscribed.ToString().c_str());
    return 1;
  }
  // Events the endpoint accepted (2xx and, for the EventMesh format, retCode 0).
  auto accepted = [&]() -> int64_t {
    auto stats = (*manager)->Stats(request.consumer_group, request.url);
    return stats.ok() ? stats->accepted : 0;
  };
  // Publishes events `first` .. `first + count - 1` (ids "ev-<n>", or "warm" for count 0) in
  // one PublishBatch; the future is ready once all are durable.
  auto publish = [&](int64_t first, int64_t count) {
    std::vector<connectors::Connector::PendingPublish> batch;
    const int64_t n = std::max<int64_t>(count, 1);
    auto remaining = std::make_shared<std::atomic<int64_t>>(n);
    auto done = std::make_shared<std::promise<void>>();
    for (int64_t i = 0; i < n; ++i) {
      cloudevents::CloudEvent event;
      event.set_id(count == 0 ? std::string("warm") : absl::StrCat("ev-", first + i));
      event.set_source("/");
      event.set_type("eventmeshmessage");
      event.set_subject("bench-topic");
      event.set_data(std::string(256, 'x'), cloudevents::DataEncoding::kText);
      batch.push_back(
          {std::move(event), [remaining, done](absl::StatusOr<connectors::PublishResult>) {
             if (remaining->fetch_sub(1) == 1) done->set_value();
           }});
    }
    (*connector)->PublishBatch(&batch);
    return done->get_future();
  };
  // Warm up until the group has its partition.
  for (int i = 0; i < 200 && accepted() == 0; ++i) {
    publish(0, 0).wait();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  while (true) {  // let the warm-up events drain
    const int64_t before = accepted();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (accepted() == before) break;
  }
  const int64_t base = accepted();
  const auto start = std::chrono::steady_clock::now();
  // Batches of 100, at most 10 batches in flight.
  std::vector<std::future<void>> pending;
  for (int64_t i = 0; i < events; i += 100) {
    pending.push_back(publish(i, std::min<int64_t>(100, events - i)));
    if (pending.size() >= 10) {
      pending.front().wait();
      pending.erase(pending.begin());
    }
  }
  for (auto& f : pending) f.wait();
  const auto published = std::chrono::steady_clock::now();
  for (int i = 0; i < 120'000 && accepted() - base < events; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto end = std::chrono::steady_clock::now();
  const int64_t delivered = accepted() - base;
  const double seconds = std::chrono::duration<double>(end - start).count();
  const double publish_s = std::chrono::duration<double>(published - start).count();
  std::printf(
      "format=%s concurrency=%d pipeline_depth=%d events=%lld delivered=%lld publish=%.3fs "
      "total=%.3fs "
      "throughput=%.0f events/s endpoint=%s connections=%lld\n",
      std::string(PushFormatName(format)).c_str(), concurrency, pipeline_depth,
      static_cast<long long>(events), static_cast<long long>(delivered), publish_s, seconds,
      static_cast<double>(delivered) / seconds, url.empty() ? "in-process" : url.c_str(),
      static_cast<long long>((*server)->connections_accepted()));
  (*manager)->Shutdown();
  consumers.Shutdown();
  (*connector)->Shutdown();
  (*server)->Stop();
  std::filesystem::remove_all(dir);
  return delivered >= events ? 0 : 1;
}

}  // namespace
}  // namespace eventmesh::runtime::webhook

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  return eventmesh::runtime::webhook::Run(argc, argv);
}
