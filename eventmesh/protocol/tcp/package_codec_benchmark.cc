// Encode/decode throughput of a publish frame (ASYNC_MESSAGE_TO_SERVER carrying an
// EventMeshMessage with a 256-byte body), as on the hot path of every message.
//   bazel run -c opt //eventmesh/protocol/tcp:package_codec_benchmark
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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

// The same headers as a connection sends them, seq after seq, read by the session's HeaderReader
// into one reused Header (compared with the header before instead of parsed).
void BM_ReadAckHeaders(benchmark::State& state) {
  std::vector<std::string> texts;
  for (int i = 0; i < 64; ++i) {
    texts.push_back(absl::StrCat(
        "{\"cmd\":\"ASYNC_MESSAGE_TO_CLIENT_ACK\",\"command\":\"ASYNC_MESSAGE_TO_CLIENT_ACK\","
        "\"code\":0,\"seq\":\"",
        183741 + i, "\",\"properties\":{}}"));
  }
  HeaderReader reader;
  Header header;
  size_t i = 0;
  for (auto _ : state) {
    if (!reader.Read(texts[i++ % texts.size()], &header).ok()) state.SkipWithError("parse");
    benchmark::DoNotOptimize(header);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadAckHeaders);

// A run of 100 publishes as a client sends them (one header shape, seq after seq), their bodies
// lent as the session lends them: range(0) = 0 decodes each into a new DecodedPackage (Next),
// 1 into one reused DecodedPackage (NextInto), as the session does.
void BM_DecodePublishRun(benchmark::State& state) {
  std::string buffer;
  Package p = PublishPackage();
  for (int i = 0; i < 100; ++i) {
    p.header.seq = std::to_string(8371641958 + i);
    (void)EncodePackage(p, LengthConvention::kCurrent, &buffer);
  }
  const auto lend = [](Command) { return true; };
  PackageDecoder decoder;
  DecodedPackage reused;
  for (auto _ : state) {
    decoder.Feed(buffer);
    for (int i = 0; i < 100; ++i) {
      if (state.range(0) == 1) {
        absl::StatusOr<bool> got = decoder.NextInto(&reused, lend);
        if (!got.ok() || !*got) state.SkipWithError("decode");
        benchmark::DoNotOptimize(reused);
      } else {
        auto next = decoder.Next(lend);
        if (!next.ok() || !next->has_value()) state.SkipWithError("decode");
        benchmark::DoNotOptimize(next);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DecodePublishRun)->Arg(0)->Arg(1);

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
