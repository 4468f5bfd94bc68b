// Encode/decode cost of one Append request of 16 records x 256 bytes.
#include <string>

#include "benchmark/benchmark.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/protocol/rpc/frame_codec.h"

namespace eventmesh::protocol::rpc {
namespace {

store::v1::StoreRequest MakeAppendRequest() {
  store::v1::StoreRequest req;
  req.set_request_id(123456789);
  auto* append = req.mutable_append();
  append->set_topic("benchmark-topic");
  append->mutable_partition()->set_round_robin(true);
  append->set_producer_id(1001);
  append->set_sequence(77);
  for (int i = 0; i < 16; ++i) {
    auto* r = append->add_records();
    r->set_key("key-" + std::to_string(i));
    (*r->mutable_headers())["type"] = "com.example.benchmark";
    (*r->mutable_headers())["source"] = "/bench";
    r->set_payload(std::string(256, static_cast<char>('a' + i)));
  }
  return req;
}

void BM_EncodeAppend(benchmark::State& state) {
  const store::v1::StoreRequest req = MakeAppendRequest();
  std::string wire;
  for (auto _ : state) {
    wire.clear();
    if (!EncodeFrame(req, &wire).ok()) state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(wire.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_EncodeAppend);

void BM_DecodeAppend(benchmark::State& state) {
  std::string wire;
  if (!EncodeFrame(MakeAppendRequest(), &wire).ok()) state.SkipWithError("encode failed");
  for (auto _ : state) {
    FrameDecoder decoder;
    if (!decoder.Feed(wire).ok()) state.SkipWithError("feed failed");
    auto payload = decoder.Next();
    if (!payload.ok() || !payload->has_value()) state.SkipWithError("no frame");
    auto msg = DecodeMessage<store::v1::StoreRequest>(**payload);
    if (!msg.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(msg->request_id());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeAppend);

// Steady state of a connection: one long-lived decoder, one frame per read.
void BM_DecodeAppendReusedDecoder(benchmark::State& state) {
  std::string wire;
  if (!EncodeFrame(MakeAppendRequest(), &wire).ok()) state.SkipWithError("encode failed");
  FrameDecoder decoder;
  store::v1::StoreRequest msg;
  for (auto _ : state) {
    if (!decoder.Feed(wire).ok()) state.SkipWithError("feed failed");
    auto payload = decoder.Next();
    if (!payload.ok() || !payload->has_value()) state.SkipWithError("no frame");
    msg.Clear();
    if (!msg.ParseFromArray((*payload)->data(), static_cast<int>((*payload)->size()))) {
      state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(msg.request_id());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * wire.size()));
}
BENCHMARK(BM_DecodeAppendReusedDecoder);

}  // namespace
}  // namespace eventmesh::protocol::rpc
