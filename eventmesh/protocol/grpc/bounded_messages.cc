#include "eventmesh/protocol/grpc/bounded_messages.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/proto/field_count.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/slice.h"

namespace eventmesh::protocol::grpc {
namespace {

absl::string_view View(const ::grpc::Slice& slice) {
  return absl::string_view(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

// Whether the message in `slices` has at most kMaxGrpcMessageFields fields. Several slices are
// joined into one copy for the count; the copy is freed before the parse. (The size is that of
// the slices, the bytes the parser reads.)
bool WithinFieldLimit(const std::vector<::grpc::Slice>& slices,
                      const google::protobuf::Descriptor* descriptor) {
  size_t length = 0;
  for (const ::grpc::Slice& slice : slices) length += slice.size();
  if (wire::FieldCountCannotExceed(length, kMaxGrpcMessageFields)) return true;
  if (slices.size() <= 1) {
    const absl::string_view bytes = slices.empty() ? absl::string_view() : View(slices[0]);
    return wire::CountMessageFields(descriptor, bytes, kMaxGrpcMessageFields) <=
           kMaxGrpcMessageFields;
  }
  std::string joined;
  joined.reserve(length);
  for (const ::grpc::Slice& slice : slices) {
    joined.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return wire::CountMessageFields(descriptor, joined, kMaxGrpcMessageFields) <=
         kMaxGrpcMessageFields;
}

}  // namespace

::grpc::Status ReadBoundedMessage(const ::grpc::ByteBuffer& buffer,
                                  google::protobuf::Message* message) {
  message->Clear();
  const std::string& type = message->GetDescriptor()->name();
  std::vector<::grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) {
    return ::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(type, " message cannot be read"));
  }
  if (!WithinFieldLimit(slices, message->GetDescriptor())) {
    return ::grpc::Status(
        ::grpc::StatusCode::RESOURCE_EXHAUSTED,
        absl::StrCat(type, " message with more than ", kMaxGrpcMessageFields, " fields"));
  }
  bool parsed = false;
  if (slices.size() <= 1) {
    const absl::string_view bytes = slices.empty() ? absl::string_view() : View(slices[0]);
    parsed = message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  } else {
    ::grpc::ByteBuffer shared(buffer);  // the same slices, referenced
    ::grpc::ProtoBufferReader reader(&shared);
    parsed = message->ParseFromZeroCopyStream(&reader) && reader.status().ok();
  }
  if (!parsed) {
    message->Clear();
    return ::grpc::Status(::grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(type, " message cannot be parsed"));
  }
  return ::grpc::Status::OK;
}

ContiguousBytes::ContiguousBytes(const ::grpc::ByteBuffer& buffer) {
  if (!buffer.Dump(&slices_).ok()) return;
  ok_ = true;
  if (slices_.size() == 1) {
    view_ = View(slices_[0]);
    return;
  }
  joined_.reserve(buffer.Length());
  for (const ::grpc::Slice& slice : slices_) {
    joined_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  slices_.clear();
  view_ = joined_;
}

::grpc::Status WriteMessage(const google::protobuf::MessageLite& message,
                            ::grpc::ByteBuffer* buffer) {
  buffer->Clear();  // gRPC's writer requires an empty buffer
  bool own_buffer = false;
  return ::grpc::GenericSerialize<::grpc::ProtoBufferWriter, google::protobuf::MessageLite>(
      message, buffer, &own_buffer);
}

}  // namespace eventmesh::protocol::grpc
