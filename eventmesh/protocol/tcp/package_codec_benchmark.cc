// Encode/decode throughput of a publish frame (ASYNC_MESSAGE_TO_SERVER carrying an
// EventMeshMessage with a 256-byte body), as on the hot path of every message.
//   bazel run -c opt //eventmesh/protocol/tcp:package_codec_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"

namespace eventmesh::protocol::tcp {
namespace {

Package PublishPackage() {
  EventMeshMessage msg;
  msg.topic = "TEST-TOPIC-TCP-ASYNC";
  msg.body = std::string(256, 'x');
  msg.properties = {{"ttl", "30000"}, {"keys", "2398472983472"}, {"msgtype", "persistent"}};
  Package p;
  p.header.cmd = Command::kAsyncMessageToServer;
  p.header.seq = "8371641958";
  p.header.properties = {{std::string(kPropertyProtocolType), "eventmeshmessage"},
                         {std::string(kPropertyProtocolVersion), "1.0"},
                         {std::string(kPropertyProtocolDesc), "tcp"}};
  p.body = msg.ToJson();
  return p;
}

void BM_EncodePublish(benchmark::State& state) {
  const Package p = PublishPackage();
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!EncodePackage(p, LengthConvention::kCurrent, &out).ok()) state.SkipWithError("encode");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
  state.counters["frame_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_EncodePublish);

void BM_DecodePublish(benchmark::State& state) {
  std::string frame;
  (void)EncodePackage(PublishPackage(), LengthConvention::kCurrent, &frame);
  PackageDecoder decoder;
  for (auto _ : state) {
    decoder.Feed(frame);
    auto next = decoder.Next();
    if (!next.ok() || !next->has_value()) state.SkipWithError("decode");
    benchmark::DoNotOptimize(next);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame.size()));
}
BENCHMARK(BM_DecodePublish);

// The header of a subscriber's acknowledgement (one per delivered event), as clients send it.
void BM_ParseAckHeader(benchmark::State& state) {
  const std::string json =
      "{\"cmd\":\"ASYNC_MESSAGE_TO_CLIENT_ACK\",\"command\":\"ASYNC_MESSAGE_TO_CLIENT_ACK\","
      "\"code\":0,\"seq\":\"183741\",\"properties\":{}}";
  for (auto _ : state) {
    auto header = Header::FromJson(json);
    if (!header.ok()) state.SkipWithError("parse");
    benchmark::DoNotOptimize(header);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAckHeader);

void BM_Decode100FramesInOneBuffer(benchmark::State& state) {
  std::string buffer;
  for (int i = 0; i < 100; ++i) {
    (void)EncodePackage(PublishPackage(), LengthConvention::kCurrent, &buffer);
  }
  PackageDecoder decoder;
  for (auto _ : state) {
    decoder.Feed(buffer);
    for (int i = 0; i < 100; ++i) {
      auto next = decoder.Next();
      if (!next.ok() || !next->has_value()) state.SkipWithError("decode");
      benchmark::DoNotOptimize(next);
    }
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buffer.size()));
}
BENCHMARK(BM_Decode100FramesInOneBuffer);

void BM_EncodeMessageBody(benchmark::State& state) {
  EventMeshMessage msg;
  msg.topic = "TEST-TOPIC-TCP-ASYNC";
  msg.body = std::string(256, 'x');
  msg.properties = {{"ttl", "30000"}, {"keys", "2398472983472"}};
  for (auto _ : state) benchmark::DoNotOptimize(msg.ToJson());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeMessageBody);

void BM_DecodeMessageBody(benchmark::State& state) {
  const std::string body = PublishPackage().body;
  for (auto _ : state) benchmark::DoNotOptimize(EventMeshMessage::FromJson(body));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeMessageBody);

}  // namespace
}  // namespace eventmesh::protocol::tcp
