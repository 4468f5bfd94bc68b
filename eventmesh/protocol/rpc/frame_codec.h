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
#include <memory>
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
// Feed() the bytes of each socket read, or read straight into the decoder's buffer
// (PrepareAppend(), then CommitAppend() of what arrived: no copy of the bytes), then call
// Next() until it yields nullopt. Reads may split frames anywhere and carry many frames at
// once. Every length prefix is checked against the maximum as soon as its 4 bytes arrive,
// before the payload is buffered, so a peer cannot make the decoder hold more than
// max_frame_size + one read of data (the buffer's capacity is at most twice that).
//
// Errors are sticky: after ResourceExhausted the stream is out of sync and every later
// Feed()/CommitAppend()/Next() returns the same error; the connection should be closed.
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

  // Room for `size` more bytes at the end of the buffer (uninitialised), for a socket read to
  // fill; then CommitAppend(n) with the n <= size bytes written. The room stays valid until the
  // next Feed/PrepareAppend/CommitAppend. Invalidates views returned by earlier Next() calls
  // (what they pointed at may move to make room).
  char* PrepareAppend(size_t size);
  // Takes the first `written` bytes of the prepared room as received (more than were prepared
  // count as the prepared size). Errors: Feed's.
  absl::Status CommitAppend(size_t written);

  // The next complete payload, or nullopt when more bytes are needed. The view stays
  // valid until the next Feed() or PrepareAppend() (later Next() calls do not invalidate it).
  absl::StatusOr<std::optional<absl::string_view>> Next();

  // Bytes buffered and not yet returned by Next() (complete and partial frames).
  size_t buffered_bytes() const { return size_ - consumed_; }
  uint32_t max_frame_size() const { return max_frame_size_; }

 private:
  // Checks the prefixes of the frames that became complete or began; sets error_.
  absl::Status Scan();
  absl::Status Fail(absl::Status status);

  const uint32_t max_frame_size_;
  // data_[0, size_) holds the bytes received and not dropped; capacity_ bytes allocated.
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  size_t prepared_ = 0;  // room handed out by PrepareAppend and not yet committed
  // Bytes of data_ already returned by Next().
  size_t consumed_ = 0;
  // Start of the first frame of data_ not yet completely buffered; every frame before
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
