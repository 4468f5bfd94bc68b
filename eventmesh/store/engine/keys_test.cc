#include "eventmesh/store/engine/keys.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::store::keys {
namespace {

TEST(KeysTest, RecordKeysSortInOffsetOrderAcrossByteBoundaries) {
  const std::vector<uint64_t> offsets = {0, 1, 255, 256, 65535, 65536, 1ull << 32, 1ull << 40};
  for (size_t i = 1; i < offsets.size(); ++i) {
    EXPECT_LT(RecordKey(7, 3, offsets[i - 1]), RecordKey(7, 3, offsets[i]));
  }
  // Partition and topic come first.
  EXPECT_LT(RecordKey(7, 3, 1ull << 40), RecordKey(7, 4, 0));
  EXPECT_LT(RecordKey(7, 0xffffffff, 0), RecordKey(8, 0, 0));
  uint64_t offset = 0;
  ASSERT_TRUE(DecodeRecordKeyOffset(RecordKey(1, 2, 123456789), &offset));
  EXPECT_EQ(offset, 123456789u);
  EXPECT_FALSE(DecodeRecordKeyOffset("short", &offset));
  EXPECT_EQ(RecordKey(1, 2, 3).substr(0, 8), PartitionPrefix(1, 2));
}

TEST(KeysTest, TimeIndexKeysSortByTimeThenOffset) {
  EXPECT_LT(TimeIndexKey(1, 0, 1000, 99), TimeIndexKey(1, 0, 1001, 0));
  EXPECT_LT(TimeIndexKey(1, 0, 1000, 5), TimeIndexKey(1, 0, 1000, 6));
  uint64_t time = 0, base = 0;
  ASSERT_TRUE(DecodeTimeIndexKey(TimeIndexKey(1, 0, 1700000000000, 42), &time, &base));
  EXPECT_EQ(time, 1700000000000u);
  EXPECT_EQ(base, 42u);
  TimeIndexValue v{12345, 16, 4096}, out;
  ASSERT_TRUE(DecodeTimeIndexValue(EncodeTimeIndexValue(v), &out));
  EXPECT_EQ(out.cumulative_bytes_before, 12345u);
  EXPECT_EQ(out.events, 16u);
  EXPECT_EQ(out.bytes, 4096u);
  EXPECT_FALSE(DecodeTimeIndexValue("garbage", &out));
}

TEST(KeysTest, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_GT(PrefixSuccessor(PartitionPrefix(1, 2)), RecordKey(1, 2, ~0ull));
  EXPECT_LT(PrefixSuccessor(PartitionPrefix(1, 2)), RecordKey(1, 3, 0).substr(0, 8) + "\x01");
}

TEST(KeysTest, RecordValueRoundTrip) {
  ProducerRecord in;
  in.key = std::string("k\0y", 3);
  in.headers = {{"content-type", "application/json"}, {"", ""}, {"x", std::string(300, 'h')}};
  in.payload = std::string(1000, '\xab');
  std::string encoded;
  EncodeRecordValue(&encoded, 1700000000123, in);
  EventRecord out;
  ASSERT_TRUE(DecodeRecordValue(encoded, 77, &out));
  EXPECT_EQ(out.offset, 77);
  EXPECT_EQ(out.append_time_ms, 1700000000123);
  EXPECT_EQ(out.key, in.key);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.payload, in.payload);
  EXPECT_EQ(EventBytes(in), 3 + 12 + 16 + 1 + 300 + 1000);

  PatchRecordAppendTime(encoded.data(), 42);
  ASSERT_TRUE(DecodeRecordValue(encoded, 77, &out));
  EXPECT_EQ(out.append_time_ms, 42);
  EXPECT_EQ(out.payload, in.payload);

  ProducerRecord bare;
  encoded.clear();
  EncodeRecordValue(&encoded, 5, bare);
  ASSERT_TRUE(DecodeRecordValue(encoded, 0, &out));
  EXPECT_FALSE(out.key.has_value());
  EXPECT_TRUE(out.headers.empty());
  EXPECT_TRUE(out.payload.empty());

