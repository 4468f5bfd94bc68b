#include "eventmesh/protocol/rpc/frame_codec.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "eventmesh/common/big_endian.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::rpc {
namespace {

using ::eventmesh::store::v1::StoreRequest;
using ::testing::ElementsAre;

StoreRequest MakeAppend(uint64_t id, int records) {
  StoreRequest req;
  req.set_request_id(id);
  auto* append = req.mutable_append();
  append->set_topic("orders");
  append->mutable_partition()->set_key_hash("customer-7");
  append->set_producer_id(1);
  append->set_sequence(id);
  for (int i = 0; i < records; ++i) {
    auto* r = append->add_records();
    r->set_key("k" + std::to_string(i));
    (*r->mutable_headers())["ce_type"] = "order.created";
    r->set_payload(std::string(32 + i, static_cast<char>('a' + i % 26)));
  }
  return req;
}

// Feeds `wire` in the given pieces and returns every payload decoded.
std::vector<std::string> DecodeAll(FrameDecoder& decoder, const std::vector<std::string>& pieces) {
  std::vector<std::string> out;
  for (const std::string& piece : pieces) {
    EXPECT_TRUE(decoder.Feed(piece).ok());
    for (int guard = 0; guard < 10000; ++guard) {
      auto next = decoder.Next();
      EXPECT_TRUE(next.ok()) << next.status();
      if (!next.ok() || !next->has_value()) break;
      out.emplace_back(**next);
    }
  }
  return out;
}

TEST(FrameCodecTest, EncodeWritesBigEndianLengthThenPayload) {
  StoreRequest req = MakeAppend(1, 2);
  std::string wire = "xy";  // existing content is kept
  ASSERT_TRUE(EncodeFrame(req, &wire).ok());
  const std::string payload = req.SerializeAsString();
  ASSERT_EQ(wire.size(), 2 + 4 + payload.size());
  EXPECT_EQ(wire.substr(0, 2), "xy");
  EXPECT_EQ(static_cast<uint8_t>(wire[2]), (payload.size() >> 24) & 0xff);
  EXPECT_EQ(static_cast<uint8_t>(wire[3]), (payload.size() >> 16) & 0xff);
  EXPECT_EQ(static_cast<uint8_t>(wire[4]), (payload.size() >> 8) & 0xff);
  EXPECT_EQ(static_cast<uint8_t>(wire[5]), payload.size() & 0xff);
  EXPECT_EQ(wire.substr(6), payload);
}

TEST(FrameCodecTest, RoundTripsTypedMessage) {
  StoreRequest req = MakeAppend(42, 3);
  std::string wire;
  ASSERT_TRUE(EncodeFrame(req, &wire).ok());
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Feed(wire).ok());
  auto payload = decoder.Next();
  ASSERT_TRUE(payload.ok());
  ASSERT_TRUE(payload->has_value());
  auto decoded = DecodeMessage<StoreRequest>(**payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->request_id(), 42u);
  ASSERT_EQ(decoded->op_case(), StoreRequest::kAppend);
  EXPECT_EQ(decoded->append().records_size(), 3);
  EXPECT_EQ(decoded->append().records(2).headers().at("ce_type"), "order.created");
  EXPECT_EQ(decoded->SerializeAsString(), req.SerializeAsString());
  auto end = decoder.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(FrameCodecTest, RequestAndResponseEnvelopesShareAStream) {
  using ::eventmesh::store::v1::StoreRequest;
  using ::eventmesh::store::v1::StoreResponse;
  StoreRequest reg;
  reg.set_request_id(7);
  auto* r = reg.mutable_create_topic();
  r->set_topic("orders");
  r->set_partitions(4);
  StoreResponse resp;
  resp.set_request_id(8);
  resp.mutable_status()->set_code(static_cast<int>(absl::StatusCode::kNotFound));
  resp.mutable_status()->set_message("topic 'x' not found");
  std::string wire;
  ASSERT_TRUE(EncodeFrame(reg, &wire).ok());
  ASSERT_TRUE(EncodeFrame(resp, &wire).ok());
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Feed(wire).ok());
  auto first = decoder.Next();
  auto second = decoder.Next();
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
  auto reg2 = DecodeMessage<StoreRequest>(**first);
  ASSERT_TRUE(reg2.ok());
  EXPECT_EQ(reg2->request_id(), 7u);
  EXPECT_EQ(reg2->create_topic().topic(), "orders");
  EXPECT_EQ(reg2->create_topic().partitions(), 4);
  auto resp2 = DecodeMessage<StoreResponse>(**second);
  ASSERT_TRUE(resp2.ok());
  EXPECT_EQ(resp2->request_id(), 8u);
  EXPECT_EQ(resp2->status().code(), 5);
  EXPECT_EQ(resp2->status().message(), "topic 'x' not found");
  EXPECT_EQ(resp2->result_case(), StoreResponse::RESULT_NOT_SET);
}

