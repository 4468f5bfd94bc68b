// The two conversions every TCP event goes through in the runtime: a decoded publish package
// (ASYNC_MESSAGE_TO_SERVER carrying an EventMeshMessage with a 256-byte body) into the
// canonical CloudEvent (or straight into its stored form), and that CloudEvent into a push frame
// for a subscriber. The "Retained"
// variants model the store's tail cache, which keeps each published CloudEvent for the
// subscribers: the last N events stay alive (the oldest freed as each new one arrives), so the
// memory the allocator hands out and the events a push reads are cold, as in the runtime.
//   bazel run -c opt //eventmesh/protocol/adaptor:tcp_adaptor_benchmark
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "eventmesh/protocol/adaptor/tcp_adaptor.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_codec.h"

namespace eventmesh::protocol::adaptor {
namespace {

tcp::Package PublishPackage() {
  tcp::EventMeshMessage msg;
  msg.topic = "TEST-TOPIC-TCP-ASYNC";
  msg.body = std::string(256, 'x');
  msg.properties = {{"ttl", "30000"},
                    {"keys", "2398472983472"},
                    {"msgtype", "persistent"},
                    {"producergroup", "EventMeshTest-producerGroup"},
                    {"uniqueid", "b9e2a6f4-3c1d-4c55-9d8e-0f1e2d3c4b5a"}};
  tcp::Package p;
  p.header.cmd = tcp::Command::kAsyncMessageToServer;
  p.header.seq = "8371641958";
  p.header.properties = {{std::string(tcp::kPropertyProtocolType), "eventmeshmessage"},
                         {std::string(tcp::kPropertyProtocolVersion), "1.0"},
                         {std::string(tcp::kPropertyProtocolDesc), "tcp"}};
  p.body = msg.ToJson();
  return p;
}

void BM_PublishPackageToCloudEvent(benchmark::State& state) {
  const tcp::Package p = PublishPackage();
  for (auto _ : state) {
    auto event = TcpPackageToCloudEvent(p);
    if (!event.ok()) state.SkipWithError("convert");
    benchmark::DoNotOptimize(event);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PublishPackageToCloudEvent);

void BM_CloudEventToPushFrame(benchmark::State& state) {
  auto event = TcpPackageToCloudEvent(PublishPackage());
  if (!event.ok()) {
    state.SkipWithError("convert");
    return;
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!AppendCloudEventFrame(*event, tcp::Command::kAsyncMessageToClient, "1234567",
                               tcp::LengthConvention::kCurrent, &out)
             .ok()) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["frame_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_CloudEventToPushFrame);

// The publish event in its stored form (CloudEvents protobuf).
absl::StatusOr<std::string> StoredPublishBytes() {
  auto event = TcpPackageToCloudEvent(PublishPackage());
  if (!event.ok()) return event.status();
  return cloudevents::SerializeProto(*event);
}

// The push of an event kept as its stored bytes: written from the bytes (no CloudEvent), and, for
// comparison, decoded first. range(0) = 1: bytes of a validated event, read with
// Checks::kStructure (no re-checking of the strings), as the runtime reads what it published.
// range(1) = 1: through a StoredFrameMemo, as a session writes its pushes (the same attributes
// every time: each frame after the first takes the kept reading and JSON).
void BM_StoredEventToPushFrame(benchmark::State& state) {
  const auto checks = state.range(0) == 1 ? cloudevents::ProtoEventView::Checks::kStructure
                                          : cloudevents::ProtoEventView::Checks::kAll;
  const absl::StatusOr<std::string> stored = StoredPublishBytes();
  if (!stored.ok()) {
    state.SkipWithError("convert");
    return;
  }
  StoredFrameMemo memo;
  StoredFrameMemo* const use_memo = state.range(1) == 1 ? &memo : nullptr;
  std::string out;
  for (auto _ : state) {
    out.clear();
    std::optional<absl::Status> written = AppendStoredEventFrame(
        *stored, tcp::Command::kAsyncMessageToClient, "1234567", tcp::LengthConvention::kCurrent,
        &out, tcp::kMaxFrameSize, checks, use_memo);
    if (!written.has_value() || !written->ok()) state.SkipWithError("encode");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoredEventToPushFrame)->Args({0, 0})->Args({1, 0})->Args({1, 1});

void BM_DecodeStoredEventThenPushFrame(benchmark::State& state) {
  const absl::StatusOr<std::string> stored = StoredPublishBytes();
  if (!stored.ok()) {
    state.SkipWithError("convert");
    return;
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto decoded = cloudevents::ParseProto(*stored);
    if (!decoded.ok() || !AppendCloudEventFrame(*decoded, tcp::Command::kAsyncMessageToClient,
                                                "1234567", tcp::LengthConvention::kCurrent, &out)
                              .ok()) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeStoredEventThenPushFrame);

// The publisher's side per event: convert, serialize for the store, and keep the event while
// range(0) newer ones arrive (0: freed at once).
void BM_PublishConvertSerializeRetained(benchmark::State& state) {
  const tcp::Package p = PublishPackage();
  const size_t retained = static_cast<size_t>(state.range(0));
  std::deque<cloudevents::CloudEvent> kept;
  for (auto _ : state) {
    auto event = TcpPackageToCloudEvent(p);
    if (!event.ok()) state.SkipWithError("convert");
    auto bytes = cloudevents::SerializeProto(*event);
    if (!bytes.ok()) state.SkipWithError("serialize");
    benchmark::DoNotOptimize(bytes->data());
    if (retained > 0) {
      kept.push_back(*std::move(event));
      if (kept.size() > retained) kept.pop_front();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
// 0; about one partition's default cache (4 MiB); the default store-wide budget (64 MiB).
BENCHMARK(BM_PublishConvertSerializeRetained)->Arg(0)->Arg(3300)->Arg(53000);

// The publisher's side when the connector takes the stored form: EncodeStoredPublish writes it
// straight from the package (compare BM_PublishConvertSerializeRetained/0). The buffers are
// handed on with each event, as the session does, so each iteration allocates them anew.
// range(0) = 1: through a StoredPublishMemo, as a session encodes its publishes.
void BM_PublishEncodeStored(benchmark::State& state) {
  const tcp::Package p = PublishPackage();
  StoredPublishMemo memo;
  StoredPublishMemo* const use_memo = state.range(0) == 1 ? &memo : nullptr;
  for (auto _ : state) {
    StoredPublish stored;
    if (!EncodeStoredPublish(p.header, p.body, "eventmeshorigin", &stored, use_memo)) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(stored.bytes.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PublishEncodeStored)->Arg(0)->Arg(1);

// The delivery's side: a push frame for each of range(0) retained events in turn (1: the same,
// cache-hot event every time).
void BM_PushFrameRetained(benchmark::State& state) {
  const tcp::Package p = PublishPackage();
  std::vector<cloudevents::CloudEvent> events;
  for (int64_t i = 0; i < state.range(0); ++i) {
    auto event = TcpPackageToCloudEvent(p);
    if (!event.ok()) {
      state.SkipWithError("convert");
      return;
    }
    events.push_back(*std::move(event));
  }
  std::string out;
  size_t next = 0;
  for (auto _ : state) {
    out.clear();
    if (!AppendCloudEventFrame(events[next], tcp::Command::kAsyncMessageToClient, "1234567",
                               tcp::LengthConvention::kCurrent, &out)
             .ok()) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(out.data());
    if (++next == events.size()) next = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PushFrameRetained)->Arg(1)->Arg(3300)->Arg(53000);

}  // namespace
}  // namespace eventmesh::protocol::adaptor