  // Truncations are rejected, never read out of bounds.
  encoded.clear();
  EncodeRecordValue(&encoded, 5, in);
  for (size_t n = 0; n < 40; ++n) {
    EXPECT_FALSE(DecodeRecordValue(absl::string_view(encoded.data(), n), 0, &out)) << n;
  }
}

TEST(KeysTest, RecordBatchRoundTripAndByteShares) {
  std::vector<ProducerRecord> in(3);
  in[0].key = std::string("k\0y", 3);
  in[0].headers = {{"content-type", "application/json"}, {"x", std::string(300, 'h')}};
  in[0].payload = std::string(1000, '\xab');
  in[2].payload = "last";
  std::string encoded;
  EncodeRecordBatch(&encoded, 1700000000123, in);

  RecordBatchReader reader;
  ASSERT_TRUE(reader.Init(encoded, 12));
  EXPECT_EQ(reader.base_offset(), 10);
  EXPECT_EQ(reader.last_offset(), 12);
  int64_t shares = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(reader.done());
    EXPECT_EQ(reader.next_offset(), 10 + i);
    EventRecord out;
    int64_t bytes = 0;
    ASSERT_TRUE(reader.Next(&out, &bytes)) << i;
    EXPECT_EQ(out.offset, 10 + i);
    EXPECT_EQ(out.append_time_ms, 1700000000123);
    EXPECT_EQ(out.key, in[i].key);
    EXPECT_EQ(out.headers, in[i].headers);
    EXPECT_EQ(out.payload, in[i].payload);
    EXPECT_GT(bytes, static_cast<int64_t>(in[i].payload.size()));
    shares += bytes;
  }
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(reader.next_offset(), 13);
  int64_t bytes = 0;
  EXPECT_FALSE(reader.Next(nullptr, &bytes));
  // The shares add up to the value without its header (1 + 8 + 1 bytes for 3 records).
  EXPECT_EQ(shares + 10, static_cast<int64_t>(encoded.size()));

  // The append time is where format 1 keeps it.
  PatchRecordAppendTime(encoded.data(), 42);
  ASSERT_TRUE(reader.Init(encoded, 2));
  EventRecord out;
  ASSERT_TRUE(reader.Next(nullptr, &bytes));  // skipped
  ASSERT_TRUE(reader.Next(&out, &bytes));
  EXPECT_EQ(out.offset, 1);
  EXPECT_EQ(out.append_time_ms, 42);
  EXPECT_FALSE(out.key.has_value());
  EXPECT_TRUE(out.payload.empty());

  // A format-1 value reads as a batch of one.
  std::string single;
  EncodeRecordValue(&single, 7, in[0]);
  ASSERT_TRUE(reader.Init(single, 77));
  EXPECT_EQ(reader.base_offset(), 77);
  ASSERT_TRUE(reader.Next(&out, &bytes));
  EXPECT_EQ(out.offset, 77);
  EXPECT_EQ(out.payload, in[0].payload);
  EXPECT_EQ(bytes, static_cast<int64_t>(single.size()));
  EXPECT_TRUE(reader.done());
}