TEST(FrameCodecTest, PartialReadsAtEverySplitPoint) {
  std::string wire;
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) {
    StoreRequest req = MakeAppend(i, i + 1);
    expected.push_back(req.SerializeAsString());
    ASSERT_TRUE(EncodeFrame(req, &wire).ok());
  }
  ASSERT_TRUE(EncodeRawFrame("", &wire).ok());
  expected.push_back("");
  for (size_t split = 0; split <= wire.size(); ++split) {
    FrameDecoder decoder;
    auto got = DecodeAll(decoder, {wire.substr(0, split), wire.substr(split)});
    EXPECT_EQ(got, expected) << "split at " << split;
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
  // Two split points around the first frame boundary, and one byte at a time.
  for (size_t a = 0; a + 8 <= wire.size(); a += 7) {
    FrameDecoder decoder;
    auto got = DecodeAll(decoder, {wire.substr(0, a), wire.substr(a, 8), wire.substr(a + 8)});
    EXPECT_EQ(got, expected) << "splits at " << a << " and " << a + 8;
  }
  std::vector<std::string> bytes;
  for (char c : wire) bytes.emplace_back(1, c);
  FrameDecoder decoder;
  EXPECT_EQ(DecodeAll(decoder, bytes), expected);
}

TEST(FrameCodecTest, ManyFramesInOneRead) {
  std::string wire;
  std::vector<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string payload = std::string(i % 17, 'p') + std::to_string(i);
    expected.push_back(payload);
    ASSERT_TRUE(EncodeRawFrame(payload, &wire).ok());
  }
  FrameDecoder decoder;
  EXPECT_EQ(DecodeAll(decoder, {wire}), expected);
}

TEST(FrameCodecTest, ViewsStayValidUntilNextFeed) {
  std::string wire;
  ASSERT_TRUE(EncodeRawFrame("first", &wire).ok());
  ASSERT_TRUE(EncodeRawFrame("second", &wire).ok());
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Feed(wire).ok());
  auto a = decoder.Next();
  auto b = decoder.Next();
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_EQ(**a, "first");
  EXPECT_EQ(**b, "second");
}

TEST(FrameCodecTest, ZeroLengthFrameDecodesToDefaultMessage) {
  std::string wire;
  ASSERT_TRUE(EncodeFrame(StoreRequest(), &wire).ok());
  EXPECT_EQ(wire, std::string(4, '\0'));
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Feed(wire).ok());
  auto payload = decoder.Next();
  ASSERT_TRUE(payload.ok() && payload->has_value());
  EXPECT_TRUE((*payload)->empty());
  auto msg = DecodeMessage<StoreRequest>(**payload);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->op_case(), StoreRequest::OP_NOT_SET);
}

TEST(FrameCodecTest, OversizePrefixRejectedBeforePayloadArrives) {
  FrameDecoder decoder(/*max_frame_size=*/100);
  std::string wire;
  ASSERT_TRUE(EncodeRawFrame(std::string(100, 'x'), &wire).ok());  // exactly the limit: ok
  const char prefix[] = {0, 0, 0, 101};
  wire.append(prefix, 4);  // only the prefix of the oversize frame
  absl::Status fed = decoder.Feed(wire);
  EXPECT_EQ(fed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(fed.message(), "rpc frame of 101 bytes exceeds the limit of 100 bytes");
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  // Sticky: the stream is out of sync.
  auto next = decoder.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status(), fed);
  EXPECT_EQ(decoder.Feed("more").code(), absl::StatusCode::kResourceExhausted);
}

TEST(FrameCodecTest, DefaultLimitIs16MiB) {
  FrameDecoder decoder;
  EXPECT_EQ(decoder.max_frame_size(), 16u * 1024 * 1024);
  const char prefix[] = {0x01, 0x00, 0x00, 0x01};  // 16 MiB + 1
  absl::Status fed = decoder.Feed(absl::string_view(prefix, 4));
  EXPECT_EQ(fed.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(fed.message(), "rpc frame of 16777217 bytes exceeds the limit of 16777216 bytes");
  const char max_prefix[] = {0x01, 0x00, 0x00, 0x00};  // exactly 16 MiB is accepted
  FrameDecoder ok_decoder;
  EXPECT_TRUE(ok_decoder.Feed(absl::string_view(max_prefix, 4)).ok());
  auto next = ok_decoder.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
}

TEST(FrameCodecTest, EncodeRejectsOversizeAndLeavesOutputUnchanged) {
  StoreRequest req = MakeAppend(1, 4);
  std::string wire = "keep";
  absl::Status s = EncodeFrame(req, &wire, /*max_frame_size=*/10);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "rpc frame of " + std::to_string(req.ByteSizeLong()) +
                             " bytes exceeds the limit of 10 bytes");
  EXPECT_EQ(wire, "keep");
  absl::Status raw = EncodeRawFrame("12345678901", &wire, 10);
  EXPECT_EQ(raw.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(raw.message(), "rpc frame of 11 bytes exceeds the limit of 10 bytes");
  EXPECT_EQ(wire, "keep");
}

TEST(FrameCodecTest, MalformedPayloadIsInvalidArgument) {
  // Field 1 (request_id, varint) with its value missing; then a truncated length field.
  for (const std::string& bad : {std::string("\x08", 1), std::string("\x52\x05\x0a", 3),
                                 std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11)}) {
    auto msg = DecodeMessage<StoreRequest>(bad);
    ASSERT_FALSE(msg.ok());
    EXPECT_EQ(msg.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(msg.status().message(), "malformed protobuf frame");
  }
}

TEST(FrameCodecTest, DecoderCompactsAndKeepsPartialFrame) {
  std::string wire;
  ASSERT_TRUE(EncodeRawFrame("abc", &wire).ok());
  ASSERT_TRUE(EncodeRawFrame("defgh", &wire).ok());
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Feed(wire.substr(0, 9)).ok());  // frame 1 + 2 bytes of frame 2
  auto first = decoder.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ(**first, "abc");
  EXPECT_EQ(decoder.buffered_bytes(), 2u);
  ASSERT_TRUE(decoder.Feed(wire.substr(9)).ok());
  EXPECT_EQ(decoder.buffered_bytes(), 9u);
  auto second = decoder.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ(**second, "defgh");
  EXPECT_THAT(DecodeAll(decoder, {}), ElementsAre());
}

