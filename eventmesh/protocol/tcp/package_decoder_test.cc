#include "eventmesh/protocol/tcp/package_decoder.h"

#include <string>
#include <vector>

#include "eventmesh/common/big_endian.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kHelloHeader =
    R"({"cmd":"HELLO_REQUEST","code":0,"seq":"1","properties":{},"command":"HELLO_REQUEST"})";
constexpr absl::string_view kHelloBody = R"({"version":"2.0","group":"g","purpose":"pub"})";

// A frame built by hand from the reference layout, with explicit length fields.
std::string RawFrame(absl::string_view header, absl::string_view body, int64_t package_length,
                     int64_t header_length) {
  std::string f(kMagic);
  f.append(kVersion.data(), kVersion.size());
  AppendBigEndian32(&f, static_cast<uint32_t>(package_length));
  AppendBigEndian32(&f, static_cast<uint32_t>(header_length));
  f.append(header.data(), header.size());
  f.append(body.data(), body.size());
  return f;
}

std::string Frame(absl::string_view header, absl::string_view body, LengthConvention c) {
  return RawFrame(
      header, body,
      PackageLengthField(c, static_cast<int64_t>(header.size()), static_cast<int64_t>(body.size())),
      static_cast<int64_t>(header.size()));
}

std::string HeaderJson(absl::string_view cmd, absl::string_view seq) {
  return absl::StrCat(R"({"cmd":")", cmd, R"(","code":0,"seq":")", seq,
                      R"(","properties":{"protocoltype":"eventmeshmessage"}})");
}

// Drains every complete frame; fails the test on an error.
std::vector<DecodedPackage> Drain(PackageDecoder& d) {
  std::vector<DecodedPackage> out;
  for (int i = 0; i < 100000; ++i) {
    auto next = d.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    out.push_back(std::move(**next));
  }
  return out;
}

absl::Status FirstError(PackageDecoder& d) {
  for (int i = 0; i < 1000; ++i) {
    auto next = d.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return absl::OkStatus();
  }
  return absl::OkStatus();
}

TEST(PackageDecoderTest, DecodesCurrentFrame) {
  PackageDecoder d;
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent));
  auto next = d.Next();
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_TRUE(next->has_value());
  const DecodedPackage& p = **next;
  EXPECT_EQ(p.convention, LengthConvention::kCurrent);
  EXPECT_EQ(p.package.header.cmd, Command::kHelloRequest);
  EXPECT_EQ(p.package.header.seq, "1");
  EXPECT_EQ(p.package.body, kHelloBody);
  EXPECT_EQ(p.frame_size, kPrefixSize + kHelloHeader.size() + kHelloBody.size());
  EXPECT_EQ(d.convention(), LengthConvention::kCurrent);
  EXPECT_EQ(d.buffered_bytes(), 0u);
  auto empty = d.Next();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

TEST(PackageDecoderTest, DecodesLegacyFrame) {
  PackageDecoder d;
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kLegacy));
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].convention, LengthConvention::kLegacy);
  EXPECT_EQ(got[0].package.body, kHelloBody);
  EXPECT_EQ(d.convention(), LengthConvention::kLegacy);
}

TEST(PackageDecoderTest, BodilessFramesInBothConventions) {
  const std::string header = HeaderJson("HEARTBEAT_REQUEST", "7");
  for (auto c : {LengthConvention::kCurrent, LengthConvention::kLegacy}) {
    PackageDecoder d;
    d.Feed(Frame(header, "", c));
    auto got = Drain(d);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].convention, c);
    EXPECT_EQ(got[0].package.body, "");
    EXPECT_EQ(got[0].package.header.cmd, Command::kHeartbeatRequest);
  }
}

TEST(PackageDecoderTest, CurrentFrameIsReturnedWithoutWaitingForMoreBytes) {
  // Rule 3: the candidate body is complete JSON, so no byte past the frame is needed.
  PackageDecoder d;
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent));
  auto next = d.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->has_value());
}

TEST(PackageDecoderTest, LegacyFrameWaitsForItsLastFiveBytes) {
  const std::string f = Frame(kHelloHeader, kHelloBody, LengthConvention::kLegacy);
  PackageDecoder d;
  d.Feed(f.substr(0, f.size() - 5));
  auto next = d.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  d.Feed(f.substr(f.size() - 5));
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].package.body, kHelloBody);
}

