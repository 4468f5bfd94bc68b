// The steps of a gRPC batch publish read from the request's bytes, each on its own: the field
// count that bounds a large request before anything parses it, the views of the events
// (BatchEventBytes, WireEventView::Read), the publish checks, the stored form written from the
// bytes (EncodeStoredEvent), and the conversion it replaces (ToMeshEvent + SerializeProto).
//
//   bazel run -c opt //eventmesh/protocol/grpc:grpc_protocol_benchmark
//
// The request: a CloudEventBatch of 64 events of 256 data bytes with the attributes a Java or
// C++ SDK client sends (18 ce_string attributes each).

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/grpc/bounded_messages.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "eventmesh/protocol/proto/deterministic.h"
#include "eventmesh/protocol/proto/field_count.h"

namespace eventmesh::protocol::grpc {
namespace {

constexpr int kBatchEvents = 64;

pb::CloudEvent SdkStyleEvent(int i) {
  pb::CloudEvent event;
  event.set_id(absl::StrCat("id-", 1000000 + i));
  event.set_source("/order-service");
  event.set_spec_version("1.0");
  event.set_type("eventmesh");
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {key::kEnv, "prod"},
           {key::kIdc, "idc-a"},
           {key::kIp, "192.168.1.10"},
           {key::kPid, "4242"},
           {key::kSys, "order-service"},
           {key::kUsername, "eventmesh"},
           {key::kPasswd, "secret"},
           {key::kLanguage, "JAVA"},
           {key::kProtocolType, "cloudevents"},
           {key::kProtocolVersion, "1.0"},
           {key::kProtocolDesc, kProtocolDescGrpc},
           {key::kSeqNum, absl::StrCat(1000000000 + i)},
           {key::kUniqueId, absl::StrCat(2000000000 + i)},
           {key::kTtl, "4000"},
           {key::kProducerGroup, "order-producers"},
           {key::kSubject, "orders"},
           {key::kDataContentType, "text/plain"},
           {"traceid", "4bf92f3577b34da6a3ce929d0e0e4736"},
       }) {
    SetAttr(&event, name, value);
  }
  event.set_text_data(std::string(256, 'x'));
  return event;
}

// `sorted`: each event's attributes in name order, as this project's SDK writes them; else in
// the order the protobuf library writes a map by default (its hash order).
std::string BatchBytes(bool sorted = true) {
  pb::CloudEventBatch batch;
  for (int i = 0; i < kBatchEvents; ++i) *batch.add_events() = SdkStyleEvent(i);
  return sorted ? wire::DeterministicBytes(batch) : batch.SerializeAsString();
}

std::vector<WireEventView> Views(const std::string& bytes) {
  const std::vector<absl::string_view> events = *BatchEventBytes(bytes);
  std::vector<WireEventView> views;
  for (absl::string_view one : events) views.push_back(*WireEventView::Read(one));
  return views;
}

// What bounding a request by counting its fields costs. (The runtime counts only requests
// larger than kMaxGrpcMessageFields bytes: a smaller one cannot hold more fields than bytes.)
void BM_CountBatchFields(benchmark::State& state) {
  const std::string bytes = BatchBytes();
  for (auto _ : state) {
    const size_t fields =
        wire::CountMessageFields(pb::CloudEventBatch::descriptor(), bytes, kMaxGrpcMessageFields);
    if (fields > kMaxGrpcMessageFields) state.SkipWithError("over the limit");
    benchmark::DoNotOptimize(fields);
  }
  state.SetItemsProcessed(state.iterations() * kBatchEvents);
}
BENCHMARK(BM_CountBatchFields);

void BM_ReadBatchViews(benchmark::State& state) {
  const std::string bytes = BatchBytes();
  for (auto _ : state) {
    std::optional<std::vector<absl::string_view>> events = BatchEventBytes(bytes);
    if (!events.has_value()) {
      state.SkipWithError("not read");
      break;
    }
    for (absl::string_view one : *events) {
      std::optional<WireEventView> view = WireEventView::Read(one);
      if (!view.has_value()) state.SkipWithError("not read");
      benchmark::DoNotOptimize(view);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchEvents);
}
BENCHMARK(BM_ReadBatchViews);

void BM_CheckViews(benchmark::State& state) {
  const std::string bytes = BatchBytes();
  const std::vector<WireEventView> views = Views(bytes);
  for (auto _ : state) {
    for (const WireEventView& view : views) {
      if (!HeaderValid(view) || !CheckData(view).ok()) state.SkipWithError("refused");
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchEvents);
}
BENCHMARK(BM_CheckViews);

void BM_EncodeStoredEvents(benchmark::State& state) {
  const std::string bytes = BatchBytes(state.range(0) == 0);
  const std::vector<WireEventView> views = Views(bytes);
  StoredEvent stored;
  for (auto _ : state) {
    for (const WireEventView& view : views) {
      if (!EncodeStoredEvent(view, "meshorigin", &stored)) state.SkipWithError("declined");
      benchmark::DoNotOptimize(stored.bytes.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchEvents);
  state.SetLabel(state.range(0) == 0 ? "attributes in name order" : "attributes in hash order");
}
BENCHMARK(BM_EncodeStoredEvents)->Arg(0)->Arg(1);

// What EncodeStoredEvent replaces: the conversion to a CloudEvent and its serialization.
void BM_ConvertAndSerialize(benchmark::State& state) {
  const std::string bytes = BatchBytes();
  const std::vector<absl::string_view> events = *BatchEventBytes(bytes);
  const std::vector<WireEventView> views = Views(bytes);
  for (auto _ : state) {
    for (size_t i = 0; i < events.size(); ++i) {
      absl::StatusOr<cloudevents::CloudEvent> event = ToMeshEvent(events[i], views[i]);
      if (!event.ok()) state.SkipWithError("refused");
      absl::StatusOr<std::string> stored = cloudevents::SerializeProto(*event);
      benchmark::DoNotOptimize(stored);
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchEvents);
}
BENCHMARK(BM_ConvertAndSerialize);

}  // namespace
}  // namespace eventmesh::protocol::grpc
