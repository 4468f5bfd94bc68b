#include "eventmesh/protocol/proto/wire_reader.h"

#include <string>

#include "eventmesh/protocol/proto/store.pb.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::wire {
namespace {

TEST(WireReaderTest, ReadsWhatTheLibraryWrites) {
  eventmesh::store::v1::StoreRequest request;
  request.set_request_id(300);
  request.mutable_append()->set_topic("orders");
  const std::string bytes = request.SerializeAsString();

  WireReader r(bytes);
  uint32_t field, type;
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(type, kVarint);
  uint64_t id;
  ASSERT_TRUE(r.Varint(&id));
  EXPECT_EQ(id, 300u);
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(field, 20u);
  EXPECT_EQ(type, kLen);
  absl::string_view append;
  ASSERT_TRUE(r.Len(&append));
  EXPECT_TRUE(r.done());

  WireReader inner(append);
  ASSERT_TRUE(inner.ReadTag(&field, &type));
  absl::string_view topic;
  ASSERT_TRUE(inner.Len(&topic));
  EXPECT_EQ(topic, "orders");
  EXPECT_TRUE(inner.done());
}

TEST(WireReaderTest, RefusesTagsTheLibraryRefuses) {
  uint32_t field, type;
  for (const std::string& bad : {
           std::string("\x00", 1),                   // field 0
           std::string("\x0e"),                      // wire type 6
           std::string("\x0f"),                      // wire type 7
           std::string("\x88\x80\x80\x80\x80\x01"),  // a tag longer than 5 bytes
           std::string("\x88"),                      // truncated
           std::string(),                            // nothing
       }) {
    WireReader r(bad);
    EXPECT_FALSE(r.ReadTag(&field, &type)) << testing::PrintToString(bad);
  }
  // Bits above 32 of a 5-byte tag are dropped: field 1, varint.
  const std::string wide("\x88\x80\x80\x80\x70", 5);
  WireReader r(wide);
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_EQ(field, 1u);
  EXPECT_EQ(type, kVarint);
}

TEST(WireReaderTest, VarintsUpToTenBytes) {
  uint64_t v;
  const std::string max("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
  WireReader r(max);
  ASSERT_TRUE(r.Varint(&v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_TRUE(r.done());

  const std::string eleven("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
  WireReader r11(eleven);
  EXPECT_FALSE(r11.Varint(&v));

  const std::string truncated("\xff\xff", 2);
  WireReader rt(truncated);
  EXPECT_FALSE(rt.Varint(&v));
}

TEST(WireReaderTest, LengthsMustFitTheInputAndStayBelowTwoGiB) {
  absl::string_view s;
  const std::string fits(
      "\x03"
      "abc",
      4);
  WireReader ok(fits);
  ASSERT_TRUE(ok.Len(&s));
  EXPECT_EQ(s, "abc");

  const std::string short_input(
      "\x04"
      "abc",
      4);
  WireReader past(short_input);
  EXPECT_FALSE(past.Len(&s));

  const std::string two_gib("\x80\x80\x80\x80\x08", 5);  // 2^31
  WireReader big(two_gib);
  EXPECT_FALSE(big.Len(&s));

  const std::string six_bytes("\x80\x80\x80\x80\x80\x00", 6);
  WireReader longer(six_bytes);
  EXPECT_FALSE(longer.Len(&s));
}

TEST(WireReaderTest, SkipsEveryWireTypeAndMatchedGroups) {
  // varint, fixed64, len, fixed32, then group 9 holding a varint field.
  const std::string bytes = std::string("\x08\x96\x01", 3) + std::string("\x11", 1) +
                            std::string(8, '\x01') + std::string("\x1a\x02hi", 4) +
                            std::string("\x25", 1) + std::string(4, '\x02') +
                            std::string("\x4b\x08\x01\x4c", 4);
  WireReader r(bytes);
  uint32_t field, type;
  int skipped = 0;
  while (!r.done()) {
    ASSERT_TRUE(r.ReadTag(&field, &type));
    ASSERT_TRUE(r.Skip(field, type, 0)) << field;
    ++skipped;
  }
  EXPECT_EQ(skipped, 5);

  // A group closed by another field's end tag, a stray end tag, an unclosed group.
  for (const std::string& bad :
       {std::string("\x4b\x54"), std::string("\x4c"), std::string("\x4b\x08\x01")}) {
    WireReader g(bad);
    ASSERT_TRUE(g.ReadTag(&field, &type));
    EXPECT_FALSE(g.Skip(field, type, 0)) << testing::PrintToString(bad);
  }
}

TEST(WireReaderTest, GroupsNestedBeyondTheLimitAreRefused) {
  const auto nested = [](int levels) {
    std::string s;
    for (int i = 0; i < levels; ++i) s.push_back('\x0b');  // start group, field 1
    for (int i = 0; i < levels; ++i) s.push_back('\x0c');  // end group, field 1
    return s;
  };
  uint32_t field, type;
  const std::string ok = nested(kMaxDepth);
  WireReader r(ok);
  ASSERT_TRUE(r.ReadTag(&field, &type));
  EXPECT_TRUE(r.Skip(field, type, 0));
  EXPECT_TRUE(r.done());

  const std::string deep = nested(kMaxDepth + 1);
  WireReader d(deep);
  ASSERT_TRUE(d.ReadTag(&field, &type));
  EXPECT_FALSE(d.Skip(field, type, 0));
}

TEST(WireReaderTest, NoPrefixOfAMessageReadsPastItsEnd) {
  eventmesh::store::v1::StoreRequest request;
  request.set_request_id(1ULL << 40);
  request.mutable_append()->set_topic(std::string(200, 't'));
  const std::string bytes = request.SerializeAsString();
  const size_t after_id = 1 + 6;  // tag, then 2^40 as a 6-byte varint
  for (size_t n = 0; n < bytes.size(); ++n) {
    // A copy of exactly n bytes, so that ASan sees any read beyond it.
    const std::string prefix = bytes.substr(0, n);
    WireReader r(prefix);
    uint32_t field, type;
    bool complete = true;
    while (!r.done()) {
      if (!r.ReadTag(&field, &type) || !r.Skip(field, type, 0)) {
        complete = false;
        break;
      }
    }
    // Only the empty prefix and the one that ends after request_id hold whole fields.
    EXPECT_EQ(complete, n == 0 || n == after_id) << n;
  }
}

}  // namespace
}  // namespace eventmesh::protocol::wire
