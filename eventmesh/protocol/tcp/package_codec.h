#ifndef EVENTMESH_PROTOCOL_TCP_PACKAGE_CODEC_H_
#define EVENTMESH_PROTOCOL_TCP_PACKAGE_CODEC_H_

// Frame encoding of EventMesh TCP packages (Java `Codec.Encoder`).
//
// Frame (big-endian ints):
//   magic "EventMesh" (9) | version "0000" (4) | package length L (int32) |
//   header length H (int32) | header JSON (H) | body (B)
// The frame is always 21 + H + B bytes; only the meaning of L differs by version:
//   kLegacy  (EventMesh <= 1.8, Go SDK): L = 8 + H + B   (total = L + 13)
//   kCurrent (EventMesh >= 1.9):         L = 13 + H + B  (total = L + 8)
// Frames larger than kMaxFrameSize (4 MiB, whole frame) are refused, as the Java
// encoder does. Pure functions; thread-safe.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/package.h"

namespace eventmesh::protocol::tcp {

enum class LengthConvention {
  kLegacy,   // <= 1.8: L = 8 + H + B, total = L + 13.
  kCurrent,  // >= 1.9: L = 13 + H + B, total = L + 8.
};

absl::string_view LengthConventionName(LengthConvention c);  // "legacy" / "current"

inline constexpr absl::string_view kMagic = "EventMesh";
inline constexpr absl::string_view kVersion = "0000";
inline constexpr size_t kMagicSize = 9;
inline constexpr size_t kVersionSize = 4;
inline constexpr size_t kPrefixSize = 21;                 // magic + version + L + H.
inline constexpr size_t kMaxFrameSize = 4 * 1024 * 1024;  // Bytes, whole frame.

// The value of the package-length field for a frame with header length H and body
// length B under convention `c`.
inline int64_t PackageLengthField(LengthConvention c, int64_t header_size, int64_t body_size) {
  return (c == LengthConvention::kCurrent ? 13 : 8) + header_size + body_size;
}

// Appends one frame to `out`. On error `out` is left as it was.
// Errors: ResourceExhausted when the frame would exceed `max_frame_size` (default kMaxFrameSize:
// "frame of N bytes exceeds the 4194304-byte limit"; a runtime passes its configured limit).
absl::Status EncodePackage(const Package& package, LengthConvention convention, std::string* out,
                           size_t max_frame_size = kMaxFrameSize);

// Appends the frame of a reply without body or properties: header {cmd, code, desc (when not
// empty), seq (when given), properties {}}. Byte for byte what EncodePackage writes for a Package
// with only those fields set, without building one (every publish is acknowledged with one).
// Errors as EncodePackage's.
absl::Status EncodeReply(Command cmd, int code, absl::string_view desc,
                         std::optional<absl::string_view> seq, LengthConvention convention,
                         std::string* out, size_t max_frame_size = kMaxFrameSize);

// Appends one frame whose header JSON is the concatenation of `header_parts` (text the caller
// wrote as Header::AppendJson would, e.g. around a seq) and whose body is what `append_body`
// appends to the string it is given (the end of `out`). Errors as EncodePackage's; `out` is then
// left as it was.
absl::Status EncodeFrame(std::initializer_list<absl::string_view> header_parts,
                         absl::FunctionRef<void(std::string*)> append_body,
                         LengthConvention convention, std::string* out,
                         size_t max_frame_size = kMaxFrameSize);

// The error of a frame of `frame_size` bytes above `max_frame_size`: ResourceExhausted "frame of N
// bytes exceeds the M-byte limit" (every frame writer's).
absl::Status FrameTooLarge(size_t frame_size, size_t max_frame_size);

// Convenience: the frame as a new string.
absl::StatusOr<std::string> EncodePackage(const Package& package, LengthConvention convention);

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_PACKAGE_CODEC_H_
