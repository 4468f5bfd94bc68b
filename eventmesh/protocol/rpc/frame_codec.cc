#include "eventmesh/protocol/rpc/frame_codec.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "eventmesh/common/big_endian.h"

namespace eventmesh::protocol::rpc {
namespace {

// The most bytes the decoder's buffer may be asked to hold (like std::string's limit, a request
// beyond it is a programming error: std::length_error).
constexpr size_t kMaxRoom = std::numeric_limits<size_t>::max() / 4;

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
  if (bytes.empty()) return absl::OkStatus();
  std::memcpy(PrepareAppend(bytes.size()), bytes.data(), bytes.size());
  return CommitAppend(bytes.size());
}

char* FrameDecoder::PrepareAppend(size_t size) {
  if (size > kMaxRoom - size_) throw std::length_error("FrameDecoder::PrepareAppend");
  if (consumed_ == size_) {
    // Every frame returned: start over at the front (nothing to move).
    size_ = consumed_ = scan_pos_ = 0;
  } else if (consumed_ > 0 && capacity_ - size_ < size) {
    // Drop returned frames; what remains is unread frames plus one partial frame.
    std::memmove(data_.get(), data_.get() + consumed_, size_ - consumed_);
    size_ -= consumed_;
    scan_pos_ -= consumed_;
    consumed_ = 0;
  }
  if (capacity_ - size_ < size) {
    // Doubling keeps the moves amortised; the new bytes are uninitialised (written before
    // they are read).
    const size_t capacity = std::max(size_ + size, 2 * capacity_);
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }
  prepared_ = size;
  return data_.get() + size_;
}

absl::Status FrameDecoder::CommitAppend(size_t written) {
  if (!error_.ok()) {
    // Room prepared after the failure is let go again.
    data_.reset();
    capacity_ = size_ = prepared_ = 0;
    return error_;
  }
  size_ += std::min(written, prepared_);
  prepared_ = 0;
  return Scan();
}

absl::Status FrameDecoder::Scan() {
  while (size_ - scan_pos_ >= kFramePrefixSize) {
    const uint32_t length = LoadBigEndian32(data_.get() + scan_pos_);
    if (length > max_frame_size_) return Fail(OversizeError(length, max_frame_size_));
    const size_t frame_end = scan_pos_ + kFramePrefixSize + length;
    if (frame_end > size_) break;
    scan_pos_ = frame_end;
  }
  return absl::OkStatus();
}

absl::Status FrameDecoder::Fail(absl::Status status) {
  error_ = std::move(status);
  data_.reset();
  capacity_ = size_ = prepared_ = consumed_ = scan_pos_ = 0;
  return error_;
}

absl::StatusOr<std::optional<absl::string_view>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (consumed_ == scan_pos_) return std::optional<absl::string_view>();
  const uint32_t length = LoadBigEndian32(data_.get() + consumed_);
  absl::string_view payload(data_.get() + consumed_ + kFramePrefixSize, length);
  consumed_ += kFramePrefixSize + length;
  return std::optional<absl::string_view>(payload);
}

}  // namespace eventmesh::protocol::rpc
