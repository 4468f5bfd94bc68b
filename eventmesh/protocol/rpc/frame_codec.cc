#include "eventmesh/protocol/rpc/frame_codec.h"

#include <climits>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "eventmesh/common/big_endian.h"

namespace eventmesh::protocol::rpc {
namespace {

absl::Status OversizeError(uint64_t size, uint32_t max_frame_size) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "rpc frame of ", size, " bytes exceeds the limit of ", max_frame_size, " bytes"));
}

}  // namespace

absl::Status EncodeFrame(const google::protobuf::MessageLite& message, std::string* out,
                         uint32_t max_frame_size) {
  const size_t size = message.ByteSizeLong();
  // Protobuf caches sizes as int: anything above 2 GiB cannot be serialized either.
  if (size > max_frame_size || size > static_cast<size_t>(INT32_MAX)) {
    return OversizeError(size, max_frame_size);
  }
  const size_t start = out->size();
  out->resize(start + kFramePrefixSize + size);
  char* prefix = &(*out)[start];
  StoreBigEndian32(prefix, static_cast<uint32_t>(size));
  // ByteSizeLong() cached the sizes; serialize straight into the reserved space.
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(prefix + kFramePrefixSize));
  return absl::OkStatus();
}

absl::Status EncodeRawFrame(absl::string_view payload, std::string* out, uint32_t max_frame_size) {
  if (payload.size() > max_frame_size) return OversizeError(payload.size(), max_frame_size);
  AppendBigEndian32(out, static_cast<uint32_t>(payload.size()));
  out->append(payload.data(), payload.size());
  return absl::OkStatus();
}

absl::Status FrameDecoder::Feed(absl::string_view bytes) {
  if (!error_.ok()) return error_;
  if (consumed_ > 0) {
    // Drop returned frames; what remains is unread frames plus one partial frame.
    buffer_.erase(0, consumed_);
    scan_pos_ -= consumed_;
    consumed_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
  while (buffer_.size() - scan_pos_ >= kFramePrefixSize) {
    const uint32_t length = LoadBigEndian32(buffer_.data() + scan_pos_);
    if (length > max_frame_size_) {
      error_ = OversizeError(length, max_frame_size_);
      buffer_.clear();
      buffer_.shrink_to_fit();
      consumed_ = scan_pos_ = 0;
      return error_;
    }
    const size_t frame_end = scan_pos_ + kFramePrefixSize + length;
    if (frame_end > buffer_.size()) break;
    scan_pos_ = frame_end;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<absl::string_view>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (consumed_ == scan_pos_) return std::optional<absl::string_view>();
  const uint32_t length = LoadBigEndian32(buffer_.data() + consumed_);
  absl::string_view payload(buffer_.data() + consumed_ + kFramePrefixSize, length);
  consumed_ += kFramePrefixSize + length;
  return std::optional<absl::string_view>(payload);
}

}  // namespace eventmesh::protocol::rpc
