// Fuzz target for the RPC frame decoder: the input is split into reads of varying size
// (driven by the first byte) and fed to a FrameDecoder with a small frame limit; every
// payload is parsed as a StoreRequest and a RegistryRequest, and re-encoded when valid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/protocol/rpc/frame_codec.h"
#include "google/protobuf/stubs/logging.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using eventmesh::protocol::rpc::FrameDecoder;
  // Invalid UTF-8 in string fields is an expected parse failure; keep the log quiet.
  static const bool kQuiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)kQuiet;
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  absl::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  // The same bytes read in place (PrepareAppend / CommitAppend) in reads of another size give
  // the same frames, and fail where Feed fails.
  {
    FrameDecoder fed(/*max_frame_size=*/64 * 1024);
    FrameDecoder in_place(/*max_frame_size=*/64 * 1024);
    std::string fed_frames, in_place_frames;  // each frame: its size, then its bytes
    const auto drain = [](FrameDecoder& decoder, std::string* frames) {
      for (int guard = 0; guard < 100000; ++guard) {
        auto next = decoder.Next();
        if (!next.ok() || !next->has_value()) return;
        frames->append(std::to_string((*next)->size()))
            .append(":")
            .append((*next)->data(), (*next)->size());
      }
    };
    bool fed_ok = true, in_place_ok = true;
    for (size_t pos = 0; pos < input.size() && fed_ok; pos += chunk) {
      fed_ok = fed.Feed(input.substr(pos, chunk)).ok();
      if (fed_ok) drain(fed, &fed_frames);
    }
    const size_t room = 1 + (data[0] >> 6) * 29;  // 1, 30, 59 or 88 bytes per read
    for (size_t pos = 0; pos < input.size() && in_place_ok; pos += room) {
      const absl::string_view read = input.substr(pos, room);
      std::memcpy(in_place.PrepareAppend(room), read.data(), read.size());
      in_place_ok = in_place.CommitAppend(read.size()).ok();
      if (in_place_ok) drain(in_place, &in_place_frames);
    }
    if (fed_ok != in_place_ok) std::abort();
    // Where both fail, the frames before the failure may differ by the reads' sizes.
    if (fed_ok && fed_frames != in_place_frames) std::abort();
  }
  FrameDecoder decoder(/*max_frame_size=*/64 * 1024);
  for (size_t pos = 0; pos < input.size(); pos += chunk) {
    if (!decoder.Feed(input.substr(pos, chunk)).ok()) return 0;
    for (int guard = 0; guard < 100000; ++guard) {
      auto next = decoder.Next();
      if (!next.ok()) std::abort();  // Next only fails after a failed Feed.
      if (!next->has_value()) break;
      absl::string_view payload = **next;
      if (payload.size() > decoder.max_frame_size()) std::abort();
      auto store =
          eventmesh::protocol::rpc::DecodeMessage<eventmesh::store::v1::StoreRequest>(payload);
      if (store.ok()) {
        std::string wire;
        if (!eventmesh::protocol::rpc::EncodeFrame(*store, &wire, 1u << 30).ok()) std::abort();
        FrameDecoder again(1u << 30);
        if (!again.Feed(wire).ok()) std::abort();
        auto round = again.Next();
        if (!round.ok() || !round->has_value()) std::abort();
        if (!eventmesh::protocol::rpc::DecodeMessage<eventmesh::store::v1::StoreRequest>(**round)
                 .ok()) {
          std::abort();
        }
      }
      (void)eventmesh::protocol::rpc::DecodeMessage<eventmesh::store::v1::StoreResponse>(payload);
    }
  }
  return 0;
}
