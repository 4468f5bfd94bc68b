#ifndef EVENTMESH_PROTOCOL_RPC_FRAME_CODEC_H_
#define EVENTMESH_PROTOCOL_RPC_FRAME_CODEC_H_

// Length-prefixed framing of the mesh's internal RPC (store service, registry):
//
//   frame := [uint32 big-endian payload length][payload]
//
// The payload is one serialized protobuf message (StoreRequest, StoreResponse, ...). A
// zero-length payload is a valid frame (an all-default message). Frames larger than the
// configured maximum (default 16 MiB) are refused on both sides.

#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace eventmesh::protocol::rpc {

// Size of the length prefix, bytes.
inline constexpr size_t kFramePrefixSize = 4;
// Default largest accepted payload, bytes (16 MiB).
inline constexpr uint32_t kDefaultMaxFrameSize = 16u * 1024 * 1024;

// Appends one frame holding `message` to `*out`. The message is serialized directly into
// `out`'s storage (no intermediate string). On error `*out` is left unchanged.
// Errors: ResourceExhausted when the serialized message exceeds `max_frame_size` bytes.
absl::Status EncodeFrame(const google::protobuf::MessageLite& message, std::string* out,
                         uint32_t max_frame_size = kDefaultMaxFrameSize);

// Appends one frame holding an already-serialized payload.
// Errors: ResourceExhausted when payload.size() > max_frame_size.
absl::Status EncodeRawFrame(absl::string_view payload, std::string* out,
                            uint32_t max_frame_size = kDefaultMaxFrameSize);

// Incremental decoder for a byte stream of frames (one per connection).
//
// Feed() the bytes of each socket read, then call Next() until it yields nullopt. Reads
// may split frames anywhere and carry many frames at once. Every length prefix is checked
// against the maximum as soon as its 4 bytes arrive, before the payload is buffered, so
// a peer cannot make the decoder hold more than max_frame_size + one read of data.
//
// Errors are sticky: after ResourceExhausted the stream is out of sync and every later
// Feed()/Next() returns the same error; the connection should be closed.
// Not thread-safe (one decoder per connection, used from its strand).
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_size = kDefaultMaxFrameSize)
      : max_frame_size_(max_frame_size) {}

  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Buffers `bytes`. Invalidates views returned by earlier Next() calls.
  // Errors: ResourceExhausted "rpc frame of N bytes exceeds the limit of M bytes".
  absl::Status Feed(absl::string_view bytes);

  // The next complete payload, or nullopt when more bytes are needed. The view stays
  // valid until the next Feed() (later Next() calls do not invalidate it).
  absl::StatusOr<std::optional<absl::string_view>> Next();

  // Bytes buffered and not yet returned by Next() (complete and partial frames).
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  uint32_t max_frame_size() const { return max_frame_size_; }

 private:
  const uint32_t max_frame_size_;
  std::string buffer_;
  // Bytes of buffer_ already returned by Next().
  size_t consumed_ = 0;
  // Start of the first frame of buffer_ not yet completely buffered; every frame before
  // it has a validated prefix and is complete.
  size_t scan_pos_ = 0;
  absl::Status error_;
};

// Parses one payload as a T (a generated protobuf message).
// Errors: InvalidArgument "malformed protobuf frame" when the bytes do not parse.
template <typename T>
absl::StatusOr<T> DecodeMessage(absl::string_view payload) {
  T message;
  if (payload.size() > static_cast<size_t>(INT32_MAX) ||
      !message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("malformed protobuf frame");
  }
  return message;
}

}  // namespace eventmesh::protocol::rpc

#endif  // EVENTMESH_PROTOCOL_RPC_FRAME_CODEC_H_
