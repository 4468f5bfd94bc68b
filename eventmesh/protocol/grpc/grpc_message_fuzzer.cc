// Fuzz target for what the gRPC frontend does with a received message, before any service:
// Apache's checks (header, data, subscription, heartbeat), the response shapes, and the
// conversion to the mesh's CloudEvent.
//
// Property: nothing crashes; an accepted event converts back to the wire form and from there
// to the same mesh event (the conversion loses nothing but what it must drop). Violations abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "eventmesh/protocol/grpc/grpc_protocol.h"

namespace {

namespace grpcp = eventmesh::protocol::grpc;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "grpc_message_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grpcp::pb::CloudEvent message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)grpcp::HeaderValid(message);
  (void)grpcp::CheckData(message);
  (void)grpcp::ParseSubscription(message, /*need_url=*/false);
  (void)grpcp::ParseSubscription(message, /*need_url=*/true);
  (void)grpcp::ParseHeartbeat(message);
  (void)grpcp::ResponseCode(message);
  if (grpcp::CopyResponse(message, grpcp::Code::kSubscribeErr).SerializeAsString().empty()) {
    Fail("empty copy response", message.DebugString());
  }
  auto mesh = grpcp::ToMeshEvent(message);
  if (!mesh.ok()) return 0;
  if (mesh->FindExtension(grpcp::key::kPasswd) != nullptr) {
    Fail("passwd kept", message.DebugString());
  }
  auto wire = grpcp::FromMeshEvent(*mesh);
  if (!wire.ok()) Fail("accepted event does not convert back", wire.status().ToString());
  auto again = grpcp::ToMeshEvent(*wire);
  if (!again.ok()) Fail("converted event refused", again.status().ToString());
  if (*again != *mesh) Fail("round trip changed the event", message.DebugString());
  return 0;
}