TEST(PackageDecoderTest, EverySplitPointOfTwoFrames) {
  for (auto c : {LengthConvention::kCurrent, LengthConvention::kLegacy}) {
    const std::string buf =
        Frame(kHelloHeader, kHelloBody, c) + Frame(HeaderJson("HEARTBEAT_REQUEST", "2"), "", c);
    for (size_t split = 0; split <= buf.size(); ++split) {
      PackageDecoder d;
      d.Feed(buf.data(), split);
      std::vector<DecodedPackage> got = Drain(d);
      d.Feed(buf.data() + split, buf.size() - split);
      for (auto& p : Drain(d)) got.push_back(std::move(p));
      ASSERT_EQ(got.size(), 2u) << "split " << split;
      EXPECT_EQ(got[0].package.header.cmd, Command::kHelloRequest) << "split " << split;
      EXPECT_EQ(got[0].package.body, kHelloBody) << "split " << split;
      EXPECT_EQ(got[1].package.header.cmd, Command::kHeartbeatRequest) << "split " << split;
      EXPECT_EQ(got[1].package.body, "");
      EXPECT_EQ(got[0].convention, c);
      EXPECT_EQ(got[1].convention, c);
      EXPECT_EQ(d.buffered_bytes(), 0u);
    }
  }
}

TEST(PackageDecoderTest, OneByteAtATime) {
  const std::string buf = Frame(kHelloHeader, kHelloBody, LengthConvention::kLegacy) +
                          Frame(kHelloHeader, kHelloBody, LengthConvention::kLegacy);
  PackageDecoder d;
  std::vector<DecodedPackage> got;
  for (char ch : buf) {
    d.Feed(&ch, 1);
    for (auto& p : Drain(d)) got.push_back(std::move(p));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].package.body, kHelloBody);
}

TEST(PackageDecoderTest, ManyFramesInOneFeed) {
  std::string buf;
  for (int i = 0; i < 50; ++i) {
    buf += Frame(HeaderJson("ASYNC_MESSAGE_TO_SERVER", std::to_string(i)),
                 absl::StrCat(R"({"topic":"t","body":")", i, R"("})"), LengthConvention::kCurrent);
  }
  PackageDecoder d;
  d.Feed(buf);
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(got[i].package.header.seq, std::to_string(i));
    EXPECT_EQ(got[i].package.header.properties.at("protocoltype"), "eventmeshmessage");
  }
}

// NextInto decodes into one DecodedPackage what Next decodes, reusing its storage: frames whose
// headers differ only in their seq leave the header's properties where they were, and a copied
// body in the string it was copied into.
TEST(PackageDecoderTest, NextIntoReusesThePackage) {
  std::string buf;
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i) {
    // Every fifth frame another command (with its own header shape); bodies of the publishes
    // are lent, the others copied.
    const bool publish = i % 5 != 4;
    bodies.push_back(absl::StrCat(R"({"topic":"t","body":")", std::string(40, 'b'), i, R"("})"));
    buf += Frame(HeaderJson(publish ? "ASYNC_MESSAGE_TO_SERVER" : "HEARTBEAT_REQUEST",
                            absl::StrCat("seq-number-", i)),
                 bodies.back(), LengthConvention::kCurrent);
  }
  const auto lend = [](Command cmd) { return cmd == Command::kAsyncMessageToServer; };
  PackageDecoder reference;
  reference.Feed(buf);
  PackageDecoder d;
  d.Feed(buf);
  DecodedPackage reused;
  const char* properties_text = nullptr;  // "eventmeshmessage": longer than kept inline
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    auto expected = reference.Next(lend);
    ASSERT_TRUE(expected.ok() && expected->has_value());
    absl::StatusOr<bool> got = d.NextInto(&reused, lend);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(*got);
    EXPECT_EQ(reused.package.header, (*expected)->package.header);
    EXPECT_EQ(reused.body(), bodies[i]);
    EXPECT_EQ(reused.borrowed_body.has_value(), (*expected)->borrowed_body.has_value());
    EXPECT_EQ(reused.frame_size, (*expected)->frame_size);
    const char* text = reused.package.header.properties.at("protocoltype").data();
    if (i % 5 == 1 || i % 5 == 2 || i % 5 == 3) {
      EXPECT_EQ(text, properties_text);  // the same shape as the frame before: no new storage
    }
    properties_text = text;
  }
  absl::StatusOr<bool> end = d.NextInto(&reused, lend);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_EQ(reused.package.header.seq, "seq-number-19");  // left as it was
}

