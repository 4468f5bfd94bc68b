#ifndef EVENTMESH_PROTOCOL_TCP_PACKAGE_DECODER_H_
#define EVENTMESH_PROTOCOL_TCP_PACKAGE_DECODER_H_

// Incremental decoder of EventMesh TCP frames (Java `Codec.Decoder`), one per connection.
//
// Usage: Feed() whatever the socket returned (or read straight into PrepareAppend() /
// CommitAppend()), then call Next() until it returns nullopt (= need more bytes). Any
// number of frames per Feed and any split of a frame across Feeds are handled. Next()
// never reads past the end of the frame it returns.
//
// Length convention (see package_codec.h). The first frame decides it, later frames of
// the connection must use the same one (it is sticky; the server replies in it). For the
// first frame with package length L and header length H:
//   1. L < 13 + H            -> kLegacy  (the current reading would give a negative body)
//   2. L == 13 + H           -> kCurrent (an empty body; a legacy frame would need a
//                                         5-byte body, which no Java/Go client writes)
//   3. otherwise, once the L + 8 bytes of the kCurrent candidate frame are buffered: if
//      its body (bytes 21+H .. L+8) is one complete JSON value -> kCurrent, else kLegacy
//      (then the frame is L + 13 bytes and 5 more bytes are awaited).
// Rule 3 is sound because a legacy body is Jackson/Go JSON without trailing whitespace,
// and a strict prefix of such an object/array/string is never itself complete JSON;
// under kCurrent the body is the client's JSON (UserAgent for the first HELLO). The rule
// looks only at bytes inside the candidate frame, so a client that sends one frame and
// waits for the reply is never stalled. A kCurrent first frame whose body is not JSON is
// misread as legacy (the next frame then fails the magic check); the Java client's first
// frame is always HELLO with a JSON body. A convention passed to the constructor skips
// detection.
//
// Limits: frames are at most `max_frame_size` bytes (default kMaxFrameSize = 4 MiB,
// whole frame). The check happens as soon as the 21-byte prefix shows the size, before
// the frame is buffered.
//
// Errors (Next()):
//   InvalidArgument  bad magic / bad version (bytes shown C-escaped), negative package
//                    length, negative header length, header length 0 ("package does not
//                    have a header"), header length larger than package length,
//                    impossible package length, malformed header JSON ("malformed JSON
//                    in package header: <reason> at offset N"), missing/unknown cmd.
//   ResourceExhausted frame larger than the limit.
// After an error the decoder is failed for good: Next() keeps returning the same error
// and Feed() discards input. The connection must be closed (the Java runtime closes it).
//
// Buffering: consumed bytes are dropped lazily (a read offset, compacted when consumed
// bytes dominate), so decoding N frames from one buffer costs O(total bytes).
// Not thread-safe: use from the connection's strand only. Owns its buffer.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/package.h"
#include "eventmesh/protocol/tcp/package_codec.h"

namespace eventmesh::protocol::tcp {

struct DecodedPackage {
  Package package;
  LengthConvention convention;  // The convention the peer used for this frame.
  size_t frame_size = 0;        // Bytes the frame occupied on the wire.
  // Set when the body was borrowed (Next with a borrow_body predicate that accepted the
  // frame's command): the body in the decoder's buffer, valid until the next call of a
  // non-const method of the decoder; package.body is then empty.
  std::optional<absl::string_view> borrowed_body;
  // HeaderReader::last_shape of the frame's header: frames with the same nonzero shape have
  // equal headers but for their seq (0: unknown).
  uint64_t header_shape = 0;

  // The frame's body, wherever it is.
  absl::string_view body() const {
    return borrowed_body.has_value() ? *borrowed_body : absl::string_view(package.body);
  }
};

class PackageDecoder {
 public:
  explicit PackageDecoder(std::optional<LengthConvention> convention = std::nullopt,
                          size_t max_frame_size = kMaxFrameSize);

  PackageDecoder(const PackageDecoder&) = delete;
  PackageDecoder& operator=(const PackageDecoder&) = delete;

  // Appends bytes received from the peer. Ignored once the decoder has failed.
  void Feed(const char* data, size_t size);
  void Feed(absl::string_view data) { Feed(data.data(), data.size()); }

  // Zero-copy receive: returns `size` writable bytes at the end of the buffer (not
  // zero-filled); after writing n <= size of them, call CommitAppend(n). Valid until the
  // next call of any other method.
  char* PrepareAppend(size_t size);
  void CommitAppend(size_t written);

  // Frees the buffer when every buffered byte has been decoded (returns true), so an idle
  // connection holds no receive memory (the header reader's remembered header goes too); the
  // next Feed/PrepareAppend allocates again.
  bool ReleaseIfEmpty();

  // Frees the header reader's remembered header (HeaderReader::Forget), for a connection gone
  // idle; the buffer is left alone.
  void ForgetHeader() { header_reader_.Forget(); }
  // The next complete frame, nullopt when more bytes are needed, or the error that
  // failed the decoder.
  absl::StatusOr<std::optional<DecodedPackage>> Next();
  // Same, but the body of a frame whose command `borrow_body` accepts is not copied: it is
  // handed out as DecodedPackage::borrowed_body, for a caller that is done with it before it
  // calls the decoder again (a publish converted on the spot, an acknowledgement that needs
  // only its header).
  absl::StatusOr<std::optional<DecodedPackage>> Next(absl::FunctionRef<bool(Command)> borrow_body);
  // Same, decoding into `*out` (true: a frame was decoded; false: more bytes are needed; `*out`
  // is then left as it was). Its storage (the header's strings and properties, a copied body)
  // is reused: a caller that keeps one DecodedPackage for the connection decodes the usual run
  // of frames whose headers differ only in their seq (HeaderReader) without allocating.
  absl::StatusOr<bool> NextInto(DecodedPackage* out, absl::FunctionRef<bool(Command)> borrow_body);

  // The connection's convention once known (the first whole frame with valid lengths, even if its
  // header JSON was refused; or set at construction).
  std::optional<LengthConvention> convention() const { return convention_; }
  size_t buffered_bytes() const { return size_ - pos_; }
  size_t capacity() const { return capacity_; }
  bool failed() const { return !status_.ok(); }
  const absl::Status& status() const { return status_; }

 private:
  absl::Status Fail(absl::Status status);
  void Compact();
  void Reserve(size_t needed);  // capacity_ >= needed, keeping the unconsumed bytes

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;      // bytes written into data_
  size_t pos_ = 0;       // start of the unconsumed bytes
  size_t prepared_ = 0;  // bytes handed out by the last PrepareAppend
  std::optional<LengthConvention> convention_;
  HeaderReader header_reader_;
  const size_t max_frame_size_;
  absl::Status status_;
};

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_PACKAGE_DECODER_H_
