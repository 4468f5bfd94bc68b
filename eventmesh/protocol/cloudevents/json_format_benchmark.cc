// Throughput of the CloudEvents codecs on an EventMesh-style event with a 256-byte
// payload, carried as text (text/plain) or as JSON (application/json).
// items_per_second = events/s; bytes_per_second counts the encoded event (JSON or
// protobuf bytes). Run: bazel run -c opt //eventmesh/protocol/cloudevents:json_format_benchmark
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"

namespace eventmesh::cloudevents {
namespace {

constexpr size_t kPayloadBytes = 256;

CloudEvent MakeEvent(DataEncoding encoding) {
  CloudEvent e;
  e.set_id("c7a4e1d2-5b3f-4a8e-9c01-2f6d8b7e4a10");
  e.set_source("/eventmesh/runtime/192.168.1.10");
  e.set_type("eventmeshmessage");
  e.set_subject("TEST-TOPIC-TCP-ASYNC");
  e.set_time("2024-02-29T08:00:00.125Z");
  e.SetExtension("protocoltype", "eventmeshmessage");
  e.SetExtension("protocolversion", "1.0");
  e.SetExtension("protocoldesc", "tcp");
  e.SetExtension("ttl", "4000");
  e.SetExtension("keys", "order-20240229-0001");
  std::string payload;
  if (encoding == DataEncoding::kJson) {
    e.set_data_content_type("application/json");
    payload = "{\"orderId\":\"20240229-0001\",\"items\":[";
    while (payload.size() < kPayloadBytes - 40) payload += "{\"sku\":\"A-1\",\"qty\":2},";
    payload.pop_back();
    payload += "],\"note\":\"";
    payload.append(kPayloadBytes - payload.size() - 2, 'n');
    payload += "\"}";
  } else {
    e.set_data_content_type("text/plain");
    for (size_t i = 0; payload.size() < kPayloadBytes; ++i) payload.push_back('a' + i % 26);
  }
  e.set_data(payload, encoding);
  return e;
}

DataEncoding EncodingArg(const benchmark::State& state) {
  return state.range(0) == 0 ? DataEncoding::kText : DataEncoding::kJson;
}

void Label(benchmark::State& state) {
  state.SetLabel(state.range(0) == 0 ? "text data" : "json data");
}

void BM_ParseJsonEvent(benchmark::State& state) {
  const std::string json = SerializeJsonEvent(MakeEvent(EncodingArg(state)));
  for (auto _ : state) {
    absl::StatusOr<CloudEvent> e = ParseJsonEvent(json);
    if (!e.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(json.size()));
  Label(state);
}
BENCHMARK(BM_ParseJsonEvent)->Arg(0)->Arg(1);

void BM_SerializeJsonEvent(benchmark::State& state) {
  const CloudEvent e = MakeEvent(EncodingArg(state));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = SerializeJsonEvent(e);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  Label(state);
}
BENCHMARK(BM_SerializeJsonEvent)->Arg(0)->Arg(1);

void BM_SerializeProto(benchmark::State& state) {
  const CloudEvent e = MakeEvent(EncodingArg(state));
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> out = SerializeProto(e);
    if (!out.ok()) state.SkipWithError("serialize failed");
    bytes = out->size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  Label(state);
}
BENCHMARK(BM_SerializeProto)->Arg(0)->Arg(1);

void BM_ParseProto(benchmark::State& state) {
  const CloudEvent event = MakeEvent(EncodingArg(state));
  const std::string bytes = *SerializeProto(event);
  for (auto _ : state) {
    absl::StatusOr<CloudEvent> e = ParseProto(bytes);
    if (!e.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  Label(state);
}
BENCHMARK(BM_ParseProto)->Arg(0)->Arg(1);

// An event as EventMesh's gRPC clients send it: 15 string attributes (the client's identity,
// credentials and message properties) and 256 bytes of text data, the attributes in name order
// (Arg 0: as this project's SDK writes them), reversed (1), or in an order of their own (2:
// protobuf-java writes a map in its insertion order).
std::string GrpcStyleEventBytes(int order) {
  CloudEvent e = MakeEvent(DataEncoding::kText);
  e.mutable_extensions()->clear();
  std::string bytes = *SerializeProto(e);
  std::vector<std::pair<std::string, std::string>> attrs = {
      {"env", "prod"},
      {"idc", "idc-a"},
      {"ip", "192.168.1.10"},
      {"pid", "4242"},
      {"sys", "order-service"},
      {"username", "eventmesh"},
      {"passwd", "secret"},
      {"language", "JAVA"},
      {"protocoltype", "cloudevents"},
      {"protocolversion", "1.0"},
      {"protocoldesc", "grpc"},
      {"seqnum", "0000000000000000001"},
      {"uniqueid", "0000000000000000001"},
      {"ttl", "4000"},
      {"producergroup", "order-producers"},
  };
  std::sort(attrs.begin(), attrs.end());
  if (order == 1) std::reverse(attrs.begin(), attrs.end());
  if (order == 2) {
    for (size_t i = 0; i < attrs.size(); ++i)
      std::swap(attrs[i], attrs[(i * 7 + 3) % attrs.size()]);
  }
  // map<string, CloudEventAttributeValue> attributes = 5; each value a ce_string (3). Every
  // length here is under 128: one varint byte.
  for (const auto& [name, value] : attrs) {
    std::string attr_value = "\x1a" + std::string(1, static_cast<char>(value.size())) + value;
    std::string entry = "\x0a" + std::string(1, static_cast<char>(name.size())) + name + "\x12" +
                        std::string(1, static_cast<char>(attr_value.size())) + attr_value;
    bytes += "\x2a" + std::string(1, static_cast<char>(entry.size())) + entry;
  }
  return bytes;
}

void BM_ParseProtoGrpcStyle(benchmark::State& state) {
  const std::string bytes = GrpcStyleEventBytes(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<CloudEvent> e = ParseProto(bytes);
    if (!e.ok() || e->extensions().size() != 15) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetLabel(state.range(0) == 0   ? "attributes in name order"
                 : state.range(0) == 1 ? "attributes in reverse order"
                                       : "attributes unordered");
}
BENCHMARK(BM_ParseProtoGrpcStyle)->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace eventmesh::cloudevents