TEST(PackageDecoderTest, ManySmallFeedsExerciseCompaction) {
  std::string buf;
  const std::string body(300, 'x');
  const std::string json_body = absl::StrCat(R"({"body":")", body, R"("})");
  for (int i = 0; i < 2000; ++i) {
    buf += Frame(HeaderJson("ASYNC_MESSAGE_TO_SERVER", std::to_string(i)), json_body,
                 LengthConvention::kLegacy);
  }
  PackageDecoder d;
  std::vector<DecodedPackage> got;
  for (size_t off = 0; off < buf.size(); off += 4093) {
    d.Feed(absl::string_view(buf).substr(off, 4093));
    for (auto& p : Drain(d)) got.push_back(std::move(p));
  }
  ASSERT_EQ(got.size(), 2000u);
  EXPECT_EQ(got[1999].package.header.seq, "1999");
  EXPECT_EQ(got[1999].package.body, json_body);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(PackageDecoderTest, PrepareAndCommitAppend) {
  const std::string buf = Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent);
  PackageDecoder d;
  char* dst = d.PrepareAppend(buf.size() + 100);
  std::memcpy(dst, buf.data(), buf.size());
  d.CommitAppend(buf.size());
  EXPECT_EQ(d.buffered_bytes(), buf.size());
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].package.body, kHelloBody);
}

TEST(PackageDecoderTest, ReleasesItsBufferOnlyWhenEverythingIsDecoded) {
  const std::string one = Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent);
  PackageDecoder d;
  EXPECT_EQ(d.capacity(), 0u);  // a new connection holds no receive memory
  EXPECT_TRUE(d.ReleaseIfEmpty());

  // A frame and a half arrive through PrepareAppend, as a socket read delivers them.
  const std::string bytes = one + one.substr(0, one.size() / 2);
  char* dst = d.PrepareAppend(64 * 1024);
  std::memcpy(dst, bytes.data(), bytes.size());
  d.CommitAppend(bytes.size());
  EXPECT_GE(d.capacity(), 64u * 1024);
  ASSERT_EQ(Drain(d).size(), 1u);
  EXPECT_FALSE(d.ReleaseIfEmpty());  // half a frame is kept
  EXPECT_EQ(d.buffered_bytes(), one.size() / 2);

  d.Feed(absl::string_view(one).substr(one.size() / 2));
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].package.body, kHelloBody);
  EXPECT_TRUE(d.ReleaseIfEmpty());
  EXPECT_EQ(d.capacity(), 0u);

  // Decoding goes on after a release.
  d.Feed(one);
  ASSERT_EQ(Drain(d).size(), 1u);
}

TEST(PackageDecoderTest, CommitAppendCountsOnlyWhatWasPrepared) {
  const std::string one = Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent);
  PackageDecoder d;
  char* dst = d.PrepareAppend(one.size());
  std::memcpy(dst, one.data(), one.size());
  d.CommitAppend(one.size() + 1000);  // more than prepared: clamped
  EXPECT_EQ(d.buffered_bytes(), one.size());
  ASSERT_EQ(Drain(d).size(), 1u);
}

TEST(PackageDecoderTest, ConventionIsStickyLegacy) {
  // A legacy frame with a 5-byte body has L == 13 + H: on a fresh connection that reads
  // as a bodiless current frame, but after a legacy frame it is read as legacy.
  const std::string header = HeaderJson("RECOMMEND_RESPONSE", "9");
  const std::string ambiguous = Frame(header, "\"a:1\"", LengthConvention::kLegacy);
  {
    PackageDecoder fresh;
    fresh.Feed(ambiguous);
    auto first = fresh.Next();
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first->has_value());
    EXPECT_EQ((*first)->convention, LengthConvention::kCurrent);
    EXPECT_EQ((*first)->package.body, "");
  }
  PackageDecoder d;
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kLegacy));
  d.Feed(ambiguous);
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].convention, LengthConvention::kLegacy);
  EXPECT_EQ(got[1].package.body, "\"a:1\"");
}

