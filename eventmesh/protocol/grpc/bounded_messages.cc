#include "eventmesh/protocol/grpc/bounded_messages.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/proto/field_count.h"
#include "grpcpp/support/slice.h"

namespace eventmesh::protocol::grpc {

::grpc::Status ReadBoundedMessage(const ::grpc::ByteBuffer& buffer,
                                  google::protobuf::Message* message) {
  message->Clear();
  const std::string& type = message->GetDescriptor()->name();
  std::vector<::grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) {
    return ::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(type, " message cannot be read"));
  }
  std::string joined;
  absl::string_view bytes;
  if (slices.size() == 1) {
    bytes = absl::string_view(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size());
  } else {
    joined.reserve(buffer.Length());
    for (const ::grpc::Slice& s : slices) {
      joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    bytes = joined;
  }
  if (wire::CountMessageFields(message->GetDescriptor(), bytes, kMaxGrpcMessageFields) >
      kMaxGrpcMessageFields) {
    return ::grpc::Status(
        ::grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(type, " message with more than ", kMaxGrpcMessageFields, " fields"));
  }
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    message->Clear();
    return ::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(type, " message cannot be parsed"));
  }
  return ::grpc::Status::OK;
}

::grpc::Status WriteMessage(const google::protobuf::MessageLite& message,
                            ::grpc::ByteBuffer* buffer) {
  bool own_buffer = false;
  return ::grpc::GenericSerialize<::grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
      message, buffer, &own_buffer);
}

}  // namespace eventmesh::protocol::grpc
