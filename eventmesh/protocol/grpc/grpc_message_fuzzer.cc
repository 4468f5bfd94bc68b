// Fuzz target for what the gRPC frontend does with a received message, before any service: the
// read of gRPC's bytes (ReadBoundedMessage, the bytes in one to three slices), Apache's checks
// (header, data, subscription, heartbeat), the response shapes, and the conversion to the mesh's
// CloudEvent.
//
// Properties: nothing crashes; the bounded read of a CloudEvent and of a CloudEventBatch accepts
// exactly what protobuf's parse accepts (inputs here stay far below the field limit) and reads
// the same message, however the bytes are sliced; an accepted event converts back to the wire
// form and from there to the same mesh event (the conversion loses nothing but what it must
// drop). Violations abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "eventmesh/protocol/grpc/bounded_messages.h"
#include "eventmesh/protocol/grpc/grpc_protocol.h"
#include "eventmesh/protocol/proto/deterministic.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace {

namespace grpcp = eventmesh::protocol::grpc;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "grpc_message_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// `bytes` as gRPC may hand them over: in one slice, or cut at two points chosen by `cuts`.
::grpc::ByteBuffer Sliced(const std::string& bytes, uint8_t cuts) {
  std::vector<::grpc::Slice> slices;
  const size_t first = bytes.empty() ? 0 : (cuts & 0x0f) % (bytes.size() + 1);
  const size_t second = bytes.empty() ? 0 : first + (cuts >> 4) % (bytes.size() - first + 1);
  if (cuts == 0) {
    slices.emplace_back(bytes);
  } else {
    slices.emplace_back(bytes.substr(0, first));
    slices.emplace_back(bytes.substr(first, second - first));
    slices.emplace_back(bytes.substr(second));
  }
  return ::grpc::ByteBuffer(slices.data(), slices.size());
}

// The bounded read agrees with protobuf's parse of the same bytes.
template <typename Message>
void CheckBoundedRead(const std::string& bytes, uint8_t cuts) {
  Message parsed;
  const bool parses = parsed.ParseFromString(bytes);
  Message read;
  const ::grpc::Status status = grpcp::ReadBoundedMessage(Sliced(bytes, cuts), &read);
  if (status.ok() != parses) {
    Fail(parses ? "bounded read refused what protobuf parses" : "bounded read accepted garbage",
         status.error_message());
  }
  if (!parses && status.error_code() != ::grpc::StatusCode::INVALID_ARGUMENT) {
    Fail("unparsable bytes not INVALID_ARGUMENT", status.error_message());
  }
  // Compared as bytes: a comparison of values would call a NaN in an Any different from itself.
  if (parses && eventmesh::protocol::wire::DeterministicBytes(parsed) !=
                    eventmesh::protocol::wire::DeterministicBytes(read)) {
    Fail("bounded read differs from the parse", read.DebugString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const uint8_t cuts = size == 0 ? 0 : data[size / 2];
  CheckBoundedRead<grpcp::pb::CloudEventBatch>(bytes, cuts);
  CheckBoundedRead<grpcp::pb::CloudEvent>(bytes, cuts);
  grpcp::pb::CloudEvent message;
  if (!grpcp::ReadBoundedMessage(Sliced(bytes, cuts), &message).ok()) return 0;
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
