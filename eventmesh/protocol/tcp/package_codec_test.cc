#include "eventmesh/protocol/tcp/package_codec.h"

#include <optional>
#include <string>

#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/user_agent.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

// The UserAgent JSON a Java client writes for HELLO (Jackson, field order of UserAgent).
constexpr absl::string_view kUserAgentJson =
    R"({"env":"test","subsystem":"5023","path":"/data/app/umg_proxy","pid":32893,)"
    R"("host":"127.0.0.1","port":8362,"version":"2.0.11","username":"PU4283",)"
    R"("password":"PUPASS","idc":"FT","group":"EventmeshTestGroup","purpose":"pub","unack":0})";

// Header as the Java client's Jackson writes it (fields cmd, code, seq, properties, then
// the extra getCommand() getter), and as this encoder writes it (documented order).
constexpr absl::string_view kJavaHeader =
    R"({"cmd":"HELLO_REQUEST","code":0,"seq":"1234567890","properties":{},"command":"HELLO_REQUEST"})";
constexpr absl::string_view kOurHeader =
    R"({"cmd":"HELLO_REQUEST","command":"HELLO_REQUEST","code":0,"seq":"1234567890","properties":{}})";

Package HelloPackage() {
  Package p;
  p.header.cmd = Command::kHelloRequest;
  p.header.seq = "1234567890";
  p.body = std::string(kUserAgentJson);
  return p;
}

std::string Bytes(std::initializer_list<unsigned char> b) {
  return std::string(b.begin(), b.end());
}

// header 93 bytes (0x5d), body 230 bytes: current L = 13+93+230 = 336 (0x150),
// legacy L = 8+93+230 = 331 (0x14b).
TEST(PackageCodecTest, GoldenHelloCurrent) {
  const std::string expected = std::string("EventMesh0000") + Bytes({0, 0, 0x01, 0x50}) +
                               Bytes({0, 0, 0, 0x5d}) + std::string(kOurHeader) +
                               std::string(kUserAgentJson);
  auto frame = EncodePackage(HelloPackage(), LengthConvention::kCurrent);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(*frame, expected);
}

TEST(PackageCodecTest, GoldenHelloLegacy) {
  const std::string expected = std::string("EventMesh0000") + Bytes({0, 0, 0x01, 0x4b}) +
                               Bytes({0, 0, 0, 0x5d}) + std::string(kOurHeader) +
                               std::string(kUserAgentJson);
  auto frame = EncodePackage(HelloPackage(), LengthConvention::kLegacy);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(*frame, expected);
}

TEST(PackageCodecTest, UserAgentBodyMatchesJavaBytes) {
  auto ua = UserAgent::FromJson(kUserAgentJson);
  ASSERT_TRUE(ua.ok()) << ua.status();
  EXPECT_EQ(ua->ToJson(), kUserAgentJson);
}

TEST(PackageCodecTest, DecodesJavaClientBytesInBothConventions) {
  for (auto [c, len] :
       {std::pair{LengthConvention::kCurrent, 0x50}, std::pair{LengthConvention::kLegacy, 0x4b}}) {
    const std::string java =
        std::string("EventMesh0000") + Bytes({0, 0, 0x01, static_cast<unsigned char>(len)}) +
        Bytes({0, 0, 0, 0x5d}) + std::string(kJavaHeader) + std::string(kUserAgentJson);
    PackageDecoder d;
    d.Feed(java);
    auto next = d.Next();
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(next->has_value());
    EXPECT_EQ((*next)->convention, c);
    EXPECT_EQ((*next)->package, HelloPackage());
    // Our re-encoding decodes to the same package.
    auto again = EncodePackage((*next)->package, c);
    ASSERT_TRUE(again.ok());
    PackageDecoder d2;
    d2.Feed(*again);
    auto next2 = d2.Next();
    ASSERT_TRUE(next2.ok() && next2->has_value());
    EXPECT_EQ((*next2)->package, HelloPackage());
  }
}

TEST(PackageCodecTest, RoundTripEveryCommandBothConventions) {
  for (auto c : {LengthConvention::kCurrent, LengthConvention::kLegacy}) {
    std::string stream;
    std::vector<Package> sent;
    for (int i = 0; i < kCommandCount; ++i) {
      Package p;
      p.header.cmd = static_cast<Command>(i);
      p.header.code = i % 4;
      p.header.desc = i % 2 ? std::string(OpStatusDesc(i % 4)) : "";
      if (i % 3 != 0) p.header.seq = std::to_string(1000000000 + i);
      p.header.properties = {{"protocoltype", "eventmeshmessage"}, {"idx", std::to_string(i)}};
      // The first frame carries a JSON body so the convention is detected from it.
      if (i == 0 || i % 2 == 1) p.body = absl::StrCat(R"({"topic":"t)", i, R"("})");
      ASSERT_TRUE(EncodePackage(p, c, &stream).ok());
      sent.push_back(std::move(p));
    }
    PackageDecoder d;
    d.Feed(stream);
    for (int i = 0; i < kCommandCount; ++i) {
      auto next = d.Next();
      ASSERT_TRUE(next.ok()) << next.status();
      ASSERT_TRUE(next->has_value()) << i;
      EXPECT_EQ((*next)->package, sent[i]) << CommandName(static_cast<Command>(i));
      EXPECT_EQ((*next)->convention, c);
    }
    auto end = d.Next();
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end->has_value());
  }
}

