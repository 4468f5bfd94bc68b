// What the C++ SDK's TCP client does per event, without sockets: encode a publish of a Message
// with per-message properties (as tools/loadgen sends them), decode and parse the push the
// runtime sends for it, and encode the push's acknowledgement.
//   bazel run -c opt //eventmesh/sdk/internal:tcp_messages_benchmark
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/sdk/internal/tcp_messages.h"

namespace eventmesh::sdk {
namespace {

using protocol::tcp::Command;
using protocol::tcp::LengthConvention;

Message LoadMessage(uint64_t i) {
  Message m;
  m.topic = "loadgen-1796588277";
  m.content = std::string(256, 'x');
  m.properties.emplace("loadgenpub", "0");
  m.properties.emplace("loadgenseq", absl::StrCat(i));
  m.properties.emplace("loadgents", absl::StrCat(1796588277000000000ull + i * 997));
  return m;
}

void BM_PublishFrame(benchmark::State& state) {
  constexpr int kMessages = 1024;
  std::vector<Event> events;
  for (int i = 0; i < kMessages; ++i) events.push_back(LoadMessage(i));
  std::string out;
  uint64_t i = 0;
  for (auto _ : state) {
    out.clear();
    char seq[absl::numbers_internal::kFastToBufferSize];
    char* seq_end = absl::numbers_internal::FastIntToBuffer(1000000000 + i, seq);
    if (!AppendMessageFrame(Command::kAsyncMessageToServer, absl::string_view(seq, seq_end - seq),
                            events[i % kMessages], &out)
             .ok()) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(out.data());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PublishFrame);

// The push frame the runtime writes for a loadgen publish (one seq per push).
std::string PushFrame(uint64_t i) {
  const std::string header = absl::StrCat(
      R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT","command":"ASYNC_MESSAGE_TO_CLIENT","code":0,"seq":")", i,
      R"(","properties":{"protocoltype":"eventmeshmessage"}})");
  const std::string body = absl::StrCat(
      R"({"topic":"loadgen-1796588277","body":")", std::string(256, 'x'),
      R"(","properties":{"loadgenpub":"0","loadgenseq":")", i, R"(","loadgents":")",
      1796588277000000000ull + i * 997,
      R"(","protocoldesc":"tcp","protocoltype":"eventmeshmessage","protocolversion":"1.0"},"headers":{}})");
  protocol::tcp::Package package;
  auto decoded = protocol::tcp::Header::FromJson(header);
  package.header = *decoded;
  package.body = body;
  return *protocol::tcp::EncodePackage(package, LengthConvention::kCurrent);
}

void BM_ReceivePush(benchmark::State& state) {
  std::string frames;
  constexpr int kFrames = 256;
  for (int i = 0; i < kFrames; ++i) frames += PushFrame(2000000000 + i);
  protocol::tcp::PackageDecoder decoder;
  protocol::tcp::DecodedPackage decoded;
  int64_t events = 0;
  for (auto _ : state) {
    char* room = decoder.PrepareAppend(frames.size());
    memcpy(room, frames.data(), frames.size());
    decoder.CommitAppend(frames.size());
    for (;;) {
      auto next = decoder.NextInto(&decoded, [](Command) { return true; });
      if (!next.ok() || !*next) break;
      auto event = ParseMessagePackage(decoded.package.header, decoded.body());
      if (!event.ok()) state.SkipWithError("parse");
      benchmark::DoNotOptimize(event->seq.data());
      ++events;
    }
  }
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_ReceivePush);

void BM_AckFrame(benchmark::State& state) {
  std::string out;
  uint64_t i = 0;
  for (auto _ : state) {
    out.clear();
    char seq[absl::numbers_internal::kFastToBufferSize];
    char* seq_end = absl::numbers_internal::FastIntToBuffer(2000000000 + i++, seq);
    if (!protocol::tcp::EncodeReply(Command::kAsyncMessageToClientAck, 0, "",
                                    absl::string_view(seq, seq_end - seq),
                                    LengthConvention::kCurrent, &out)
             .ok()) {
      state.SkipWithError("encode");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AckFrame);

}  // namespace
}  // namespace eventmesh::sdk
