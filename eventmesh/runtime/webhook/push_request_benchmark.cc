// What a webhook push costs before and after the network: building the POST of one event in
// each single-event format (a 256-byte text event with the extensions a TCP publish carries),
// a cloudevents-batch body of 64 such events from their stored bytes (decoded first, or written
// from ProtoEventView), and the verdict on a 200 answer.
//   bazel run -c opt //eventmesh/runtime/webhook:push_request_benchmark
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/runtime/webhook/push_request.h"

namespace eventmesh::runtime::webhook {
namespace {

cloudevents::CloudEvent Event() {
  cloudevents::CloudEvent event;
  event.set_id("8371641958");
  event.set_source("/");
  event.set_type("eventmeshmessage");
  event.set_subject("orders-created-events");
  event.set_data(std::string(256, 'x'), cloudevents::DataEncoding::kText);
  event.SetExtension("protocoltype", "eventmeshmessage");
  event.SetExtension("protocolversion", "1.0");
  event.SetExtension("protocoldesc", "tcp");
  event.SetExtension("ttl", "30000");
  event.SetExtension("uniqueid", "b9e2a6f4-3c1d-4c55-9d8e-0f1e2d3c4b5a");
  return event;
}

void BM_BuildPushRequest(benchmark::State& state) {
  const auto format = static_cast<PushFormat>(state.range(0));
  const cloudevents::CloudEvent event = Event();
  RuntimeIdentity identity;
  identity.ip = "10.0.0.1";
  const std::string url = "http://127.0.0.1:8080/hook";
  uint64_t random_no = 1;
  int64_t bytes = 0;
  for (auto _ : state) {
    net::HttpRequest request = BuildPushRequest(event, url, format, false, identity, ++random_no);
    bytes += static_cast<int64_t>(request.body.size());
    benchmark::DoNotOptimize(request);
  }
  state.SetLabel(std::string(PushFormatName(format)));
  state.counters["body_bytes"] =
      benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_BuildPushRequest)
    ->Arg(static_cast<int>(PushFormat::kEventMeshForm))
    ->Arg(static_cast<int>(PushFormat::kCloudEventsBinary))
    ->Arg(static_cast<int>(PushFormat::kCloudEventsStructured));

// The POST of one stored event per format: range(1) 1 builds it from a view of the bytes, 0
// decodes the event first.
void BM_BuildPushRequestFromStored(benchmark::State& state) {
  const auto format = static_cast<PushFormat>(state.range(0));
  const bool views = state.range(1) == 1;
  const std::string stored = *cloudevents::SerializeProto(Event());
  RuntimeIdentity identity;
  identity.ip = "10.0.0.1";
  const std::string url = "http://127.0.0.1:8080/hook";
  uint64_t random_no = 1;
  for (auto _ : state) {
    net::HttpRequest request;
    if (views) {
      std::optional<cloudevents::ProtoEventView> view = cloudevents::ProtoEventView::Parse(stored);
      if (!view.has_value()) state.SkipWithError("no view");
      request = BuildPushRequest(*view, url, format, false, identity, ++random_no);
    } else {
      absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(stored);
      if (!event.ok()) state.SkipWithError("no event");
      request = BuildPushRequest(*event, url, format, false, identity, ++random_no);
    }
    benchmark::DoNotOptimize(request);
  }
  state.SetLabel(absl::StrCat(PushFormatName(format), views ? " views" : " decoded"));
}
BENCHMARK(BM_BuildPushRequestFromStored)
    ->ArgsProduct({{static_cast<int>(PushFormat::kEventMeshForm),
                    static_cast<int>(PushFormat::kCloudEventsBinary),
                    static_cast<int>(PushFormat::kCloudEventsStructured)},
                   {0, 1}});

// A batch body of 64 stored events: range(0) 1 writes it from views of the bytes, 0 decodes
// each event first (what a target that does not take stored bytes does).
void BM_BatchBodyFromStoredEvents(benchmark::State& state) {
  const bool views = state.range(0) == 1;
  constexpr int kEvents = 64;
  const std::string stored = *cloudevents::SerializeProto(Event());
  int64_t bytes = 0;
  for (auto _ : state) {
    BatchPushBuilder builder("http://127.0.0.1:8080/hook");
    for (int i = 0; i < kEvents; ++i) {
      bool added = false;
      if (views) {
        std::optional<cloudevents::ProtoEventView> view =
            cloudevents::ProtoEventView::Parse(stored);
        added = view.has_value() && builder.AddEvent(*view, SIZE_MAX);
      } else {
        absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(stored);
        added = event.ok() && builder.AddEvent(*event, SIZE_MAX);
      }
      if (!added) state.SkipWithError("event not added");
    }
    net::HttpRequest request = builder.Finish();
    bytes += static_cast<int64_t>(request.body.size());
    benchmark::DoNotOptimize(request);
  }
  state.SetLabel(views ? "views" : "decoded");
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.counters["body_bytes"] =
      benchmark::Counter(static_cast<double>(bytes) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_BatchBodyFromStoredEvents)->Arg(0)->Arg(1);

void BM_ClassifyResponse(benchmark::State& state) {
  const auto format = static_cast<PushFormat>(state.range(0));
  net::HttpResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/json"}, {"Content-Length", "13"}};
  response.body = R"({"retCode":0})";
  const absl::StatusOr<net::HttpResponse> result = response;
  const absl::Time now = absl::Now();
  for (auto _ : state) {
    PushVerdict verdict = ClassifyResponse(format, result, now);
    if (verdict.outcome != PushOutcome::kAccepted) state.SkipWithError("not accepted");
    benchmark::DoNotOptimize(verdict);
  }
  state.SetLabel(std::string(PushFormatName(format)));
}
BENCHMARK(BM_ClassifyResponse)
    ->Arg(static_cast<int>(PushFormat::kEventMeshForm))
    ->Arg(static_cast<int>(PushFormat::kCloudEventsBinary));

}  // namespace
}  // namespace eventmesh::runtime::webhook