TEST(PackageDecoderTest, ConventionIsStickyCurrent) {
  PackageDecoder d;
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent));
  ASSERT_EQ(Drain(d).size(), 1u);
  // A bodiless legacy frame (L = 8 + H) is impossible under the current convention.
  d.Feed(Frame(kHelloHeader, "", LengthConvention::kLegacy));
  absl::Status s = FirstError(d);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("under the current (>= 1.9) length convention"));
}

TEST(PackageDecoderTest, PresetConventionSkipsDetection) {
  // A current frame whose body is not JSON would be detected as legacy; a preset
  // convention reads it correctly.
  const std::string f = Frame(kHelloHeader, "not json", LengthConvention::kCurrent);
  PackageDecoder d(LengthConvention::kCurrent);
  d.Feed(f);
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].package.body, "not json");
}

TEST(PackageDecoderTest, NumericCmdIsAnOrdinal) {
  PackageDecoder d;
  d.Feed(Frame(R"({"cmd":2,"seq":12345,"code":"0"})", "", LengthConvention::kCurrent));
  auto got = Drain(d);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].package.header.cmd, Command::kHelloRequest);
  EXPECT_EQ(got[0].package.header.seq, "12345");
}

// --- Errors ---------------------------------------------------------------------------

void ExpectError(const std::string& bytes, absl::StatusCode code, absl::string_view substr,
                 std::optional<LengthConvention> preset = std::nullopt) {
  PackageDecoder d(preset);
  d.Feed(bytes);
  absl::Status s = FirstError(d);
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(substr)));
  EXPECT_TRUE(d.failed());
}

TEST(PackageDecoderErrorTest, BadMagicShowsEscapedBytes) {
  ExpectError("GET / HTTP/1.1\r\n", absl::StatusCode::kInvalidArgument,
              "bad magic: expected \"EventMesh\", got \"GET / HTT\"");
  ExpectError(std::string("\x01\x02WEMQ\0\0\0", 9) + "0000", absl::StatusCode::kInvalidArgument,
              "got \"\\x01\\x02WEMQ\\x00\\x00\\x00\"");
}

TEST(PackageDecoderErrorTest, BadMagicDetectedOnPartialInput) {
  PackageDecoder d;
  d.Feed("Ev");
  auto next = d.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  d.Feed("x");
  absl::Status s = FirstError(d);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("got \"Evx\""));
}

TEST(PackageDecoderErrorTest, BadVersion) {
  ExpectError("EventMesh0001", absl::StatusCode::kInvalidArgument,
              "bad version: expected \"0000\", got \"0001\"");
  // Detected on whatever part of the version has arrived.
  ExpectError("EventMesh1", absl::StatusCode::kInvalidArgument,
              "bad version: expected \"0000\", got \"1\"");
  ExpectError("EventMesh001", absl::StatusCode::kInvalidArgument,
              "bad version: expected \"0000\", got \"001\"");
}

TEST(PackageDecoderErrorTest, PartialMagicAndVersionWaitForMore) {
  for (const char* prefix : {"EventMesh", "EventMesh0", "EventMesh000", "EventMesh0000"}) {
    PackageDecoder d;
    d.Feed(prefix);
    auto next = d.Next();
    ASSERT_TRUE(next.ok()) << prefix << ": " << next.status();
    EXPECT_FALSE(next->has_value()) << prefix;
    EXPECT_FALSE(d.failed()) << prefix;
  }
}

TEST(PackageDecoderErrorTest, NegativePackageLength) {
  ExpectError(RawFrame(kHelloHeader, "", -1, kHelloHeader.size()),
              absl::StatusCode::kInvalidArgument, "negative package length -1");
}

TEST(PackageDecoderErrorTest, NegativeHeaderLength) {
  ExpectError(RawFrame(kHelloHeader, "", 100, -5), absl::StatusCode::kInvalidArgument,
              "negative header length -5");
}

TEST(PackageDecoderErrorTest, ZeroHeaderLength) {
  ExpectError(RawFrame("", "{}", 15, 0), absl::StatusCode::kInvalidArgument,
              "package does not have a header");
}

TEST(PackageDecoderErrorTest, HeaderLongerThanPackage) {
  ExpectError(RawFrame(kHelloHeader, "", 40, 50), absl::StatusCode::kInvalidArgument,
              "header length 50 exceeds package length 40");
}

