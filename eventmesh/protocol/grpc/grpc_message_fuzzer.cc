// Fuzz target for what the gRPC frontend does with a received message, before any service: the
// read of gRPC's bytes (ReadBoundedMessage, the bytes in one to three slices), Apache's checks
// (header, data, subscription, heartbeat), the response shapes, and the conversion to the mesh's
// CloudEvent.
//
// Properties: nothing crashes; the bounded read of a CloudEvent and of a CloudEventBatch accepts
// exactly what protobuf's parse accepts (inputs here stay far below the field limit) and reads
// the same message, however the bytes are sliced; what WireEventView reads from the bytes
// (attributes, the header and data checks, the conversion) is what the parsed message gives;
// the stored form EncodeStoredEvent writes from the bytes is SerializeProto of the converted event,
// and it writes one only for events protobuf and the conversion accept; an accepted event
// converts back to the wire
// form and from there to the same mesh event (the conversion loses nothing but what it must
// drop). Violations abort.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "eventmesh/protocol/cloudevents/proto_format.h"
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
  // A batch the frontend would publish from its bytes (every event read and converted) is one
  // protobuf parses, and holds the same events.
  if (const auto batched = grpcp::BatchEventBytes(bytes);
      batched.has_value() && !batched->empty()) {
    bool all_convert = true;
    grpcp::StoredEvent stored;  // as the frontend encodes a batch: one StoredEvent for all
    for (absl::string_view event : *batched) {
      const std::optional<grpcp::WireEventView> view = grpcp::WireEventView::Read(event);
      auto converted = view.has_value() ? grpcp::ToMeshEvent(event, *view)
                                        : absl::StatusOr<eventmesh::cloudevents::CloudEvent>(
                                              absl::InvalidArgumentError("not read"));
      all_convert = all_convert && converted.ok();
      // A batched event's stored form, as the frontend writes it: the converted event's bytes.
      if (view.has_value() && grpcp::EncodeStoredEvent(*view, "eventmeshorigin", &stored)) {
        auto serialized = converted.ok() ? eventmesh::cloudevents::SerializeProto(*converted)
                                         : absl::StatusOr<std::string>(converted.status());
        if (!serialized.ok() || *serialized != stored.bytes) {
          Fail("batched event's stored form differs from its conversion", std::string(event));
        }
      }
    }
    grpcp::pb::CloudEventBatch batch;
    if (all_convert && !batch.ParseFromString(bytes))
      Fail("batch read from bytes is garbage", bytes);
    if (all_convert && batch.events_size() != static_cast<int>(batched->size())) {
      Fail("batch read from bytes has other events", batch.DebugString());
    }
  }
  grpcp::pb::CloudEvent message;
  const bool parses = grpcp::ReadBoundedMessage(Sliced(bytes, cuts), &message).ok();
  const std::optional<grpcp::WireEventView> view = grpcp::WireEventView::Read(bytes);
  if (view.has_value() && !parses) {
    // The view reads only some levels; what it reads must parse, apart from UTF-8 (unchecked).
    if (grpcp::ToMeshEvent(bytes, *view).ok()) Fail("view and conversion of garbage", bytes);
  }
  if (view.has_value()) {
    // The stored form written from the bytes: only for an event protobuf and the conversion
    // accept, and then the bytes SerializeProto writes for the converted event.
    grpcp::StoredEvent stored;
    if (grpcp::EncodeStoredEvent(*view, "eventmeshorigin", &stored)) {
      if (!parses) Fail("stored form written for bytes protobuf refuses", bytes);
      auto converted = grpcp::ToMeshEvent(bytes, *view);
      if (!converted.ok()) Fail("stored form written for a refused event", bytes);
      auto serialized = eventmesh::cloudevents::SerializeProto(*converted);
      if (!serialized.ok() || *serialized != stored.bytes) {
        Fail("stored form differs from the converted event's", bytes);
      }
      if (stored.topic != converted->subject().value_or("") || stored.id != converted->id() ||
          stored.data_size != converted->data().size() ||
          stored.has_marker != (converted->FindExtension("eventmeshorigin") != nullptr)) {
        Fail("stored form's facts differ from the converted event's", bytes);
      }
    }
  }
  if (!parses) return 0;
  const bool header_valid = grpcp::HeaderValid(message);
  const absl::Status data_checked = grpcp::CheckData(message);
  if (view.has_value()) {
    // What the frontend reads from the bytes is what it reads from the parsed message.
    for (const char* name :
         {grpcp::key::kIdc, grpcp::key::kEnv, grpcp::key::kIp, grpcp::key::kPid, grpcp::key::kSys,
          grpcp::key::kUsername, grpcp::key::kPasswd, grpcp::key::kToken, grpcp::key::kLanguage,
          grpcp::key::kUniqueId, grpcp::key::kProducerGroup, grpcp::key::kSubject, grpcp::key::kTtl,
          grpcp::key::kDataContentType}) {
      if (view->Attr(name) != grpcp::Attr(message, name)) Fail("view attribute differs", name);
    }
    if (grpcp::HeaderValid(*view) != header_valid) Fail("view header check differs", bytes);
    if (grpcp::CheckData(*view) != data_checked) Fail("view data check differs", bytes);
    auto from_bytes = grpcp::ToMeshEvent(bytes, *view);
    auto from_message = grpcp::ToMeshEvent(message);
    if (from_bytes.ok() != from_message.ok() || (from_bytes.ok() && *from_bytes != *from_message)) {
      Fail("conversion of the bytes differs from the message's", message.DebugString());
    }
  }
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
