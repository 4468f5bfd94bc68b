// Fuzz target for PackageDecoder.
//
// Input layout: byte 0 = control (bits 0-2: number of chunk-size bytes that follow, 0-7;
// bits 3-4: 1 = preset kCurrent, 2 = preset kLegacy, else detect), then the chunk-size
// bytes (each a feed size 1..256, used cyclically), then the byte stream. The stream is
// fed in those chunks and drained after every feed. Every decoded package is re-encoded
// in its convention and must decode (by a fresh decoder set to that convention) to an
// equal package; a mismatch aborts. The byte stream is also read as a header's JSON by both
// header readers: wherever the simple scanner answers, the general reader must agree. Its lines
// are read in turn by one HeaderReader (which compares a header with the one before instead of
// parsing it where it can), into one reused Header: each must equal Header::FromJson's reading.
// A second decoder decodes every frame into one reused DecodedPackage (NextInto): the same.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"

namespace {

using eventmesh::protocol::tcp::Command;
using eventmesh::protocol::tcp::DecodedPackage;
using eventmesh::protocol::tcp::EncodePackage;
using eventmesh::protocol::tcp::LengthConvention;
using eventmesh::protocol::tcp::PackageDecoder;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "package_decoder_fuzzer: %s\n", what);
    std::abort();
  }
}

void CheckReencode(const DecodedPackage& decoded) {
  std::string frame;
  // A re-encoded header may be longer than the original (e.g. "command" added), so the
  // frame may exceed the limit; only then is encoding allowed to fail.
  if (!EncodePackage(decoded.package, decoded.convention, &frame).ok()) return;
  PackageDecoder again(decoded.convention);
  again.Feed(frame);
  auto next = again.Next();
  Check(next.ok(), "re-encoded frame does not decode");
  Check(next->has_value(), "re-encoded frame is incomplete");
  Check((*next)->package == decoded.package, "re-encoded package differs");
  Check((*next)->frame_size == frame.size(), "re-encoded frame size differs");
  auto end = again.Next();
  Check(end.ok() && !end->has_value(), "re-encoded frame leaves bytes");
}

void CheckHeaderReaders(const char* text, size_t size) {
  namespace internal = eventmesh::protocol::tcp::header_internal;
  const absl::string_view json(text, size);
  auto simple = internal::ParseSimpleHeader(json);
  if (!simple.has_value()) return;
  auto general = internal::ParseHeaderDocument(json);
  Check(simple->status() == general.status(), "header readers disagree on the status");
  if (general.ok()) Check(**simple == *general, "header readers disagree on the header");
}

void CheckHeaderReaderLines(const char* text, size_t size) {
  eventmesh::protocol::tcp::HeaderReader reader;
  eventmesh::protocol::tcp::Header reused;
  absl::string_view rest(text, size);
  while (!rest.empty()) {
    const size_t end = std::min(rest.find('\n'), rest.size());
    const absl::string_view line = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    auto expected = eventmesh::protocol::tcp::Header::FromJson(line);
    const absl::Status got = reader.Read(line, &reused);
    Check(got == expected.status(), "HeaderReader disagrees with Header::FromJson on the status");
    if (expected.ok()) Check(reused == *expected, "HeaderReader disagrees on the header");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  size_t n_sizes = control & 7;
  if (n_sizes > size - 1) n_sizes = size - 1;
  std::vector<size_t> chunks;
  for (size_t i = 0; i < n_sizes; ++i) chunks.push_back(size_t{data[1 + i]} + 1);
  if (chunks.empty()) chunks.push_back(size);  // One feed of everything.
  std::optional<LengthConvention> preset;
  if (((control >> 3) & 3) == 1) preset = LengthConvention::kCurrent;
  if (((control >> 3) & 3) == 2) preset = LengthConvention::kLegacy;

  const char* stream = reinterpret_cast<const char*>(data + 1 + n_sizes);
  const size_t stream_size = size - 1 - n_sizes;
  CheckHeaderReaders(stream, stream_size);
  CheckHeaderReaderLines(stream, stream_size);
  PackageDecoder decoder(preset);
  // Fed the same chunks, lends the bodies of half the commands and decodes into one reused
  // package: must decode the same frames.
  PackageDecoder lender(preset);
  DecodedPackage reused;
  const auto borrow = [](Command cmd) { return static_cast<int>(cmd) % 2 == 0; };
  size_t off = 0;
  size_t decoded_bytes = 0;
  for (size_t k = 0; off < stream_size; ++k) {
    const size_t n = std::min(chunks[k % chunks.size()], stream_size - off);
    decoder.Feed(stream + off, n);
    lender.Feed(stream + off, n);
    off += n;
    while (true) {
      auto next = decoder.Next();
      auto lent = lender.NextInto(&reused, borrow);
      Check(lent.ok() == next.ok(), "lending decoder disagrees on the status");
      if (next.ok()) {
        Check(*lent == next->has_value(), "lending decoder disagrees on completeness");
        if (next->has_value()) {
          Check(reused.package.header == (*next)->package.header,
                "lending decoder disagrees on the header");
          Check(reused.body() == (*next)->package.body, "lending decoder disagrees on the body");
          Check(reused.borrowed_body.has_value() == borrow((*next)->package.header.cmd),
                "body lent for the wrong command");
          Check(reused.frame_size == (*next)->frame_size, "lending decoder disagrees on size");
        }
      } else {
        Check(lent.status() == next.status(), "lending decoder disagrees on the error");
      }
      if (!next.ok()) {
        Check(decoder.failed(), "error without failed state");
        auto again = decoder.Next();
        Check(!again.ok() && again.status() == next.status(), "failed state not sticky");
        return 0;
      }
      if (!next->has_value()) break;
      decoded_bytes += (*next)->frame_size;
      Check(decoded_bytes <= off, "decoder returned bytes it was not fed");
      Check(decoder.convention() == (*next)->convention, "convention not recorded");
      CheckReencode(**next);
    }
  }
  Check(decoded_bytes + decoder.buffered_bytes() == stream_size, "bytes lost or invented");
  return 0;
}