// Reading in place (PrepareAppend / CommitAppend, as the store's connections read) gives the
// frames Feed gives, for reads of every size against frames of many sizes: frames split across
// reads (the partial one moved to the front), many frames per read, frames larger than a read
// (the buffer grows), reads that fill less than the room they were given.
TEST(FrameCodecTest, ReadingInPlaceDecodesWhatFeedDecodes) {
  std::string wire;
  std::vector<std::string> sent;
  for (int i = 0; i < 60; ++i) {
    sent.push_back(std::string(static_cast<size_t>((i * 37) % 300 + (i % 7 == 0 ? 5000 : 0)),
                               static_cast<char>('a' + i % 26)));
    ASSERT_TRUE(EncodeRawFrame(sent.back(), &wire).ok());
  }
  sent.push_back("");  // a zero-length frame last
  ASSERT_TRUE(EncodeRawFrame("", &wire).ok());
  for (size_t room : {1u, 3u, 4u, 5u, 64u, 1000u, 4096u, 65536u}) {
    for (size_t fill : {room, (room + 1) / 2}) {
      FrameDecoder decoder;
      std::vector<std::string> decoded;
      size_t pos = 0;
      while (pos < wire.size()) {
        char* into = decoder.PrepareAppend(room);
        const size_t n = std::min(fill, wire.size() - pos);
        std::memcpy(into, wire.data() + pos, n);
        pos += n;
        ASSERT_TRUE(decoder.CommitAppend(n).ok());
        for (;;) {
          auto next = decoder.Next();
          ASSERT_TRUE(next.ok());
          if (!next->has_value()) break;
          decoded.emplace_back(**next);
        }
      }
      EXPECT_EQ(decoded, sent) << "room " << room << " fill " << fill;
      EXPECT_EQ(decoder.buffered_bytes(), 0u);
    }
  }
}

TEST(FrameCodecTest, ReadingInPlaceKeepsViewsUntilTheNextPrepare) {
  std::string wire;
  ASSERT_TRUE(EncodeRawFrame("first", &wire).ok());
  ASSERT_TRUE(EncodeRawFrame("second", &wire).ok());
  wire += "xyz";  // 3 bytes of a next frame's prefix
  FrameDecoder decoder;
  std::memcpy(decoder.PrepareAppend(wire.size()), wire.data(), wire.size());
  ASSERT_TRUE(decoder.CommitAppend(wire.size() + 10).ok());  // more than prepared: the room
  // The two frames come out intact and stay readable together; the partial prefix waits.
  auto first = decoder.Next();
  auto second = decoder.Next();
  ASSERT_TRUE(first.ok() && first->has_value() && second.ok() && second->has_value());
  EXPECT_EQ(**first, "first");
  EXPECT_EQ(**second, "second");
  EXPECT_EQ(decoder.buffered_bytes(), 3u);
}

TEST(FrameCodecTest, ReadingInPlaceRefusesAnOversizePrefixAtCommit) {
  FrameDecoder decoder(/*max_frame_size=*/16);
  char prefix[4];
  StoreBigEndian32(prefix, 17);
  std::memcpy(decoder.PrepareAppend(64), prefix, 4);
  absl::Status committed = decoder.CommitAppend(4);
  EXPECT_EQ(committed.code(), absl::StatusCode::kResourceExhausted) << committed;
  EXPECT_EQ(decoder.buffered_bytes(), 0u);  // the buffer is let go
  // Sticky: later reads and Next() give the same error, and hold nothing.
  (void)decoder.PrepareAppend(8);
  EXPECT_EQ(decoder.CommitAppend(8).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  EXPECT_EQ(decoder.Next().status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace eventmesh::protocol::rpc
