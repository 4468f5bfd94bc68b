#ifndef EVENTMESH_PROTOCOL_GRPC_BOUNDED_MESSAGES_H_
#define EVENTMESH_PROTOCOL_GRPC_BOUNDED_MESSAGES_H_

// How the two messages every EventMesh service method receives (CloudEvent, CloudEventBatch) are
// read from gRPC's bytes: the message's fields are counted first, and a message of more than
// kMaxGrpcMessageFields is refused with RESOURCE_EXHAUSTED instead of parsed. Parsed, a field
// costs far more than its bytes (a 4 MB CloudEventBatch of 2 million empty events is over 350 MB
// of CloudEvent objects); the limit allows a batch of 3,000 events of 20 attributes.
//
// The runtime's frontend reads its requests with ReadBoundedMessage itself (raw methods), so the
// caller gets the precise status. The generated service header (eventmesh_service.grpc.pb.h)
// includes this header, so every stub (the SDK's client) reads the messages it receives the same
// way through the SerializationTraits below. Serialization is gRPC's own.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/grpc/eventmesh_cloudevents.pb.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "grpcpp/support/status.h"

namespace eventmesh::protocol::grpc {

inline constexpr size_t kMaxGrpcMessageFields = 262144;

// Reads `buffer` into `message` (cleared first): OK; RESOURCE_EXHAUSTED "<Type> message with
// more than 262144 fields", unparsed; or INVALID_ARGUMENT "<Type> message cannot be parsed" for
// bytes that are not a `message`. A message that gRPC holds in several slices is joined into one
// copy for the count, freed before the parse reads the slices.
::grpc::Status ReadBoundedMessage(const ::grpc::ByteBuffer& buffer,
                                  google::protobuf::Message* message);

// A received message's bytes in one piece: gRPC's one slice as it is (referenced, not copied),
// several slices joined into one copy. Owns what view() points into.
class ContiguousBytes {
 public:
  explicit ContiguousBytes(const ::grpc::ByteBuffer& buffer);
  // view() points into the object itself.
  ContiguousBytes(const ContiguousBytes&) = delete;
  ContiguousBytes& operator=(const ContiguousBytes&) = delete;
  // False when gRPC could not hand out the buffer's slices (view() is then empty).
  bool ok() const { return ok_; }
  absl::string_view view() const { return view_; }

 private:
  std::vector<::grpc::Slice> slices_;
  std::string joined_;
  absl::string_view view_;
  bool ok_ = false;
};

// `message` serialized into `buffer`, replacing what it held (as gRPC serializes a response it
// is handed).
::grpc::Status WriteMessage(const google::protobuf::MessageLite& message,
                            ::grpc::ByteBuffer* buffer);

// The SerializationTraits of a bounded message: gRPC's serialization, ReadBoundedMessage.
template <typename Message>
class BoundedSerializationTraits {
 public:
  static ::grpc::Status Serialize(const ::grpc::protobuf::MessageLite& msg, ::grpc::ByteBuffer* bb,
                                  bool* own_buffer) {
    return ::grpc::GenericSerialize<::grpc::ProtoBufferWriter, Message>(msg, bb, own_buffer);
  }
  static ::grpc::Status Deserialize(::grpc::ByteBuffer* buffer,
                                    ::grpc::protobuf::MessageLite* msg) {
    if (buffer == nullptr) {
      return ::grpc::Status(::grpc::StatusCode::INTERNAL, "no payload");
    }
    ::grpc::Status read = ReadBoundedMessage(*buffer, static_cast<Message*>(msg));
    buffer->Clear();
    return read;
  }
};

}  // namespace eventmesh::protocol::grpc

namespace grpc {

template <>
class SerializationTraits<::org::apache::eventmesh::cloudevents::v1::CloudEvent, void>
    : public ::eventmesh::protocol::grpc::BoundedSerializationTraits<
          ::org::apache::eventmesh::cloudevents::v1::CloudEvent> {};

template <>
class SerializationTraits<::org::apache::eventmesh::cloudevents::v1::CloudEventBatch, void>
    : public ::eventmesh::protocol::grpc::BoundedSerializationTraits<
          ::org::apache::eventmesh::cloudevents::v1::CloudEventBatch> {};

}  // namespace grpc

#endif  // EVENTMESH_PROTOCOL_GRPC_BOUNDED_MESSAGES_H_
