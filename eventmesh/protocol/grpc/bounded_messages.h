#ifndef EVENTMESH_PROTOCOL_GRPC_BOUNDED_MESSAGES_H_
#define EVENTMESH_PROTOCOL_GRPC_BOUNDED_MESSAGES_H_

// How gRPC reads the two messages every EventMesh service method receives (CloudEvent,
// CloudEventBatch), included by the generated service header (eventmesh_service.grpc.pb.h) so
// that the server, the SDK's client and every stub use it: the message's fields are counted in
// its bytes first, and a message of more than kMaxGrpcMessageFields is refused with
// RESOURCE_EXHAUSTED instead of parsed. Parsed, a field costs far more than its bytes (a 4 MB
// CloudEventBatch of 2 million empty events is over 350 MB of CloudEvent objects); the limit
// allows a batch of 3,000 events of 20 attributes. Serialization is gRPC's own.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/grpc/eventmesh_cloudevents.pb.h"
#include "eventmesh/protocol/proto/field_count.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace eventmesh::protocol::grpc {

inline constexpr size_t kMaxGrpcMessageFields = 262144;

// The bytes of `buffer` as one view (`flat` holds them when the buffer has several slices), then
// the field count against the limit: OK, or RESOURCE_EXHAUSTED naming the limit.
inline ::grpc::Status CheckFieldCount(const ::grpc::ByteBuffer& buffer,
                                      const google::protobuf::Descriptor* message) {
  std::vector<::grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return ::grpc::Status::OK;  // the parse reports it
  std::string flat;
  absl::string_view bytes;
  if (slices.size() == 1) {
    bytes = absl::string_view(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size());
  } else {
    for (const ::grpc::Slice& s : slices) {
      flat.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    bytes = flat;
  }
  if (wire::CountMessageFields(message, bytes, kMaxGrpcMessageFields) <= kMaxGrpcMessageFields) {
    return ::grpc::Status::OK;
  }
  return ::grpc::Status(
      ::grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat(message->name(), " message with more than ", kMaxGrpcMessageFields, " fields"));
}

// SerializationTraits' Deserialize for a message type `T`: counted, then parsed.
template <typename T>
::grpc::Status BoundedDeserialize(::grpc::ByteBuffer* buffer, T* message) {
  if (buffer != nullptr) {
    ::grpc::Status counted = CheckFieldCount(*buffer, T::descriptor());
    if (!counted.ok()) {
      buffer->Clear();
      return counted;
    }
  }
  return ::grpc::GenericDeserialize<::grpc::ProtoBufferReader, T>(buffer, message);
}

// The SerializationTraits of a bounded message: gRPC's serialization, BoundedDeserialize.
template <typename Message>
class BoundedSerializationTraits {
 public:
  static ::grpc::Status Serialize(const ::grpc::protobuf::MessageLite& msg, ::grpc::ByteBuffer* bb,
                                  bool* own_buffer) {
    return ::grpc::GenericSerialize<::grpc::ProtoBufferWriter, Message>(msg, bb, own_buffer);
  }
  static ::grpc::Status Deserialize(::grpc::ByteBuffer* buffer,
                                    ::grpc::protobuf::MessageLite* msg) {
    return BoundedDeserialize(buffer, static_cast<Message*>(msg));
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