TEST(PackageDecoderErrorTest, ImpossiblePackageLength) {
  ExpectError(RawFrame(kHelloHeader, "", 15, 10), absl::StatusCode::kInvalidArgument,
              "impossible package length 15 for header length 10");
}

TEST(PackageDecoderErrorTest, MalformedHeaderJson) {
  ExpectError(Frame(R"({"cmd":"HELLO_REQUEST",)", "", LengthConvention::kCurrent),
              absl::StatusCode::kInvalidArgument, "malformed JSON in package header: ");
  ExpectError(Frame(R"({"cmd" "HELLO_REQUEST"})", "", LengthConvention::kCurrent),
              absl::StatusCode::kInvalidArgument, "at offset 7");
}

TEST(PackageDecoderErrorTest, HeaderNotAnObject) {
  ExpectError(Frame(R"(["HELLO_REQUEST"])", "", LengthConvention::kCurrent),
              absl::StatusCode::kInvalidArgument, "package header is not a JSON object");
}

TEST(PackageDecoderErrorTest, MissingCmd) {
  ExpectError(Frame(R"({"code":0,"seq":"1"})", "", LengthConvention::kCurrent),
              absl::StatusCode::kInvalidArgument, "package header has no cmd");
}

TEST(PackageDecoderErrorTest, UnknownCmd) {
  ExpectError(Frame(R"({"cmd":"FOO_REQUEST"})", "", LengthConvention::kCurrent),
              absl::StatusCode::kInvalidArgument, "unknown cmd \"FOO_REQUEST\" in package header");
  ExpectError(Frame(R"({"cmd":37})", "", LengthConvention::kCurrent),
              absl::StatusCode::kInvalidArgument, "unknown cmd \"37\"");
}

TEST(PackageDecoderErrorTest, FailedStateIsPermanent) {
  PackageDecoder d;
  d.Feed("EventMeshXXXX");
  absl::Status s = FirstError(d);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent));
  EXPECT_EQ(d.buffered_bytes(), 0u);
  auto again = d.Next();
  EXPECT_EQ(again.status(), s);
}

// --- Frame size limit -----------------------------------------------------------------

std::string FrameOfTotalSize(size_t total, LengthConvention c) {
  const std::string header = HeaderJson("ASYNC_MESSAGE_TO_SERVER", "1");
  const size_t body_size = total - kPrefixSize - header.size();
  std::string body = "\"" + std::string(body_size - 2, 'a') + "\"";  // Valid JSON.
  return Frame(header, body, c);
}

TEST(PackageDecoderLimitTest, FrameExactlyAtLimitIsAccepted) {
  for (auto c : {LengthConvention::kCurrent, LengthConvention::kLegacy}) {
    const std::string f = FrameOfTotalSize(kMaxFrameSize, c);
    ASSERT_EQ(f.size(), kMaxFrameSize);
    PackageDecoder d;
    d.Feed(f);
    auto got = Drain(d);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].convention, c);
    EXPECT_EQ(got[0].frame_size, kMaxFrameSize);
  }
}

TEST(PackageDecoderLimitTest, OneByteOverIsRejectedFromThePrefix) {
  // Only the 21-byte prefix is fed: the decoder rejects before buffering the frame.
  const std::string current = FrameOfTotalSize(kMaxFrameSize + 1, LengthConvention::kCurrent);
  ExpectError(current.substr(0, kPrefixSize), absl::StatusCode::kResourceExhausted,
              "frame of 4194305 bytes (package length 4194297) exceeds the 4194304-byte limit");
  // A preset legacy connection knows the size from the prefix as well.
  const std::string legacy = FrameOfTotalSize(kMaxFrameSize + 1, LengthConvention::kLegacy);
  ExpectError(legacy.substr(0, kPrefixSize), absl::StatusCode::kResourceExhausted,
              "frame of 4194305 bytes", LengthConvention::kLegacy);
}

TEST(PackageDecoderLimitTest, LegacyOverLimitRejectedBeforeItsTail) {
  // Unknown convention: the current reading fits (4 MiB - 4), the body is not complete
  // JSON, so the frame is legacy and 1 byte over: rejected without buffering the rest.
  const std::string legacy = FrameOfTotalSize(kMaxFrameSize + 1, LengthConvention::kLegacy);
  ExpectError(legacy.substr(0, legacy.size() - 5), absl::StatusCode::kResourceExhausted,
              "legacy convention) exceeds the 4194304-byte limit");
}