TEST(KeysTest, CorruptRecordBatchesAreRejectedNeverReadOutOfBounds) {
  std::vector<ProducerRecord> in(2);
  in[0].key = "key";
  in[0].headers = {{"h", "v"}};
  in[0].payload = "payload-0";
  in[1].payload = "payload-1";
  std::string encoded;
  EncodeRecordBatch(&encoded, 5, in);
  RecordBatchReader reader;
  // Every truncation fails in Init or in one of the Next calls.
  for (size_t n = 0; n < encoded.size(); ++n) {
    const absl::string_view cut(encoded.data(), n);
    bool ok = reader.Init(cut, 1);
    int64_t bytes = 0;
    EventRecord out;
    while (ok && !reader.done()) ok = reader.Next(&out, &bytes);
    EXPECT_FALSE(ok) << n;
  }
  // Trailing bytes after the last record are corruption too.
  std::string longer = encoded + "x";
  ASSERT_TRUE(reader.Init(longer, 1));
  int64_t bytes = 0;
  EXPECT_TRUE(reader.Next(nullptr, &bytes));
  EXPECT_FALSE(reader.Next(nullptr, &bytes));
  // More records than the key's offset allows, a count of 0, unknown formats and flags.
  EXPECT_FALSE(reader.Init(encoded, 0));
  std::string zero;
  EncodeRecordBatch(&zero, 5, {});
  EXPECT_FALSE(reader.Init(zero + "abc", 9));
  std::string format = encoded;
  format[0] = 3;
  EXPECT_FALSE(reader.Init(format, 9));
  format[0] = static_cast<char>(0x82);
  EXPECT_FALSE(reader.Init(format, 9));
  std::string flags = encoded;
  flags[10] = 0x40;  // the first record's flags
  ASSERT_TRUE(reader.Init(flags, 9));
  EXPECT_FALSE(reader.Next(nullptr, &bytes));
}

TEST(KeysTest, MetadataRoundTrips) {
  TopicMeta meta{9, 12, {3600000, 1 << 30}, 1700000000000}, meta_out;
  ASSERT_TRUE(DecodeTopicMeta(EncodeTopicMeta(meta), &meta_out));
  EXPECT_EQ(meta_out.id, 9u);
  EXPECT_EQ(meta_out.partitions, 12);
  EXPECT_EQ(meta_out.retention.max_age_ms, 3600000);
  EXPECT_EQ(meta_out.retention.max_bytes, 1 << 30);
  EXPECT_EQ(meta_out.created_ms, 1700000000000);
  meta.retention.max_bytes = -1;
  ASSERT_TRUE(DecodeTopicMeta(EncodeTopicMeta(meta), &meta_out));
  EXPECT_EQ(meta_out.retention.max_bytes, -1);

  std::vector<ProducerBatch> window = {{4, 10, 12, 100}, {5, 13, 13, 101}}, window_out;
  ASSERT_TRUE(DecodeProducerWindow(EncodeProducerWindow(window), &window_out));
  ASSERT_EQ(window_out.size(), 2u);
  EXPECT_EQ(window_out[1].sequence, 5);
  EXPECT_EQ(window_out[1].base_offset, 13);
  uint32_t tid = 0, part = 0;
  uint64_t pid = 0;
  ASSERT_TRUE(DecodeProducerKey(ProducerKey(3, 4, 99), &tid, &part, &pid));
  EXPECT_EQ(tid, 3u);
  EXPECT_EQ(part, 4u);
  EXPECT_EQ(pid, 99u);

  std::string group;
  ASSERT_TRUE(DecodeGroupOffsetKey(GroupOffsetKey("readers", 5, 6), &group, &tid, &part));
  EXPECT_EQ(group, "readers");
  EXPECT_EQ(tid, 5u);
  EXPECT_EQ(part, 6u);
  int64_t offset = 0;
  std::string metadata;
  ASSERT_TRUE(DecodeGroupOffset(EncodeGroupOffset(42, "m"), &offset, &metadata));
  EXPECT_EQ(offset, 42);
  EXPECT_EQ(metadata, "m");
  // A group name that is a prefix of another does not share its key range.
  EXPECT_FALSE(absl::StartsWith(GroupOffsetKey("ab", 1, 1), GroupOffsetPrefix("a")));
}

// Reference values from Kafka's UtilsTest.testMurmur2.
TEST(KeysTest, Murmur2MatchesKafka) {
  EXPECT_EQ(static_cast<int32_t>(Murmur2("21")), -973932308);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("foobar")), -790332482);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")),
            -58897971);
  EXPECT_EQ(static_cast<int32_t>(Murmur2("abc")), 479470107);
  for (int n = 1; n < 10; ++n) {
    const int32_t p = PartitionForKey("some-key", n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace eventmesh::store::keys
