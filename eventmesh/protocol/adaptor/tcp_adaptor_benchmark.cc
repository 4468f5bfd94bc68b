// The two conversions every TCP event goes through in the runtime: a decoded publish package
// (ASYNC_MESSAGE_TO_SERVER carrying an EventMeshMessage with a 256-byte body) into the
// canonical CloudEvent, and that CloudEvent into a push frame for a subscriber.
//   bazel run -c opt //eventmesh/protocol/adaptor:tcp_adaptor_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "eventmesh/protocol/adaptor/tcp_adaptor.h"
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

}  // namespace
}  // namespace eventmesh::protocol::adaptor