TEST(PackageCodecTest, LengthFieldsFollowTheConvention) {
  Package p = HelloPackage();
  const size_t h = kOurHeader.size(), b = kUserAgentJson.size();
  EXPECT_EQ(PackageLengthField(LengthConvention::kCurrent, h, b), int64_t(13 + h + b));
  EXPECT_EQ(PackageLengthField(LengthConvention::kLegacy, h, b), int64_t(8 + h + b));
}

TEST(PackageCodecTest, AppendsToExistingOutput) {
  std::string out = "prefix";
  ASSERT_TRUE(EncodePackage(HelloPackage(), LengthConvention::kCurrent, &out).ok());
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6, 9), "EventMesh");
}

Package PackageOfFrameSize(size_t total) {
  Package p;
  p.header.cmd = Command::kAsyncMessageToServer;
  p.header.seq = "1";
  const size_t header_size = p.header.ToJson().size();
  p.body.assign(total - kPrefixSize - header_size, 'x');
  return p;
}

TEST(PackageCodecTest, FrameAtLimitIsEncoded) {
  std::string out;
  ASSERT_TRUE(
      EncodePackage(PackageOfFrameSize(kMaxFrameSize), LengthConvention::kCurrent, &out).ok());
  EXPECT_EQ(out.size(), kMaxFrameSize);
}

TEST(PackageCodecTest, OversizeFrameIsRefusedAndOutputUnchanged) {
  std::string out = "keep";
  absl::Status s =
      EncodePackage(PackageOfFrameSize(kMaxFrameSize + 1), LengthConvention::kLegacy, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("frame of 4194305 bytes exceeds the 4194304-byte limit"));
  EXPECT_EQ(out, "keep");
}

// EncodeReply writes the bytes EncodePackage writes for the same body-less reply: with and
// without desc and seq, texts that need escaping, every code sign, both conventions, appended
// after other output.
TEST(PackageCodecTest, ReplyFramesMatchEncodedPackages) {
  const std::optional<std::string> seqs[] = {
      std::nullopt,    "",    "17",   std::string(32, 'f'), "quote\"and\\slash",
      "\x7f/\xc3\xa9", "SEQ", "\x01", std::string(600, 's')};  // the last: past the stack frame
  const std::string descs[] = {"", "success", "Tps overload, \"x\"\n\x01"};
  for (const LengthConvention convention :
       {LengthConvention::kCurrent, LengthConvention::kLegacy}) {
    for (int c = 0; c < kCommandCount; ++c) {
      const auto cmd = static_cast<Command>(c);
      for (const int code : {0, 1, -7, 2147483647}) {
        for (const auto& seq : seqs) {
          for (const std::string& desc : descs) {
            Package reply;
            reply.header.cmd = cmd;
            reply.header.code = code;
            reply.header.desc = desc;
            reply.header.seq = seq;
            std::string expected = "before";
            ASSERT_TRUE(EncodePackage(reply, convention, &expected).ok());
            std::string out = "before";
            ASSERT_TRUE(EncodeReply(cmd, code, desc,
                                    seq ? std::optional<absl::string_view>(*seq) : std::nullopt,
                                    convention, &out)
                            .ok());
            EXPECT_EQ(out, expected) << CommandName(cmd) << " code " << code << " desc " << desc;
          }
        }
      }
    }
  }
}

TEST(PackageCodecTest, OversizeReplyIsRefusedAndOutputUnchanged) {
  std::string out = "keep";
  const absl::Status s = EncodeReply(Command::kAsyncMessageToServerAck, 1, std::string(200, 'd'),
                                     "1", LengthConvention::kCurrent, &out, /*max_frame_size=*/100);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(s.message()), HasSubstr("exceeds the 100-byte limit"));
  EXPECT_EQ(out, "keep");
}

TEST(PackageCodecTest, OversizeSuccessReplyIsRefusedAndOutputUnchanged) {
  for (const size_t max_frame_size : {size_t{40}, size_t{150}}) {
    std::string out = "keep";
    const absl::Status s =
        EncodeReply(Command::kAsyncMessageToServerAck, 0, "success", std::string(100, '7'),
                    LengthConvention::kCurrent, &out, max_frame_size);
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << max_frame_size;
    EXPECT_EQ(out, "keep");
  }
}

TEST(PackageCodecTest, ConventionNames) {
  EXPECT_EQ(LengthConventionName(LengthConvention::kCurrent), "current");
  EXPECT_EQ(LengthConventionName(LengthConvention::kLegacy), "legacy");
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
