// The store service's read answers (a Fetch's records) written and read straight from the bytes
// (wire::SerializeReadAnswer / wire::ParseReadAnswer) next to the protobuf library's way
// (ToProto + SerializeToString / ParseFromString + FromProto), for answers of 1, 64 and 500
// records of 300-byte payloads with offsets and append times (what the store connector stores);
// and the server's parse of an append (ParseAppendRequest).
//
//   bazel run -c opt //eventmesh/store/service:wire_convert_benchmark

#include <cstdint>
#include <string>

#include "benchmark/benchmark.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/store/engine/event_store.h"
#include "eventmesh/store/service/wire_convert.h"

namespace eventmesh::store::wire {
namespace {

ReadResult MakeResult(int records) {
  ReadResult result;
  for (int i = 0; i < records; ++i) {
    EventRecord record;
    record.offset = 1'000'000 + i;
    record.append_time_ms = 1'764'900'000'000 + i;
    record.payload.assign(300, static_cast<char>('a' + i % 26));
    result.records.push_back(std::move(record));
  }
  result.next_offset = 1'000'000 + records;
  result.earliest_offset = 1;
  result.latest_offset = 2'000'000;
  return result;
}

std::string ProtobufBytes(const ReadResult& result) {
  v1::StoreResponse response;
  response.set_request_id(42);
  ToProto(result, response.mutable_fetch());
  std::string bytes;
  response.SerializeToString(&bytes);
  return bytes;
}

void BM_SerializeReadAnswer_Protobuf(benchmark::State& state) {
  const ReadResult result = MakeResult(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ProtobufBytes(result));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_SerializeReadAnswer_Direct(benchmark::State& state) {
  const ReadResult result = MakeResult(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::string bytes;
    SerializeReadAnswer(42, /*fetch=*/true, result, &bytes);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ParseReadAnswer_Protobuf(benchmark::State& state) {
  const std::string bytes = ProtobufBytes(MakeResult(static_cast<int>(state.range(0))));
  for (auto _ : state) {
    v1::StoreResponse response;
    if (!response.ParseFromString(bytes)) state.SkipWithError("parse failed");
    ReadResult result;
    FromProto(response.fetch(), &result);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ParseReadAnswer_Direct(benchmark::State& state) {
  const std::string bytes = ProtobufBytes(MakeResult(static_cast<int>(state.range(0))));
  for (auto _ : state) {
    ReadAnswer answer;
    if (!ParseReadAnswer(bytes, &answer)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(answer);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The server's side of an append: one AppendRequest of `records` 256-byte payloads read from
// the bytes a StoreClient sends.
void BM_ParseAppendRequest(benchmark::State& state) {
  AppendRequest request;
  request.topic = "orders";
  request.partition = 3;
  for (int i = 0; i < state.range(0); ++i) {
    ProducerRecord record;
    record.payload.assign(256, static_cast<char>('a' + i % 26));
    request.records.push_back(std::move(record));
  }
  std::string bytes;
  if (!SerializeAppendRequest(request, &bytes).ok()) state.SkipWithError("serialize failed");
  for (auto _ : state) {
    AppendRequest parsed;
    if (!ParseAppendRequest(bytes, &parsed)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_ParseAppendRequest)->Arg(1)->Arg(16)->Arg(256);
BENCHMARK(BM_SerializeReadAnswer_Protobuf)->Arg(1)->Arg(64)->Arg(500);
BENCHMARK(BM_SerializeReadAnswer_Direct)->Arg(1)->Arg(64)->Arg(500);
BENCHMARK(BM_ParseReadAnswer_Protobuf)->Arg(1)->Arg(64)->Arg(500);
BENCHMARK(BM_ParseReadAnswer_Direct)->Arg(1)->Arg(64)->Arg(500);

}  // namespace
}  // namespace eventmesh::store::wire