TEST(PackageDecoderLimitTest, CustomLimit) {
  const std::string f = Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent);
  PackageDecoder exact(std::nullopt, f.size());
  exact.Feed(f);
  EXPECT_EQ(Drain(exact).size(), 1u);
  PackageDecoder small(std::nullopt, f.size() - 1);
  small.Feed(f.substr(0, kPrefixSize));
  EXPECT_EQ(FirstError(small).code(), absl::StatusCode::kResourceExhausted);
}

// A 2 MB header of nested brackets (and the same as a body, where the first frame's convention
// is guessed by parsing the body) used to overflow the recursive JSON parser's stack and stop
// the process. They are refused with the nesting error instead.
TEST(PackageDecoderTest, DeeplyNestedHeaderOrBodyIsAnErrorNotACrash) {
  const std::string nested = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  {
    PackageDecoder d(std::nullopt, 8 << 20);
    std::string frame = Frame(nested, "", LengthConvention::kCurrent);
    d.Feed(frame);
    absl::Status error = FirstError(d);
    EXPECT_EQ(error.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(error.message(), HasSubstr("nesting deeper than 128 levels"));
  }
  {
    PackageDecoder d(std::nullopt, 8 << 20);
    std::string frame = Frame(kHelloHeader, nested, LengthConvention::kCurrent);
    d.Feed(frame);
    std::vector<DecodedPackage> got = Drain(d);
    ASSERT_EQ(got.size(), 1u);  // decodes; the body is the session's business
    EXPECT_EQ(got[0].package.body.size(), nested.size());
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp

namespace eventmesh::protocol::tcp {
namespace {

TEST(PackageDecoderBorrowTest, BodiesOfAcceptedCommandsAreLentFromTheBufferOthersAreCopied) {
  PackageDecoder d(LengthConvention::kCurrent);
  const std::string publish_body = R"({"topic":"t","body":"hello"})";
  d.Feed(
      Frame(HeaderJson("ASYNC_MESSAGE_TO_SERVER", "1"), publish_body, LengthConvention::kCurrent));
  d.Feed(Frame(kHelloHeader, kHelloBody, LengthConvention::kCurrent));
  const auto borrow_publishes = [](Command cmd) { return cmd == Command::kAsyncMessageToServer; };

  auto publish = d.Next(borrow_publishes);
  ASSERT_TRUE(publish.ok()) << publish.status();
  ASSERT_TRUE(publish->has_value());
  ASSERT_TRUE((*publish)->borrowed_body.has_value());
  EXPECT_EQ(*(*publish)->borrowed_body, publish_body);
  EXPECT_EQ((*publish)->body(), publish_body);
  EXPECT_TRUE((*publish)->package.body.empty());
  EXPECT_EQ((*publish)->package.header.seq, "1");

  auto hello = d.Next(borrow_publishes);
  ASSERT_TRUE(hello.ok()) << hello.status();
  ASSERT_TRUE(hello->has_value());
  EXPECT_FALSE((*hello)->borrowed_body.has_value());
  EXPECT_EQ((*hello)->package.body, kHelloBody);
  EXPECT_EQ((*hello)->body(), kHelloBody);

  auto none = d.Next(borrow_publishes);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(PackageDecoderBorrowTest, ALentBodyIsExactlyTheFramesBodyAcrossSplitFeeds) {
  // Fed a byte at a time, with an empty body and a large one, under both conventions.
  for (LengthConvention c : {LengthConvention::kCurrent, LengthConvention::kLegacy}) {
    for (const std::string& body : {std::string(), std::string(70'000, 'x')}) {
      const std::string frame = Frame(HeaderJson("ASYNC_MESSAGE_TO_CLIENT_ACK", "9"), body, c);
      PackageDecoder d(c);
      bool seen = false;
      for (char byte : frame) {
        d.Feed(&byte, 1);
        auto next = d.Next([](Command) { return true; });
        ASSERT_TRUE(next.ok()) << next.status();
        if (!next->has_value()) continue;
        seen = true;
        EXPECT_EQ((*next)->body(), body);
        EXPECT_EQ((*next)->frame_size, frame.size());
      }
      EXPECT_TRUE(seen);
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
